package caseflow

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gongkai"
)

const dept = "规划股"

var (
	reg   = &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	hd    = &gongkai.User{Username: "hd", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: dept, Active: true}
	hd2   = &gongkai.User{Username: "hd2", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: dept, Active: true}
	hx    = &gongkai.User{Username: "hx", Roles: []gongkai.Role{gongkai.RoleHandler}, Department: "建管股", Active: true}
	ap    = &gongkai.User{Username: "ap", Roles: []gongkai.Role{gongkai.RoleApprover}, Active: true}
	adm   = &gongkai.User{Username: "adm", Roles: []gongkai.Role{gongkai.RoleAdmin}, Active: true}
	none  = &gongkai.User{Username: "nobody", Active: true}
	gone  = &gongkai.User{Username: "gone", Roles: []gongkai.Role{gongkai.RoleAdmin}, Active: false}
	users = []*gongkai.User{reg, hd, hd2, hx, ap, adm, none, gone, nil}
)

var han = regexp.MustCompile(`\p{Han}`)

// newCase is a request handed in on Friday 2024-09-27: due 2024-10-30
// (RULES.md §3.3 first example).
func newCase(t testing.TB, cal Calendar) *gongkai.Case {
	t.Helper()
	c := &gongkai.Case{ID: 7, No: "GK-2024-000007", Channel: gongkai.ChannelInPerson}
	if err := Register(c, at("2024-09-27"), cal); err != nil {
		t.Fatal(err)
	}
	return c
}

// act is one action of a scenario, by a user, effective (and done) on a date.
type act struct {
	a  Action
	u  *gongkai.User
	on string
	f  func(*Input) // extra fields
}

func (s act) input() Input {
	in := Input{Action: s.a, Actor: s.u, Now: at(s.on)}
	if s.f != nil {
		s.f(&in)
	}
	return in
}

func reason(r string) func(*Input) { return func(in *Input) { in.Reason = r } }

// Scenario steps reused by the tests. Dates: see newCase.
var (
	sRegister   = act{ActRegister, reg, "2024-09-27", func(in *Input) { in.Department, in.Assignee = dept, "hd" }}
	sNotRequest = act{ActNotRequest, reg, "2024-09-27", func(in *Input) { in.Nature, in.Reason = gongkai.KindSpam, "广告邮件" }}
	sCorrection = act{ActRequestCorrection, reg, "2024-10-09", nil}
	sConsult    = act{ActStartConsultation, hd, "2024-10-15", reason("涉及某公司商业秘密，征求其意见")}
	sFee        = act{ActRequestFee, hd, "2024-10-15", func(in *Input) { in.FeeYuan = 300 }}
	sReasons    = act{ActRequestReasons, hd, "2024-10-15", reason("本月提交申请45件")}
	sDraft      = act{ActDraftAnswer, hd, "2024-10-21", func(in *Input) { in.Result = gongkai.ResultDisclosed }}
	sApprove    = act{ActApproveAnswer, ap, "2024-10-22", nil}
	sSend       = act{ActSendAnswer, reg, "2024-10-23", nil}
)

// fixtures reach each status through real transitions.
var fixtures = map[gongkai.Status][]act{
	gongkai.StatusRegistered:   nil,
	gongkai.StatusNotRequest:   {sNotRequest},
	gongkai.StatusProcessing:   {sRegister},
	gongkai.StatusCorrection:   {sRegister, sCorrection},
	gongkai.StatusConsultation: {sRegister, sConsult},
	gongkai.StatusFee:          {sRegister, sFee},
	gongkai.StatusReasons:      {sRegister, sReasons},
	gongkai.StatusDrafted:      {sRegister, sDraft},
	gongkai.StatusApproved:     {sRegister, sDraft, sApprove},
	gongkai.StatusClosed:       {sRegister, sDraft, sApprove, sSend},
}

// run applies steps to a new case and fails the test on any refusal.
func run(t testing.TB, cal Calendar, steps ...act) (*gongkai.Case, []gongkai.Event) {
	t.Helper()
	c := newCase(t, cal)
	var evs []gongkai.Event
	for _, s := range steps {
		var err error
		if evs, err = Apply(c, s.input(), cal); err != nil {
			t.Fatalf("%s on %s: %v", s.a, s.on, err)
		}
	}
	return c, evs
}

