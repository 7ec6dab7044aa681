package workday

import (
	"testing"

	"gongkai"
)

// Every expected date below was counted by hand from the RULES.md §3.2 table
// (not by running this code); the comment on each row gives the reason.
// Notation: (n) = the n-th working day after day 0.

const (
	web      = gongkai.ChannelWeb
	email    = gongkai.ChannelEmail
	chat     = gongkai.ChannelChat
	post     = gongkai.ChannelPost
	inPerson = gongkai.ChannelInPerson
	fax      = gongkai.ChannelFax
)

var dueCases = []struct {
	arrived  string
	ch       gongkai.Channel
	extended bool
	receipt  string
	due      string
	why      string
}{
	// --- RULES.md §3.3 examples ---
	{"2024-09-27", inPerson, false, "2024-09-27", "2024-10-30", "§3.3: 9/29 Sun (1), 9/30 (2), 10/1–10/7 off, 10/8 (3)…10/12 Sat (7)…10/30 (20)"},
	{"2024-09-27", post, true, "2024-09-27", "2024-11-27", "§3.3: +40; from 10/30 (20): 10/31, 11/1, 11/4–8, 11/11–15, 11/18–22, 11/25–27 (40)"},
	{"2024-09-28", web, false, "2024-09-29", "2024-10-31", "§3.3: 9/28 Sat off → receipt 9/29 Sun 调休; 9/30 (1), 10/8 (2), 10/12 Sat (6), 10/31 (20)"},
	{"2024-10-01", email, false, "2024-10-08", "2024-11-04", "§3.3: 10/1–10/7 off → receipt 10/8; 10/12 Sat (4), 10/31 (18), 11/1 (19), 11/4 (20)"},
	{"2024-02-10", web, false, "2024-02-18", "2024-03-15", "§3.3: 2/10–2/17 off → receipt 2/18 Sun 调休; 2/19 (1)…3/1 (10)…3/15 (20)"},
	{"2024-02-08", inPerson, false, "2024-02-08", "2024-03-13", "§3.3: 2/9 除夕 is a working day (1); 2/10–2/17 off; 2/18 Sun (2); 3/13 (20)"},
	{"2025-01-24", web, false, "2025-01-24", "2025-02-27", "§3.3: 1/26 Sun (1), 1/27 (2), 1/28–2/4 off, 2/5 (3), 2/8 Sat (6), 2/27 (20)"},
	{"2025-02-01", email, false, "2025-02-05", "2025-03-04", "§3.3: 2/1–2/4 off → receipt 2/5; 2/8 Sat (3), 2/28 (18), 3/3 (19), 3/4 (20)"},
	{"2025-04-30", fax, false, "2025-04-30", "2025-06-03", "§3.3: 5/1–5/5 off, 5/6 (1)…5/30 (19), 5/31–6/2 off, 6/3 (20)"},
	{"2025-12-31", inPerson, false, "2025-12-31", "2026-01-29", "§3.3: 2026-1/1–1/3 off, 1/4 Sun 调休 (1), 1/5 (2)…1/29 (20)"},
	{"2026-02-14", web, false, "2026-02-14", "2026-03-20", "§3.3: 2/14 Sat 调休 is itself the receipt; 2/15–2/23 off, 2/24 (1), 2/28 Sat (5), 3/20 (20)"},

	// --- 2024 ---
	{"2024-02-03", chat, false, "2024-02-04", "2024-03-07", "2/3 Sat off → receipt 2/4 Sun 调休; 2/5–2/9 (1–5, 2/9 除夕 works), 2/18 Sun (6), 3/7 (20)"},
	{"2024-02-09", email, false, "2024-02-09", "2024-03-14", "2/9 除夕 is an ordinary working day → receipt; 2/10–2/17 off, 2/18 Sun (1), 3/14 (20)"},
	{"2024-02-12", post, false, "2024-02-12", "2024-03-14", "post: receipt = signing day even in the holiday; 2/18 Sun (1)…3/14 (20)"},
	{"2024-02-12", post, true, "2024-02-12", "2024-04-12", "+40: 3/14 (20)…4/3 (34), 4/4–4/6 off, 4/7 Sun 调休 (35), 4/8–4/12 (36–40)"},
	{"2024-04-03", web, false, "2024-04-03", "2024-05-06", "4/4–4/6 off, 4/7 Sun (1), 4/26 (16), 4/28 Sun (17), 4/29 (18), 4/30 (19), 5/1–5/5 off, 5/6 (20)"},
	{"2024-04-05", fax, false, "2024-04-07", "2024-05-07", "4/5–4/6 off → receipt 4/7 Sun 调休; 4/8 (1), 4/28 Sun (16), 4/30 (18), 5/6 (19), 5/7 (20)"},
	{"2024-04-28", chat, false, "2024-04-28", "2024-05-28", "4/28 Sun 调休 is the receipt; 4/29 (1), 4/30 (2), 5/1–5/5 off, 5/6 (3), 5/11 Sat (8), 5/28 (20)"},
	{"2024-05-01", web, true, "2024-05-06", "2024-07-01", "5/1–5/5 off → receipt 5/6; 5/11 Sat (5), 6/7 (25), 6/10 端午 off, 6/11 (26), 6/28 (39), 7/1 (40)"},
	{"2024-06-07", post, false, "2024-06-07", "2024-07-08", "6/8–6/9 weekend, 6/10 端午 off; 6/11 (1)…6/28 (14), 7/1 (15)…7/5 (19), 7/8 (20)"},
	{"2024-06-10", email, false, "2024-06-11", "2024-07-09", "6/10 端午 off → receipt 6/11; 6/12 (1)…7/8 (19), 7/9 (20)"},
	{"2024-09-13", inPerson, false, "2024-09-13", "2024-10-17", "9/14 Sat 调休 (1), 9/15–9/17 off, 9/18 (2), 9/29 Sun (10), 9/30 (11), 10/1–10/7 off, 10/12 Sat (16), 10/17 (20)"},
	{"2024-09-14", web, false, "2024-09-14", "2024-10-18", "9/14 Sat 调休 is the receipt; 9/18 (1), 9/29 Sun (9), 9/30 (10), 10/8 (11), 10/12 Sat (15), 10/18 (20)"},
	{"2024-09-15", email, false, "2024-09-18", "2024-10-21", "9/15–9/17 off → receipt 9/18; 9/29 Sun (8), 10/8 (10), 10/12 Sat (14), 10/18 (19), 10/21 (20)"},
	{"2024-09-30", fax, true, "2024-09-30", "2024-11-29", "+40: 10/1–10/7 off, 10/8 (1), 10/12 Sat (5), 11/1 (20), 11/29 (40)"},
	{"2024-10-12", inPerson, false, "2024-10-12", "2024-11-08", "10/12 Sat 调休 is day 0 (not counted); 10/14 (1)…11/1 (15), 11/8 (20)"},
	{"2024-10-13", web, false, "2024-10-14", "2024-11-11", "10/13 Sun off → receipt 10/14; 10/15 (1)…11/8 (19), 11/11 (20)"},
	{"2024-12-31", email, false, "2024-12-31", "2025-02-05", "2025-1/1 off, 1/2 (1)…1/24 (17), 1/26 Sun 调休 (18), 1/27 (19), 1/28–2/4 off, 2/5 (20)"},

	// --- 2025 ---
	{"2025-01-25", chat, false, "2025-01-26", "2025-02-28", "1/25 Sat off → receipt 1/26 Sun 调休; 1/27 (1), 2/5 (2), 2/8 Sat (5), 2/28 (20)"},
	{"2025-01-25", chat, true, "2025-01-26", "2025-03-28", "+40: receipt 1/26 Sun 调休; 2/28 (20), 3/3–3/7 (21–25), 3/21 (35), 3/28 (40)"},
	{"2025-01-28", post, true, "2025-01-28", "2025-03-31", "post on a holiday: day 0 1/28; 2/5 (1), 2/8 Sat (4), 3/3 (20), 3/28 (39), 3/31 (40)"},
	{"2025-02-07", inPerson, false, "2025-02-07", "2025-03-06", "2/8 Sat 调休 (1), 2/10 (2)…2/28 (16), 3/3 (17)…3/6 (20)"},
	{"2025-04-03", fax, false, "2025-04-03", "2025-05-06", "4/4–4/6 off, 4/7 (1), 4/25 (15), 4/27 Sun 调休 (16), 4/30 (19), 5/1–5/5 off, 5/6 (20)"},
	{"2025-04-05", web, false, "2025-04-07", "2025-05-07", "4/5–4/6 off → receipt 4/7; 4/27 Sun (15), 4/30 (18), 5/6 (19), 5/7 (20)"},
	{"2025-04-26", email, false, "2025-04-27", "2025-05-28", "4/26 Sat off → receipt 4/27 Sun 调休; 4/28–4/30 (1–3), 5/6 (4), 5/28 (20)"},
	{"2025-05-03", inPerson, true, "2025-05-03", "2025-07-01", "+40: 5/6 (1), 5/30 (19), 5/31–6/2 off, 6/3 (20), 6/30 (39), 7/1 (40)"},
	{"2025-05-30", chat, false, "2025-05-30", "2025-06-30", "5/31–6/2 端午 off, 6/3 (1)…6/27 (19), 6/30 (20)"},
	{"2025-06-02", web, false, "2025-06-03", "2025-07-01", "6/2 端午 off → receipt 6/3; 6/4 (1)…6/30 (19), 7/1 (20)"},
	{"2025-09-26", post, false, "2025-09-26", "2025-10-30", "9/28 Sun 调休 (1), 9/30 (3), 10/1–10/8 off, 10/9 (4), 10/11 Sat (6), 10/30 (20)"},
	{"2025-09-28", web, false, "2025-09-28", "2025-10-31", "9/28 Sun 调休 is the receipt; 9/29 (1), 9/30 (2), 10/9 (3), 10/11 Sat (5), 10/31 (20)"},
	{"2025-10-03", email, true, "2025-10-09", "2025-12-03", "10/1–10/8 off → receipt 10/9; 10/11 Sat (2), 11/5 (20), 12/3 (40)"},
	{"2025-10-11", fax, false, "2025-10-11", "2025-11-07", "10/11 Sat 调休 is the receipt; 10/13 (1)…10/31 (15), 11/7 (20)"},
	{"2025-10-12", chat, false, "2025-10-13", "2025-11-10", "10/12 Sun off → receipt 10/13; 11/7 (19), 11/10 (20)"},

	// --- 2026 ---
	{"2026-01-01", web, false, "2026-01-04", "2026-01-30", "1/1–1/3 off → receipt 1/4 Sun 调休; 1/5 (1)…1/30 (20)"},
	{"2026-02-13", email, false, "2026-02-13", "2026-03-19", "2/14 Sat 调休 (1), 2/15–2/23 off, 2/24 (2), 2/28 Sat (6), 3/19 (20)"},
	{"2026-02-16", chat, false, "2026-02-24", "2026-03-23", "2/16 除夕 in 2/15–2/23 off → receipt 2/24; 2/28 Sat (4), 3/20 (19), 3/23 (20)"},
	{"2026-02-20", post, true, "2026-02-20", "2026-04-20", "+40: 2/24 (1), 2/28 Sat (5), 3/20 (20), 4/3 (30), 4/4–4/6 off, 4/7 (31), 4/20 (40)"},
	{"2026-04-03", inPerson, false, "2026-04-03", "2026-05-07", "4/4–4/6 off (no 调休), 4/7 (1), 4/30 (18), 5/1–5/5 off, 5/6 (19), 5/7 (20)"},
	{"2026-04-04", web, false, "2026-04-07", "2026-05-08", "4/4–4/6 off → receipt 4/7; 4/30 (17), 5/6 (18), 5/8 (20)"},
	{"2026-04-30", fax, false, "2026-04-30", "2026-06-01", "5/1–5/5 off, 5/6 (1), 5/9 Sat 调休 (4), 5/29 (19), 6/1 (20)"},
	{"2026-05-02", email, true, "2026-05-06", "2026-07-01", "5/1–5/5 off → receipt 5/6; 5/9 Sat (3), 6/18 (32), 6/19–6/21 off, 6/22 (33), 7/1 (40)"},
	{"2026-06-18", chat, false, "2026-06-18", "2026-07-17", "6/19–6/21 端午 off, 6/22 (1)…7/17 (20)"},
	{"2026-06-19", web, false, "2026-06-22", "2026-07-20", "6/19 端午 off → receipt 6/22; 7/17 (19), 7/20 (20)"},
	{"2026-09-19", email, false, "2026-09-20", "2026-10-23", "9/19 Sat off → receipt 9/20 Sun 调休; 9/24 (4), 9/25–9/27 off, 9/30 (7), 10/1–10/7 off, 10/8 (8), 10/10 Sat (10), 10/23 (20)"},
	{"2026-09-24", inPerson, false, "2026-09-24", "2026-10-29", "9/25–9/27 中秋 off, 9/28 (1), 9/30 (3), 10/8 (4), 10/10 Sat (6), 10/29 (20)"},
	{"2026-09-26", post, true, "2026-09-26", "2026-11-26", "post: day 0 9/26 (off); 9/28 (1), 10/29 (20), 11/26 (40)"},
	{"2026-09-30", inPerson, true, "2026-09-30", "2026-12-01", "+40: 10/8 (1), 10/10 Sat (3), 11/3 (20), 11/30 (39), 12/1 (40)"},
	{"2026-10-01", web, false, "2026-10-08", "2026-11-04", "10/1–10/7 off → receipt 10/8; 10/10 Sat (2), 10/30 (17), 11/4 (20)"},
	{"2026-10-10", chat, false, "2026-10-10", "2026-11-06", "10/10 Sat 调休 is the receipt; 10/12 (1), 10/30 (15), 11/6 (20)"},
	{"2026-10-11", fax, false, "2026-10-12", "2026-11-09", "10/11 Sun off → receipt 10/12; 11/6 (19), 11/9 (20)"},
}

