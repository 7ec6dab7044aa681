package report

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// xlsxSheet is the name of the one worksheet of the XLSX report.
const xlsxSheet = "年度报告"

// Column widths of the sheet: three label columns for section 三, then figures.
var xlsxWidths = []float64{16, 14, 34, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}

// XLSX writes the report as one A4 worksheet: title, prose and the four
// official tables with the same merged cells as the HTML page. Figures are
// numbers, so the sums can be re-checked in Excel.
func (r *Report) XLSX(out io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &xlsxWriter{f: f, row: 1}
	if err := x.run(r); err != nil {
		return fmt.Errorf("report: building xlsx: %w", err)
	}
	if err := f.Write(out); err != nil {
		return fmt.Errorf("report: writing xlsx: %w", err)
	}
	return nil
}

type xlsxWriter struct {
	f                                     *excelize.File
	row                                   int
	err                                   error
	title, heading, prose, th, thLeft, td int
}

func (x *xlsxWriter) run(r *Report) error {
	f := x.f
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		return err
	}
	for i, wd := range xlsxWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(xlsxSheet, col, col, wd); err != nil {
			return err
		}
	}
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1}, {Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	font := &excelize.Font{Family: "宋体", Size: 10.5}
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&x.title, excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 16, Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&x.heading, excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 12, Bold: true}}},
		{&x.prose, excelize.Style{Font: &excelize.Font{Family: "仿宋", Size: 12}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&x.th, excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&x.thLeft, excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}}},
		{&x.td, excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return err
		}
		*s.id = id
	}

	x.text(r.title(), x.title, 30)
	x.row++
	x.text(w("h1"), x.heading, 0)
	for _, p := range paragraphs(r.Texts.Intro) {
		x.text("　　"+p, x.prose, 0)
	}
	for i, s := range r.Texts.Overview {
		x.text("　　"+w(fmt.Sprintf("overview.%d", i+1))+s, x.prose, 0)
	}
	x.text(w("h2"), x.heading, 0)
	x.grid(r.grid2(), 4)
	x.text(w("h3"), x.heading, 0)
	h3, b3 := r.grid3()
	x.grid(append(h3, b3...), 10)
	x.text(w("h4"), x.heading, 0)
	x.grid(r.grid4(), 15)
	x.text(w("h5"), x.heading, 0)
	for _, p := range paragraphs(r.Texts.Problems) {
		x.text("　　"+p, x.prose, 0)
	}
	x.text(w("h6"), x.heading, 0)
	for _, p := range paragraphs(r.Texts.Other) {
		x.text("　　"+p, x.prose, 0)
	}
	if x.err != nil {
		return x.err
	}
	size, orient, fitW, fitH := 9, "portrait", 1, 0 // 9 = A4
	return f.SetPageLayout(xlsxSheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &fitW, FitToHeight: &fitH})
}

// text writes a line merged across the sheet, tall enough for its wrapped text.
func (x *xlsxWriter) text(s string, style int, height float64) {
	if x.err != nil {
		return
	}
	a, b := x.cell(0, 0), x.cell(len(xlsxWidths)-1, 0)
	x.do(x.f.SetCellStr(xlsxSheet, a, s))
	x.do(x.f.MergeCell(xlsxSheet, a, b))
	x.do(x.f.SetCellStyle(xlsxSheet, a, b, style))
	if height == 0 {
		perLine := 70 // CJK characters across the merged width at 12pt
		lines := (utf8.RuneCountInString(s) + perLine - 1) / perLine
		height = float64(max(lines, 1)) * 20
	}
	x.do(x.f.SetRowHeight(xlsxSheet, x.row, height))
	x.row++
}

// grid writes a table of width cols and moves below it.
func (x *xlsxWriter) grid(rows [][]cell, cols int) {
	if x.err != nil {
		return
	}
	x.do(x.f.SetCellStyle(xlsxSheet, x.cell(0, 0), x.cell(cols-1, len(rows)-1), x.td))
	for _, p := range place(rows) {
		a := x.cell(p.C, p.R)
		b := x.cell(p.C+max(p.Colspan, 1)-1, p.R+max(p.Rowspan, 1)-1)
		switch n, err := strconv.Atoi(p.Text); {
		case p.Head:
			x.do(x.f.SetCellStr(xlsxSheet, a, p.Text))
			style := x.th
			if p.C < 3 && cols == 10 && p.R >= 3 {
				style = x.thLeft // row labels of section 三
			}
			x.do(x.f.SetCellStyle(xlsxSheet, a, b, style))
		case err == nil:
			x.do(x.f.SetCellInt(xlsxSheet, a, int64(n)))
		default:
			v, _ := strconv.ParseFloat(p.Text, 64)
			x.do(x.f.SetCellFloat(xlsxSheet, a, v, -1, 64))
		}
		if a != b {
			x.do(x.f.MergeCell(xlsxSheet, a, b))
		}
	}
	x.row += len(rows) + 1
}

// cell names the cell at column c (0-based) and row x.row+r.
func (x *xlsxWriter) cell(c, r int) string {
	name, err := excelize.CoordinatesToCellName(c+1, x.row+r)
	x.do(err)
	return name
}

func (x *xlsxWriter) do(err error) {
	if x.err == nil && err != nil {
		x.err = err
	}
}
