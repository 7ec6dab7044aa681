package caseflow_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/store"
	"gongkai/workday"
)

func newService(t *testing.T, now *time.Time) *caseflow.Service {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return *now }
	return &caseflow.Service{DB: db, Cal: workday.New()}
}

func fileCase(t *testing.T, s *caseflow.Service) *gongkai.Case {
	t.Helper()
	app := gongkai.Application{ApplicantType: "自然人", Name: "张三", IDNumber: "110101199003074477", Phone: "13800000000",
		Email: "a@example.com", Description: "某小区商品房预售许可证", Delivery: "电子邮件"}
	c, _, err := s.File(context.Background(), app, gongkai.ChannelWeb, "", "applicant")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRunDailyRemindsOnceAndRecordsLapses(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing) // Mon, a working day
	s := newService(t, &now)
	s.DB.Update(ctx, func(tx *store.Tx) error {
		tx.CreateUser(&gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}}, "x")
		return tx.CreateUser(&gongkai.User{Username: "hand", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室"}, "x")
	})
	reg := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}

	// Case A: received 2025-03-03, due +20 wd = 2025-03-31; assigned to hand.
	a := fileCase(t, s)
	for _, in := range []caseflow.Input{{Action: "register", Actor: reg}, {Action: "assign", Actor: reg, Department: "办公室", Assignee: "hand"}} {
		if _, err := s.Act(ctx, a.No, in); err != nil {
			t.Fatal(err)
		}
	}
	// Case B: 补正 requested with a 5-working-day period: 2025-03-03 + 5 wd = 2025-03-10.
	b := fileCase(t, s)
	if _, err := s.Act(ctx, b.No, caseflow.Input{Action: "request_correction", Actor: reg, Days: 5, Reason: "缺少身份证明"}); err != nil {
		t.Fatal(err)
	}

	// Thursday 2025-03-27: case A is due Mon 3/31, within 3 working days.
	now = time.Date(2025, 3, 27, 8, 30, 0, 0, gongkai.Beijing)
	res, err := s.RunDaily(ctx, gongkai.DateOf(now), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reminders != 2 { // hand (handler) + reg (summary)
		t.Errorf("reminders = %d, want 2", res.Reminders)
	}
	if res.Lapsed != 1 {
		t.Errorf("lapsed = %d, want 1 (case B's 补正 period ended 2025-03-10)", res.Lapsed)
	}
	again, err := s.RunDaily(ctx, gongkai.DateOf(now), nil)
	if err != nil || again.Reminders != 0 || again.Lapsed != 0 {
		t.Errorf("second run the same day: %+v %v, want nothing", again, err)
	}
	// Saturday: nothing runs.
	if sat, _ := s.RunDaily(ctx, gongkai.MustDate("2025-03-29"), nil); sat.Reminders != 0 {
		t.Errorf("reminders on a Saturday: %d", sat.Reminders)
	}
	d, err := s.CaseDetail(ctx, b.No, reg, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Case.Status != gongkai.StatusClosed || d.Case.Result != gongkai.ResultNoCorrection {
		t.Errorf("case B: %s %s, want closed with result.other.no_correction", d.Case.Status, d.Case.Result)
	}
	// K5: concluded on the day after the period, or the recording day if later.
	if d.Case.AnsweredOn.String() != "2025-03-27" {
		t.Errorf("case B answered on %s, want 2025-03-27 (recorded that day)", d.Case.AnsweredOn)
	}
	da, _ := s.CaseDetail(ctx, a.No, reg, false)
	n := 0
	for _, e := range da.Events {
		if e.Kind == "reminder" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("case A has %d reminder events, want 2", n)
	}
}

// TestCalendarChangeMovesOpenDueDates: correcting the calendar recomputes the
// stored due date of open cases, with a history row (RULES.md §3.2).
func TestCalendarChangeMovesOpenDueDates(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing) // Mon
	s := newService(t, &now)
	c := fileCase(t, s)
	// Received Mon 2025-03-03 (web, a working day): +20 working days = Mon 2025-03-31.
	if c.DueOn.String() != "2025-03-31" {
		t.Fatalf("due %s, want 2025-03-31", c.DueOn)
	}
	// An extra day off on Mon 2025-03-10 pushes the 20th working day to Tue 2025-04-01.
	if err := s.SetCalendarDay(ctx, gongkai.MustDate("2025-03-10"), false, "临时调整", "admin"); err != nil {
		t.Fatal(err)
	}
	reg := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	d, err := s.CaseDetail(ctx, c.No, reg, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Case.DueOn.String() != "2025-04-01" {
		t.Errorf("after the calendar change the stored due date is %s, want 2025-04-01", d.Case.DueOn)
	}
	last := d.Events[len(d.Events)-1]
	if last.Kind != "due_changed" || last.Actor != "admin" {
		t.Errorf("last event %+v, want due_changed by admin", last)
	}
	if n, err := s.RecomputeDueDates(ctx, "admin"); err != nil || n != 0 {
		t.Errorf("second recompute moved %d (%v), want 0", n, err)
	}
}

// TestRunDailyHeldMail: with no case due, mail held for a person still gets
// the registrars a morning note (once a day), and handlers nothing; the
// summary of due cases mentions it too.
func TestRunDailyHeldMail(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing) // Mon, a working day
	s := newService(t, &now)
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(&gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}}, "x"); err != nil {
			return err
		}
		if err := tx.CreateUser(&gongkai.User{Username: "hand", Roles: []gongkai.Role{gongkai.RoleHandler}}, "x"); err != nil {
			return err
		}
		for i, k := range []gongkai.MessageKind{gongkai.KindSpam, gongkai.KindUnparsed, gongkai.KindAutoReply} {
			m := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: "smtp", Raw: []byte("x"), SHA256: string(rune('a' + i)), Kind: k}
			if err := tx.CreateMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	type note struct{ user, subject, body string }
	var sent []note
	notify := func(_ context.Context, user, subject, body string) error {
		sent = append(sent, note{user, subject, body})
		return nil
	}
	for range 2 {
		if _, err := s.RunDaily(ctx, gongkai.DateOf(now), notify); err != nil {
			t.Fatal(err)
		}
	}
	// The automatic reply is not waiting for anyone.
	if len(sent) != 1 || sent[0].user != "reg" || sent[0].subject != "【来信提醒】2封来信待处理（2025年3月3日）" || !strings.Contains(sent[0].body, "另有2封来信") {
		t.Errorf("notes = %+v, want one for reg about 2 messages", sent)
	}
}

