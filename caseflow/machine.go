package caseflow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gongkai"
)

// Input is one staff action on a case.
type Input struct {
	Action Action
	Actor  *gongkai.User
	Now    time.Time    // wall clock of the action (Event.At)
	On     gongkai.Date // effective date, e.g. the day a completed application arrived; zero = DateOf(Now)
	Reason string       // why; required where Action.NeedsReason

	Department string // assign (required), register (optional)
	Assignee   string // assign, register (optional)

	Result gongkai.ResultKey   // draft_answer
	Nature gongkai.MessageKind // not_request (required), register (optional)

	// Days is a period in working days: the 补正 period (default 15), the
	// consultation window (15), the fee window (20), the Art. 35 reason period
	// (15), the extension granted by approve_extension (≤ 20, default 20);
	// for reasons_received a positive Days sets the agency's new
	// reasonable answer period from the day the reasons arrived (Art. 35).
	Days    int
	FeeYuan int // request_fee
}

// Apply checks the actor's role and the case's state, applies the action to
// c, recomputes the clock and the due date, and returns the history events to
// append in the same transaction (the action's own event first, then flags
// and the due-date change with its cause, RULES.md §3.3).
//
// A refusal is a *gongkai.Error — EForbidden for the wrong role or case,
// EConflict for the wrong state or a legal bar, EInvalid for bad input — with
// a Chinese message that says why; c is then unchanged. Other errors
// (calendar gaps) are wrapped and also leave c unchanged.
func Apply(c *gongkai.Case, in Input, cal Calendar) ([]gongkai.Event, error) {
	if err := permit(c, in.Actor, in.Action); err != nil {
		return nil, err
	}
	if in.Now.IsZero() {
		return nil, fmt.Errorf("caseflow: applying %s to %s: no time given", in.Action, c.No)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Action.NeedsReason() && in.Reason == "" {
		return nil, invalid("reason", "「%s」须填写理由", in.Action.Label())
	}
	today := gongkai.DateOf(in.Now)
	on := in.On
	if on.IsZero() {
		on = today
	}
	if on.After(today) {
		return nil, invalid("on", "日期%s晚于今天，不能预先登记", on)
	}
	if floor := earlier(lastClockDate(c), today); !floor.IsZero() && on.Before(floor) && in.Action != ActRecordAppeal {
		return nil, invalid("on", "日期%s早于本案上一次计时节点（%s），请核对", on, floor)
	}
	// A decision on the answer or its deadline cannot be dated before the
	// last step recorded on the case: an extension approved "before" the
	// deadline that had passed when the request was entered, an answer
	// "sent" before it was drafted (RULES.md §3.3, §3.4). Only steps count:
	// a reassignment or a corrected field this morning does not make an
	// answer dated yesterday a backdated one.
	if decides(in.Action) && !c.LastStepAt.IsZero() {
		if last := gongkai.DateOf(c.LastStepAt); on.Before(last) {
			return nil, invalid("on", "日期%s早于本案上一步的登记日（%s）：延期和答复不能倒签", on, last)
		}
	}
	if in.Days < 0 || in.Days > MaxWindowDays {
		return nil, invalid("days", "期限应为1至%d个工作日", MaxWindowDays)
	}

	n := *c
	t := &step{c: &n, in: in, on: on, cal: cal}
	if err := handlers[in.Action](t); err != nil {
		return nil, err
	}
	if on.Before(today) {
		// Recorded today for an earlier day: the history says both.
		for i := range t.events {
			t.events[i].Detail += fmt.Sprintf("（生效日期%s）", on.Chinese())
		}
	}
	due, err := Due(&n, cal)
	if err != nil {
		return nil, err
	}
	n.DueOn = due
	if !n.DueOn.Equal(c.DueOn) || n.ClockState != c.ClockState {
		t.event(KindDueChanged, fmt.Sprintf("答复期限：%s → %s", dueLabel(c), dueLabel(&n)))
		t.events[len(t.events)-1].Reason = in.Action.Label()
	}
	n.UpdatedAt = in.Now
	if in.Action != ActAssign {
		// Who works on the case is not a step of the procedure.
		n.LastStepAt = in.Now
	}
	*c = n
	return t.events, nil
}

// Allowed lists the actions u may take on c now, in button order. Date
// conditions (windows expired, due date not passed) are left to Apply.
func Allowed(c *gongkai.Case, u *gongkai.User) []Action {
	var out []Action
	for _, a := range Actions {
		if permit(c, u, a) == nil {
			out = append(out, a)
		}
	}
	return out
}

// AllowedOn is Allowed narrowed by the dates known on today: lapse actions
// only after their window, fee_paid only within it, extensions and clock
// stops only up to the stored due date (RULES.md §3.4, §3.3). Apply re-checks all of it.
func AllowedOn(c *gongkai.Case, u *gongkai.User, today gongkai.Date) []Action {
	var out []Action
	for _, a := range Allowed(c, u) {
		if timely(c, a, today) {
			out = append(out, a)
		}
	}
	return out
}

// timely reports whether a date condition of a holds on today.
func timely(c *gongkai.Case, a Action, today gongkai.Date) bool {
	switch a {
	case ActCorrectionLapsed:
		return today.After(c.CorrectionDue)
	case ActConsultationLapsed, ActFeeLapsed, ActReasonsLapsed:
		return today.After(c.SuspendedUntil)
	case ActFeePaid:
		return !today.After(c.SuspendedUntil)
	case ActRequestExtension, ActApproveExtension, ActStartConsultation, ActRequestFee, ActRequestReasons:
		return c.ClockState != gongkai.ClockRunning || c.DueOn.IsZero() || !today.After(c.DueOn)
	}
	return true
}

// own reports whether the user is the one who asked for what awaits
// approval: the approver must be someone else (separation of duties). An
// administrator may still act, for an office with a single leader; the
// history names who did what either way.
func own(by string, u *gongkai.User, admin bool) bool {
	return by != "" && by == u.Username && !admin
}

// permit checks the role, the case binding, the status and the date-free
// legal conditions of a on c.
func permit(c *gongkai.Case, u *gongkai.User, a Action) *gongkai.Error {
	r, ok := rules[a]
	if !ok {
		return gongkai.Errorf(gongkai.EInvalid, "未知的操作：%q", string(a))
	}
	if u == nil || u.Username == "" {
		return gongkai.Errorf(gongkai.EForbidden, "请先登录后再办理")
	}
	if !u.Active {
		return gongkai.Errorf(gongkai.EForbidden, "您的账号已停用，不能办理")
	}
	admin := u.Has(gongkai.RoleAdmin)
	if !admin && !u.Has(r.roles...) {
		return gongkai.Errorf(gongkai.EForbidden, "「%s」只能由%s办理，您的角色无此权限", r.label, roleNames(r.roles))
	}
	if r.caseBound && !admin && !u.Has(slices.DeleteFunc(slices.Clone(r.roles), isHandler)...) && !handles(c, u) {
		if c.Department == "" {
			return gongkai.Errorf(gongkai.EForbidden, "本案尚未分办，承办人不能办理「%s」", r.label)
		}
		return gongkai.Errorf(gongkai.EForbidden, "本案分办给「%s」，不属于您或您所在的股室，不能办理「%s」", c.Department, r.label)
	}
	if !slices.Contains(r.states, c.Status) {
		return gongkai.Errorf(gongkai.EConflict, "本案当前状态为「%s」，不能「%s」（仅在%s状态下可以）", c.Status.Label(), r.label, statusNames(r.states))
	}
	switch a {
	case ActRequestCorrection:
		if !c.CorrectionDue.IsZero() {
			return gongkai.Errorf(gongkai.EConflict, "补正告知应一次性发出，本案已要求过补正（补正期限%s），不能再次要求补正（《条例》第三十条）", c.CorrectionDue)
		}
	case ActRequestExtension:
		if c.Extended {
			return gongkai.Errorf(gongkai.EConflict, "本案已延期答复一次，不能再次延期（《条例》第三十三条，延期不超过20个工作日）")
		}
		if c.ExtensionPending {
			return gongkai.Errorf(gongkai.EConflict, "本案已有待审批的延期申请")
		}
	case ActApproveExtension, ActRefuseExtension:
		if !c.ExtensionPending {
			return gongkai.Errorf(gongkai.EConflict, "本案没有待审批的延期申请")
		}
		if a == ActApproveExtension && own(c.ExtensionBy, u, admin) {
			return gongkai.Errorf(gongkai.EForbidden, "延期申请是您本人提出的，须由其他负责人审批")
		}
	case ActApproveAnswer:
		if own(c.DraftedBy, u, admin) {
			return gongkai.Errorf(gongkai.EForbidden, "答复是您本人拟写的，须由其他负责人审批")
		}
	case ActRequestFee:
		if c.FeeYuan > 0 {
			return gongkai.Errorf(gongkai.EConflict, "本案已发出过收费通知（%d元），不能再次收费", c.FeeYuan)
		}
	}
	return nil
}

func isHandler(r gongkai.Role) bool { return r == gongkai.RoleHandler }

// handles reports whether u is the case's handler or a handler of its department.
func handles(c *gongkai.Case, u *gongkai.User) bool {
	if !u.Has(gongkai.RoleHandler) {
		return false
	}
	if c.Assignee != "" && c.Assignee == u.Username {
		return true
	}
	return c.Department != "" && c.Department == u.Department
}

// decides reports whether a is a decision on the answer or its deadline,
// which cannot be dated before the last step recorded on the case.
func decides(a Action) bool {
	switch a {
	case ActRequestExtension, ActApproveExtension, ActDraftAnswer, ActApproveAnswer, ActSendAnswer:
		return true
	}
	return false
}

// lastClockDate is the latest date the case's clock has recorded; no action
// can take effect before it.
func lastClockDate(c *gongkai.Case) gongkai.Date {
	d := c.ClockFrom
	if c.AnsweredOn.After(d) {
		d = c.AnsweredOn
	}
	return d
}

func roleNames(rs []gongkai.Role) string {
	s := make([]string, 0, len(rs)+1)
	for _, r := range rs {
		s = append(s, r.Label())
	}
	s = append(s, gongkai.RoleAdmin.Label())
	return strings.Join(s, "、")
}

func statusNames(ss []gongkai.Status) string {
	s := make([]string, len(ss))
	for i, st := range ss {
		s[i] = "「" + st.Label() + "」"
	}
	return strings.Join(s, "、")
}

func invalid(field, format string, args ...any) *gongkai.Error {
	msg := fmt.Sprintf(format, args...)
	return &gongkai.Error{Kind: gongkai.EInvalid, Message: msg, Fields: []gongkai.FieldError{{Field: field, Message: msg}}}
}

// step carries one Apply call: the working copy of the case and the events.
type step struct {
	c      *gongkai.Case
	in     Input
	on     gongkai.Date
	cal    Calendar
	events []gongkai.Event
}

// event appends a history row: who, when, what (Chinese) and why.
func (t *step) event(kind, detail string) {
	t.events = append(t.events, gongkai.Event{
		CaseID: t.c.ID, At: t.in.Now, Actor: t.in.Actor.Username,
		Kind: kind, Detail: detail, Reason: t.in.Reason,
	})
}

// main appends the action's own event.
func (t *step) main(format string, args ...any) {
	t.event(t.in.Action.EventKind(), fmt.Sprintf(format, args...))
}

// days returns in.Days or the default.
func (t *step) days(def int) int {
	if t.in.Days > 0 {
		return t.in.Days
	}
	return def
}

// dueNow is the current due date (zero unless the clock runs).
func (t *step) dueNow() (gongkai.Date, error) { return Due(t.c, t.cal) }

// conclude closes the case with its outcome on the answer date (K5, K9).
func (t *step) conclude(result gongkai.ResultKey, answered gongkai.Date) error {
	if err := stop(t.c, t.on, t.cal); err != nil {
		return err
	}
	t.c.Status, t.c.Result, t.c.AnsweredOn = gongkai.StatusClosed, result, answered
	return nil
}

// windowOver refuses a lapse action before the window's last day has passed.
func (t *step) windowOver(end gongkai.Date, what string) error {
	if !t.on.After(end) {
		return gongkai.Errorf(gongkai.EConflict, "%s至%s，尚未届满，不能按期满处理", what, end)
	}
	return nil
}

// later returns the later of two dates.
func later(a, b gongkai.Date) gongkai.Date {
	if a.After(b) {
		return a
	}
	return b
}

// earlier returns the earlier of two dates.
func earlier(a, b gongkai.Date) gongkai.Date {
	if a.Before(b) {
		return a
	}
	return b
}
