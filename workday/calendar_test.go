package workday

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gongkai"
)

// rulesTable is the RULES.md §3.2 table, copied as printed.
var rulesTable = []struct {
	year     int
	off      string
	workdays string
}{
	{2024, "1/1; 2/10–2/17; 4/4–4/6; 5/1–5/5; 6/10; 9/15–9/17; 10/1–10/7", "2/4, 2/18, 4/7, 4/28, 5/11, 9/14, 9/29, 10/12"},
	{2025, "1/1; 1/28–2/4; 4/4–4/6; 5/1–5/5; 5/31–6/2; 10/1–10/8", "1/26, 2/8, 4/27, 9/28, 10/11"},
	{2026, "1/1–1/3; 2/15–2/23; 4/4–4/6; 5/1–5/5; 6/19–6/21; 9/25–9/27; 10/1–10/7", "1/4, 2/14, 2/28, 5/9, 9/20, 10/10"},
}

// rulesWorking returns, for every day of year, whether RULES.md §3.2 makes it
// a working day.
func rulesWorking(t *testing.T, year int, off, work string) map[gongkai.Date]bool {
	t.Helper()
	md := func(s string) gongkai.Date {
		m, d, ok := strings.Cut(strings.TrimSpace(s), "/")
		mi, err1 := strconv.Atoi(m)
		di, err2 := strconv.Atoi(d)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad M/D %q", s)
		}
		return gongkai.NewDate(year, time.Month(mi), di)
	}
	days := make(map[gongkai.Date]bool)
	for d := gongkai.NewDate(year, 1, 1); d.Year() == year; d = d.AddDays(1) {
		days[d] = d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
	}
	for _, r := range strings.Split(off, ";") {
		from, to, isRange := strings.Cut(r, "–")
		a, b := md(from), md(from)
		if isRange {
			b = md(to)
		}
		for d := a; !d.After(b); d = d.AddDays(1) {
			days[d] = false
		}
	}
	for _, s := range strings.Split(work, ",") {
		d := md(s)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			t.Fatalf("%s in the 调休 column is not a weekend day", d)
		}
		days[d] = true
	}
	return days
}

// TestLunarAgreesWithRules checks lunar-go's own data and the corrected
// calendar against RULES.md §3.2, day by day, for 2024–2026. Where lunar-go
// disagrees, corrections.txt must carry the RULES.md value.
func TestLunarAgreesWithRules(t *testing.T) {
	raw := newEmpty()
	loadLunar(raw)
	fix := newEmpty()
	if err := fix.Load(bytes.NewReader(corrections)); err != nil {
		t.Fatalf("corrections.txt: %v", err)
	}
	cal := New()
	for _, row := range rulesTable {
		want := rulesWorking(t, row.year, row.off, row.workdays)
		for d, w := range want {
			got, _, err := cal.Day(d)
			if err != nil {
				t.Fatalf("Day(%s): %v", d, err)
			}
			if got != w {
				t.Errorf("New(): %s working=%v, RULES.md §3.2 says %v", d, got, w)
			}
			lib, err := raw.IsWorkingDay(d)
			if err != nil {
				t.Fatalf("lunar-go has no %d: %v", row.year, err)
			}
			if lib != w {
				if c, err := fix.IsWorkingDay(d); err != nil || c != w {
					t.Errorf("lunar-go: %s working=%v, RULES.md says %v, and corrections.txt does not fix it", d, lib, w)
				} else {
					t.Logf("lunar-go disagrees on %s (corrected)", d)
				}
			}
		}
	}
}

func TestEve2024IsWorkingDay(t *testing.T) {
	working, name, err := New().Day(gongkai.MustDate("2024-02-09"))
	if err != nil || !working || name != "" {
		t.Errorf("Day(2024-02-09 除夕) = %v, %q, %v; want an ordinary working day", working, name, err)
	}
}

func TestDayNames(t *testing.T) {
	c := New()
	tests := []struct {
		d       string
		working bool
		name    string
	}{
		{"2024-10-01", false, "国庆节"},
		{"2024-09-29", true, "国庆节调休"},
		{"2025-01-28", false, "春节"},
		{"2025-06-07", false, ""}, // ordinary Saturday
		{"2025-06-09", true, ""},  // ordinary Monday
	}
	for _, tc := range tests {
		w, n, err := c.Day(gongkai.MustDate(tc.d))
		if err != nil || w != tc.working || n != tc.name {
			t.Errorf("Day(%s) = %v, %q, %v; want %v, %q", tc.d, w, n, err, tc.working, tc.name)
		}
	}
}

