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
	}{
		{"valid person", func(*Application) {}, nil},
		{"purpose never required", func(a *Application) { a.Purpose = "" }, nil},
		{"all bad at once", func(a *Application) {
			a.Name, a.IDNumber, a.Phone, a.Email, a.Description = "", "110101199003074476", "123", "x@", ""
		}, []string{"name", "id_number", "phone", "email", "description"}},
		{"post needs an address", func(a *Application) { a.Delivery = "邮寄" }, []string{"address"}},
		{"email delivery needs an email", func(a *Application) { a.Email = "" }, []string{"email"}},
		{"passport: format only", func(a *Application) { a.IDType, a.IDNumber = "护照", "E12345678" }, nil},
		{"old 15-digit 身份证 accepted (RULES.md §6.3)", func(a *Application) { a.IDNumber = "110105491231002" }, nil},
		{"15 digits on a 居住证 are not", func(a *Application) { a.IDType, a.IDNumber = "港澳居民居住证", "810000940823002" }, []string{"id_number"}},
		{"unknown type", func(a *Application) { a.ApplicantType = "公司" }, []string{"applicant_type"}},
		{"organisation", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode, a.IDNumber = "商业企业", "洛阳某置业有限公司", "91350100M000100Y43", ""
		}, nil},
		{"organisation bad code", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode = "商业企业", "洛阳某置业有限公司", "91350100M000100Y44"
		}, []string{"credit_code"}},
		{"organisation without code says 无", func(a *Application) {
			a.ApplicantType, a.OrgName, a.CreditCode = "其他", "某小区业主委员会", "无"
		}, nil},
		{"landline", func(a *Application) { a.Phone = "0379-63218857" }, nil},
		{"full-width digits", func(a *Application) { a.Phone = "１３８００００００００" }, nil},
		{"doc number alone identifies", func(a *Application) { a.Description, a.DocNo = "", "洛西住建〔2024〕12号" }, nil},
		{"too vague", func(a *Application) { a.Description = "文件" }, []string{"description"}},
		{"unknown delivery", func(a *Application) { a.Delivery = "飞鸽传书" }, []string{"delivery"}},
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
		if len(tt.fields) == 0 && len(errs) > 0 {
			t.Errorf("%s: unexpected errors %v", tt.name, errs)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"138 0000 0000": "13800000000", "+86 138-0000-0000": "13800000000", "0379-63218857": "0379-63218857",
		"037963218857": "0379-63218857", "010 12345678": "010-12345678", "+852 9137 6604": "+85291376604",
		"+86 379 6321 2345": "0379-63212345", "0086 13800138000": "13800138000", "86-13800138000": "13800138000",
		"0379 6321 2345 转 801": "0379-63212345-801", "0379-63212345分机801": "0379-63212345-801", "+86 10 1234 5678": "010-12345678",
	} {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}