// TestRemindDepartmentAndLeaders: a case due soon that is handed to a
// 股室 but to nobody in it reminds every handler of that 股室 (and no
// other); an answer awaiting approval reminds the leaders.
func TestRemindDepartmentAndLeaders(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing) // Mon
	s := newService(t, &now)
	s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, u := range []*gongkai.User{
			{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true},
			{Username: "h1", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true},
			{Username: "h2", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true},
			{Username: "hx", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "规划股", Active: true},
			{Username: "boss", Roles: []gongkai.Role{gongkai.RoleApprover}, Active: true},
		} {
			if err := tx.CreateUser(u, "x"); err != nil {
				return err
			}
		}
		return nil
	})
	reg := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	h1 := &gongkai.User{Username: "h1", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true}
	a := fileCase(t, s) // handed to 办公室, nobody named
	b := fileCase(t, s) // drafted by h1, awaiting approval
	for _, step := range []struct {
		no string
		in caseflow.Input
	}{
		{a.No, caseflow.Input{Action: "register", Actor: reg}}, {a.No, caseflow.Input{Action: "assign", Actor: reg, Department: "办公室"}},
		{b.No, caseflow.Input{Action: "register", Actor: reg}}, {b.No, caseflow.Input{Action: "assign", Actor: reg, Department: "办公室", Assignee: "h1"}},
		{b.No, caseflow.Input{Action: "draft_answer", Actor: h1, Result: gongkai.ResultDisclosed}},
	} {
		if _, err := s.Act(ctx, step.no, step.in); err != nil {
			t.Fatalf("%s: %v", step.in.Action, err)
		}
	}
	now = time.Date(2025, 3, 27, 8, 30, 0, 0, gongkai.Beijing) // both due Mon 3/31
	got := map[string]string{}
	_, err := s.RunDaily(ctx, gongkai.DateOf(now), func(_ context.Context, user, subject, body string) error {
		got[user] = subject + "\n" + body
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"h1", "h2"} {
		if !strings.Contains(got[u], a.No) {
			t.Errorf("%s, a handler of 办公室, is not reminded of %s:\n%s", u, a.No, got[u])
		}
	}
	if _, ok := got["hx"]; ok {
		t.Errorf("a handler of another 股室 is reminded: %s", got["hx"])
	}
	if !strings.Contains(got["boss"], b.No) || !strings.Contains(got["boss"], "待您审批") || strings.Contains(got["boss"], a.No) {
		t.Errorf("the leader's reminder:\n%s", got["boss"])
	}
}

