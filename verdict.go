package gongkai

// Verdict is the classifier's proposal for one message: the fields of the label
// schema (shared/corpus/README.md) plus the reasons behind each decision.
// Staff confirm or override it; overrides are recorded.
type Verdict struct {
	IsRequest       bool          `json:"is_request"`
	Nature          MessageKind   `json:"nature"`
	CaseRef         string        `json:"case_ref"`
	DuplicateOf     string        `json:"duplicate_of"`
	ApplicantType   ApplicantType `json:"applicant_type"`
	Name            string        `json:"name"`
	IDType          string        `json:"id_type"`
	IDNumber        string        `json:"id_number"`
	IDValid         *bool         `json:"id_valid"`
	OrgName         string        `json:"org_name"`
	CreditCode      string        `json:"credit_code"`
	CreditCodeValid *bool         `json:"credit_code_valid"`
	Phone           string        `json:"phone"`
	Email           string        `json:"email"`
	Address         string        `json:"address"`
	Description     string        `json:"description"`
	Items           []string      `json:"items"`
	Purpose         string        `json:"purpose"`
	Delivery        string        `json:"delivery"`
	Department      string        `json:"department"`
	MissingFields   []string      `json:"missing_fields"`
	Reasons         []Reason      `json:"reasons,omitempty"`
}

// Reason explains one decision of a verdict: which field, which rule, and the
// words of the message that decided it.
type Reason struct {
	Field    string `json:"field"`    // e.g. "nature", "department"
	Rule     string `json:"rule"`     // rule name or description, in Chinese for staff
	Evidence string `json:"evidence"` // the words that matched
}

// Applicant returns the applicant the verdict describes.
func (v Verdict) Applicant() Applicant {
	return Applicant{
		Type: v.ApplicantType, Name: v.Name, IDType: v.IDType, IDNumber: v.IDNumber,
		OrgName: v.OrgName, CreditCode: v.CreditCode, Phone: v.Phone, Email: v.Email, Address: v.Address,
	}
}

// Missing-field names of the label schema (Art. 29 → 补正, Art. 30).
const (
	MissingName        = "name"
	MissingIDNumber    = "id_number"
	MissingOrgName     = "org_name"
	MissingCreditCode  = "credit_code"
	MissingContact     = "contact"
	MissingDescription = "description"
)

// MissingLabel is the Chinese wording of a missing item for a 补正告知书.
func MissingLabel(f string) string {
	switch f {
	case MissingName:
		return "申请人姓名"
	case MissingIDNumber:
		return "有效身份证件号码"
	case MissingOrgName:
		return "申请单位名称"
	case MissingCreditCode:
		return "统一社会信用代码"
	case MissingContact:
		return "联系方式（电话、通信地址或电子邮箱）"
	case MissingDescription:
		return "所需政府信息的名称、文号或者便于查询的其他特征性描述"
	}
	return f
}