// TestKnownYears: lunar-go v1.4.7 holds 2002–2027; 2001 has only two entries
// belonging to 2002's New Year and stays unknown, like 2028.
func TestKnownYears(t *testing.T) {
	ys := New().Years()
	if len(ys) == 0 || ys[0] != 2002 {
		t.Fatalf("Years() = %v, want from 2002", ys)
	}
	for i, y := range ys {
		if y != 2002+i {
			t.Fatalf("Years() = %v: gap at %d", ys, 2002+i)
		}
	}
	if last := ys[len(ys)-1]; last < 2026 {
		t.Errorf("last known year %d, want ≥ 2026", last)
	}
	for _, y := range []int{2001, 2028} {
		if _, err := New().IsWorkingDay(gongkai.NewDate(y, 6, 1)); !errors.Is(err, ErrNoSchedule) {
			t.Errorf("%d: err = %v, want ErrNoSchedule", y, err)
		}
	}
}

func TestUnknownYearRefused(t *testing.T) {
	c := New()
	last := c.Years()[len(c.Years())-1]
	next := last + 1
	lateDec := gongkai.NewDate(last, 12, 20) // +20 working days reaches next year
	calls := map[string]func() error{
		"Due": func() error { _, err := c.Due(lateDec, web, false); return err },
		"AddWorkdays": func() error {
			_, err := c.AddWorkdays(gongkai.NewDate(next, 3, 1), 1)
			return err
		},
		"AddWorkdays back": func() error {
			_, err := c.AddWorkdays(gongkai.NewDate(2002, 1, 10), -20) // reaches 2001
			return err
		},
		"WorkdaysBetween": func() error {
			_, err := c.WorkdaysBetween(gongkai.NewDate(last, 12, 1), gongkai.NewDate(next, 1, 5))
			return err
		},
		"OnOrAfter":    func() error { _, err := c.OnOrAfter(gongkai.NewDate(next, 1, 5)); return err },
		"ReceiptDate":  func() error { _, err := c.ReceiptDate(gongkai.NewDate(next, 1, 5), email); return err },
		"IsWorkingDay": func() error { _, err := c.IsWorkingDay(gongkai.NewDate(next, 1, 5)); return err },
		"Day":          func() error { _, _, err := c.Day(gongkai.NewDate(next, 1, 5)); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrNoSchedule) {
			t.Errorf("%s: err = %v, want ErrNoSchedule", name, err)
			continue
		}
		if gongkai.ErrorKind(err) != gongkai.EConflict {
			t.Errorf("%s: kind %q", name, gongkai.ErrorKind(err))
		}
		if msg := gongkai.ErrorMessage(err); !strings.Contains(msg, "年的法定节假日安排尚未载入") || !strings.Contains(msg, "工作日历") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	// The message names the year that is missing.
	_, err := c.Due(lateDec, web, false)
	if want := fmt.Sprintf("%d年的法定节假日安排尚未载入，无法计算期限；请管理员在“工作日历”中载入该年安排", next); gongkai.ErrorMessage(err) != want {
		t.Errorf("message %q, want %q", gongkai.ErrorMessage(err), want)
	}
	// In person and post need no calendar for the receipt date itself.
	if r, err := c.ReceiptDate(gongkai.NewDate(next, 1, 5), inPerson); err != nil || !r.Equal(gongkai.NewDate(next, 1, 5)) {
		t.Errorf("ReceiptDate in person in %d = %s, %v", next, r, err)
	}
}

func TestBadInput(t *testing.T) {
	c := New()
	if _, err := c.ReceiptDate(gongkai.MustDate("2025-03-03"), gongkai.Channel("pigeon")); gongkai.ErrorKind(err) != gongkai.EInvalid {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := c.Due(gongkai.Date{}, web, false); gongkai.ErrorKind(err) != gongkai.EInvalid {
		t.Errorf("zero date: %v", err)
	}
	if _, err := c.AddWorkdays(gongkai.Date{}, 3); err == nil {
		t.Error("AddWorkdays(zero) succeeded")
	}
	if _, err := c.WorkdaysBetween(gongkai.Date{}, gongkai.MustDate("2025-03-03")); err == nil {
		t.Error("WorkdaysBetween(zero, d) succeeded")
	}
}

// naiveAdd is the reference: step day by day.
func naiveAdd(c *Calendar, d gongkai.Date, n int) gongkai.Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if ok, err := c.IsWorkingDay(d); err != nil {
			panic(err)
		} else if ok {
			n--
		}
	}
	return d
}

// randomDate returns a date in [from, to].
func randomDate(r *rand.Rand, from, to gongkai.Date) gongkai.Date {
	return from.AddDays(r.IntN(from.DaysUntil(to) + 1))
}

