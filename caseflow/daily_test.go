package caseflow_test

import (
	"context"
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
