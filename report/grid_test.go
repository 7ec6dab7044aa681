package report

import (
	"context"
	"testing"

	"gongkai"
)

// Every official table must be a full rectangle: merges neither overlap nor
// leave holes, so HTML, XLSX and print agree.
func TestGridsAreRectangles(t *testing.T) {
	r, err := Build(context.Background(), &SliceSource{}, 2024, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h3, b3 := r.grid3()
	tests := []struct {
		name       string
		rows       [][]cell
		nrow, ncol int
	}{
		{"二", r.grid2(), 14, 4},
		{"三", append(h3, b3...), 3 + 25, 10},
		{"四", r.grid4(), 4, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cover := map[[2]int]int{}
			for _, p := range place(tt.rows) {
				for dr := 0; dr < max(p.Rowspan, 1); dr++ {
					for dc := 0; dc < max(p.Colspan, 1); dc++ {
						cover[[2]int{p.R + dr, p.C + dc}]++
					}
				}
			}
			for i := 0; i < tt.nrow; i++ {
				for j := 0; j < tt.ncol; j++ {
					if n := cover[[2]int{i, j}]; n != 1 {
						t.Errorf("cell (%d,%d) covered %d times", i, j, n)
					}
				}
			}
			if len(cover) != tt.nrow*tt.ncol {
				t.Errorf("table covers %d cells, want %d×%d", len(cover), tt.nrow, tt.ncol)
			}
		})
	}
}

// The Markdown lines of section 三 keep the seed's widths: 10 fields a line.
func TestMarkdownTable3Width(t *testing.T) {
	r, err := Build(context.Background(), &SliceSource{}, 2024, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range r.table3Lines() {
		if len(l) != 10 {
			t.Errorf("line %d has %d fields: %q", i, len(l), l)
		}
	}
	if n := len(r.table3Lines()); n != 3+25 {
		t.Errorf("%d lines, want 28", n)
	}
	_ = gongkai.Results
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		v      float64
		places int
		want   string
	}{
		{0, 4, "0"}, {1.5, 4, "1.5"}, {0.12345, 4, "0.1235"}, {12.3, 2, "12.3"}, {2, 2, "2"},
	}
	for _, tt := range tests {
		if got := formatAmount(tt.v, tt.places); got != tt.want {
			t.Errorf("formatAmount(%v, %d) = %q, want %q", tt.v, tt.places, got, tt.want)
		}
	}
}