func TestDueHandChecked(t *testing.T) {
	c := New()
	for _, tc := range dueCases {
		arrived := gongkai.MustDate(tc.arrived)
		r, err := c.ReceiptDate(arrived, tc.ch)
		if err != nil {
			t.Errorf("ReceiptDate(%s, %s): %v", tc.arrived, tc.ch, err)
			continue
		}
		if got := r.String(); got != tc.receipt {
			t.Errorf("ReceiptDate(%s, %s) = %s, want %s (%s)", tc.arrived, tc.ch, got, tc.receipt, tc.why)
		}
		d, err := c.Due(arrived, tc.ch, tc.extended)
		if err != nil {
			t.Errorf("Due(%s, %s, %v): %v", tc.arrived, tc.ch, tc.extended, err)
			continue
		}
		if got := d.String(); got != tc.due {
			t.Errorf("Due(%s, %s, extended=%v) = %s, want %s (%s)", tc.arrived, tc.ch, tc.extended, got, tc.due, tc.why)
		}
		// The due date of a request is always a working day.
		if ok, _ := c.IsWorkingDay(d); !ok {
			t.Errorf("Due(%s, %s) = %s is a day off", tc.arrived, tc.ch, d)
		}
	}
	if len(dueCases) < 40 {
		t.Fatalf("only %d hand-checked rows", len(dueCases))
	}
}