func fixture(t testing.TB, cal Calendar, s gongkai.Status) *gongkai.Case {
	t.Helper()
	c, _ := run(t, cal, fixtures[s]...)
	if c.Status != s {
		t.Fatalf("fixture %s reached %s", s, c.Status)
	}
	return c
}

// standard is a valid input for each action in every status it is allowed in.
var standard = map[Action]act{
	ActRegister:             sRegister,
	ActNotRequest:           sNotRequest,
	ActReopenTriage:         {ActReopenTriage, nil, "2024-09-30", reason("误判为垃圾邮件")},
	ActAssign:               {ActAssign, nil, "2024-10-25", func(in *Input) { in.Department, in.Assignee = "建管股", "hx" }},
	ActRequestCorrection:    sCorrection,
	ActReceiveCorrection:    {ActReceiveCorrection, nil, "2024-10-21", nil},
	ActCorrectionLapsed:     {ActCorrectionLapsed, nil, "2024-10-30", nil},
	ActStartConsultation:    sConsult,
	ActConsultationAnswered: {ActConsultationAnswered, nil, "2024-10-24", nil},
	ActConsultationLapsed:   {ActConsultationLapsed, nil, "2024-11-07", nil},
	ActRequestFee:           sFee,
	ActFeePaid:              {ActFeePaid, nil, "2024-10-24", nil},
	ActFeeLapsed:            {ActFeeLapsed, nil, "2024-11-13", nil},
	ActRequestReasons:       sReasons,
	ActReasonsReceived:      {ActReasonsReceived, nil, "2024-10-24", nil},
	ActReasonsLapsed:        {ActReasonsLapsed, nil, "2024-11-06", nil},
	ActRequestExtension:     {ActRequestExtension, nil, "2024-10-25", reason("需调取档案馆存档")},
	ActApproveExtension:     {ActApproveExtension, nil, "2024-10-25", reason("档案调取确需时间")},
	ActRefuseExtension:      {ActRefuseExtension, nil, "2024-10-25", reason("现有材料足以答复")},
	ActDraftAnswer:          sDraft,
	ActReturnAnswer:         {ActReturnAnswer, nil, "2024-10-22", reason("依据条款引用有误")},
	ActApproveAnswer:        sApprove,
	ActSendAnswer:           sSend,
	ActWithdraw:             {ActWithdraw, nil, "2024-10-25", reason("申请人来电撤回并提交书面撤回申请")},
	ActRecordAppeal:         {ActRecordAppeal, nil, "2024-11-20", nil},
}

// prepare sets the flags an action needs beyond its status.
func prepare(c *gongkai.Case, a Action) {
	if a == ActApproveExtension || a == ActRefuseExtension {
		c.ExtensionPending = true
	}
}

// allowedTable is written independently of rules in actions.go: R registrar,
// H handler of the case, A approver (admin may do everything).
var allowedTable = map[Action]struct {
	roles  string
	states []gongkai.Status
}{
	ActRegister:             {"R", []gongkai.Status{gongkai.StatusRegistered}},
	ActNotRequest:           {"R", []gongkai.Status{gongkai.StatusRegistered}},
	ActReopenTriage:         {"R", []gongkai.Status{gongkai.StatusNotRequest}},
	ActAssign:               {"RA", []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusCorrection, gongkai.StatusConsultation, gongkai.StatusFee, gongkai.StatusReasons}},
	ActRequestCorrection:    {"R", []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing}},
	ActReceiveCorrection:    {"R", []gongkai.Status{gongkai.StatusCorrection}},
	ActCorrectionLapsed:     {"R", []gongkai.Status{gongkai.StatusCorrection}},
	ActStartConsultation:    {"H", []gongkai.Status{gongkai.StatusProcessing}},
	ActConsultationAnswered: {"H", []gongkai.Status{gongkai.StatusConsultation}},
	ActConsultationLapsed:   {"H", []gongkai.Status{gongkai.StatusConsultation}},
	ActRequestFee:           {"H", []gongkai.Status{gongkai.StatusProcessing}},
	ActFeePaid:              {"H", []gongkai.Status{gongkai.StatusFee}},
	ActFeeLapsed:            {"H", []gongkai.Status{gongkai.StatusFee}},
	ActRequestReasons:       {"H", []gongkai.Status{gongkai.StatusProcessing}},
	ActReasonsReceived:      {"H", []gongkai.Status{gongkai.StatusReasons}},
	ActReasonsLapsed:        {"H", []gongkai.Status{gongkai.StatusReasons}},
	ActRequestExtension:     {"H", []gongkai.Status{gongkai.StatusProcessing, gongkai.StatusConsultation, gongkai.StatusDrafted}},
	ActApproveExtension:     {"A", []gongkai.Status{gongkai.StatusProcessing, gongkai.StatusConsultation, gongkai.StatusDrafted}},
	ActRefuseExtension:      {"A", []gongkai.Status{gongkai.StatusProcessing, gongkai.StatusConsultation, gongkai.StatusDrafted}},
	ActDraftAnswer:          {"H", []gongkai.Status{gongkai.StatusProcessing}},
	ActReturnAnswer:         {"A", []gongkai.Status{gongkai.StatusDrafted}},
	ActApproveAnswer:        {"A", []gongkai.Status{gongkai.StatusDrafted}},
	ActSendAnswer:           {"RH", []gongkai.Status{gongkai.StatusApproved}},
	ActWithdraw: {"RH", []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusCorrection,
		gongkai.StatusConsultation, gongkai.StatusFee, gongkai.StatusReasons, gongkai.StatusDrafted, gongkai.StatusApproved}},
	ActRecordAppeal: {"R", []gongkai.Status{gongkai.StatusClosed}},
}

