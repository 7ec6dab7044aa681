package caseflow

import (
	"fmt"
	"slices"
	"strings"

	"gongkai"
)

// Action is one step a staff member can take on a case. Each action has a
// fixed set of roles and of statuses it is allowed in (the table rules below);
// Apply enforces them and the extra conditions the law adds.
type Action string

// The actions of the case life cycle (issue 3; RULES.md §3, §4.2, §7).
const (
	ActRegister             Action = "register"              // accept as a disclosure request (K4)
	ActNotRequest           Action = "not_request"           // triage: not a disclosure request, not counted (§7)
	ActReopenTriage         Action = "reopen_triage"         // undo a not_request triage
	ActAssign               Action = "assign"                // department and handler
	ActRequestCorrection    Action = "request_correction"    // 补正告知 (Art. 30)
	ActReceiveCorrection    Action = "receive_correction"    // completed application arrived: new day 0
	ActCorrectionLapsed     Action = "correction_lapsed"     // 补正 period over, no completion → （六）1
	ActStartConsultation    Action = "start_consultation"    // 征求意见 (Art. 32, 34)
	ActConsultationAnswered Action = "consultation_answered" // reply received, clock resumes
	ActConsultationLapsed   Action = "consultation_lapsed"   // 15-wd window over without reply, clock resumes
	ActRequestFee           Action = "request_fee"           // 收费通知 (Art. 42)
	ActFeePaid              Action = "fee_paid"              // payment received, clock resumes
	ActFeeLapsed            Action = "fee_lapsed"            // not paid within 20 wd → （六）2
	ActRequestReasons       Action = "request_reasons"       // 说明理由告知 (Art. 35)
	ActReasonsReceived      Action = "reasons_received"      // reasons arrived, clock resumes
	ActReasonsLapsed        Action = "reasons_lapsed"        // no reasons in the period, clock resumes
	ActRequestExtension     Action = "request_extension"     // handler asks for 延期 (Art. 33)
	ActApproveExtension     Action = "approve_extension"     // 负责人 consents: +20 wd
	ActRefuseExtension      Action = "refuse_extension"      // 负责人 refuses
	ActDraftAnswer          Action = "draft_answer"          // answer drafted with its outcome key (§4.2)
	ActReturnAnswer         Action = "return_answer"         // approver sends the draft back
	ActApproveAnswer        Action = "approve_answer"        // approver signs off the answer
	ActSendAnswer           Action = "send_answer"           // final letter dispatched: 答复日期 (K5)
	ActWithdraw             Action = "withdraw"              // applicant withdrew → （六）3 (K9)
	ActRecordAppeal         Action = "record_appeal"         // 行政复议/诉讼 recorded on a closed case (§2.5)
)

// Actions lists every action in the order buttons are shown.
var Actions = []Action{
	ActRegister, ActNotRequest, ActReopenTriage, ActAssign,
	ActRequestCorrection, ActReceiveCorrection, ActCorrectionLapsed,
	ActStartConsultation, ActConsultationAnswered, ActConsultationLapsed,
	ActRequestFee, ActFeePaid, ActFeeLapsed,
	ActRequestReasons, ActReasonsReceived, ActReasonsLapsed,
	ActRequestExtension, ActApproveExtension, ActRefuseExtension,
	ActDraftAnswer, ActReturnAnswer, ActApproveAnswer, ActSendAnswer,
	ActWithdraw, ActRecordAppeal,
}

// rule says who may take an action and in which statuses.
type rule struct {
	label  string           // Chinese button label
	kind   string           // Event.Kind written to the history
	roles  []gongkai.Role   // roles allowed (admin is always allowed)
	states []gongkai.Status // statuses the action is allowed in
	// caseBound: a handler may act only on a case assigned to him or her or
	// to his or her department.
	caseBound bool
	reason    bool // a reason is required (the law or good practice asks why)
}

