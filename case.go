package gongkai

import (
	"fmt"
	"time"
)

// ApplicantType is the report column an applicant is counted in (RULES.md §2.4, §6.4).
type ApplicantType string

// The six applicant columns of the annual report, in table order.
const (
	NaturalPerson ApplicantType = "自然人"
	Enterprise    ApplicantType = "商业企业"
	ResearchBody  ApplicantType = "科研机构"
	PublicWelfare ApplicantType = "社会公益组织"
	LegalService  ApplicantType = "法律服务机构"
	OtherOrg      ApplicantType = "其他"
)

// ApplicantTypes lists the report columns in the order of the official table.
var ApplicantTypes = []ApplicantType{NaturalPerson, Enterprise, ResearchBody, PublicWelfare, LegalService, OtherOrg}

// Valid reports whether t is one of the six columns.
func (t ApplicantType) Valid() bool {
	for _, v := range ApplicantTypes {
		if v == t {
			return true
		}
	}
	return false
}

// IsOrganisation reports whether the applicant is a legal person or other organisation.
func (t ApplicantType) IsOrganisation() bool { return t.Valid() && t != NaturalPerson }

// Column returns the index of t in ApplicantTypes, or -1.
func (t ApplicantType) Column() int {
	for i, v := range ApplicantTypes {
		if v == t {
			return i
		}
	}
	return -1
}

// Channel is how a request reached the agency (RULES.md §3.1).
type Channel string

// Channels of intake.
const (
	ChannelWeb      Channel = "web"
	ChannelEmail    Channel = "email"
	ChannelChat     Channel = "chat"
	ChannelPost     Channel = "post"
	ChannelInPerson Channel = "in_person"
	ChannelFax      Channel = "fax"
)

// Channels lists every channel.
var Channels = []Channel{ChannelWeb, ChannelEmail, ChannelChat, ChannelPost, ChannelInPerson, ChannelFax}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, v := range Channels {
		if v == c {
			return true
		}
	}
	return false
}

// Internet reports whether the channel is an internet channel whose receipt
// date is the first working day on or after arrival (Art. 31(3), RULES.md §3.1).
func (c Channel) Internet() bool {
	return c == ChannelWeb || c == ChannelEmail || c == ChannelChat || c == ChannelFax
}

// Label is the Chinese name of the channel.
func (c Channel) Label() string {
	switch c {
	case ChannelWeb:
		return "网上申请"
	case ChannelEmail:
		return "电子邮件"
	case ChannelChat:
		return "在线问答"
	case ChannelPost:
		return "信函"
	case ChannelInPerson:
		return "当面"
	case ChannelFax:
		return "传真"
	}
	return string(c)
}

// Status is where a case stands in its life cycle (caseflow owns the transitions).
type Status string

// Case statuses.
const (
	StatusRegistered   Status = "registered"   // 待登记: arrived, not yet triaged
	StatusNotRequest   Status = "not_request"  // 非申请: triaged as not a disclosure request (not counted)
	StatusProcessing   Status = "processing"   // 办理中: accepted, answer clock running
	StatusCorrection   Status = "correction"   // 补正中: 补正 notice sent, clock waits (Art. 30)
	StatusConsultation Status = "consultation" // 征求意见中: third party / agency consulted, clock suspended (Art. 32–34)
	StatusFee          Status = "fee"          // 待缴费: fee notice sent, clock suspended (Art. 42)
	StatusReasons      Status = "reasons"      // 待说明理由: Art. 35 reason request, clock suspended
	StatusDrafted      Status = "drafted"      // 已拟答复: answer drafted, awaiting review/approval
	StatusApproved     Status = "approved"     // 已审批: approved, awaiting dispatch
	StatusClosed       Status = "closed"       // 已办结: final answer dispatched
)

// Statuses lists every status.
var Statuses = []Status{StatusRegistered, StatusNotRequest, StatusProcessing, StatusCorrection, StatusConsultation, StatusFee, StatusReasons, StatusDrafted, StatusApproved, StatusClosed}

// Label is the plain-Chinese name shown to staff and applicants.
func (s Status) Label() string {
	switch s {
	case StatusRegistered:
		return "待登记"
	case StatusNotRequest:
		return "非政府信息公开申请"
	case StatusProcessing:
		return "办理中"
	case StatusCorrection:
		return "补正中"
	case StatusConsultation:
		return "征求意见中"
	case StatusFee:
		return "待缴费"
	case StatusReasons:
		return "待说明理由"
	case StatusDrafted:
		return "答复审核中"
	case StatusApproved:
		return "答复待发出"
	case StatusClosed:
		return "已办结"
	}
	return string(s)
}

// Open reports whether the case still awaits its final answer.
func (s Status) Open() bool { return s != StatusClosed && s != StatusNotRequest }

// ClockState is the state of the statutory answer clock (RULES.md §3.3 clock model).
type ClockState string

// Clock states.
const (
	ClockRunning    ClockState = "running"    // working days after ClockFrom count
	ClockRestarting ClockState = "restarting" // 补正 pending: nothing counts; day 0 moves on completion
	ClockSuspended  ClockState = "suspended"  // consultation, fee window, Art. 35: nothing counts
	ClockStopped    ClockState = "stopped"    // answered, or not a request
)

