package workday

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"gongkai"
)

func loadFile(t *testing.T, c *Calendar, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.Load(f); err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
}

// TestLoad2027: on a calendar without 2027, 2027 is refused; the example file
// makes it computable. The example is lunar-go's 2027 arrangement typed into
// the file format, so the loaded calendar must equal New() day by day.
func TestLoad2027(t *testing.T) {
	c := newEmpty()
	d := gongkai.MustDate("2027-02-04")
	if _, err := c.Due(d, web, false); !errors.Is(err, ErrNoSchedule) {
		t.Fatalf("before loading: err = %v, want ErrNoSchedule", err)
	}
	if msg := gongkai.ErrorMessage(mustErr(c.IsWorkingDay(d))); !strings.HasPrefix(msg, "2027年的法定节假日安排尚未载入") {
		t.Errorf("message %q", msg)
	}
	loadFile(t, c, "testdata/2027-example.txt")
	if got := c.Years(); !slices.Equal(got, []int{2027}) {
		t.Errorf("Years() = %v, want [2027]", got)
	}
	// 2/4 Thu is day 0; 2/5–2/13 off, 2/14 Sun 调休 (1), 2/15–2/19 (2–6),
	// 2/22–2/26 (7–11), 3/1–3/5 (12–16), 3/8–3/11 (17–20).
	due, err := c.Due(d, inPerson, false)
	if err != nil || due.String() != "2027-03-11" {
		t.Errorf("Due(2027-02-04) = %s, %v; want 2027-03-11", due, err)
	}
	ref := New()
	for day := gongkai.MustDate("2027-01-01"); day.Year() == 2027; day = day.AddDays(1) {
		got, _ := c.IsWorkingDay(day)
		want, err := ref.IsWorkingDay(day)
		if err != nil {
			t.Fatalf("New() lacks 2027: %v", err)
		}
		if got != want {
			t.Errorf("%s: example file says working=%v, lunar-go %v", day, got, want)
		}
	}
}

func mustErr(_ bool, err error) error { return err }

