package gongkai

import (
	"testing"
	"time"
)

func TestApplicationValidate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := func() Application {
		return Application{ApplicantType: "自然人", Name: "张三", IDNumber: "110101199003074477", Phone: "138 0000 0000",
			Email: "A@Example.com", Description: "某小区商品房预售许可证", Delivery: "电子邮件"}
	}
	tests := []struct {
		name   string
		edit   func(*Application)
		fields []string
		msg    string // when set, the message of the first field in fields
	}{
		{"valid person", func(*Application) {}, nil, ""},
		{"purpose never required", func(a *Application) { a.Purpose = "" }, nil, ""},
		{"all bad at once", func(a *Application) {
			a.Name, a.IDNumber, a.Phone, a.Email, a.Description = "", "110101199003074476", "123", "x@", ""
		}, []string{"name", "id_number", "phone", "email", "description"}, ""},
		{"post needs an address", func(a *Application) { a.Delivery = "邮寄" }, []string{"address"}, ""},
		{"email delivery needs an email", func(a *Application) { a.Email = "" }, []string{"email"}, ""},
		{"passport: format only", func(a *Application) { a.IDType, a.IDNumber = "护照", "E12345678" }, nil, ""},
		{"old 15-digit 身份证 accepted (RULES.md §6.3)", func(a *Application) { a.IDNumber = "110105491231002" }, nil, ""},
		{"15 digits on a 居住证 are not", func(a *Application) { a.IDType, a.IDNumber = "港澳居民居住证", "810000940823002" }, []string{"id_number"}, ""},
		{"unknown type", func(a *Application) { a.ApplicantType = "公司" }, []string{"applicant_type"}, ""},
		// 外国人永久居留身份证: the old 15-character number (3 letters + 12
		// digits) by its shape, the 2023 18-character one by its check.
		{"永久居留证, old number", func(a *Application) { a.IDType, a.IDNumber = "外国人永久居留身份证", "USA110070117001" }, nil, ""},
		{"永久居留证, old number in lower case", func(a *Application) { a.IDType, a.IDNumber = "外国人永久居留身份证", "usa110070117001" }, nil, ""},
		{"永久居留证, new number", func(a *Application) { a.IDType, a.IDNumber = "外国人永久居留身份证", "911840199003070014" }, nil, ""},
		{"永久居留证, new number with a wrong check", func(a *Application) {
			a.IDType, a.IDNumber = "外国人永久居留身份证", "911840199003070015"
		}, []string{"id_number"}, "外国人永久居留身份证号码校验位不正确"},
		{"永久居留证, neither shape", func(a *Application) { a.IDType, a.IDNumber = "外国人永久居留身份证", "E12345678" }, []string{"id_number"},
			"外国人永久居留身份证号码应为18位（以9开头），旧版为15位（3个英文字母加12位数字）"},
		{"passport keeps the loose format", func(a *Application) { a.IDType, a.IDNumber = "护照", "USA11007011700" }, nil, ""},
		{"organisation", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode, a.LegalRep, a.IDNumber = "商业企业", "洛阳某置业有限公司", "91350100M000100Y43", "赵六", ""
		}, nil, ""},
		{"organisation bad code", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode, a.LegalRep = "商业企业", "洛阳某置业有限公司", "91350100M000100Y44", "赵六"
		}, []string{"credit_code"}, "统一社会信用代码校验位不正确"},
		{"organisation without code says 无", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode, a.LegalRep = "其他", "某小区业主委员会", "无", "刘七"
		}, nil, ""},
		// RULES.md §6.2: 法定代表人/负责人 and 联系人 are required of organisations,
		// on every channel (the JSON API and the chat-bot file through Validate).
		{"organisation without 法定代表人", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode = "商业企业", "洛阳某置业有限公司", "91350100M000100Y43"
		}, []string{"legal_rep"}, "请填写法定代表人或负责人"},
		{"organisation 法定代表人 of spaces only", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode, a.LegalRep = "其他", "某小区业主委员会", "无", " \u3000 "
		}, []string{"legal_rep"}, "请填写法定代表人或负责人"},
		{"organisation without 联系人", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode, a.LegalRep, a.Name = "商业企业", "洛阳某置业有限公司", "91350100M000100Y43", "赵六", ""
		}, []string{"name"}, "请填写联系人姓名"},
		{"a person needs no 法定代表人", func(a *Application) { a.LegalRep = "" }, nil, ""},
		{"landline", func(a *Application) { a.Phone = "0379-63218857" }, nil, ""},
		{"landline, area code in brackets", func(a *Application) { a.Phone = "(0379)6321 5678" }, nil, ""},
		{"landline, area code in full-width brackets", func(a *Application) { a.Phone = "（0379）63215678" }, nil, ""},
		{"landline with an extension after a dash", func(a *Application) { a.Phone = "0379-63215678-801" }, nil, ""},
		{"landline, brackets and an extension", func(a *Application) { a.Phone = "(0379)6321 5678转801" }, nil, ""},
		{"local number too short", func(a *Application) { a.Phone = "(0379)632156" }, []string{"phone"}, "联系电话格式不正确（手机号为11位，座机请加区号）"},
		{"area code without its 0", func(a *Application) { a.Phone = "(379)63215678" }, []string{"phone"}, "联系电话格式不正确（手机号为11位，座机请加区号）"},
		{"extension too long", func(a *Application) { a.Phone = "0379-63215678-8012345" }, []string{"phone"}, "联系电话格式不正确（手机号为11位，座机请加区号）"},
		{"mobile one digit short", func(a *Application) { a.Phone = "1380000000" }, []string{"phone"}, "联系电话格式不正确（手机号为11位，座机请加区号）"},
		{"no digits", func(a *Application) { a.Phone = "打我电话" }, []string{"phone"}, "联系电话格式不正确（手机号为11位，座机请加区号）"},
		{"full-width digits", func(a *Application) { a.Phone = "１３８００００００００" }, nil, ""},
		{"doc number alone identifies", func(a *Application) { a.Description, a.DocNo = "", "洛西住建〔2024〕12号" }, nil, ""},
		{"too vague", func(a *Application) { a.Description = "文件" }, []string{"description"}, ""},
		{"unknown delivery", func(a *Application) { a.Delivery = "飞鸽传书" }, []string{"delivery"}, ""},
	}
	for _, tt := range tests {
		a := base()
		tt.edit(&a)
		a.Normalize()
		errs := a.Validate(now)
		got := map[string]bool{}
		for _, e := range errs {
			got[e.Field] = true
			if e.Message == "" {
				t.Errorf("%s: field %s without a message", tt.name, e.Field)
			}
		}
		for _, f := range tt.fields {
			if !got[f] {
				t.Errorf("%s: %s not reported (got %v)", tt.name, f, errs)
			}
		}
		if tt.msg != "" {
			for _, e := range errs {
				if e.Field == tt.fields[0] {
					if e.Message != tt.msg {
						t.Errorf("%s: %s: %q, want %q", tt.name, e.Field, e.Message, tt.msg)
					}
					break
				}
			}
		}
		if len(tt.fields) == 0 && len(errs) > 0 {
			t.Errorf("%s: unexpected errors %v", tt.name, errs)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"138 0000 0000", "13800000000"}, {"+86 138-0000-0000", "13800000000"}, {"0379-63218857", "0379-63218857"},
		{"037963218857", "0379-63218857"}, {"010 12345678", "010-12345678"}, {"+852 9137 6604", "+85291376604"},
		{"+86 379 6321 2345", "0379-63212345"}, {"0086 13800138000", "13800138000"}, {"86-13800138000", "13800138000"},
		{"0379 6321 2345 转 801", "0379-63212345-801"}, {"0379-63212345分机801", "0379-63212345-801"}, {"+86 10 1234 5678", "010-12345678"},
		// The area code in brackets, half- or full-width.
		{"(0379)6321 5678", "0379-63215678"}, {"（0379）63215678", "0379-63215678"}, {"(0379) 6321-5678", "0379-63215678"},
		{"(010)12345678", "010-12345678"}, {"（０３７９）６３２１５６７８", "0379-63215678"}, {"(0379)6321567", "0379-6321567"},
		{"+86 (0379) 6321 5678", "0379-63215678"},
		// An extension after a last dash, when a whole number comes before it.
		{"0379-63215678-801", "0379-63215678-801"}, {"037963215678-801", "0379-63215678-801"}, {"(0379)6321 5678-801", "0379-63215678-801"},
		{"010-12345678-1", "010-12345678-1"}, {"（0379）63215678转801", "0379-63215678-801"}, {"0379-6321-5678", "0379-63215678"},
		{"138-0000-0000", "13800000000"},
		// Not a number: left as written, for Validate to refuse.
		{"(0379)632156", "(0379)632156"}, {"0379-6321-56", "0379-6321-56"}, {"0379-63215678-8012345", "0379-63215678-8012345"},
		{"037963215678-8012345", "037963215678-8012345"},
		{"12345", "12345"}, {"打我电话", "打我电话"},
	} {
		if got := NormalizePhone(tt.in); got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
