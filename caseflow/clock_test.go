package caseflow

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongkai"
)

// testCal is a small Calendar for tests: Monday–Friday, minus the holidays,
// plus the 调休 working days of testdata/calendar.txt (RULES.md §3.2,
// 2024–2026). Dates outside those years are an error, as in workday.
type testCal struct {
	years map[int]bool
	days  map[gongkai.Date]bool // explicit entries: true = working
}

func loadTestCal(t testing.TB) *testCal {
	t.Helper()
	f, err := os.Open("testdata/calendar.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &testCal{years: map[int]bool{}, days: map[gongkai.Date]bool{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		y, err := strconv.Atoi(fs[0])
		if err != nil || (fs[1] != "off" && fs[1] != "work") {
			t.Fatalf("calendar.txt: bad line %q", sc.Text())
		}
		c.years[y] = true
		for _, r := range fs[2:] {
			lo, hi, _ := strings.Cut(r, "..")
			if hi == "" {
				hi = lo
			}
			a := gongkai.MustDate(fmt.Sprintf("%d-%s", y, lo))
			b := gongkai.MustDate(fmt.Sprintf("%d-%s", y, hi))
			for d := a; !d.After(b); d = d.AddDays(1) {
				c.days[d] = fs[1] == "work"
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *testCal) IsWorkingDay(d gongkai.Date) (bool, error) {
	if !c.years[d.Year()] {
		return false, fmt.Errorf("testcal: no schedule for %d", d.Year())
	}
	if w, ok := c.days[d]; ok {
		return w, nil
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday, nil
}

func (c *testCal) AddWorkdays(d gongkai.Date, n int) (gongkai.Date, error) {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		w, err := c.IsWorkingDay(d)
		if err != nil {
			return gongkai.Date{}, err
		}
		if w {
			n--
		}
	}
	return d, nil
}

func (c *testCal) WorkdaysBetween(a, b gongkai.Date) (int, error) {
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		w, err := c.IsWorkingDay(d)
		if err != nil {
			return 0, err
		}
		if w {
			n++
		}
	}
	return sign * n, nil
}

func (c *testCal) OnOrAfter(d gongkai.Date) (gongkai.Date, error) {
	w, err := c.IsWorkingDay(d)
	if err != nil || w {
		return d, err
	}
	return c.AddWorkdays(d, 1)
}

func (c *testCal) ReceiptDate(arrived gongkai.Date, ch gongkai.Channel) (gongkai.Date, error) {
	if ch.Internet() {
		return c.OnOrAfter(arrived)
	}
	return arrived, nil
}

var d = gongkai.MustDate

// at is 10:00 Beijing time on the given date.
func at(s string) time.Time {
	t := d(s).Time()
	return time.Date(t.Year(), t.Month(), t.Day(), 10, 0, 0, 0, gongkai.Beijing)
}

// TestTestCalendar checks the test calendar against the hand-verified due
// dates of RULES.md §3.3, so that the clock tests below rest on a true calendar.
func TestTestCalendar(t *testing.T) {
	cal := loadTestCal(t)
	tests := []struct {
		arrived string
		ch      gongkai.Channel
		n       int
		receipt string
		due     string
	}{
		{"2024-09-27", gongkai.ChannelInPerson, 20, "2024-09-27", "2024-10-30"},
		{"2024-09-27", gongkai.ChannelPost, 40, "2024-09-27", "2024-11-27"},
		{"2024-09-28", gongkai.ChannelWeb, 20, "2024-09-29", "2024-10-31"},
		{"2024-10-01", gongkai.ChannelEmail, 20, "2024-10-08", "2024-11-04"},
		{"2024-02-10", gongkai.ChannelWeb, 20, "2024-02-18", "2024-03-15"},
		{"2024-02-08", gongkai.ChannelInPerson, 20, "2024-02-08", "2024-03-13"},
		{"2025-01-24", gongkai.ChannelWeb, 20, "2025-01-24", "2025-02-27"},
		{"2025-02-01", gongkai.ChannelEmail, 20, "2025-02-05", "2025-03-04"},
		{"2025-04-30", gongkai.ChannelFax, 20, "2025-04-30", "2025-06-03"},
		{"2025-12-31", gongkai.ChannelInPerson, 20, "2025-12-31", "2026-01-29"},
		{"2026-02-14", gongkai.ChannelWeb, 20, "2026-02-14", "2026-03-20"},
		{"2024-12-20", gongkai.ChannelInPerson, 7, "2024-12-20", "2024-12-31"},
	}
	for _, tt := range tests {
		r, err := cal.ReceiptDate(d(tt.arrived), tt.ch)
		if err != nil {
			t.Fatal(err)
		}
		due, err := cal.AddWorkdays(r, tt.n)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != tt.receipt || due.String() != tt.due {
			t.Errorf("%s %s +%d: got receipt %s due %s, want %s %s", tt.arrived, tt.ch, tt.n, r, due, tt.receipt, tt.due)
		}
		if back, _ := cal.WorkdaysBetween(r, due); back != tt.n {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", r, due, back, tt.n)
		}
	}
}

// TestRegister covers Art. 31 receipt dates by channel and the first due date.
func TestRegister(t *testing.T) {
	cal := loadTestCal(t)
	tests := []struct {
		name    string
		arrived time.Time
		ch      gongkai.Channel
		receipt string
		due     string
	}{
		{"in person Friday", at("2024-09-27"), gongkai.ChannelInPerson, "2024-09-27", "2024-10-30"},
		{"web on Saturday before a 调休 Sunday", at("2024-09-28"), gongkai.ChannelWeb, "2024-09-29", "2024-10-31"},
		{"e-mail in the National Day week", at("2024-10-01"), gongkai.ChannelEmail, "2024-10-08", "2024-11-04"},
		// 22:30 on 9-27 at −04:00 is 10:30 on 9-28 in Beijing (a Saturday).
		{"e-mail late at night abroad", time.Date(2024, 9, 27, 22, 30, 0, 0, time.FixedZone("EDT", -4*3600)), gongkai.ChannelEmail, "2024-09-29", "2024-10-31"},
		// Signed for on Saturday: that day is day 0; 9-28 itself is off, so day 1
		// is the 调休 Sunday 9-29, the same as for a Friday receipt.
		{"post signed for on Saturday", at("2024-09-28"), gongkai.ChannelPost, "2024-09-28", "2024-10-30"},
		{"year end", at("2025-12-31"), gongkai.ChannelInPerson, "2025-12-31", "2026-01-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &gongkai.Case{No: "GK-T", Channel: tt.ch, Status: gongkai.StatusClosed}
			if err := Register(c, tt.arrived, cal); err != nil {
				t.Fatal(err)
			}
			if c.ReceivedOn.String() != tt.receipt || c.DueOn.String() != tt.due {
				t.Errorf("got receipt %s due %s, want %s %s", c.ReceivedOn, c.DueOn, tt.receipt, tt.due)
			}
			if c.Status != gongkai.StatusRegistered || c.ClockState != gongkai.ClockRunning ||
				c.ClockFrom != c.ReceivedOn || c.ClockUsed != 0 || c.ClockLimit != 20 || !c.ArrivedAt.Equal(tt.arrived) {
				t.Errorf("clock not initialised: %+v", c)
			}
		})
	}
	t.Run("bad channel", func(t *testing.T) {
		c := &gongkai.Case{Channel: "pigeon"}
		err := Register(c, at("2024-09-27"), cal)
		if gongkai.ErrorKind(err) != gongkai.EInvalid || c.Status != "" {
			t.Errorf("got %v, case %+v", err, c)
		}
	})
	t.Run("unknown year", func(t *testing.T) {
		c := &gongkai.Case{Channel: gongkai.ChannelWeb}
		if err := Register(c, at("2030-01-02"), cal); err == nil || c.Status != "" {
			t.Errorf("got %v, case %+v", err, c)
		}
	})
}

func TestCorrectionNoticeDue(t *testing.T) {
	cal := loadTestCal(t)
	for _, tt := range []struct{ recv, want string }{
		{"2024-12-20", "2024-12-31"}, // RULES.md §3.3 table
		// 9-29 (Sun, 调休), 9-30, 10-8, 10-9, 10-10, 10-11, 10-12 (Sat, 调休).
		{"2024-09-27", "2024-10-12"},
	} {
		c := &gongkai.Case{ReceivedOn: d(tt.recv)}
		got, err := CorrectionNoticeDue(c, cal)
		if err != nil || got.String() != tt.want {
			t.Errorf("CorrectionNoticeDue(%s) = %s, %v; want %s", tt.recv, got, err, tt.want)
		}
	}
}

func TestDueAndRemaining(t *testing.T) {
	cal := loadTestCal(t)
	running := func(from string, used, limit int) *gongkai.Case {
		return &gongkai.Case{ClockState: gongkai.ClockRunning, ClockFrom: d(from), ClockUsed: used, ClockLimit: limit}
	}
	tests := []struct {
		name      string
		c         *gongkai.Case
		today     string
		due       string
		remaining int
		class     string
	}{
		{"fresh case", running("2024-09-27", 0, 20), "2024-09-27", "2024-10-30", 20, ClassOnTime},
		{"4 days left", running("2024-09-27", 0, 20), "2024-10-24", "2024-10-30", 4, ClassOnTime},
		{"3 days left", running("2024-09-27", 0, 20), "2024-10-25", "2024-10-30", 3, ClassSoon},
		// Saturday 10-26 is off: 10-28, 10-29, 10-30 are still 3.
		{"weekend before", running("2024-09-27", 0, 20), "2024-10-26", "2024-10-30", 3, ClassSoon},
		{"due today", running("2024-09-27", 0, 20), "2024-10-30", "2024-10-30", 0, ClassSoon},
		{"one day late", running("2024-09-27", 0, 20), "2024-10-31", "2024-10-30", -1, ClassOverdue},
		{"day off after a late Friday", running("2024-10-04", 0, 20), "2024-11-02", "2024-11-01", -1, ClassOverdue},
		{"resumed segment", running("2024-10-24", 9, 20), "2024-10-24", "2024-11-08", 11, ClassOnTime},
		{"extended", running("2024-09-27", 0, 40), "2024-09-27", "2024-11-27", 40, ClassOnTime},
		{"resumed with nothing left, on a Saturday", running("2024-10-26", 20, 20), "2024-10-26", "2024-10-28", 1, ClassSoon},
		{"suspended", &gongkai.Case{ClockState: gongkai.ClockSuspended, ClockFrom: d("2024-10-15"), ClockUsed: 9, ClockLimit: 20}, "2024-10-20", "", 11, ClassPaused},
		{"restarting", &gongkai.Case{ClockState: gongkai.ClockRestarting, ClockFrom: d("2024-10-09"), ClockUsed: 4, ClockLimit: 20}, "2024-10-20", "", 20, ClassPaused},
		{"stopped", &gongkai.Case{ClockState: gongkai.ClockStopped, ClockFrom: d("2024-10-23"), ClockUsed: 17, ClockLimit: 20}, "2024-10-24", "", 0, ClassStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, err := Due(tt.c, cal)
			if err != nil || due.String() != tt.due {
				t.Errorf("Due = %s, %v; want %s", due, err, tt.due)
			}
			n, class, err := Remaining(tt.c, d(tt.today), cal)
			if err != nil || n != tt.remaining || class != tt.class {
				t.Errorf("Remaining = %d %q %v; want %d %q", n, class, err, tt.remaining, tt.class)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	tests := []struct {
		status gongkai.Status
		corr   string
		susp   string
		today  string
		want   Action
	}{
		{gongkai.StatusCorrection, "2024-10-29", "", "2024-10-29", ""}, // last day of the period: not yet
		{gongkai.StatusCorrection, "2024-10-29", "", "2024-10-30", ActCorrectionLapsed},
		{gongkai.StatusConsultation, "", "2024-11-05", "2024-11-05", ""},
		{gongkai.StatusConsultation, "", "2024-11-05", "2024-11-06", ActConsultationLapsed},
		{gongkai.StatusFee, "", "2024-11-12", "2024-11-13", ActFeeLapsed},
		{gongkai.StatusFee, "", "2024-11-12", "2024-11-01", ""},
		{gongkai.StatusReasons, "", "2024-11-05", "2024-12-01", ActReasonsLapsed},
		{gongkai.StatusProcessing, "2024-10-29", "2024-11-05", "2025-01-01", ""},
		{gongkai.StatusClosed, "2024-10-29", "", "2025-01-01", ""},
		{gongkai.StatusFee, "", "", "2025-01-01", ""}, // no window recorded
	}
	for _, tt := range tests {
		c := &gongkai.Case{Status: tt.status}
		if tt.corr != "" {
			c.CorrectionDue = d(tt.corr)
		}
		if tt.susp != "" {
			c.SuspendedUntil = d(tt.susp)
		}
		got, ok := Expired(c, d(tt.today))
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Expired(%s, corr %s, until %s, today %s) = %q %v; want %q", tt.status, tt.corr, tt.susp, tt.today, got, ok, tt.want)
		}
	}
}