// TestLoad2028: New() does not know 2028; a file makes it computable.
func TestLoad2028(t *testing.T) {
	c := New()
	arrived := gongkai.MustDate("2027-12-31") // +20 reaches January 2028
	_, err := c.Due(arrived, inPerson, false)
	if !errors.Is(err, ErrNoSchedule) || !strings.HasPrefix(gongkai.ErrorMessage(err), "2028年") {
		t.Fatalf("before loading: err = %v, want ErrNoSchedule for 2028", err)
	}
	loadFile(t, c, "testdata/2028-example.txt")
	if ys := c.Years(); ys[len(ys)-1] != 2028 {
		t.Errorf("Years() ends %d, want 2028", ys[len(ys)-1])
	}
	// Example schedule: 1/1 Sat, 1/2 Sun, 1/3 Mon off; 1/4–1/7 (1–4), 1/8 Sat
	// 调休 (5), 1/10–1/14 (6–10), 1/17–1/21 (11–15), 1/24–1/28 (16–20).
	due, err := c.Due(arrived, inPerson, false)
	if err != nil || due.String() != "2028-01-28" {
		t.Errorf("Due(2027-12-31) = %s, %v; want 2028-01-28", due, err)
	}
	w, name, err := c.Day(gongkai.MustDate("2028-01-08"))
	if err != nil || !w || name != "调休上班（示例）" {
		t.Errorf("Day(2028-01-08) = %v, %q, %v", w, name, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		lines []string // each must be named in the message
	}{
		{"bad date", "year 2029\n2029-13-01 off 元旦\n", []string{"第2行"}},
		{"bad kind", "# c\n\n2029-01-01 holiday 元旦\n", []string{"第3行"}},
		{"missing kind", "2029-01-01\n", []string{"第1行"}},
		{"bad year", "year twenty\n", []string{"第1行"}},
		{"year out of range", "year 1800\n", []string{"第1行"}},
		{"several", "2029-01-01 off 元旦\nnonsense\n2029-01-02 off\n2029/01/03 off\n", []string{"第2行", "第4行"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New()
			before := c.Years()
			err := c.Load(strings.NewReader(tc.file))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if gongkai.ErrorKind(err) != gongkai.EInvalid {
				t.Errorf("kind %q", gongkai.ErrorKind(err))
			}
			msg := gongkai.ErrorMessage(err)
			for _, l := range tc.lines {
				if !strings.Contains(msg, l) {
					t.Errorf("message %q does not name %s", msg, l)
				}
			}
			var ge *gongkai.Error
			if errors.As(err, &ge) && len(ge.Fields) != len(tc.lines) {
				t.Errorf("%d bad lines reported, want %d: %v", len(ge.Fields), len(tc.lines), ge.Fields)
			}
			// Nothing of a bad file is applied.
			if after := c.Years(); !slices.Equal(before, after) {
				t.Errorf("Years() changed from %v to %v", before, after)
			}
		})
	}
}

func TestLoadFormat(t *testing.T) {
	c := newEmpty()
	file := "\ufeff# 2029 test\n\n  year 2029  \n2029-01-01\toff\t元旦 假期\n2029-01-06 班 调休\n2029-01-02 休\n"
	if err := c.Load(strings.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	es, err := c.Entries(2029)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{gongkai.MustDate("2029-01-01"), false, "元旦 假期"},
		{gongkai.MustDate("2029-01-02"), false, ""},
		{gongkai.MustDate("2029-01-06"), true, "调休"},
	}
	if !slices.EqualFunc(es, want, func(a, b Entry) bool { return a.Date.Equal(b.Date) && a == b }) {
		t.Errorf("Entries(2029) = %v, want %v", es, want)
	}
}

func TestSetDayAndMarkYear(t *testing.T) {
	c := New()
	d := gongkai.MustDate("2029-03-05") // a Monday
	if _, err := c.IsWorkingDay(d); !errors.Is(err, ErrNoSchedule) {
		t.Fatalf("2029 known before SetDay: %v", err)
	}
	c.SetDay(d, false, "测试")
	if w, name, err := c.Day(d); err != nil || w || name != "测试" {
		t.Errorf("Day(%s) = %v, %q, %v", d, w, name, err)
	}
	// The rest of 2029 follows Monday–Friday.
	if w, _ := c.IsWorkingDay(gongkai.MustDate("2029-03-06")); !w {
		t.Error("2029-03-06 (Tue) not a working day")
	}
	if w, _ := c.IsWorkingDay(gongkai.MustDate("2029-03-10")); w {
		t.Error("2029-03-10 (Sat) a working day")
	}

	// An admin correction of a library day changes the deadlines.
	c.SetDay(gongkai.MustDate("2025-10-11"), false, "更正")
	// 2025-09-28 web: 9/29 (1), 9/30 (2), 10/9 (3), 10/10 (4), 10/11 now off,
	// 10/13 (5)…10/31 (19), 11/3 (20).
	if due, err := c.Due(gongkai.MustDate("2025-09-28"), web, false); err != nil || due.String() != "2025-11-03" {
		t.Errorf("Due after correction = %s, %v; want 2025-11-03", due, err)
	}

	c.MarkYearLoaded(2030)
	if !slices.Contains(c.Years(), 2030) {
		t.Error("2030 not known after MarkYearLoaded")
	}
	if es, err := c.Entries(2030); err != nil || len(es) != 0 {
		t.Errorf("Entries(2030) = %v, %v", es, err)
	}
	// 2030-01-01 is a Tuesday: with no special day it is a working day.
	if w, err := c.IsWorkingDay(gongkai.MustDate("2030-01-01")); err != nil || !w {
		t.Errorf("2030-01-01 = %v, %v", w, err)
	}
}

func TestCorrectionsFileParses(t *testing.T) {
	if err := newEmpty().Load(strings.NewReader(string(corrections))); err != nil {
		t.Fatalf("corrections.txt: %v", err)
	}
}

func TestZeroCalendar(t *testing.T) {
	var c Calendar
	if _, err := c.IsWorkingDay(gongkai.MustDate("2025-01-02")); !errors.Is(err, ErrNoSchedule) {
		t.Errorf("zero Calendar: %v", err)
	}
	c.SetDay(gongkai.MustDate("2031-01-01"), false, "元旦")
	if got := c.Years(); !slices.Equal(got, []int{2031}) {
		t.Errorf("Years() = %v", got)
	}
}