func TestAddWorkdaysHandChecked(t *testing.T) {
	c := New()
	tests := []struct {
		d    string
		n    int
		want string
		why  string
	}{
		{"2024-12-20", 7, "2024-12-31", "§3.3 补正 notice limit: 12/23–12/27 (1–5), 12/30 (6), 12/31 (7)"},
		{"2024-12-20", 0, "2024-12-20", "n == 0 returns d"},
		{"2024-02-09", 1, "2024-02-18", "2/10–2/17 off; 2/18 Sun 调休"},
		{"2024-10-08", -1, "2024-09-30", "backwards: 10/1–10/7 off"},
		{"2024-10-08", -2, "2024-09-29", "backwards: 9/29 Sun 调休"},
		{"2025-02-05", -3, "2025-01-24", "backwards: 1/27 (1), 1/26 Sun 调休 (2), 1/25 Sat off, 1/24 (3)"},
		{"2025-01-01", -1, "2024-12-31", "backwards across the year"},
		{"2024-10-01", 1, "2024-10-08", "from a holiday: the first working day after it"},
		{"2026-02-15", 1, "2026-02-24", "2/15–2/23 off"},
	}
	for _, tc := range tests {
		got, err := c.AddWorkdays(gongkai.MustDate(tc.d), tc.n)
		if err != nil {
			t.Errorf("AddWorkdays(%s, %d): %v", tc.d, tc.n, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s (%s)", tc.d, tc.n, got, tc.want, tc.why)
		}
	}
}

func TestWorkdaysBetweenHandChecked(t *testing.T) {
	c := New()
	tests := []struct {
		a, b string
		want int
		why  string
	}{
		{"2024-09-27", "2024-10-30", 20, "§3.3 first example"},
		{"2024-10-30", "2024-09-27", -20, "reversed"},
		{"2024-12-31", "2025-02-05", 20, "across the year and 春节"},
		{"2024-10-01", "2024-10-07", 0, "inside the National Day holiday"},
		{"2024-09-28", "2024-09-29", 1, "9/29 Sun 调休 counts; 9/28 (day 0) does not"},
		{"2025-06-03", "2025-06-03", 0, "same day"},
		{"2024-01-01", "2024-12-31", 251, "2024: 262 weekdays − 19 holidays on weekdays (1/1, 2/12–16, 4/4–5, 5/1–3, 6/10, 9/16–17, 10/1–4, 10/7) + 8 调休 days"},
	}
	for _, tc := range tests {
		got, err := c.WorkdaysBetween(gongkai.MustDate(tc.a), gongkai.MustDate(tc.b))
		if err != nil {
			t.Errorf("WorkdaysBetween(%s, %s): %v", tc.a, tc.b, err)
			continue
		}
		if got != tc.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d (%s)", tc.a, tc.b, got, tc.want, tc.why)
		}
	}
}