var (
	registrar = gongkai.RoleRegistrar
	handler   = gongkai.RoleHandler
	approver  = gongkai.RoleApprover

	// working: the statuses in which the answer is still being worked on.
	working = []gongkai.Status{gongkai.StatusProcessing, gongkai.StatusConsultation, gongkai.StatusDrafted}
	// open: every status before the final answer.
	open = []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusCorrection,
		gongkai.StatusConsultation, gongkai.StatusFee, gongkai.StatusReasons, gongkai.StatusDrafted, gongkai.StatusApproved}
)

// rules is the transition table: the single place that says which role may
// do what in which status. Conditions beyond role and status (one 补正 only,
// extension before the due date, windows expired…) are checked in machine.go.
var rules = map[Action]rule{
	ActRegister:     {"受理为政府信息公开申请", "accepted", []gongkai.Role{registrar}, st(gongkai.StatusRegistered), false, false},
	ActNotRequest:   {"认定为非政府信息公开申请", "not_request", []gongkai.Role{registrar}, st(gongkai.StatusRegistered), false, true},
	ActReopenTriage: {"重新登记研判", "triage_reopened", []gongkai.Role{registrar}, st(gongkai.StatusNotRequest), false, true},
	ActAssign: {"分办（股室、承办人）", "assigned", []gongkai.Role{registrar, approver},
		st(gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusCorrection, gongkai.StatusConsultation, gongkai.StatusFee, gongkai.StatusReasons), false, false},

	ActRequestCorrection: {"发出补正告知", "correction_requested", []gongkai.Role{registrar}, st(gongkai.StatusRegistered, gongkai.StatusProcessing), false, false},
	ActReceiveCorrection: {"登记补正材料", "correction_received", []gongkai.Role{registrar}, st(gongkai.StatusCorrection), false, false},
	ActCorrectionLapsed:  {"逾期未补正，终止办理", "correction_lapsed", []gongkai.Role{registrar}, st(gongkai.StatusCorrection), false, false},

	ActStartConsultation:    {"征求第三方或其他机关意见", "consultation_started", []gongkai.Role{handler}, st(gongkai.StatusProcessing), true, false},
	ActConsultationAnswered: {"登记征求意见答复", "consultation_answered", []gongkai.Role{handler}, st(gongkai.StatusConsultation), true, false},
	ActConsultationLapsed:   {"征求意见期满未答复", "consultation_lapsed", []gongkai.Role{handler}, st(gongkai.StatusConsultation), true, false},

	ActRequestFee: {"发出收费通知", "fee_requested", []gongkai.Role{handler}, st(gongkai.StatusProcessing), true, false},
	ActFeePaid:    {"登记已缴费", "fee_paid", []gongkai.Role{handler}, st(gongkai.StatusFee), true, false},
	ActFeeLapsed:  {"逾期未缴费，终止办理", "fee_lapsed", []gongkai.Role{handler}, st(gongkai.StatusFee), true, false},

	ActRequestReasons:  {"要求说明理由", "reasons_requested", []gongkai.Role{handler}, st(gongkai.StatusProcessing), true, true},
	ActReasonsReceived: {"登记申请人说明的理由", "reasons_received", []gongkai.Role{handler}, st(gongkai.StatusReasons), true, false},
	ActReasonsLapsed:   {"说明理由期满未答复", "reasons_lapsed", []gongkai.Role{handler}, st(gongkai.StatusReasons), true, false},

	ActRequestExtension: {"申请延期答复", "extension_requested", []gongkai.Role{handler}, working, true, true},
	ActApproveExtension: {"批准延期答复", "extension_approved", []gongkai.Role{approver}, working, false, true},
	ActRefuseExtension:  {"不批准延期答复", "extension_refused", []gongkai.Role{approver}, working, false, true},

	ActDraftAnswer:   {"拟写答复", "answer_drafted", []gongkai.Role{handler}, st(gongkai.StatusProcessing), true, false},
	ActReturnAnswer:  {"退回修改答复", "answer_returned", []gongkai.Role{approver}, st(gongkai.StatusDrafted), false, true},
	ActApproveAnswer: {"审批通过答复", "answer_approved", []gongkai.Role{approver}, st(gongkai.StatusDrafted), false, false},
	ActSendAnswer:    {"发出答复", "answer_sent", []gongkai.Role{registrar, handler}, st(gongkai.StatusApproved), true, false},

	ActWithdraw:     {"登记申请人撤回申请", "withdrawn", []gongkai.Role{registrar, handler}, open, true, true},
	ActRecordAppeal: {"登记行政复议或行政诉讼", "appeal_recorded", []gongkai.Role{registrar}, st(gongkai.StatusClosed), false, false},
}