// milestoneStaff creates a registrar, a handler of 办公室 and an approver.
func milestoneStaff(t *testing.T, s *caseflow.Service) (reg, hand, boss *gongkai.User) {
	t.Helper()
	reg = &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	hand = &gongkai.User{Username: "hand", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true}
	boss = &gongkai.User{Username: "boss", Roles: []gongkai.Role{gongkai.RoleApprover}, Active: true}
	err := s.DB.Update(context.Background(), func(tx *store.Tx) error {
		for _, u := range []*gongkai.User{reg, hand, boss} {
			if err := tx.CreateUser(u, "x"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg, hand, boss
}

// beijing is the hour of a day (YYYY-MM-DD) in Beijing time.
func beijing(day string, hour int) time.Time {
	d := gongkai.MustDate(day)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, gongkai.Beijing)
}

// lastReminder is the detail of the case's latest reminder event for a user.
func lastReminder(t *testing.T, s *caseflow.Service, no, user string, u *gongkai.User) string {
	t.Helper()
	d, err := s.CaseDetail(context.Background(), no, u, false)
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, e := range d.Events {
		if e.Kind == "reminder" && strings.HasPrefix(e.Detail, "已提醒 "+user+"：") {
			last = e.Detail
		}
	}
	return last
}

// Headings of the sections of a handler's reminder.
const (
	dueHeading        = "个工作日内或已超期"
	correctionHeading = "尚未发出补正告知"
	extensionHeading  = "是否需要延期答复"
)

// TestMilestoneReminders: besides the cases due, a handler is reminded of
// the 补正 decision from day 5 after receipt (the notice is due by day 7)
// and of the extension decision once 15 of the 20 days are used (RULES.md
// §3.9) — once each, on the day or, after a missed run, on the next run
// while the deadline can still be met. The case is received on Mon
// 2025-03-03: day 5 is 3/10, day 7 3/12, day 15 3/24, due (day 20) 3/31.
func TestMilestoneReminders(t *testing.T) {
	type step struct {
		on string // 2025-MM-DD
		in caseflow.Input
	}
	tests := []struct {
		name       string
		noRegister bool   // left registered (assigned, not accepted)
		untriaged  bool   // given to no 股室 and no one: the registrars are reminded
		steps      []step // after the registration on 3/3
		runs       []string
		want       string // why the case is in the handler's mail of the last run: "" (no mail), "correction", "extension", "due"
		until      string // the deadline the reminder names
	}{
		{name: "day 4", runs: []string{"03-07"}},
		{name: "day 5", runs: []string{"03-10"}, want: "correction", until: "2025年3月12日"},
		{name: "day 5, not yet accepted", noRegister: true, runs: []string{"03-10"}, want: "correction", until: "2025年3月12日"},
		{name: "day 5, not yet triaged", untriaged: true, runs: []string{"03-10"}, want: "correction", until: "2025年3月12日"},
		{name: "day 15, not yet triaged", untriaged: true, runs: []string{"03-24"}, want: "extension", until: "2025年3月31日"},
		{name: "day 5, second run", runs: []string{"03-10", "03-10"}},
		{name: "day 6, reminded on day 5", runs: []string{"03-07", "03-10", "03-11"}},
		{name: "day 6, run of day 5 missed", runs: []string{"03-07", "03-11"}, want: "correction", until: "2025年3月12日"},
		{name: "day 7, runs missed", runs: []string{"03-12"}, want: "correction", until: "2025年3月12日"},
		{name: "day 8, notice already late", runs: []string{"03-13"}},
		{name: "day 5, 补正 pending", steps: []step{{"03-05", caseflow.Input{Action: "request_correction"}}}, runs: []string{"03-10"}},
		// Completed on 3/6, the case runs again, but the 补正 was asked once.
		{name: "day 5, 补正 completed", steps: []step{
			{"03-04", caseflow.Input{Action: "request_correction"}}, {"03-06", caseflow.Input{Action: "receive_correction"}},
		}, runs: []string{"03-10"}},
		{name: "day 14", runs: []string{"03-21"}},
		{name: "day 15", runs: []string{"03-24"}, want: "extension", until: "2025年3月31日"},
		{name: "day 16, reminded on day 15", runs: []string{"03-24", "03-25"}},
		{name: "day 16, run of day 15 missed", runs: []string{"03-21", "03-25"}, want: "extension", until: "2025年3月31日"},
		{name: "day 17, due within 3 days", runs: []string{"03-26"}, want: "due", until: "2025年3月31日"},
		{name: "day 15, extension pending", steps: []step{{"03-20", caseflow.Input{Action: "request_extension", Reason: "档案多"}}}, runs: []string{"03-24"}},
		{name: "day 15, extended", steps: []step{
			{"03-20", caseflow.Input{Action: "request_extension", Reason: "档案多"}}, {"03-21", caseflow.Input{Action: "approve_extension", Reason: "同意"}},
		}, runs: []string{"03-24"}},
		{name: "day 15, answer drafted", steps: []step{{"03-20", caseflow.Input{Action: "draft_answer", Result: gongkai.ResultDisclosed}}}, runs: []string{"03-24"}},
		// Consulted from 3/12 (7 days used) to 3/14: 3/13 and 3/14 do not
		// count, so the 15th day used is 3/26 and the answer is due 4/2.
		{name: "clock suspended: calendar day 15", steps: []step{
			{"03-12", caseflow.Input{Action: "start_consultation", Reason: "涉及第三方"}}, {"03-14", caseflow.Input{Action: "consultation_answered"}},
		}, runs: []string{"03-24"}},
		{name: "clock suspended: 15th day used", steps: []step{
			{"03-12", caseflow.Input{Action: "start_consultation", Reason: "涉及第三方"}}, {"03-14", caseflow.Input{Action: "consultation_answered"}},
		}, runs: []string{"03-26"}, want: "extension", until: "2025年4月2日"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing) // Mon, a working day
			s := newService(t, &now)
			reg, hand, boss := milestoneStaff(t, s)
			c := fileCase(t, s)
			first := caseflow.Input{Action: "register", Actor: reg, Department: "办公室", Assignee: "hand"}
			if tt.noRegister {
				first.Action = "assign"
			}
			if !tt.untriaged {
				if _, err := s.Act(ctx, c.No, first); err != nil {
					t.Fatal(err)
				}
			}
			for _, st := range tt.steps {
				now = beijing("2025-"+st.on, 10)
				in := st.in
				switch in.Action {
				case "request_correction", "receive_correction":
					in.Actor = reg
				case "approve_extension":
					in.Actor = boss
				default:
					in.Actor = hand
				}
				if _, err := s.Act(ctx, c.No, in); err != nil {
					t.Fatalf("%s on %s: %v", in.Action, st.on, err)
				}
			}
			var mail map[string]string // user → subject and body, of the last run
			for _, day := range tt.runs {
				now = beijing("2025-"+day, 8)
				mail = map[string]string{}
				_, err := s.RunDaily(ctx, gongkai.DateOf(now), func(_ context.Context, user, subject, body string) error {
					mail[user] = subject + "\n" + body
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			// A 补正 is the registrars' to ask for: they have the 补正
			// decision in their summary, and every milestone of a case no
			// handler has; the handler, what is given to him.
			reminded := "hand"
			if tt.untriaged {
				reminded = "reg"
				if mail["hand"] != "" {
					t.Errorf("the handler is reminded of a case not given to him:\n%s", mail["hand"])
				}
			}
			if regHas := strings.Contains(mail["reg"], c.No); regHas != (tt.want == "correction" || tt.want == "due" || tt.untriaged && tt.want != "") {
				t.Errorf("the registrar's summary (has the case: %v):\n%s", regHas, mail["reg"])
			}
			got := mail[reminded]
			has := func(s string) bool { return strings.Contains(got, s) }
			switch tt.want {
			case "":
				if got != "" {
					t.Errorf("the handler is reminded:\n%s", got)
				}
				return
			case "correction":
				if !has(correctionHeading) || !has(c.No+"  张三  补正告知最迟 "+tt.until) || has(extensionHeading) || has(dueHeading) {
					t.Errorf("want only the 补正 decision, by %s:\n%s", tt.until, got)
				}
			case "extension":
				if !has(extensionHeading) || !has(c.No+"  张三  答复期限 "+tt.until) || has(correctionHeading) || has(dueHeading) {
					t.Errorf("want only the extension decision, due %s:\n%s", tt.until, got)
				}
			case "due":
				if !has(dueHeading) || !has(c.No+"  张三  答复期限 "+tt.until) || has(correctionHeading) || has(extensionHeading) {
					t.Errorf("want only the due date %s:\n%s", tt.until, got)
				}
			}
			ev := lastReminder(t, s, c.No, reminded, reg)
			if wantEv := map[string]string{"correction": "补正告知书最迟于" + tt.until, "extension": "须在答复期限" + tt.until, "due": "答复期限 " + tt.until}[tt.want]; !strings.Contains(ev, wantEv) {
				t.Errorf("the history's last reminder %q does not say %q", ev, wantEv)
			}
		})
	}
}

// TestMilestonesInOneMail: a handler gets one mail a day, a section per
// reason; a milestone goes out once, a case due every day; the registrars'
// summary lists the cases due and the 补正 decisions.
func TestMilestonesInOneMail(t *testing.T) {
	ctx := context.Background()
	var now time.Time
	s := newService(t, &now)
	reg, _, _ := milestoneStaff(t, s)
	file := func(day string) *gongkai.Case {
		t.Helper()
		now = beijing(day, 9)
		c := fileCase(t, s)
		if _, err := s.Act(ctx, c.No, caseflow.Input{Action: "register", Actor: reg, Department: "办公室", Assignee: "hand"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	soon := file("2025-02-13") // due 3/13: 3 working days left on 3/10
	ext := file("2025-02-17")  // day 15 on 3/10, due 3/17
	corr := file("2025-03-03") // day 5 on 3/10, 补正 notice by 3/12
	run := func(day string) map[string]string {
		t.Helper()
		now = beijing(day, 8)
		mail := map[string]string{}
		if _, err := s.RunDaily(ctx, gongkai.DateOf(now), func(_ context.Context, user, subject, body string) error {
			if _, dup := mail[user]; dup {
				t.Errorf("%s gets a second mail on %s", user, day)
			}
			mail[user] = subject + "\n" + body
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return mail
	}
	mail := run("2025-03-10")
	got := mail["hand"]
	for _, want := range []string{
		"【期限提醒】您承办的申请：1件即将到期或已超期，1件须决定是否补正，1件须决定是否延期（2025年3月10日）",
		soon.No + "  张三  答复期限 2025年3月13日（即将到期）  办公室",
		corr.No + "  张三  补正告知最迟 2025年3月12日  办公室",
		ext.No + "  张三  答复期限 2025年3月17日  办公室",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the handler's mail lacks %q:\n%s", want, got)
		}
	}
	if i, j, k := strings.Index(got, dueHeading), strings.Index(got, correctionHeading), strings.Index(got, extensionHeading); !(i >= 0 && i < j && j < k) {
		t.Errorf("sections not in the order due, 补正, extension:\n%s", got)
	}
	if r := mail["reg"]; !strings.Contains(r, soon.No) || !strings.Contains(r, corr.No) || strings.Contains(r, ext.No) {
		t.Errorf("the registrar's summary:\n%s", r)
	}
	if again := run("2025-03-10"); len(again) != 0 {
		t.Errorf("second run the same day: %v", again)
	}
	next := run("2025-03-11")["hand"]
	if !strings.Contains(next, soon.No) || strings.Contains(next, corr.No) || strings.Contains(next, ext.No) {
		t.Errorf("the next day the handler is reminded of the case due only:\n%s", next)
	}
}

// handedCase files a case now and registers it to 办公室, handler "hand".
func handedCase(t *testing.T, s *caseflow.Service, reg *gongkai.User) *gongkai.Case {
	t.Helper()
	c := fileCase(t, s)
	if _, err := s.Act(context.Background(), c.No, caseflow.Input{Action: "register", Actor: reg, Department: "办公室", Assignee: "hand"}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReminderFailureGoesOn: a reminder that cannot be delivered to one
// person does not keep the others from theirs; the run reports the error.
func TestReminderFailureGoesOn(t *testing.T) {
	ctx := context.Background()
	now := beijing("2025-02-13", 9)
	s := newService(t, &now)
	reg, _, _ := milestoneStaff(t, s)
	handedCase(t, s, reg)
	now = beijing("2025-03-10", 8) // due 3/13
	got := map[string]bool{}
	_, err := s.RunDaily(ctx, gongkai.DateOf(now), func(_ context.Context, user, _, _ string) error {
		if user == "hand" {
			return errors.New("outbox full")
		}
		got[user] = true
		return nil
	})
	if err == nil || !got["reg"] {
		t.Errorf("RunDaily: %v, registrar reminded: %v; want the error and the registrar's summary", err, got["reg"])
	}
}

// TestReminderAssigneeGone: the milestone of a case whose assignee is no
// longer active reaches the other handlers of its 股室.
func TestReminderAssigneeGone(t *testing.T) {
	ctx := context.Background()
	now := beijing("2025-03-03", 9)
	s := newService(t, &now)
	reg, hand, _ := milestoneStaff(t, s)
	hand2 := &gongkai.User{Username: "hand2", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.CreateUser(hand2, "x") }); err != nil {
		t.Fatal(err)
	}
	c := handedCase(t, s, reg)
	hand.Active = false
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.UpdateUser(hand) }); err != nil {
		t.Fatal(err)
	}
	now = beijing("2025-03-24", 8) // day 15: the extension decision
	mail := map[string]string{}
	if _, err := s.RunDaily(ctx, gongkai.DateOf(now), func(_ context.Context, user, subject, body string) error {
		mail[user] = body
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mail["hand2"], c.No) || mail["hand"] != "" {
		t.Errorf("reminded: %v; want hand2, not the inactive hand", mail)
	}
}

// TestMilestoneOnceWhenDueMoves: the extension decision is reminded once
// per case, even when a consultation moves the due date it named.
func TestMilestoneOnceWhenDueMoves(t *testing.T) {
	ctx := context.Background()
	now := beijing("2025-03-03", 9)
	s := newService(t, &now)
	reg, hand, _ := milestoneStaff(t, s)
	c := handedCase(t, s, reg)
	run := func(day string) string {
		t.Helper()
		now = beijing(day, 8)
		var got string
		if _, err := s.RunDaily(ctx, gongkai.DateOf(now), func(_ context.Context, user, _, body string) error {
			if user == "hand" {
				got = body
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := run("2025-03-24"); !strings.Contains(got, extensionHeading) {
		t.Fatalf("day 15: no extension decision:\n%s", got)
	}
	for _, st := range []struct {
		day string
		in  caseflow.Input
	}{
		{"2025-03-24", caseflow.Input{Action: "start_consultation", Actor: hand, Reason: "涉及第三方"}},
		{"2025-03-25", caseflow.Input{Action: "consultation_answered", Actor: hand}},
	} {
		now = beijing(st.day, 10)
		if _, err := s.Act(ctx, c.No, st.in); err != nil {
			t.Fatalf("%s: %v", st.in.Action, err)
		}
	}
	if got := run("2025-03-26"); strings.Contains(got, c.No) {
		t.Errorf("reminded again after the due date moved:\n%s", got)
	}
}
