package gongkai

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Application is a disclosure request as an applicant submits it through the
// web form, the JSON API or the chat-bot (contracts/http-api.md field names;
// RULES.md §6.2 fields).
type Application struct {
	ApplicantType string `json:"applicant_type"`
	Name          string `json:"name"`
	IDType        string `json:"id_type"`
	IDNumber      string `json:"id_number"`
	OrgName       string `json:"org_name"`
	CreditCode    string `json:"credit_code"`
	LegalRep      string `json:"legal_rep,omitempty"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Address       string `json:"address"`
	Postcode      string `json:"postcode,omitempty"`
	Workplace     string `json:"workplace,omitempty"`
	Description   string `json:"description"`
	DocNo         string `json:"doc_no,omitempty"`
	Purpose       string `json:"purpose"`
	Form          string `json:"form,omitempty"`
	Delivery      string `json:"delivery"`
}

// Deliveries are the accepted 获取方式 values and what each is stored as
// (label-schema values where one fits; RULES.md §6.2).
var Deliveries = map[string]string{
	"电子邮件": "电子邮件", "纸质": "纸质", "邮寄": "纸质", "光盘": "光盘", "自行领取": "自行领取",
	"当场阅读、抄录": "自行领取", "现场查阅": "自行领取", "传真": "传真", "网上获取": "网上获取",
}

// DeliveryChoices is the order the form offers them in.
var DeliveryChoices = []string{"电子邮件", "邮寄", "自行领取", "当场阅读、抄录", "光盘", "传真", "网上获取"}

// Forms are the 提供形式 choices.
var Forms = []string{"纸质文本", "电子文档", "光盘", "其他"}

var (
	reMobile   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	reLandline = regexp.MustCompile(`^0\d{2,3}-?\d{7,8}(-\d{1,6})?$`)
	reIntl     = regexp.MustCompile(`^\+\d{7,15}$`)
	reEmail    = regexp.MustCompile(`^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$`)
	rePermit   = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
	rePostcode = regexp.MustCompile(`^\d{6}$`)
)

// NormalizePhone strips spaces, dashes and the parentheses around an area
// code ("(0379)6321 5678", full-width "（0379）" too) between the digit
// groups, and a +86 prefix. A mobile number becomes its 11 digits; a
// landline keeps one dash after the area code and one before an extension
// ("0379-63215678-801").
func NormalizePhone(s string) string {
	s = strings.TrimSpace(NormalizeWidth(s))
	// An extension ("转801", "分机801", "ext 801") is kept as "-801".
	ext := ""
	for _, sep := range []string{"转", "分机", "ext.", "ext", "EXT", "Ext"} {
		if i := strings.Index(s, sep); i > 0 {
			if e := digitsOf(s[i+len(sep):]); e != "" && len(e) <= 6 {
				s, ext = strings.TrimSpace(s[:i]), "-"+e
			}
			break
		}
	}
	// So is one written after a last dash ("0379-63215678-801"), when the
	// digits before that dash are a whole landline number.
	if i := strings.LastIndexByte(s, '-'); ext == "" && i > 0 {
		if e := strings.TrimSpace(s[i+1:]); e != "" && len(e) <= 6 && allDigits(e) && isLandline(digitsOf(s[:i])) {
			s, ext = strings.TrimSpace(s[:i]), "-"+e
		}
	}
	intl := strings.HasPrefix(s, "+")
	d := digitsOf(s)
	if strings.HasPrefix(d, "0086") { // 0086 dialled for +86
		intl, d = true, d[2:]
	}
	if !intl && len(d) == 13 && strings.HasPrefix(d, "86") && reMobile.MatchString(d[2:]) { // "86-138…"
		return d[2:]
	}
	if intl && strings.HasPrefix(d, "86") {
		rest := d[2:]
		switch {
		case reMobile.MatchString(rest):
			return rest
		case len(rest) >= 9 && len(rest) <= 11 && rest[0] != '0': // "+86 379 6321 2345": the area code without its 0
			d, intl = "0"+rest, false
		case isLandline(rest): // "+86 (0379) 6321 2345": the 0 kept
			d, intl = rest, false
		}
	}
	switch {
	case intl:
		return "+" + d
	case reMobile.MatchString(d):
		return d
	case isLandline(d):
		area := landlineArea(d)
		return d[:area] + "-" + d[area:] + ext
	}
	return s + ext
}

// isLandline reports whether d, digits only, is a landline number with its
// area code: 11 or 12 digits starting with 0 (a 3-digit area code, 010 and
// 02x, with 8 digits; a 4-digit one with 7 or 8).
func isLandline(d string) bool {
	return strings.HasPrefix(d, "0") && (len(d) == 11 || len(d) == 12)
}

// landlineArea is the length of the area code of a landline number.
func landlineArea(d string) int {
	if strings.HasPrefix(d, "01") || strings.HasPrefix(d, "02") {
		return 3
	}
	return 4
}

// digitsOf keeps the ASCII digits of s.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormalizeWidth converts full-width ASCII forms (digits, letters, punctuation,
// the ideographic space) to their half-width forms.
func NormalizeWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		}
		return r
	}, s)
}

// Clean trims a free-text field and removes control characters other than
// line breaks and tabs.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// field length limits (runes)
var maxLen = map[string]int{
	"name": 50, "org_name": 100, "legal_rep": 50, "id_number": 30, "credit_code": 30, "phone": 30,
	"email": 120, "address": 200, "postcode": 10, "workplace": 100, "description": 5000, "doc_no": 100,
	"purpose": 500, "applicant_type": 20, "id_type": 30, "delivery": 20, "form": 20,
}

// Normalize trims every field and normalises identifiers and phone numbers.
func (a *Application) Normalize() {
	for _, p := range a.fields() {
		*p.v = Clean(*p.v)
	}
	a.IDNumber = NormalizeDigits(a.IDNumber)
	a.CreditCode = NormalizeDigits(a.CreditCode)
	a.Phone = NormalizePhone(a.Phone)
	a.Email = strings.ToLower(a.Email)
	a.Postcode = NormalizeDigits(a.Postcode)
	if a.IDType == "" && ApplicantType(a.ApplicantType) == NaturalPerson {
		a.IDType = "居民身份证"
	}
}

type namedField struct {
	name string
	v    *string
}

func (a *Application) fields() []namedField {
	return []namedField{{"applicant_type", &a.ApplicantType}, {"name", &a.Name}, {"id_type", &a.IDType}, {"id_number", &a.IDNumber},
		{"org_name", &a.OrgName}, {"credit_code", &a.CreditCode}, {"legal_rep", &a.LegalRep}, {"phone", &a.Phone},
		{"email", &a.Email}, {"address", &a.Address}, {"postcode", &a.Postcode}, {"workplace", &a.Workplace},
		{"description", &a.Description}, {"doc_no", &a.DocNo}, {"purpose", &a.Purpose}, {"form", &a.Form}, {"delivery", &a.Delivery}}
}

// Validate checks an application against Art. 29 and RULES.md §6.2–§6.3 and
// returns every bad field at once, in plain Chinese. Call Normalize first.
// Purpose is never required (the 2019 条例 dropped the purpose test, §6.1).
func (a *Application) Validate(now time.Time) []FieldError {
	var errs []FieldError
	bad := func(f, msg string) { errs = append(errs, FieldError{Field: f, Message: msg}) }
	for _, p := range a.fields() {
		if !utf8.ValidString(*p.v) {
			bad(p.name, "含有无法识别的字符")
		} else if n := utf8.RuneCountInString(*p.v); n > maxLen[p.name] {
			bad(p.name, "内容过长")
		}
	}
	t := ApplicantType(a.ApplicantType)
	switch {
	case a.ApplicantType == "":
		bad("applicant_type", "请选择申请人类型")
	case !t.Valid():
		bad("applicant_type", "申请人类型应为自然人、商业企业、科研机构、社会公益组织、法律服务机构或其他")
	}
	if t == NaturalPerson {
		if a.Name == "" {
			bad("name", "请填写姓名")
		}
		known := false
		for _, v := range IDTypes {
			known = known || v == a.IDType
		}
		if !known {
			bad("id_type", "请选择有效的证件类型")
		}
		switch {
		case a.IDNumber == "":
			bad("id_number", "请填写证件号码")
		case IDTypeHasCheckDigit(a.IDType):
			// An old 15-digit 身份证 number has no check digit: accepted
			// (RULES.md §6.3; staff see it is the old kind), not refused.
			if c := CheckIDNumber(a.IDNumber, now); !c.Valid && !(a.IDType == "居民身份证" && IsOldIDNumber(c.Number)) {
				bad("id_number", c.Problem)
			}
		case a.IDType == "外国人永久居留身份证":
			if _, p := CheckPermanentResidenceNumber(a.IDNumber); p != "" {
				bad("id_number", p)
			}
		case !rePermit.MatchString(a.IDNumber):
			bad("id_number", "证件号码格式不正确")
		}
	}
	if t.IsOrganisation() {
		if a.OrgName == "" {
			bad("org_name", "请填写单位名称")
		}
		// Art. 29 asks for the organisation's name; the form's fields
		// (RULES.md §6.2) add its 法定代表人/负责人 and a contact person,
		// asked of every channel alike (web form, JSON API, chat-bot).
		if a.LegalRep == "" {
			bad("legal_rep", "请填写法定代表人或负责人")
		}
		if a.Name == "" {
			bad("name", "请填写联系人姓名")
		}
		switch {
		case a.CreditCode == "":
			bad("credit_code", "请填写统一社会信用代码（没有的请填“无”）")
		case a.CreditCode == "无":
		default:
			if c := CheckCreditCode(a.CreditCode); !c.Valid {
				bad("credit_code", c.Problem)
			}
		}
	}
	switch {
	case a.Phone == "":
		bad("phone", "请填写联系电话")
	case !(reMobile.MatchString(a.Phone) || reLandline.MatchString(a.Phone) || reIntl.MatchString(a.Phone)):
		bad("phone", "联系电话格式不正确（手机号为11位，座机请加区号）")
	}
	if a.Email != "" && !reEmail.MatchString(a.Email) {
		bad("email", "电子邮箱格式不正确")
	}
	if a.Postcode != "" && !rePostcode.MatchString(a.Postcode) {
		bad("postcode", "邮政编码应为6位数字")
	}
	delivery, ok := Deliveries[a.Delivery]
	switch {
	case a.Delivery == "":
		bad("delivery", "请选择获取信息的方式")
	case !ok:
		bad("delivery", "获取方式不在可选范围内")
	case delivery == "电子邮件" && a.Email == "":
		bad("email", "选择电子邮件获取时，请填写电子邮箱")
	case delivery == "纸质" && a.Address == "":
		bad("address", "选择邮寄获取时，请填写通信地址")
	}
	if a.Form != "" {
		known := false
		for _, f := range Forms {
			known = known || f == a.Form
		}
		if !known {
			bad("form", "提供形式不在可选范围内")
		}
	}
	if a.Description == "" && a.DocNo == "" {
		bad("description", "请填写所需政府信息的名称、文号或便于查询的特征性描述")
	} else if a.DocNo == "" && utf8.RuneCountInString(a.Description) < 4 {
		bad("description", "所需信息描述过于简单，请写明名称、文号、时间、地点等特征")
	}
	return errs
}

// FormOrImplied is the 提供形式 (required, RULES.md §6.2): the one asked
// for, else what the 获取方式 implies (e-mail and online: 电子文档; 光盘:
// 光盘; otherwise 纸质文本); "" while neither is known.
func (a *Application) FormOrImplied() string {
	if a.Form != "" {
		return a.Form
	}
	switch Deliveries[a.Delivery] {
	case "":
		return ""
	case "电子邮件", "网上获取":
		return "电子文档"
	case "光盘":
		return "光盘"
	}
	return "纸质文本"
}

// Applicant returns the applicant of a validated application.
func (a *Application) Applicant() Applicant {
	ap := Applicant{
		Type: ApplicantType(a.ApplicantType), Name: a.Name, IDType: a.IDType, IDNumber: a.IDNumber,
		OrgName: a.OrgName, CreditCode: a.CreditCode, LegalRep: a.LegalRep, Phone: a.Phone, Email: a.Email,
		Address: a.Address, Postcode: a.Postcode, Workplace: a.Workplace,
	}
	if ap.Type.IsOrganisation() {
		ap.IDType, ap.IDNumber = "", ""
	} else {
		ap.OrgName, ap.CreditCode, ap.LegalRep = "", "", ""
	}
	return ap
}

// DeliveryValue is the stored 获取方式 of the application.
func (a *Application) DeliveryValue() string {
	if v, ok := Deliveries[a.Delivery]; ok {
		return v
	}
	return "unspecified"
}

// FullDescription joins the 文号 and the description.
func (a *Application) FullDescription() string {
	if a.DocNo == "" {
		return a.Description
	}
	if a.Description == "" {
		return "文号：" + a.DocNo
	}
	return a.Description + "（文号：" + a.DocNo + "）"
}