// roleOK is the test's own view of who may act on c.
func roleOK(c *gongkai.Case, u *gongkai.User, a Action) bool {
	if u == nil || !u.Active {
		return false
	}
	if u.Has(gongkai.RoleAdmin) {
		return true
	}
	rs := allowedTable[a].roles
	return (strings.Contains(rs, "R") && u.Has(gongkai.RoleRegistrar)) ||
		(strings.Contains(rs, "A") && u.Has(gongkai.RoleApprover)) ||
		(strings.Contains(rs, "H") && u.Has(gongkai.RoleHandler) && c.Department == u.Department)
}

// TestEveryCombination tries every action in every status by every kind of
// user: what the table allows must succeed, everything else must be refused
// with the right kind and a Chinese message, leaving the case unchanged;
// Allowed must agree.
func TestEveryCombination(t *testing.T) {
	cal := loadTestCal(t)
	if len(allowedTable) != len(Actions) || len(standard) != len(Actions) {
		t.Fatalf("test tables cover %d/%d of %d actions", len(allowedTable), len(standard), len(Actions))
	}
	var ok, refused int
	for _, s := range gongkai.Statuses {
		for _, a := range Actions {
			for _, u := range users {
				c := fixture(t, cal, s)
				prepare(c, a)
				before := *c
				in := standard[a].input()
				in.Actor = u
				evs, err := Apply(c, in, cal)

				name := "nil"
				if u != nil {
					name = u.Username
				}
				wantRole := roleOK(&before, u, a)
				wantState := slices.Contains(allowedTable[a].states, s)
				inAllowed := slices.Contains(Allowed(&before, u), a)
				if inAllowed != (wantRole && wantState) {
					t.Errorf("%s/%s/%s: Allowed has it = %v, table says %v", s, a, name, inAllowed, wantRole && wantState)
				}
				if wantRole && wantState {
					ok++
					if err != nil {
						t.Errorf("%s/%s/%s: refused: %v", s, a, name, err)
						continue
					}
					if len(evs) == 0 || evs[0].Kind != a.EventKind() || evs[0].Actor != u.Username ||
						!evs[0].At.Equal(in.Now) || evs[0].CaseID != before.ID || !han.MatchString(evs[0].Detail) {
						t.Errorf("%s/%s/%s: bad events %+v", s, a, name, evs)
					}
					continue
				}
				refused++
				var e *gongkai.Error
				if !errors.As(err, &e) {
					t.Errorf("%s/%s/%s: got %v, want a refusal", s, a, name, err)
					continue
				}
				wantKind := gongkai.EConflict
				if !wantRole {
					wantKind = gongkai.EForbidden
				}
				if e.Kind != wantKind || !han.MatchString(e.Message) {
					t.Errorf("%s/%s/%s: got %s %q, want %s with a Chinese message", s, a, name, e.Kind, e.Message, wantKind)
				}
				if evs != nil || !reflect.DeepEqual(*c, before) {
					t.Errorf("%s/%s/%s: refused but changed the case or returned events", s, a, name)
				}
			}
		}
	}
	t.Logf("%d allowed and %d refused combinations checked", ok, refused)
}

