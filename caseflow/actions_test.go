package caseflow

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gongkai"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// snapshot is the part of a case the state machine owns, with dates as text
// so that expectations read like the hand calculation.
type snapshot struct {
	Status           gongkai.Status
	Clock            gongkai.ClockState
	From             string
	Used, Limit      int
	Due              string
	CorrectionDue    string
	Until            string
	Extended         bool
	ExtensionPending bool
	Fee              int
	Result           gongkai.ResultKey
	Answered         string
}

func snap(c *gongkai.Case) snapshot {
	return snapshot{c.Status, c.ClockState, c.ClockFrom.String(), c.ClockUsed, c.ClockLimit, c.DueOn.String(),
		c.CorrectionDue.String(), c.SuspendedUntil.String(), c.Extended, c.ExtensionPending, c.FeeYuan, c.Result, c.AnsweredOn.String()}
}

const (
	P  = gongkai.StatusProcessing
	On = gongkai.ClockRunning
	Re = gongkai.ClockRestarting
	Su = gongkai.ClockSuspended
	St = gongkai.ClockStopped
)

// TestPaths walks the life cycle on the case of newCase (received Friday
// 2024-09-27 in person, due 2024-10-30) and checks every clock field, the
// events and the refusals against dates worked out by hand from the
// RULES.md §3.2 calendar. Working days used here: Sep 29 (Sun, 调休) and 30;
// Oct 1–7 off; Oct 8–11; Oct 12 (Sat, 调休); then Mon–Fri.
func TestPaths(t *testing.T) {
	cal := loadTestCal(t)
	answer := func(k gongkai.ResultKey, on string) act {
		return act{ActDraftAnswer, hd, on, func(in *Input) { in.Result = k }}
	}
	ext := func(a Action, u *gongkai.User, on string) act { return act{a, u, on, reason("需调取档案")} }
	// hap leads the office and handles cases of the department too.
	hap := &gongkai.User{Username: "hap", Roles: []gongkai.Role{gongkai.RoleHandler, gongkai.RoleApprover}, Department: dept, Active: true}
	tests := []struct {
		name  string
		ch    gongkai.Channel // of the case; in person when empty
		steps []act           // all but the last must succeed
		want  snapshot
		kinds []string // events of the last step
		err   string   // error kind of the last step; the case must then equal the state before it
		msg   string   // substring of the refusal
	}{
		{
			name:  "accept",
			steps: []act{sRegister},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30"},
			kinds: []string{"accepted"},
		},
		{
			// Used: Sep 29, 30, Oct 8–12 (7), 14–18 (5), 21–23 (3) = 15 of 20.
			name:  "answer sent on time",
			steps: []act{sRegister, sDraft, sApprove, sSend},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-10-23", Used: 15, Limit: 20, Result: gongkai.ResultDisclosed, Answered: "2024-10-23"},
			kinds: []string{"answer_sent", KindDueChanged},
		},
		{
			// Oct 31 is the 21st working day: one day late, and the history says so.
			name:  "answer sent late",
			steps: []act{sRegister, answer(gongkai.ResultNotHeld, "2024-10-31"), {ActApproveAnswer, ap, "2024-10-31", nil}, {ActSendAnswer, hd, "2024-10-31", nil}},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-10-31", Used: 21, Limit: 20, Result: gongkai.ResultNotHeld, Answered: "2024-10-31"},
			kinds: []string{"answer_sent", KindDueChanged},
			msg:   "超过期限1个工作日",
		},
		{
			name:  "answer returned",
			steps: []act{sRegister, sDraft, {ActReturnAnswer, ap, "2024-10-22", reason("引用条款有误")}},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30"},
			kinds: []string{"answer_returned"},
		},
		{
			// 补正 restart. Notice on Oct 9 (4th working day, within the 7 of
			// Art. 30: the 7th is Oct 12). Period 15 wd from Oct 9: Oct 10, 11,
			// 12, 14–18, 21–25, 28, 29 → Oct 29. Used before the notice
			// (Sep 29, 30, Oct 8, 9) = 4 is kept for the record only.
			name:  "correction requested",
			steps: []act{sRegister, sCorrection},
			want:  snapshot{Status: gongkai.StatusCorrection, Clock: Re, From: "2024-10-09", Used: 4, Limit: 20, CorrectionDue: "2024-10-29"},
			kinds: []string{"correction_requested", KindDueChanged},
		},
		{
			// The completed application arrives Monday Oct 21: new day 0, a full
			// 20 wd again: Oct 22–25 (4), 28–31, Nov 1 (9), 4–8 (14), 11–15 (19),
			// 18 (20) → Nov 18.
			name:  "correction received restarts the clock",
			steps: []act{sRegister, sCorrection, {ActReceiveCorrection, reg, "2024-10-21", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-21", Limit: 20, Due: "2024-11-18", CorrectionDue: "2024-10-29"},
			kinds: []string{"correction_received", KindDueChanged},
		},
		{
			// Received by e-mail, completed by e-mail on Saturday Oct 19 (not a
			// 调休 day): the completion's receipt date is Monday Oct 21 (Art. 31),
			// so the due date is the same Nov 18.
			name: "correction by e-mail on a weekend",
			ch:   gongkai.ChannelEmail,
			steps: []act{sRegister, sCorrection,
				{ActReceiveCorrection, reg, "2024-10-20", func(in *Input) { in.On = d("2024-10-19") }}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-21", Limit: 20, Due: "2024-11-18", CorrectionDue: "2024-10-29"},
			kinds: []string{"correction_received", KindDueChanged},
		},
		{
			// Handed in person on that Saturday (the office opened): that day is
			// day 0, one working day earlier than by e-mail → Nov 15.
			name: "correction in person on a weekend",
			steps: []act{sRegister, sCorrection,
				{ActReceiveCorrection, reg, "2024-10-19", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-19", Limit: 20, Due: "2024-11-15", CorrectionDue: "2024-10-29"},
			kinds: []string{"correction_received", KindDueChanged},
		},
		{
			// An extension approved before the 补正 is void after the restart:
			// the completed application gets a fresh 20 wd (Art. 30).
			name: "correction after extension resets the limit",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-08"), ext(ActApproveExtension, ap, "2024-10-08"),
				sCorrection, {ActReceiveCorrection, reg, "2024-10-21", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-21", Limit: 20, Due: "2024-11-18", CorrectionDue: "2024-10-29"},
			kinds: []string{"correction_received", KindDueChanged},
		},
		{
			// Oct 14 is the 8th working day: the notice is still sent but flagged.
			// Period: Oct 15–18 (4), 21–25 (9), 28–31, Nov 1 (14), Nov 4 (15).
			name:  "late correction notice",
			steps: []act{sRegister, {ActRequestCorrection, reg, "2024-10-14", nil}},
			want:  snapshot{Status: gongkai.StatusCorrection, Clock: Re, From: "2024-10-14", Used: 8, Limit: 20, CorrectionDue: "2024-11-04"},
			kinds: []string{"correction_requested", KindCorrectionLate, KindDueChanged},
			msg:   "2024-10-12",
		},
		{
			// A 5-wd period from Oct 9: Oct 10, 11, 12 (Sat, 调休), 14, 15.
			name:  "correction straight from registration",
			steps: []act{{ActRequestCorrection, reg, "2024-10-09", func(in *Input) { in.Days = 5 }}},
			want:  snapshot{Status: gongkai.StatusCorrection, Clock: Re, From: "2024-10-09", Used: 4, Limit: 20, CorrectionDue: "2024-10-15"},
			kinds: []string{"correction_requested", KindDueChanged},
			msg:   "受理为政府信息公开申请并",
		},
		{
			name:  "completion after the period is flagged",
			steps: []act{sRegister, sCorrection, {ActReceiveCorrection, reg, "2024-10-30", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-30", Limit: 20, Due: "2024-11-27", CorrectionDue: "2024-10-29"},
			kinds: []string{"correction_received", KindCompletionLate, KindDueChanged},
		},
		{
			name:  "second correction refused",
			steps: []act{sRegister, sCorrection, {ActReceiveCorrection, reg, "2024-10-21", nil}, {ActRequestCorrection, reg, "2024-10-22", nil}},
			err:   gongkai.EConflict,
			msg:   "一次性",
		},
		{
			// K5: the period ended Oct 29; the lapse is recorded on Oct 30 and
			// concludes that day.
			name:  "correction lapsed",
			steps: []act{sRegister, sCorrection, {ActCorrectionLapsed, reg, "2024-10-30", nil}},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-10-30", Used: 4, Limit: 20, CorrectionDue: "2024-10-29", Result: gongkai.ResultNoCorrection, Answered: "2024-10-30"},
			kinds: []string{"correction_lapsed", KindDueChanged},
		},
		{
			name:  "correction lapse before the period ends",
			steps: []act{sRegister, sCorrection, {ActCorrectionLapsed, reg, "2024-10-29", nil}},
			err:   gongkai.EConflict,
			msg:   "补正期限至2024-10-29，尚未届满",
		},
		{
			// Consultation stop. Letter dispatched Tue Oct 15: used (Sep 27, Oct 15]
			// = Sep 29, 30, Oct 8–12, 14, 15 = 9. Window 15 wd: Oct 16–18 (3),
			// 21–25 (8), 28–31, Nov 1 (13), Nov 4, 5 (15) → Nov 5.
			name:  "consultation started",
			steps: []act{sRegister, sConsult},
			want:  snapshot{Status: gongkai.StatusConsultation, Clock: Su, From: "2024-10-15", Used: 9, Limit: 20, Until: "2024-11-05"},
			kinds: []string{"consultation_started", KindDueChanged},
		},
		{
			// Reply arrives Thu Oct 24: (Oct 15, Oct 24] = 7 wd excluded. 11 wd
			// remain after Oct 24: Oct 25, 28–31, Nov 1, 4–8 → Nov 8 (= the
			// original Oct 30 plus 7 wd).
			name:  "consultation answered",
			steps: []act{sRegister, sConsult, {ActConsultationAnswered, hd2, "2024-10-24", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-24", Used: 9, Limit: 20, Due: "2024-11-08"},
			kinds: []string{"consultation_answered", KindDueChanged},
		},
		{
			// Silence: the window ends Nov 5, recorded Nov 7. Counting resumes
			// after Nov 5, not after the recording day: 11 wd after Nov 5 =
			// Nov 6–8 (3), 11–15 (8), 18–20 (11) → Nov 20.
			name:  "consultation window lapsed",
			steps: []act{sRegister, sConsult, {ActConsultationLapsed, hd, "2024-11-07", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-11-05", Used: 9, Limit: 20, Due: "2024-11-20"},
			kinds: []string{"consultation_lapsed", KindDueChanged},
		},
		{
			name:  "late reply counts from the window end",
			steps: []act{sRegister, sConsult, {ActConsultationAnswered, hd, "2024-11-07", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-11-05", Used: 9, Limit: 20, Due: "2024-11-20"},
			kinds: []string{"consultation_answered", KindDueChanged},
			msg:   "晚于征求意见期限",
		},
		{
			name:  "consultation lapse before the window ends",
			steps: []act{sRegister, sConsult, {ActConsultationLapsed, hd, "2024-11-05", nil}},
			err:   gongkai.EConflict,
			msg:   "征求意见期限至2024-11-05",
		},
		{
			// Extension during a consultation: 11 + 20 = 31 wd after the reply
			// on Oct 24: Nov 8 is the 11th, then Nov 11–15, 18–22, 25–29,
			// Dec 2–6 → Dec 6.
			name: "extension and consultation both apply",
			steps: []act{sRegister, sConsult, ext(ActRequestExtension, hd, "2024-10-16"), ext(ActApproveExtension, ap, "2024-10-17"),
				{ActConsultationAnswered, hd, "2024-10-24", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-24", Used: 9, Limit: 40, Due: "2024-12-06", Extended: true},
			kinds: []string{"consultation_answered", KindDueChanged},
		},
		{
			name:  "no stop after the due date",
			steps: []act{sRegister, {ActStartConsultation, hd, "2024-10-31", nil}},
			err:   gongkai.EConflict,
			msg:   "答复期限已于2024-10-30届满",
		},
		{
			// On the due day itself the stop is still allowed; nothing is left
			// when counting resumes, so the answer is due on resumption (Nov 20
			// window end; reply on Sat Nov 2 → due Mon Nov 4).
			name:  "stop on the due day",
			steps: []act{sRegister, {ActStartConsultation, hd, "2024-10-30", nil}, {ActConsultationAnswered, hd, "2024-11-04", func(in *Input) { in.On = d("2024-11-02") }}},
			want:  snapshot{Status: P, Clock: On, From: "2024-11-02", Used: 20, Limit: 20, Due: "2024-11-04"},
			kinds: []string{"consultation_answered", KindDueChanged},
		},
		{
			// Fee notice Oct 15 (used 9); window 20 wd: Nov 5 is the 15th, then
			// Nov 6–8, 11, 12 → Nov 12. Paid Oct 24 → due Nov 8 as above.
			name:  "fee requested",
			steps: []act{sRegister, sFee},
			want:  snapshot{Status: gongkai.StatusFee, Clock: Su, From: "2024-10-15", Used: 9, Limit: 20, Until: "2024-11-12", Fee: 300},
			kinds: []string{"fee_requested", KindDueChanged},
		},
		{
			name:  "fee paid",
			steps: []act{sRegister, sFee, {ActFeePaid, hd, "2024-10-24", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-24", Used: 9, Limit: 20, Due: "2024-11-08", Fee: 300},
			kinds: []string{"fee_paid", KindDueChanged},
		},
		{
			name:  "payment after the window refused",
			steps: []act{sRegister, sFee, {ActFeePaid, hd, "2024-11-13", nil}},
			err:   gongkai.EConflict,
			msg:   "缴费期限已于2024-11-12届满",
		},
		{
			// K5: window ended Nov 12; concluded the next day, Nov 13.
			name:  "fee lapsed",
			steps: []act{sRegister, sFee, {ActFeeLapsed, hd, "2024-11-13", nil}},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-11-13", Used: 9, Limit: 20, Fee: 300, Result: gongkai.ResultNoFee, Answered: "2024-11-13"},
			kinds: []string{"fee_lapsed", KindDueChanged},
		},
		{
			// K5: recorded later than the day after the window → the recording day.
			name:  "fee lapse recorded late",
			steps: []act{sRegister, sFee, {ActFeeLapsed, hd, "2024-11-20", nil}},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-11-20", Used: 9, Limit: 20, Fee: 300, Result: gongkai.ResultNoFee, Answered: "2024-11-20"},
			kinds: []string{"fee_lapsed", KindDueChanged},
		},
		{
			name:  "fee lapse on the window's last day refused",
			steps: []act{sRegister, sFee, {ActFeeLapsed, hd, "2024-11-12", nil}},
			err:   gongkai.EConflict,
		},
		{
			name:  "reasons requested",
			steps: []act{sRegister, sReasons},
			want:  snapshot{Status: gongkai.StatusReasons, Clock: Su, From: "2024-10-15", Used: 9, Limit: 20, Until: "2024-11-05"},
			kinds: []string{"reasons_requested", KindDueChanged},
		},
		{
			// Art. 35 延迟答复: reasons accepted on Oct 24, the agency sets 30 wd
			// from then: Nov 8 is the 11th; Nov 11–15 (16), 18–22 (21),
			// 25–29 (26), Dec 2–5 (30) → Dec 5. Limit = 9 used + 30.
			name:  "reasons received with a new deadline",
			steps: []act{sRegister, sReasons, {ActReasonsReceived, hd, "2024-10-24", func(in *Input) { in.Days = 30 }}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-24", Used: 9, Limit: 39, Due: "2024-12-05"},
			kinds: []string{"reasons_received", KindDueChanged},
		},
		{
			name:  "reasons received",
			steps: []act{sRegister, sReasons, {ActReasonsReceived, hd, "2024-10-24", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-10-24", Used: 9, Limit: 20, Due: "2024-11-08"},
			kinds: []string{"reasons_received", KindDueChanged},
		},
		{
			name:  "reasons lapsed",
			steps: []act{sRegister, sReasons, {ActReasonsLapsed, hd, "2024-11-06", nil}},
			want:  snapshot{Status: P, Clock: On, From: "2024-11-05", Used: 9, Limit: 20, Due: "2024-11-20"},
			kinds: []string{"reasons_lapsed", KindDueChanged},
		},
		{
			name:  "extension requested",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28")},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30", ExtensionPending: true},
			kinds: []string{"extension_requested"},
		},
		{
			// Approved on the due day itself: 40 wd → Nov 27 (RULES.md §3.3).
			name:  "extension approved on the due day",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28"), ext(ActApproveExtension, ap, "2024-10-30")},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 40, Due: "2024-11-27", Extended: true},
			kinds: []string{"extension_approved", KindDueChanged},
		},
		{
			// The head grants 5 wd only: Oct 31, Nov 1, 4, 5, 6 → Nov 6.
			name:  "shorter extension",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28"), {ActApproveExtension, ap, "2024-10-29", func(in *Input) { in.Reason, in.Days = "仅需补查一处档案", 5 }}},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 25, Due: "2024-11-06", Extended: true},
			kinds: []string{"extension_approved", KindDueChanged},
			msg:   "延长5个工作日",
		},
		{
			name:  "extension beyond 20 days",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28"), {ActApproveExtension, ap, "2024-10-29", func(in *Input) { in.Reason, in.Days = "材料多", 21 }}},
			err:   gongkai.EInvalid,
			msg:   "不超过20个工作日",
		},
		{
			name:  "extension requested after the due date",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-31")},
			err:   gongkai.EConflict,
			msg:   "答复期限已于2024-10-30届满",
		},
		{
			name:  "extension approved after the due date",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-29"), ext(ActApproveExtension, ap, "2024-10-31")},
			err:   gongkai.EConflict,
			msg:   "延期须在期限届满前批准",
		},
		{
			name:  "second extension refused",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28"), ext(ActApproveExtension, ap, "2024-10-29"), ext(ActRequestExtension, hd, "2024-11-20")},
			err:   gongkai.EConflict,
			msg:   "不能再次延期",
		},
		{
			name:  "second pending request refused",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28"), ext(ActRequestExtension, hd2, "2024-10-28")},
			err:   gongkai.EConflict,
			msg:   "待审批的延期申请",
		},
		{
			name:  "extension refused, then asked again",
			steps: []act{sRegister, ext(ActRequestExtension, hd, "2024-10-28"), ext(ActRefuseExtension, ap, "2024-10-28"), ext(ActRequestExtension, hd, "2024-10-29")},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30", ExtensionPending: true},
			kinds: []string{"extension_requested"},
		},
		{
			// Separation of duties: a leader who also handles cases cannot
			// approve an extension he or she asked for…
			name:  "own extension not approved",
			steps: []act{sRegister, ext(ActRequestExtension, hap, "2024-10-28"), ext(ActApproveExtension, hap, "2024-10-29")},
			err:   gongkai.EForbidden,
			msg:   "须由其他负责人审批",
		},
		{
			// …another approver can,
			name:  "extension of a handling leader approved by another",
			steps: []act{sRegister, ext(ActRequestExtension, hap, "2024-10-28"), ext(ActApproveExtension, ap, "2024-10-29")},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 40, Due: "2024-11-27", Extended: true},
			kinds: []string{"extension_approved", KindDueChanged},
		},
		{
			// …and withdrawing (refusing) one's own request is no conflict.
			name:  "own extension withdrawn",
			steps: []act{sRegister, ext(ActRequestExtension, hap, "2024-10-28"), ext(ActRefuseExtension, hap, "2024-10-29")},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30"},
			kinds: []string{"extension_refused"},
		},
		{
			// An administrator stands in for an office with one leader.
			name:  "administrator approves own extension",
			steps: []act{sRegister, ext(ActRequestExtension, adm, "2024-10-28"), ext(ActApproveExtension, adm, "2024-10-29")},
			want:  snapshot{Status: P, Clock: On, From: "2024-09-27", Limit: 40, Due: "2024-11-27", Extended: true},
			kinds: []string{"extension_approved", KindDueChanged},
		},
		{
			name:  "own draft not approved",
			steps: []act{sRegister, {ActDraftAnswer, hap, "2024-10-21", func(in *Input) { in.Result = gongkai.ResultDisclosed }}, {ActApproveAnswer, hap, "2024-10-22", nil}},
			err:   gongkai.EForbidden,
			msg:   "答复是您本人拟写的",
		},
		{
			name:  "draft of a handling leader approved by another",
			steps: []act{sRegister, {ActDraftAnswer, hap, "2024-10-21", func(in *Input) { in.Result = gongkai.ResultDisclosed }}, {ActApproveAnswer, ap, "2024-10-22", nil}},
			want:  snapshot{Status: gongkai.StatusApproved, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30", Result: gongkai.ResultDisclosed},
			kinds: []string{"answer_approved"},
		},
		{
			name:  "approve without a request",
			steps: []act{sRegister, ext(ActApproveExtension, ap, "2024-10-28")},
			err:   gongkai.EConflict,
			msg:   "没有待审批的延期申请",
		},
		{
			name:  "not a request",
			steps: []act{sNotRequest},
			want:  snapshot{Status: gongkai.StatusNotRequest, Clock: St, From: "2024-09-27", Limit: 20},
			kinds: []string{"not_request", KindDueChanged},
		},
		{
			name:  "triage reopened",
			steps: []act{sNotRequest, {ActReopenTriage, reg, "2024-09-30", reason("误判")}},
			want:  snapshot{Status: gongkai.StatusRegistered, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30"},
			kinds: []string{"triage_reopened", KindDueChanged},
		},
		{
			// K9: withdrawn during a consultation; used stays at 9.
			name:  "withdrawn",
			steps: []act{sRegister, sConsult, {ActWithdraw, hd, "2024-10-20", reason("申请人书面撤回")}},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-10-20", Used: 9, Limit: 20, Result: gongkai.ResultOther, Answered: "2024-10-20"},
			kinds: []string{"withdrawn", KindDueChanged},
		},
		{
			name:  "petition accepted and answered 不予处理",
			steps: []act{{ActRegister, reg, "2024-09-27", func(in *Input) { in.Nature, in.Department = gongkai.KindComplaint, dept }}, answer(gongkai.ResultPetition, "2024-09-30")},
			want:  snapshot{Status: gongkai.StatusDrafted, Clock: On, From: "2024-09-27", Limit: 20, Due: "2024-10-30", Result: gongkai.ResultPetition},
			kinds: []string{"answer_drafted"},
		},
		{
			name:  "unclear after correction",
			steps: []act{sRegister, sCorrection, {ActReceiveCorrection, reg, "2024-10-21", nil}, answer(gongkai.ResultUnclearAfterCorrection, "2024-10-22")},
			want:  snapshot{Status: gongkai.StatusDrafted, Clock: On, From: "2024-10-21", Limit: 20, Due: "2024-11-18", CorrectionDue: "2024-10-29", Result: gongkai.ResultUnclearAfterCorrection},
			kinds: []string{"answer_drafted"},
		},
		{
			name:  "appeal recorded",
			steps: []act{sRegister, sDraft, sApprove, sSend, {ActRecordAppeal, reg, "2024-12-20", nil}},
			want:  snapshot{Status: gongkai.StatusClosed, Clock: St, From: "2024-10-23", Used: 15, Limit: 20, Result: gongkai.ResultDisclosed, Answered: "2024-10-23"},
			kinds: []string{"appeal_recorded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t, cal)
			if tt.ch != "" {
				c.Channel = tt.ch
			}
			for _, s := range tt.steps[:len(tt.steps)-1] {
				if _, err := Apply(c, s.input(), cal); err != nil {
					t.Fatalf("%s on %s: %v", s.a, s.on, err)
				}
			}
			before := *c
			last := tt.steps[len(tt.steps)-1]
			evs, err := Apply(c, last.input(), cal)
			if tt.err != "" {
				if gongkai.ErrorKind(err) != tt.err || !strings.Contains(gongkai.ErrorMessage(err), tt.msg) || !han.MatchString(gongkai.ErrorMessage(err)) {
					t.Errorf("got %v, want %s containing %q", err, tt.err, tt.msg)
				}
				if c.Status != before.Status || c.DueOn != before.DueOn || c.ClockUsed != before.ClockUsed || evs != nil {
					t.Error("refusal changed the case")
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", last.a, err)
			}
			if got := snap(c); got != tt.want {
				t.Errorf("case\n got %+v\nwant %+v", got, tt.want)
			}
			var kinds []string
			var text strings.Builder
			for _, e := range evs {
				kinds = append(kinds, e.Kind)
				text.WriteString(e.Detail)
				if e.Actor != last.u.Username || !e.At.Equal(last.input().Now) || !han.MatchString(e.Detail) {
					t.Errorf("event %+v: wrong actor/time or no Chinese detail", e)
				}
			}
			if !slices.Equal(kinds, tt.kinds) {
				t.Errorf("event kinds %v, want %v", kinds, tt.kinds)
			}
			if !strings.Contains(text.String(), tt.msg) {
				t.Errorf("events %q do not mention %q", text.String(), tt.msg)
			}
			if evs[0].Reason != last.input().Reason {
				t.Errorf("reason %q not recorded", last.input().Reason)
			}
			if got, err := Due(c, cal); err != nil || got != c.DueOn {
				t.Errorf("DueOn %s is not Due() %s (%v)", c.DueOn, got, err)
			}
		})
	}
}

// TestTransitionsGolden records every allowed (status, action) pair — the
// standard input applied to each fixture — with the resulting clock and the
// history rows, so that any change of wording or dates shows up in review.
// Rewrite with: go test ./caseflow -run Golden -update
func TestTransitionsGolden(t *testing.T) {
	cal := loadTestCal(t)
	var b bytes.Buffer
	for _, a := range Actions {
		for _, s := range a.Statuses() {
			c := fixture(t, cal, s)
			prepare(c, a)
			in := standard[a].input()
			in.Actor = adm
			before := snap(c)
			evs, err := Apply(c, in, cal)
			if err != nil {
				t.Fatalf("%s @ %s: %v", a, s, err)
			}
			fmt.Fprintf(&b, "== %s @ %s on %s ==\n", a, s, in.Now.Format("2006-01-02"))
			fmt.Fprintf(&b, "before %s\nafter  %s\n", fmtSnap(before), fmtSnap(snap(c)))
			for _, e := range evs {
				fmt.Fprintf(&b, "event  %s | %s | %s\n", e.Kind, e.Detail, e.Reason)
			}
			b.WriteString("\n")
		}
	}
	golden := "testdata/transitions.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("transitions differ from %s; rerun with -update and review the diff", golden)
	}
}

func fmtSnap(s snapshot) string {
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	return fmt.Sprintf("%s clock=%s from=%s used=%d/%d due=%s corr=%s until=%s ext=%v pend=%v fee=%d result=%s answered=%s",
		s.Status, s.Clock, s.From, s.Used, s.Limit, dash(s.Due), dash(s.CorrectionDue), dash(s.Until),
		s.Extended, s.ExtensionPending, s.Fee, dash(string(s.Result)), dash(s.Answered))
}

func BenchmarkApply(b *testing.B) {
	cal := loadTestCal(b)
	base := fixture(b, cal, gongkai.StatusProcessing)
	in := sConsult.input()
	for b.Loop() {
		c := *base
		if _, err := Apply(&c, in, cal); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllowed(b *testing.B) {
	cal := loadTestCal(b)
	c := fixture(b, cal, gongkai.StatusProcessing)
	for b.Loop() {
		if len(Allowed(c, adm)) == 0 {
			b.Fatal("nothing allowed")
		}
	}
}
