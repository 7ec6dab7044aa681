package caseflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/store"
)

// TestEditsDoNotBlockBackdatedDecisions: the last step, which a decision
// cannot predate, is stored with the case; the edits staff make beside the
// procedure — a reassignment, a corrected classifier field — write the case
// but do not move it.
func TestEditsDoNotBlockBackdatedDecisions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing) // Mon
	s := newService(t, &now)
	reg := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	h2 := &gongkai.User{Username: "h2", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true}
	boss := &gongkai.User{Username: "boss", Roles: []gongkai.Role{gongkai.RoleApprover}, Active: true}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, u := range []*gongkai.User{reg, h2, boss, {Username: "h1", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "办公室", Active: true}} {
			if err := tx.CreateUser(u, "x"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := fileCase(t, s) // received Mon 2025-03-03, due 2025-03-31
	if _, err := s.Act(ctx, c.No, caseflow.Input{Action: "register", Actor: reg, Department: "办公室", Assignee: "h1"}); err != nil {
		t.Fatal(err)
	}
	registered := now

	// Tuesday 3/11, early: the case goes to h2 and its applicant type is corrected.
	now = time.Date(2025, 3, 11, 8, 30, 0, 0, gongkai.Beijing)
	if _, err := s.Act(ctx, c.No, caseflow.Input{Action: "assign", Actor: reg, Department: "办公室", Assignee: "h2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Override(ctx, c.No, "applicant_type", string(gongkai.Enterprise), "申请人为公司", reg); err != nil {
		t.Fatal(err)
	}
	d, err := s.CaseDetail(ctx, c.No, reg, false)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Case.UpdatedAt.Equal(now) || !d.Case.LastStepAt.Equal(registered) {
		t.Errorf("after the edits: updated %v, last step %v; want %v and the registration %v", d.Case.UpdatedAt, d.Case.LastStepAt, now, registered)
	}

	// Later that morning h2 enters the answer drafted on Monday 3/10.
	now = time.Date(2025, 3, 11, 10, 0, 0, 0, gongkai.Beijing)
	if _, err := s.Act(ctx, c.No, caseflow.Input{Action: "draft_answer", Actor: h2, On: gongkai.MustDate("2025-03-10"), Result: gongkai.ResultDisclosed}); err != nil {
		t.Fatalf("an answer drafted the day before the edits: %v, want accepted", err)
	}
	// Wednesday 3/12: the approval cannot be dated before the draft was entered.
	now = time.Date(2025, 3, 12, 9, 0, 0, 0, gongkai.Beijing)
	_, err = s.Act(ctx, c.No, caseflow.Input{Action: "approve_answer", Actor: boss, On: gongkai.MustDate("2025-03-10")})
	if gongkai.ErrorKind(err) != gongkai.EInvalid || !strings.Contains(err.Error(), "倒签") {
		t.Errorf("an approval dated before the draft was recorded: %v, want refused as backdated", err)
	}
	if _, err := s.Act(ctx, c.No, caseflow.Input{Action: "approve_answer", Actor: boss, On: gongkai.MustDate("2025-03-11")}); err != nil {
		t.Errorf("an approval dated the day the draft was recorded: %v, want accepted", err)
	}
}