// TestRefusalMessages pins a few messages staff will read.
func TestRefusalMessages(t *testing.T) {
	cal := loadTestCal(t)
	tests := []struct {
		name   string
		status gongkai.Status
		s      act
		kind   string
		msg    string
	}{
		{"send before approval", gongkai.StatusDrafted, act{ActSendAnswer, reg, "2024-10-23", nil}, gongkai.EConflict, "本案当前状态为「答复审核中」，不能「发出答复」（仅在「答复待发出」状态下可以）"},
		{"registrar approves", gongkai.StatusDrafted, act{ActApproveAnswer, reg, "2024-10-23", nil}, gongkai.EForbidden, "「审批通过答复」只能由审批人、管理员办理，您的角色无此权限"},
		{"other department", gongkai.StatusProcessing, act{ActDraftAnswer, hx, "2024-10-21", func(in *Input) { in.Result = gongkai.ResultDisclosed }}, gongkai.EForbidden, "本案分办给「规划股」，不属于您或您所在的股室，不能办理「拟写答复」"},
		{"unassigned", gongkai.StatusRegistered, act{ActWithdraw, hd, "2024-10-21", reason("撤回")}, gongkai.EForbidden, "本案尚未分办，承办人不能办理「登记申请人撤回申请」"},
		{"missing reason", gongkai.StatusProcessing, act{ActRequestExtension, hd, "2024-10-21", nil}, gongkai.EInvalid, "「申请延期答复」须填写理由"},
		{"future date", gongkai.StatusCorrection, act{ActReceiveCorrection, reg, "2024-10-21", func(in *Input) { in.On = d("2024-10-22") }}, gongkai.EInvalid, "日期2024-10-22晚于今天，不能预先登记"},
		{"before the notice", gongkai.StatusCorrection, act{ActReceiveCorrection, reg, "2024-10-21", func(in *Input) { in.On = d("2024-10-08") }}, gongkai.EInvalid, "日期2024-10-08早于本案上一次计时节点（2024-10-09），请核对"},
		{"no result", gongkai.StatusProcessing, act{ActDraftAnswer, hd, "2024-10-21", nil}, gongkai.EInvalid, "请选择答复结果"},
		{"no_fee drafted", gongkai.StatusProcessing, act{ActDraftAnswer, hd, "2024-10-21", func(in *Input) { in.Result = gongkai.ResultNoFee }}, gongkai.EInvalid, "「其他处理·申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请」由「逾期未补正，终止办理」或「逾期未缴费，终止办理」登记，不能作为拟答复结果"},
		{"unclear without 补正", gongkai.StatusProcessing, act{ActDraftAnswer, hd, "2024-10-21", func(in *Input) { in.Result = gongkai.ResultUnclearAfterCorrection }}, gongkai.EConflict, "本案未要求过补正，不能以「无法提供·补正后申请内容仍不明确」答复（《条例》第三十条）"},
		{"petition is counted", gongkai.StatusRegistered, act{ActNotRequest, reg, "2024-09-27", func(in *Input) { in.Nature, in.Reason = gongkai.KindComplaint, "投诉" }}, gongkai.EInvalid, "通过申请渠道提交的「信访举报投诉」仍计为政府信息公开申请，应受理后以相应结果答复（如「不予处理」），不能认定为非申请"},
		{"spam cannot be accepted", gongkai.StatusRegistered, act{ActRegister, reg, "2024-09-27", func(in *Input) { in.Nature = gongkai.KindSpam }}, gongkai.EInvalid, "「垃圾邮件」不是政府信息公开申请，请使用「认定为非政府信息公开申请」"},
		{"fee without amount", gongkai.StatusProcessing, act{ActRequestFee, hd, "2024-10-15", nil}, gongkai.EInvalid, "请填写收费金额（元）"},
		{"assign without department", gongkai.StatusProcessing, act{ActAssign, reg, "2024-10-15", nil}, gongkai.EInvalid, "请选择承办股室"},
		{"days out of range", gongkai.StatusProcessing, act{ActStartConsultation, hd, "2024-10-15", func(in *Input) { in.Days = 61 }}, gongkai.EInvalid, "期限应为1至60个工作日"},
		{"second fee", gongkai.StatusProcessing, act{ActRequestFee, hd, "2024-10-25", func(in *Input) { in.FeeYuan = 100 }}, gongkai.EConflict, "本案已发出过收费通知（300元），不能再次收费"},
		{"inactive", gongkai.StatusProcessing, act{ActRequestFee, gone, "2024-10-25", nil}, gongkai.EForbidden, "您的账号已停用，不能办理"},
		{"unknown action", gongkai.StatusProcessing, act{"sing", adm, "2024-10-25", nil}, gongkai.EInvalid, "未知的操作：\"sing\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixture(t, cal, tt.status)
			if tt.name == "second fee" { // a fee that was paid: processing again, FeeYuan kept
				c, _ = run(t, cal, sRegister, sFee, act{ActFeePaid, hd, "2024-10-24", nil})
			}
			before := *c
			_, err := Apply(c, tt.s.input(), cal)
			if gongkai.ErrorKind(err) != tt.kind || gongkai.ErrorMessage(err) != tt.msg {
				t.Errorf("got %s %q\nwant %s %q", gongkai.ErrorKind(err), gongkai.ErrorMessage(err), tt.kind, tt.msg)
			}
			if !reflect.DeepEqual(*c, before) {
				t.Error("case changed")
			}
		})
	}
}