// TestCorrectionRestart: a 补正 stops the clock; when the completed
// application arrives on Y, Y is the new day 0 and the full 20 days restart
// (Art. 30; RULES.md §3.3 clock model, §3.5).
func TestCorrectionRestart(t *testing.T) {
	c := New()
	tests := []struct {
		received, completed string
		want                string
		why                 string
	}{
		// Received 2025-04-25 (web, a working Friday); 补正 sent; completed
		// application arrives Sun 2025-05-04 in the Labour Day holiday.
		{"2025-04-25", "2025-05-04", "2025-06-03", "day 0 = 5/4; 5/6 (1)…5/30 (19), 5/31–6/2 off, 6/3 (20)"},
		// Received 2026-02-10; completed application arrives Sat 2026-02-14 (调休).
		{"2026-02-10", "2026-02-14", "2026-03-20", "day 0 = 2/14; 2/15–2/23 off, 2/24 (1), 2/28 Sat (5), 3/20 (20)"},
	}
	for _, tc := range tests {
		// The days used before the 补正 are dropped, whatever they were.
		if _, err := c.WorkdaysBetween(gongkai.MustDate(tc.received), gongkai.MustDate(tc.completed)); err != nil {
			t.Fatal(err)
		}
		got, err := c.AddWorkdays(gongkai.MustDate(tc.completed), AnswerPeriod)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != tc.want {
			t.Errorf("restart on %s: due %s, want %s (%s)", tc.completed, got, tc.want, tc.why)
		}
	}
}