func st(s ...gongkai.Status) []gongkai.Status { return s }

// Label is the Chinese name of the action, as shown on its button.
func (a Action) Label() string {
	if r, ok := rules[a]; ok {
		return r.label
	}
	return string(a)
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { _, ok := rules[a]; return ok }

// EventKind is the Event.Kind an action writes to the case history.
func (a Action) EventKind() string { return rules[a].kind }

// Roles lists the roles that may take the action (admin may take every action).
func (a Action) Roles() []gongkai.Role {
	return append(slices.Clone(rules[a].roles), gongkai.RoleAdmin)
}

// Statuses lists the statuses in which the action may be taken.
func (a Action) Statuses() []gongkai.Status { return slices.Clone(rules[a].states) }

// NeedsReason reports whether the action must carry a reason.
func (a Action) NeedsReason() bool { return rules[a].reason }

// Event kinds written besides the action's own kind.
const (
	KindDueChanged     = "due_changed"             // the answer due date moved (RULES.md §3.3: every change with its cause)
	KindCorrectionLate = "correction_notice_late"  // 补正 notice after the 7th working day (RULES.md §3.5)
	KindCompletionLate = "correction_after_period" // completion arrived after the 补正 period
)

// counted are the natures accepted as applications (K4; RULES.md §7): a
// petition, a request for a publication or for confirmation that came
// through a disclosure channel is answered with a 不予处理 letter and counted.
var counted = []gongkai.MessageKind{gongkai.KindRequest, gongkai.KindComplaint, gongkai.KindPublication, gongkai.KindConfirmReissue}

// uncounted are the natures a not_request triage may record (RULES.md §7:
// never a case in the report).
var uncounted = []gongkai.MessageKind{gongkai.KindConsultation, gongkai.KindAutoReply, gongkai.KindBounce, gongkai.KindSpam, gongkai.KindFollowup}

// handlers apply each action to the working copy after permit passed.
var handlers = map[Action]func(*step) error{
	ActRegister:             doRegister,
	ActNotRequest:           doNotRequest,
	ActReopenTriage:         doReopenTriage,
	ActAssign:               doAssign,
	ActRequestCorrection:    doRequestCorrection,
	ActReceiveCorrection:    doReceiveCorrection,
	ActCorrectionLapsed:     doCorrectionLapsed,
	ActStartConsultation:    doStartConsultation,
	ActConsultationAnswered: doConsultationAnswered,
	ActConsultationLapsed:   doConsultationLapsed,
	ActRequestFee:           doRequestFee,
	ActFeePaid:              doFeePaid,
	ActFeeLapsed:            doFeeLapsed,
	ActRequestReasons:       doRequestReasons,
	ActReasonsReceived:      doReasonsReceived,
	ActReasonsLapsed:        doReasonsLapsed,
	ActRequestExtension:     doRequestExtension,
	ActApproveExtension:     doApproveExtension,
	ActRefuseExtension:      doRefuseExtension,
	ActDraftAnswer:          doDraftAnswer,
	ActReturnAnswer:         doReturnAnswer,
	ActApproveAnswer:        doApproveAnswer,
	ActSendAnswer:           doSendAnswer,
	ActWithdraw:             doWithdraw,
	ActRecordAppeal:         doRecordAppeal,
}

// accept makes a registered case a counted application (K4).
func accept(t *step) error {
	c, in := t.c, t.in
	switch {
	case in.Nature != "" && !slices.Contains(counted, in.Nature):
		return invalid("nature", "「%s」不是政府信息公开申请，请使用「%s」", in.Nature.Label(), ActNotRequest.Label())
	case in.Nature != "":
		c.Nature = string(in.Nature)
	case !slices.Contains(counted, gongkai.MessageKind(c.Nature)):
		c.Nature = string(gongkai.KindRequest)
	}
	if in.Department != "" {
		c.Department = in.Department
	}
	if in.Assignee != "" {
		c.Assignee = in.Assignee
	}
	c.Status = gongkai.StatusProcessing
	return nil
}

func doRegister(t *step) error {
	if err := accept(t); err != nil {
		return err
	}
	c := t.c
	nature := ""
	if k := gongkai.MessageKind(c.Nature); k != gongkai.KindRequest {
		nature = "（来件性质：" + k.Label() + "）"
	}
	t.main("受理为政府信息公开申请%s，收到申请之日%s（%s），答复期限%d个工作日%s",
		nature, c.ReceivedOn, c.Channel.Label(), c.ClockLimit, assignText(c))
	return nil
}

func assignText(c *gongkai.Case) string {
	switch {
	case c.Department == "":
		return ""
	case c.Assignee == "":
		return "；分办至「" + c.Department + "」"
	}
	return "；分办至「" + c.Department + "」，承办人" + c.Assignee
}

func doNotRequest(t *step) error {
	c, in := t.c, t.in
	if !slices.Contains(uncounted, in.Nature) {
		if slices.Contains(counted, in.Nature) {
			return invalid("nature", "通过申请渠道提交的「%s」仍计为政府信息公开申请，应受理后以相应结果答复（如「不予处理」），不能认定为非申请", in.Nature.Label())
		}
		return invalid("nature", "请选择来件性质（咨询、自动回复、退信、垃圾邮件或已有案件的来信）")
	}
	if err := stop(c, t.on, t.cal); err != nil {
		return err
	}
	c.Status, c.Nature = gongkai.StatusNotRequest, string(in.Nature)
	t.main("认定为非政府信息公开申请（%s），不立案、不计入年度报告", in.Nature.Label())
	return nil
}

func doReopenTriage(t *step) error {
	c := t.c
	// The triage was wrong: the application was received on ReceivedOn all
	// along, so its clock is restored as if it had run (Art. 31).
	c.Status = gongkai.StatusRegistered
	c.ClockState, c.ClockFrom, c.ClockUsed, c.ClockLimit = gongkai.ClockRunning, c.ReceivedOn, 0, AnswerDays
	t.main("撤销非申请认定，恢复待登记；答复期限自收到申请之日%s起计算", c.ReceivedOn)
	return nil
}

func doAssign(t *step) error {
	c, in := t.c, t.in
	if strings.TrimSpace(in.Department) == "" {
		return invalid("department", "请选择承办股室")
	}
	from := c.Department
	c.Department, c.Assignee = strings.TrimSpace(in.Department), strings.TrimSpace(in.Assignee)
	who := c.Assignee
	if who == "" {
		who = "（股室内未指定）"
	}
	if from != "" && from != c.Department {
		t.main("由「%s」改分办至「%s」，承办人%s", from, c.Department, who)
	} else {
		t.main("分办至「%s」，承办人%s", c.Department, who)
	}
	return nil
}

func doRequestCorrection(t *step) error {
	c := t.c
	accepted := c.Status == gongkai.StatusRegistered
	if accepted {
		if err := accept(t); err != nil {
			return err
		}
	}
	latest, err := CorrectionNoticeDue(c, t.cal)
	if err != nil {
		return err
	}
	days := t.days(DefaultCorrectionDays)
	due, err := addDays(t.cal, t.on, days)
	if err != nil {
		return err
	}
	used, err := usedBy(c, t.on, t.cal)
	if err != nil {
		return err
	}
	// Art. 30: while the 补正 is pending nothing counts; the completed
	// application starts a new period (RULES.md §3.3 "restarting").
	c.ClockUsed, c.ClockFrom, c.ClockState = used, t.on, gongkai.ClockRestarting
	c.CorrectionDue, c.Status = due, gongkai.StatusCorrection
	pre := ""
	if accepted {
		pre = "受理为政府信息公开申请并"
	}
	t.main("%s发出补正告知，补正期限%d个工作日，至%s；补正期间答复期限不计算，收到补正材料之日起重新计算", pre, days, due)
	if t.on.After(latest) {
		t.event(KindCorrectionLate, fmt.Sprintf("补正告知晚于收到申请后第7个工作日（%s）发出（《条例》第三十条）", latest))
	}
	return nil
}

func doReceiveCorrection(t *step) error {
	c := t.c
	// The completed application is received like the original (Art. 31):
	// for internet channels on the first working day on or after arrival.
	day0, err := t.cal.ReceiptDate(t.on, c.Channel)
	if err != nil {
		return fmt.Errorf("caseflow: computing the receipt date of the completed application: %w", err)
	}
	c.Status = gongkai.StatusProcessing
	c.ClockState, c.ClockFrom, c.ClockUsed, c.ClockLimit = gongkai.ClockRunning, day0, 0, AnswerDays
	c.Extended, c.ExtensionPending = false, false
	t.main("收到补正材料（%s），以%s为收到申请之日重新计算%d个工作日答复期限（《条例》第三十条）", t.on, day0, AnswerDays)
	if t.on.After(c.CorrectionDue) {
		t.event(KindCompletionLate, fmt.Sprintf("补正材料晚于补正期限（%s）送达，仍予受理", c.CorrectionDue))
	}
	return nil
}

func doCorrectionLapsed(t *step) error {
	c := t.c
	if err := t.windowOver(c.CorrectionDue, "补正期限"); err != nil {
		return err
	}
	// K5: concluded the day after the period, or on the recording day if later.
	answered := later(c.CorrectionDue.AddDays(1), t.on)
	if err := t.conclude(gongkai.ResultNoCorrection, answered); err != nil {
		return err
	}
	t.main("申请人逾期未补正（补正期限%s），不再处理其申请，按「%s」办结，办结日期%s", c.CorrectionDue, gongkai.ResultNoCorrection.Label(), answered)
	return nil
}

// startStop suspends the clock on the dispatch day and opens a window.
func startStop(t *step, status gongkai.Status, def int) (int, error) {
	days := t.days(def)
	end, err := addDays(t.cal, t.on, days)
	if err != nil {
		return 0, err
	}
	if err := suspend(t.c, t.on, t.cal); err != nil {
		return 0, err
	}
	t.c.Status, t.c.SuspendedUntil = status, end
	return days, nil
}

func doStartConsultation(t *step) error {
	days, err := startStop(t, gongkai.StatusConsultation, ConsultationDays)
	if err != nil {
		return err
	}
	t.main("发出征求意见书，答复期限自%s次日起中止计算（《条例》第三十三条第三款）；征求意见期限%d个工作日，至%s",
		t.on, days, t.c.SuspendedUntil)
	return nil
}

// endStop resumes the clock after a reply that arrived on t.on; a reply after
// the window's end resumes from the end ("whichever is first", RULES.md §3.6).
func endStop(t *step) (gongkai.Date, bool) {
	end := t.c.SuspendedUntil
	y := earlier(t.on, end)
	resume(t.c, y)
	t.c.Status = gongkai.StatusProcessing
	return y, t.on.After(end)
}

func doConsultationAnswered(t *step) error {
	end := t.c.SuspendedUntil
	y, late := endStop(t)
	if late {
		t.main("收到征求意见答复（%s），晚于征求意见期限（%s）；答复期限自%s次日起恢复计算", t.on, end, y)
	} else {
		t.main("收到征求意见答复（%s），答复期限自次日起恢复计算", y)
	}
	return nil
}

func doConsultationLapsed(t *step) error {
	end := t.c.SuspendedUntil
	if err := t.windowOver(end, "征求意见期限"); err != nil {
		return err
	}
	resume(t.c, end)
	t.c.Status = gongkai.StatusProcessing
	t.main("征求意见期限（%s）届满未获答复：第三方逾期未提出意见的由本机关依法决定，其他机关逾期未答复的视为同意公开（《条例》第三十二条、第三十四条）；答复期限自%s次日起恢复计算", end, end)
	return nil
}

func doRequestFee(t *step) error {
	if t.in.FeeYuan <= 0 {
		return invalid("fee_yuan", "请填写收费金额（元）")
	}
	days, err := startStop(t, gongkai.StatusFee, FeeDays)
	if err != nil {
		return err
	}
	t.c.FeeYuan = t.in.FeeYuan
	t.main("发出收费通知，信息处理费%d元，缴费期限%d个工作日，至%s；等待缴费期间答复期限中止计算（《条例》第四十二条）",
		t.c.FeeYuan, days, t.c.SuspendedUntil)
	return nil
}

func doFeePaid(t *step) error {
	end := t.c.SuspendedUntil
	if t.on.After(end) {
		return gongkai.Errorf(gongkai.EConflict, "缴费期限已于%s届满，申请人逾期未缴费的应按「%s」处理", end, ActFeeLapsed.Label())
	}
	endStop(t)
	t.main("申请人已缴纳信息处理费%d元（%s），答复期限自次日起恢复计算", t.c.FeeYuan, t.on)
	return nil
}

func doFeeLapsed(t *step) error {
	end := t.c.SuspendedUntil
	if err := t.windowOver(end, "缴费期限"); err != nil {
		return err
	}
	answered := later(end.AddDays(1), t.on) // K5
	if err := t.conclude(gongkai.ResultNoFee, answered); err != nil {
		return err
	}
	t.main("申请人逾期未缴纳信息处理费（%d元，期限%s），不再处理其申请，按「%s」办结，办结日期%s", t.c.FeeYuan, end, gongkai.ResultNoFee.Label(), answered)
	return nil
}

func doRequestReasons(t *step) error {
	days, err := startStop(t, gongkai.StatusReasons, DefaultReasonsDays)
	if err != nil {
		return err
	}
	t.main("申请数量、频次明显超过合理范围，要求申请人说明理由，期限%d个工作日，至%s；等待期间答复期限中止计算（《条例》第三十五条）", days, t.c.SuspendedUntil)
	return nil
}

func doReasonsReceived(t *step) error {
	c := t.c
	y, _ := endStop(t)
	if t.in.Days > 0 {
		// Art. 35: reasonable reasons, but the normal period cannot be met: the
		// agency sets a reasonable later deadline (延迟答复).
		limit := c.ClockUsed + t.in.Days
		if limit <= c.ClockLimit {
			return invalid("days", "确定的答复期限不得短于原答复期限（尚余%d个工作日）", c.ClockLimit-c.ClockUsed)
		}
		c.ClockLimit = limit
		t.main("收到申请人说明的理由（%s），理由合理；自%s起另行确定%d个工作日的答复期限（延迟答复，《条例》第三十五条）", t.on, y, t.in.Days)
		return nil
	}
	t.main("收到申请人说明的理由（%s），答复期限自%s次日起恢复计算", t.on, y)
	return nil
}

func doReasonsLapsed(t *step) error {
	end := t.c.SuspendedUntil
	if err := t.windowOver(end, "说明理由期限"); err != nil {
		return err
	}
	resume(t.c, end)
	t.c.Status = gongkai.StatusProcessing
	t.main("申请人未在期限（%s）内说明理由，答复期限自次日起恢复计算；可依《条例》第三十五条以「无正当理由大量反复申请」不予处理", end)
	return nil
}

// beforeDue refuses an extension once the original period has run out:
// approval and notice must come before the deadline (RULES.md §3.4).
func beforeDue(t *step) error {
	if t.c.ClockState != gongkai.ClockRunning {
		return nil // suspended: the period cannot run out meanwhile
	}
	due, err := t.dueNow()
	if err != nil {
		return err
	}
	if t.on.After(due) {
		return gongkai.Errorf(gongkai.EConflict, "答复期限已于%s届满，延期须在期限届满前批准并告知申请人（《条例》第三十三条），不能再延期", due)
	}
	return nil
}

func doRequestExtension(t *step) error {
	if err := beforeDue(t); err != nil {
		return err
	}
	t.c.ExtensionPending, t.c.ExtensionBy = true, t.in.Actor.Username
	t.main("申请延期答复%d个工作日，报政府信息公开工作机构负责人审批", ExtensionDays)
	return nil
}

func doApproveExtension(t *step) error {
	if err := beforeDue(t); err != nil {
		return err
	}
	// Art. 33: "不超过20个工作日" — the approver may grant fewer.
	days := t.days(ExtensionDays)
	if days > ExtensionDays {
		return invalid("days", "延长的期限最长不超过%d个工作日", ExtensionDays)
	}
	t.c.ExtensionPending, t.c.Extended, t.c.ExtensionDays = false, true, days
	t.c.ClockLimit += days
	t.main("负责人同意延期答复，答复期限延长%d个工作日（《条例》第三十三条第二款），须向申请人发出延期答复告知书", days)
	return nil
}

func doRefuseExtension(t *step) error {
	t.c.ExtensionPending = false
	if t.c.DueOn.IsZero() {
		t.main("负责人不同意延期答复，应在原答复期限内答复")
	} else {
		t.main("负责人不同意延期答复，应在原答复期限（%s）内答复", t.c.DueOn)
	}
	return nil
}

func doDraftAnswer(t *step) error {
	k := t.in.Result
	switch {
	case !k.Valid():
		return invalid("result", "请选择答复结果")
	case k == gongkai.ResultNoCorrection || k == gongkai.ResultNoFee:
		return invalid("result", "「%s」由「%s」或「%s」登记，不能作为拟答复结果", k.Label(), ActCorrectionLapsed.Label(), ActFeeLapsed.Label())
	case k == gongkai.ResultUnclearAfterCorrection && t.c.CorrectionDue.IsZero():
		return gongkai.Errorf(gongkai.EConflict, "本案未要求过补正，不能以「%s」答复（《条例》第三十条）", k.Label())
	}
	t.c.Result, t.c.Status, t.c.DraftedBy = k, gongkai.StatusDrafted, t.in.Actor.Username
	info, _ := k.Info()
	t.main("拟写答复：%s（%s），提交审批", k.Label(), info.Basis)
	return nil
}

func doReturnAnswer(t *step) error {
	prev := t.c.Result
	t.c.Result, t.c.Status = "", gongkai.StatusProcessing
	t.main("退回拟写的答复（%s），请修改后重新提交", prev.Label())
	return nil
}

func doApproveAnswer(t *step) error {
	t.c.Status = gongkai.StatusApproved
	t.main("审批通过答复：%s", t.c.Result.Label())
	return nil
}

func doSendAnswer(t *step) error {
	c := t.c
	if err := t.conclude(c.Result, t.on); err != nil {
		return err
	}
	late := ""
	if c.ClockUsed > c.ClockLimit {
		late = fmt.Sprintf("，超过期限%d个工作日", c.ClockUsed-c.ClockLimit)
	}
	t.main("发出答复（%s），答复日期%s；用时%d个工作日，期限%d个工作日%s", c.Result.Label(), t.on, c.ClockUsed, c.ClockLimit, late)
	return nil
}

func doWithdraw(t *step) error {
	if err := t.conclude(gongkai.ResultOther, t.on); err != nil {
		return err
	}
	t.main("申请人撤回申请，按「%s」办结，办结日期%s", gongkai.ResultOther.Label(), t.on)
	return nil
}

func doRecordAppeal(t *step) error {
	t.main("登记针对本案的行政复议或行政诉讼")
	return nil
}