func TestActionLabels(t *testing.T) {
	seen := map[string]Action{}
	for _, a := range Actions {
		if !a.Valid() || !han.MatchString(a.Label()) || a.EventKind() == "" {
			t.Errorf("%s: label %q kind %q", a, a.Label(), a.EventKind())
		}
		if b, dup := seen[a.EventKind()]; dup {
			t.Errorf("%s and %s share event kind %s", a, b, a.EventKind())
		}
		seen[a.EventKind()] = a
		if _, ok := handlers[a]; !ok {
			t.Errorf("%s has no handler", a)
		}
		if !slices.Contains(a.Roles(), gongkai.RoleAdmin) || len(a.Statuses()) == 0 {
			t.Errorf("%s: roles %v statuses %v", a, a.Roles(), a.Statuses())
		}
	}
	if len(rules) != len(Actions) || len(handlers) != len(Actions) {
		t.Errorf("rules %d, handlers %d, actions %d", len(rules), len(handlers), len(Actions))
	}
	if Action("x").Valid() || Action("x").Label() != "x" {
		t.Error("unknown action reported valid")
	}
}

// TestAllowed pins the buttons a few users see, including the flag rules
// (pending extension, one 补正, one fee) that the status alone does not decide.
func TestAllowed(t *testing.T) {
	cal := loadTestCal(t)
	tests := []struct {
		name  string
		steps []act
		u     *gongkai.User
		want  []Action
	}{
		{"handler on a running case", []act{sRegister}, hd, []Action{ActStartConsultation, ActRequestFee, ActRequestReasons, ActRequestExtension, ActDraftAnswer, ActWithdraw}},
		{"registrar on a running case", []act{sRegister}, reg, []Action{ActAssign, ActRequestCorrection, ActWithdraw}},
		{"registrar after a 补正", []act{sRegister, sCorrection, {ActReceiveCorrection, reg, "2024-10-21", nil}}, reg, []Action{ActAssign, ActWithdraw}},
		{"handler after a paid fee", []act{sRegister, sFee, {ActFeePaid, hd, "2024-10-24", nil}}, hd, []Action{ActStartConsultation, ActRequestReasons, ActRequestExtension, ActDraftAnswer, ActWithdraw}},
		{"approver without a pending request", []act{sRegister}, ap, []Action{ActAssign}},
		{"approver with a pending request", []act{sRegister, {ActRequestExtension, hd, "2024-10-25", reason("调档")}}, ap, []Action{ActAssign, ActApproveExtension, ActRefuseExtension}},
		{"handler after an extension", []act{sRegister, {ActRequestExtension, hd, "2024-10-25", reason("调档")}, {ActApproveExtension, ap, "2024-10-25", reason("同意")}}, hd, []Action{ActStartConsultation, ActRequestFee, ActRequestReasons, ActDraftAnswer, ActWithdraw}},
		{"handler of another department", []act{sRegister}, hx, nil},
		{"registrar on a closed case", []act{sRegister, sDraft, sApprove, sSend}, reg, []Action{ActRecordAppeal}},
		{"admin on a new case", nil, adm, []Action{ActRegister, ActNotRequest, ActAssign, ActRequestCorrection, ActWithdraw}},
		{"nobody", nil, nil, nil},
	}
	for _, tt := range tests {
		c, _ := run(t, cal, tt.steps...)
		if got := Allowed(c, tt.u); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Allowed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCalendarGap: when the calendar cannot answer (a year not yet loaded),
// Apply returns a wrapped, non-domain error and leaves the case unchanged.
func TestCalendarGap(t *testing.T) {
	cal := loadTestCal(t)
	c := &gongkai.Case{No: "GK-2026-000001", Channel: gongkai.ChannelInPerson}
	if err := Register(c, at("2026-12-01"), cal); err != nil {
		t.Fatal(err)
	}
	// 20 wd from 2026-12-01 stay in 2026; a 15-wd consultation window from
	// Dec 28 reaches into 2027, which the test calendar does not know.
	if _, err := Apply(c, Input{Action: ActRegister, Actor: reg, Now: at("2026-12-01"), Department: dept}, cal); err != nil {
		t.Fatal(err)
	}
	before := *c
	_, err := Apply(c, Input{Action: ActStartConsultation, Actor: hd, Now: at("2026-12-28")}, cal)
	if err == nil || gongkai.ErrorKind(err) != gongkai.EInternal || !strings.HasPrefix(err.Error(), "caseflow: ") {
		t.Errorf("got %v, want a wrapped calendar error", err)
	}
	if !reflect.DeepEqual(*c, before) {
		t.Error("case changed on a calendar error")
	}
	if _, err := Apply(c, Input{Action: ActAssign, Actor: reg, Department: dept}, cal); err == nil {
		t.Error("no time given: want an error")
	}
}

func TestAllowedOn(t *testing.T) {
	cal := loadTestCal(t)
	tests := []struct {
		name  string
		steps []act
		u     *gongkai.User
		today string
		want  []Action
	}{
		{"correction pending", []act{sRegister, sCorrection}, reg, "2024-10-29", []Action{ActAssign, ActReceiveCorrection, ActWithdraw}},
		{"correction period over", []act{sRegister, sCorrection}, reg, "2024-10-30", []Action{ActAssign, ActReceiveCorrection, ActCorrectionLapsed, ActWithdraw}},
		{"fee window open", []act{sRegister, sFee}, hd, "2024-11-12", []Action{ActFeePaid, ActWithdraw}},
		{"fee window over", []act{sRegister, sFee}, hd, "2024-11-13", []Action{ActFeeLapsed, ActWithdraw}},
		{"consultation window over", []act{sRegister, sConsult}, hd, "2024-11-06", []Action{ActConsultationAnswered, ActConsultationLapsed, ActRequestExtension, ActWithdraw}},
		{"due day", []act{sRegister}, hd, "2024-10-30", []Action{ActStartConsultation, ActRequestFee, ActRequestReasons, ActRequestExtension, ActDraftAnswer, ActWithdraw}},
		{"overdue: no extension, no stop", []act{sRegister}, hd, "2024-10-31", []Action{ActDraftAnswer, ActWithdraw}},
		{"overdue: approver cannot approve", []act{sRegister, {ActRequestExtension, hd, "2024-10-29", reason("调档")}}, ap, "2024-10-31", []Action{ActAssign, ActRefuseExtension}},
	}
	for _, tt := range tests {
		c, _ := run(t, cal, tt.steps...)
		if got := AllowedOn(c, tt.u, d(tt.today)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: AllowedOn = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNoBackdatedDecisions: an extension or an answer cannot be dated
// before the last step recorded on the case (an extension "approved" before
// a deadline that had passed when it was asked for, an answer "sent" on a
// day before it was drafted); an action dated earlier than the day it is
// recorded says both in the history.
func TestNoBackdatedDecisions(t *testing.T) {
	cal := loadTestCal(t)
	c := newCase(t, cal) // received 2024-09-27, due 2024-10-30
	do := func(in Input) ([]gongkai.Event, error) { t.Helper(); return Apply(c, in, cal) }
	mustDo := func(in Input) []gongkai.Event {
		t.Helper()
		evs, err := do(in)
		if err != nil {
			t.Fatalf("%s: %v", in.Action, err)
		}
		return evs
	}
	mustDo(Input{Action: ActRegister, Actor: reg, Now: at("2024-09-27"), Department: dept, Assignee: "hd"})
	// Recorded on 11-05, after the due date, but dated 10-28.
	_, err := do(Input{Action: ActRequestExtension, Actor: hd, Now: at("2024-11-05"), On: gongkai.MustDate("2024-10-28"), Reason: "档案多"})
	if err != nil {
		t.Fatalf("an extension request dated after the last step: %v", err)
	}
	if _, err := do(Input{Action: ActApproveExtension, Actor: ap, Now: at("2024-11-06"), On: gongkai.MustDate("2024-10-29"), Reason: "同意"}); gongkai.ErrorKind(err) != gongkai.EInvalid || !strings.Contains(err.Error(), "倒签") {
		t.Errorf("an approval dated before the request was recorded: %v, want refused", err)
	}
	// The answer: drafted on 11-06, "sent" on 10-01.
	c2 := newCase(t, cal)
	c = c2
	mustDo(Input{Action: ActRegister, Actor: reg, Now: at("2024-09-27"), Department: dept, Assignee: "hd"})
	mustDo(Input{Action: ActDraftAnswer, Actor: hd, Now: at("2024-10-21"), Result: gongkai.ResultDisclosed})
	mustDo(Input{Action: ActApproveAnswer, Actor: ap, Now: at("2024-10-22")})
	if _, err := do(Input{Action: ActSendAnswer, Actor: reg, Now: at("2024-10-23"), On: gongkai.MustDate("2024-10-08")}); gongkai.ErrorKind(err) != gongkai.EInvalid {
		t.Errorf("an answer dated before its approval was recorded: %v, want refused", err)
	}
	evs := mustDo(Input{Action: ActSendAnswer, Actor: reg, Now: at("2024-10-24"), On: gongkai.MustDate("2024-10-22")})
	if !strings.Contains(evs[0].Detail, "生效日期2024年10月22日") {
		t.Errorf("a backdated step's history %q does not say its date", evs[0].Detail)
	}
}

// TestReassignmentDoesNotBlockBackdating: the backdating guard counts the
// steps of the procedure, not every write. A case reassigned this morning
// still takes an answer drafted yesterday; a decision dated before the last
// step itself was recorded is still refused.
func TestReassignmentDoesNotBlockBackdating(t *testing.T) {
	cal := loadTestCal(t)
	c, _ := run(t, cal, sRegister) // received 2024-09-27, due 2024-10-30
	morning := func(s string) time.Time { return at(s).Add(-90 * time.Minute) }
	if _, err := Apply(c, Input{Action: ActAssign, Actor: reg, Now: morning("2024-10-22"), Department: dept, Assignee: "hd2"}, cal); err != nil {
		t.Fatal(err)
	}
	if got := c.LastStepAt; !got.Equal(at("2024-09-27")) {
		t.Errorf("after the reassignment the last step is %v, want the registration (%v)", got, at("2024-09-27"))
	}
	// Drafted on paper on Monday 10-21, entered on Tuesday 10-22 after the reassignment.
	if _, err := Apply(c, Input{Action: ActDraftAnswer, Actor: hd2, Now: at("2024-10-22"), On: d("2024-10-21"), Result: gongkai.ResultDisclosed}, cal); err != nil {
		t.Fatalf("an answer drafted the day before a reassignment: %v, want accepted", err)
	}
	if got := c.LastStepAt; !got.Equal(at("2024-10-22")) {
		t.Errorf("after the draft the last step is %v, want %v (when it was recorded)", got, at("2024-10-22"))
	}
	// The draft was recorded on 10-22: an approval cannot be dated 10-21.
	_, err := Apply(c, Input{Action: ActApproveAnswer, Actor: ap, Now: at("2024-10-23"), On: d("2024-10-21")}, cal)
	if gongkai.ErrorKind(err) != gongkai.EInvalid || !strings.Contains(err.Error(), "倒签") {
		t.Errorf("an approval dated before the draft was recorded: %v, want refused as backdated", err)
	}
	if _, err := Apply(c, Input{Action: ActApproveAnswer, Actor: ap, Now: at("2024-10-23"), On: d("2024-10-22")}, cal); err != nil {
		t.Errorf("an approval dated the day the draft was recorded: %v, want accepted", err)
	}
}