// TestConsultationStop: a consultation suspends the clock from X to Y; the
// working days in (X, Y] do not count, the days used up to X are kept and
// counting resumes after Y (Art. 33 para. 3; RULES.md §3.3 clock model, §3.6).
func TestConsultationStop(t *testing.T) {
	c := New()
	tests := []struct {
		day0, x, y string
		limit      int
		used       int // working days in (day0, X], by hand
		excluded   int // working days in (X, Y], by hand
		want       string
		why        string
	}{
		{
			"2024-09-02", "2024-09-10", "2024-10-09", AnswerPeriod, 6, 16, "2024-10-28",
			"used 9/3–9/6, 9/9, 9/10 = 6; excluded 9/11–9/14 (Sat 调休), 9/18–9/20, 9/23–9/27, 9/29, 9/30, 10/8, 10/9 = 16; " +
				"14 left from 10/9: 10/10, 10/11, 10/12 Sat, 10/14–10/18, 10/21–10/25, 10/28 (14); also 9/30 (no-stop due) + 16 = 10/28",
		},
		{
			"2025-01-06", "2025-01-20", "2025-02-10", ExtendedPeriod, 10, 11, "2025-03-24",
			"extended; used 1/7–1/10, 1/13–1/17, 1/20 = 10; excluded 1/21–1/24, 1/26 Sun, 1/27, 2/5–2/7, 2/8 Sat, 2/10 = 11; " +
				"30 left from 2/10: 2/14 (4), 2/28 (14), 3/7 (19), 3/14 (24), 3/21 (29), 3/24 (30)",
		},
	}
	for _, tc := range tests {
		day0, x, y := gongkai.MustDate(tc.day0), gongkai.MustDate(tc.x), gongkai.MustDate(tc.y)
		used, err := c.WorkdaysBetween(day0, x)
		if err != nil {
			t.Fatal(err)
		}
		if used != tc.used {
			t.Errorf("%s: used before the stop = %d, want %d", tc.day0, used, tc.used)
		}
		excluded, err := c.WorkdaysBetween(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if excluded != tc.excluded {
			t.Errorf("%s: excluded = %d, want %d", tc.day0, excluded, tc.excluded)
		}
		due, err := c.AddWorkdays(y, tc.limit-used)
		if err != nil {
			t.Fatal(err)
		}
		if due.String() != tc.want {
			t.Errorf("%s stopped (%s, %s]: due %s, want %s (%s)", tc.day0, tc.x, tc.y, due, tc.want, tc.why)
		}
		// Same answer as the no-stop due date pushed by the excluded days.
		plain, _ := c.AddWorkdays(day0, tc.limit)
		if alt, _ := c.AddWorkdays(plain, excluded); !alt.Equal(due) {
			t.Errorf("%s: no-stop due %s + %d excluded = %s, want %s", tc.day0, plain, excluded, alt, due)
		}
	}
}
