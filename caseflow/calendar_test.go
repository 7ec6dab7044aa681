package caseflow

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gongkai"
	"gongkai/store"
	"gongkai/workday"
)

// calService is a Service over a fresh database and the shipped calendar.
func calService(t *testing.T) (*Service, *workday.Calendar) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cal := workday.New()
	return &Service{DB: db, Cal: cal}, cal
}

// storedCalendar replays the stored entries into a shipped calendar, as the
// app does at start-up: what survives a restart.
func storedCalendar(t *testing.T, s *Service) (*workday.Calendar, []store.CalendarDay, []int) {
	t.Helper()
	cal := workday.New()
	var days []store.CalendarDay
	var years []int
	err := s.DB.View(context.Background(), func(tx *store.Tx) error {
		var err error
		days, years, err = tx.CalendarDays()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range years {
		cal.MarkYearLoaded(y)
	}
	for _, d := range days {
		cal.SetDay(d.Date, d.Working, d.Name)
	}
	return cal, days, years
}

func TestSetCalendarDay(t *testing.T) {
	s, cal := calService(t)
	ctx := context.Background()
	// 2024-10-08 is an ordinary Tuesday; an (invented) extra day off moves a
	// due date that runs over it.
	recv := gongkai.MustDate("2024-09-30")
	before, err := cal.Due(recv, gongkai.ChannelWeb, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetCalendarDay(ctx, gongkai.MustDate("2024-10-08"), false, "  国庆节 \n补休 ", "admin"); err != nil {
		t.Fatal(err)
	}
	after, err := cal.Due(recv, gongkai.ChannelWeb, false)
	if err != nil {
		t.Fatal(err)
	}
	if !after.After(before) {
		t.Errorf("due of %s: %s before, %s after the new day off; want later", recv, before, after)
	}
	for name, c := range map[string]*workday.Calendar{"live": cal, "stored": func() *workday.Calendar { c, _, _ := storedCalendar(t, s); return c }()} {
		w, n, err := c.Day(gongkai.MustDate("2024-10-08"))
		if err != nil || w || n != "国庆节 补休" {
			t.Errorf("%s calendar: 2024-10-08 = %v %q %v, want a day off named 国庆节 补休", name, w, n, err)
		}
	}

	// A day of an unknown year makes the year known.
	if err := s.SetCalendarDay(ctx, gongkai.MustDate("2030-01-01"), false, "元旦", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := cal.IsWorkingDay(gongkai.MustDate("2030-06-03")); err != nil {
		t.Errorf("2030 not known after setting a day of it: %v", err)
	}
	if _, _, years := storedCalendar(t, s); !slices.Equal(years, []int{2024, 2030}) {
		t.Errorf("stored years %v, want [2024 2030]", years)
	}
}

func TestSetCalendarDayRefused(t *testing.T) {
	s, cal := calService(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		d     gongkai.Date
		label string
		field string
	}{
		{"no date", gongkai.Date{}, "元旦", "date"},
		{"year too early", gongkai.NewDate(1900, 1, 1), "元旦", "date"},
		{"year too late", gongkai.NewDate(2300, 1, 1), "元旦", "date"},
		{"long name", gongkai.MustDate("2024-10-08"), strings.Repeat("节", 41), "name"},
	}
	for _, tc := range tests {
		err := s.SetCalendarDay(ctx, tc.d, false, tc.label, "admin")
		var e *gongkai.Error
		if !errors.As(err, &e) || e.Kind != gongkai.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: err = %v, want EInvalid on %s", tc.name, err, tc.field)
		}
	}
	if _, days, years := storedCalendar(t, s); len(days) != 0 || len(years) != 0 {
		t.Errorf("refused days stored: %v %v", days, years)
	}
	if w, _ := cal.IsWorkingDay(gongkai.MustDate("2024-10-08")); !w {
		t.Errorf("refused day applied to the live calendar")
	}
	// A calendar that cannot be edited is an internal error, not a silent no-op.
	ro := &Service{DB: s.DB, Cal: loadTestCal(t)}
	if err := ro.SetCalendarDay(ctx, gongkai.MustDate("2024-10-08"), false, "", "admin"); !errors.Is(err, errNotEditable) {
		t.Errorf("read-only calendar: %v", err)
	}
}

func TestLoadCalendar(t *testing.T) {
	s, cal := calService(t)
	ctx := context.Background()
	f, err := os.Open("../workday/testdata/2028-example.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := gongkai.MustDate("2027-12-31") // Friday; +20 working days reaches 2028
	if _, err := cal.Due(d, gongkai.ChannelPost, false); !errors.Is(err, workday.ErrNoSchedule) {
		t.Fatalf("before loading 2028: %v, want ErrNoSchedule", err)
	}
	years, err := s.LoadCalendarYears(ctx, f, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(years, []int{2028}) {
		t.Errorf("years %v, want [2028]", years)
	}
	for name, c := range map[string]*workday.Calendar{"live": cal, "stored": func() *workday.Calendar { c, _, _ := storedCalendar(t, s); return c }()} {
		// Receipt 2028-01-04 (Tue, post: next working day after 12-31 is
		// 01-04, 01-03 being off); 20 working days with 01-08 worked → 01-28.
		due, err := c.Due(d, gongkai.ChannelPost, false)
		if err != nil || due != gongkai.MustDate("2028-01-28") {
			t.Errorf("%s calendar: due of %s = %s, %v; want 2028-01-28", name, d, due, err)
		}
	}
	es, err := s.CalendarEntries(2028)
	if err != nil || len(es) != 3 || es[0].Name != "元旦（示例）" || !es[2].Working {
		t.Errorf("entries of 2028: %+v %v", es, err)
	}
	if ys := s.CalendarYears(); ys[len(ys)-1] != 2028 {
		t.Errorf("known years end with %d, want 2028", ys[len(ys)-1])
	}
}

func TestLoadCalendarBadFileChangesNothing(t *testing.T) {
	s, cal := calService(t)
	ctx := context.Background()
	tests := []struct {
		name, file string
		want       []string
	}{
		{"bad lines", "# 2029\nyear 2029\n2029-02-30 off 春节\n2029-01-01 off 元旦\n2029-02-03 rest\n", []string{"第3行", "第5行"}},
		{"empty", "# nothing here\n\n", []string{"没有任何日期"}},
		{"long line", "year 2029\n" + strings.Repeat("x", 70000) + "\n", []string{"无法读取"}},
	}
	for _, tc := range tests {
		err := s.LoadCalendar(ctx, strings.NewReader(tc.file), "admin")
		if gongkai.ErrorKind(err) != gongkai.EInvalid {
			t.Errorf("%s: err = %v, want EInvalid", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if msg := gongkai.ErrorMessage(err); !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", tc.name, msg, w)
			}
		}
		if strings.Contains(gongkai.ErrorMessage(err), "第4行") {
			t.Errorf("%s: good line 4 reported: %s", tc.name, gongkai.ErrorMessage(err))
		}
	}
	if _, err := cal.IsWorkingDay(gongkai.MustDate("2029-01-01")); !errors.Is(err, workday.ErrNoSchedule) {
		t.Errorf("2029 known after bad files: %v", err)
	}
	if _, days, years := storedCalendar(t, s); len(days) != 0 || len(years) != 0 {
		t.Errorf("bad files stored %v %v", days, years)
	}
}