// TestProperties checks, over many random dates in 2024–2026 and n in 0..60:
// WorkdaysBetween(d, AddWorkdays(d, n)) == n; a result with n > 0 is a
// working day; OnOrAfter returns a working day on or after d with no working
// day in between; the bitmap arithmetic equals stepping day by day; and going
// back undoes going forward from a working day.
func TestProperties(t *testing.T) {
	c := New()
	r := rand.New(rand.NewPCG(2024, 2026))
	from, to := gongkai.MustDate("2024-01-01"), gongkai.MustDate("2026-12-31")
	for i := 0; i < 20000; i++ {
		d := randomDate(r, from, to)
		n := r.IntN(61)
		got, err := c.AddWorkdays(d, n)
		if err != nil {
			t.Fatalf("AddWorkdays(%s, %d): %v", d, n, err)
		}
		if want := naiveAdd(c, d, n); !got.Equal(want) {
			t.Fatalf("AddWorkdays(%s, %d) = %s, stepping gives %s", d, n, got, want)
		}
		if back, err := c.WorkdaysBetween(d, got); err != nil || back != n {
			t.Fatalf("WorkdaysBetween(%s, %s) = %d, %v; want %d", d, got, back, err, n)
		}
		if rev, err := c.WorkdaysBetween(got, d); err != nil || rev != -n {
			t.Fatalf("WorkdaysBetween(%s, %s) = %d, %v; want %d", got, d, rev, err, -n)
		}
		if n > 0 {
			if ok, _ := c.IsWorkingDay(got); !ok {
				t.Fatalf("AddWorkdays(%s, %d) = %s, a day off", d, n, got)
			}
		}
		o, err := c.OnOrAfter(d)
		if err != nil {
			t.Fatalf("OnOrAfter(%s): %v", d, err)
		}
		if ok, _ := c.IsWorkingDay(o); !ok || o.Before(d) {
			t.Fatalf("OnOrAfter(%s) = %s", d, o)
		}
		wantBetween := 1 // o is the first working day after d
		if o.Equal(d) {
			wantBetween = 0
		}
		if between, _ := c.WorkdaysBetween(d, o); between != wantBetween {
			t.Fatalf("OnOrAfter(%s) = %s skips working days", d, o)
		}
		if ok, _ := c.IsWorkingDay(d); ok {
			if !o.Equal(d) {
				t.Fatalf("OnOrAfter(working %s) = %s", d, o)
			}
			back, err := c.AddWorkdays(got, -n)
			if err != nil || !back.Equal(d) {
				t.Fatalf("AddWorkdays(AddWorkdays(%s, %d), -%d) = %s, %v", d, n, n, back, err)
			}
		}
		m := -r.IntN(61)
		bk, err := c.AddWorkdays(d, m)
		if want := naiveAdd(c, d, m); err != nil || !bk.Equal(want) {
			t.Fatalf("AddWorkdays(%s, %d) = %s, %v; stepping gives %s", d, m, bk, err, want)
		}
	}
}

// TestAllYearsAgainstStepping runs the bitmap arithmetic against stepping over
// every known year, including leap-year ends (the last bits of the bitmap).
func TestAllYearsAgainstStepping(t *testing.T) {
	c := New()
	ys := c.Years()
	for _, y := range ys[1 : len(ys)-1] {
		for _, d := range []gongkai.Date{gongkai.NewDate(y, 1, 1), gongkai.NewDate(y, 2, 28), gongkai.NewDate(y, 12, 24), gongkai.NewDate(y, 12, 31)} {
			for _, n := range []int{1, 5, 20, 40, 63, 64, 65, 128, 300, -1, -20, -64, -300} {
				got, err := c.AddWorkdays(d, n)
				if err != nil {
					if errors.Is(err, ErrNoSchedule) {
						continue // reaches beyond the known years
					}
					t.Fatal(err)
				}
				if want := naiveAdd(c, d, n); !got.Equal(want) {
					t.Errorf("AddWorkdays(%s, %d) = %s, stepping gives %s", d, n, got, want)
				}
			}
		}
	}
}

// TestConcurrent reads deadlines while an admin edits and loads (run with -race).
func TestConcurrent(t *testing.T) {
	c := New()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if _, err := c.Due(gongkai.MustDate("2025-09-26"), web, i%2 == 0); err != nil {
					t.Error(err)
					return
				}
				c.Years()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			c.SetDay(gongkai.NewDate(2029, 1, 1+i%28), false, "测试")
			c.MarkYearLoaded(2030)
			_ = c.Load(strings.NewReader("2031-01-01 off 元旦\n"))
		}
	}()
	wg.Wait()
}

func BenchmarkDue(b *testing.B) {
	c := New()
	arrived := gongkai.MustDate("2025-09-26")
	for b.Loop() {
		if _, err := c.Due(arrived, web, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddWorkdays40(b *testing.B) {
	c := New()
	d := gongkai.MustDate("2024-12-20")
	for b.Loop() {
		if _, err := c.AddWorkdays(d, 40); err != nil { // crosses into 2025 and 春节
			b.Fatal(err)
		}
	}
}

func BenchmarkWorkdaysBetween(b *testing.B) {
	c := New()
	a, z := gongkai.MustDate("2024-09-27"), gongkai.MustDate("2025-02-05")
	for b.Loop() {
		if _, err := c.WorkdaysBetween(a, z); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsWorkingDay(b *testing.B) {
	c := New()
	d := gongkai.MustDate("2025-10-11")
	for b.Loop() {
		if _, err := c.IsWorkingDay(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New()
	}
}