// Applicant is the person or organisation named on the application (Art. 29, RULES.md §6.2).
type Applicant struct {
	Type       ApplicantType `json:"applicant_type"`
	Name       string        `json:"name"`        // person's name, or an organisation's contact person
	IDType     string        `json:"id_type"`     // 居民身份证, 护照, … (RULES.md §6.2)
	IDNumber   string        `json:"id_number"`   // normalised
	OrgName    string        `json:"org_name"`    // organisation name
	CreditCode string        `json:"credit_code"` // 统一社会信用代码
	LegalRep   string        `json:"legal_rep"`   // 法定代表人/负责人
	Phone      string        `json:"phone"`       //
	Email      string        `json:"email"`       //
	Address    string        `json:"address"`     // postal address
	Postcode   string        `json:"postcode"`    //
	Workplace  string        `json:"workplace"`   // 工作单位 (optional, persons)
}

// DisplayName is the applicant as shown in lists: the organisation, else the person.
func (a Applicant) DisplayName() string {
	if a.OrgName != "" {
		return a.OrgName
	}
	return a.Name
}

// Case is one 政府信息公开申请 (the unit of counting, K1) and everything done on it.
type Case struct {
	ID        int64
	No        string // 受理编号 GK-YYYY-NNNNNN
	QueryCode string // 查询码 given to the applicant

	Applicant   Applicant
	Description string // 所需信息: name, 文号 or distinguishing description (Art. 29(2))
	Purpose     string // 用途, optional (RULES.md §6.1)
	Form        string // 提供形式: 纸质文本 / 电子文档 / 光盘 / 其他
	Delivery    string // 获取方式, label-schema values: 纸质 / 电子邮件 / 光盘 / 自行领取 / unspecified
	Channel     Channel

	ArrivedAt  time.Time // as delivered
	ReceivedOn Date      // legal receipt date (Art. 31)

	Status     Status
	Nature     string // classifier/staff verdict: request, complaint_petition, …
	Department string // 股室
	Assignee   string // handler's username

	// Statutory clock (RULES.md §3.3).
	ClockState    ClockState
	ClockFrom     Date // day 0 of the current counting segment
	ClockUsed     int  // working days used before ClockFrom
	ClockLimit    int  // 20, or 40 after an approved extension (Art. 33)
	DueOn         Date // last working day on which the answer is on time; zero while suspended
	CorrectionDue Date // 补正 deadline set in the notice, when status is correction
	// SuspendedUntil is the last day of the current stop window (consultation
	// 15 wd, fee 20 wd, Art. 35 reasons).
	SuspendedUntil Date
	Extended       bool // an extension was approved (Art. 33)
	// ExtensionDays is the extension granted: up to 20 working days, the
	// approver may grant fewer (0 before it, and on cases imported or
	// stored before it was recorded).
	ExtensionDays int
	// ExtensionPending: an extension was requested and awaits the approver.
	ExtensionPending bool
	// ExtensionBy is who requested the pending extension, and DraftedBy who
	// drafted the answer awaiting approval (status drafted): neither may
	// approve it (separation of duties). Each is set by the request or the
	// draft and read only while it is pending.
	ExtensionBy string
	DraftedBy   string
	FeeYuan     int // fee notified, in 元 (Art. 42), 0 when none

	Result      ResultKey // one of ResultKeys once answered
	AnsweredOn  Date      // 答复日期 = dispatch date of the final letter (K5)
	DuplicateOf string    // case number of the earlier case for 重复申请 suggestions

	Notes     string
	CreatedAt time.Time
	UpdatedAt time.Time // any write: a step, an assignment, a corrected field
	// LastStepAt is when the last step of the procedure was recorded
	// (caseflow.Apply; an assignment is not a step): a decision on the
	// answer or its deadline cannot be dated before it (RULES.md §3.3, §3.4).
	LastStepAt time.Time
}

// CaseNo formats a case number: GK-YYYY-NNNNNN.
func CaseNo(year int, seq int64) string { return fmt.Sprintf("GK-%04d-%06d", year, seq) }

// Event is one row of a case's append-only history: who did what, when and why.
type Event struct {
	ID     int64
	CaseID int64
	At     time.Time
	Actor  string // username, or "system", "applicant"
	Kind   string // e.g. "registered", "assigned", "correction_requested", "pii_viewed"
	Detail string // what changed, in Chinese for staff
	Reason string // why, as given by the actor
}

// Appeal is a 行政复议 or 行政诉讼 against the agency's disclosure work (RULES.md §2.5, K13–K15).
type Appeal struct {
	ID        int64
	CaseID    int64
	CaseNo    string
	Kind      AppealKind
	FiledOn   Date
	Outcome   AppealOutcome
	DecidedOn Date
	Notes     string
}

// AppealKind is the group of section 四 an appeal belongs to.
type AppealKind string

// Appeal groups, in table order.
const (
	AppealReconsideration AppealKind = "行政复议"
	AppealDirectSuit      AppealKind = "直接起诉"
	AppealSuitAfterReview AppealKind = "复议后起诉"
)

// AppealOutcome is the result column of section 四.
type AppealOutcome string

// Appeal outcomes, in table order.
const (
	OutcomeUpheld    AppealOutcome = "维持"
	OutcomeCorrected AppealOutcome = "纠正"
	OutcomeOther     AppealOutcome = "其他"
	OutcomePending   AppealOutcome = "尚未审结"
)
