package chatbot

import (
	"strings"

	"gongkai"
	"gongkai/classifier"
)

// apply writes found values into the state and returns the fields written.
func (e *Engine) apply(st *State, f found) []string {
	var out []string
	if f.kind != "" && f.kind != st.Kind {
		st.Kind = f.kind
		if f.kind == "person" {
			st.App.ApplicantType, st.TypeFixed = string(gongkai.NaturalPerson), false
		} else if st.App.ApplicantType == string(gongkai.NaturalPerson) {
			st.App.ApplicantType = ""
		}
		out = append(out, "applicant_type")
	}
	if f.typ != "" {
		st.App.ApplicantType, st.TypeFixed = f.typ, true
	}
	for _, k := range f.order {
		v := f.vals[k]
		if k == "id_type" {
			st.App.IDType = v
			continue
		}
		p := fieldPtr(&st.App, k)
		if p == nil {
			continue
		}
		*p = v
		out = append(out, k)
		if k == "id_number" && !f.has("id_type") {
			// A number without its document's name: a 居民身份证, unless
			// its shape says otherwise.
			st.App.IDType = idTypeOfNumber(v)
		}
	}
	// An ID number makes a person, a credit code or an organisation's name an
	// organisation, unless the applicant said otherwise.
	if st.Kind == "" {
		switch {
		case f.has("credit_code") || f.has("org_name") || f.has("legal_rep"):
			st.Kind = "org"
		case f.has("id_number"):
			st.Kind = "person"
			st.App.ApplicantType = string(gongkai.NaturalPerson)
		}
	}
	if st.Kind == "org" && !st.TypeFixed {
		st.App.ApplicantType = orgType(st.App.OrgName, st.App.CreditCode)
	}
	if st.Kind == "person" {
		st.App.ApplicantType = string(gongkai.NaturalPerson)
	}
	if st.Asking != "" {
		for _, k := range out {
			if k == st.Asking {
				st.Asking = ""
			}
		}
	}
	return out
}

// orgType suggests the report column of an organisation (RULES.md §6.4) from
// its name and credit code, through the classifier's rules.
func orgType(name, code string) string {
	var b strings.Builder
	if name != "" {
		b.WriteString("单位名称：" + name + "\n")
	}
	if code != "" && code != "无" {
		b.WriteString("统一社会信用代码：" + code + "\n")
	}
	if t := classifier.Extract(b.String()).ApplicantType; t.IsOrganisation() {
		return string(t)
	}
	return string(gongkai.OtherOrg)
}

// fieldPtr returns the Application field of a JSON name.
func fieldPtr(a *gongkai.Application, name string) *string {
	switch name {
	case "applicant_type":
		return &a.ApplicantType
	case "name":
		return &a.Name
	case "id_type":
		return &a.IDType
	case "id_number":
		return &a.IDNumber
	case "org_name":
		return &a.OrgName
	case "credit_code":
		return &a.CreditCode
	case "legal_rep":
		return &a.LegalRep
	case "phone":
		return &a.Phone
	case "email":
		return &a.Email
	case "address":
		return &a.Address
	case "postcode":
		return &a.Postcode
	case "description":
		return &a.Description
	case "doc_no":
		return &a.DocNo
	case "purpose":
		return &a.Purpose
	case "delivery":
		return &a.Delivery
	case "form":
		return &a.Form
	}
	return nil
}

// fieldLabel is a field's name as the citizen reads it.
func fieldLabel(st *State, name string) string {
	switch name {
	case "applicant_type":
		return "申请人类型"
	case "name":
		if st.Kind == "org" {
			return "联系人"
		}
		return "姓名"
	case "id_number", "id_type":
		return "身份证件号码"
	case "org_name":
		return "单位名称"
	case "credit_code":
		return "统一社会信用代码"
	case "legal_rep":
		return "法定代表人或负责人"
	case "phone":
		return "联系电话"
	case "email":
		return "电子邮箱"
	case "address":
		return "通信地址"
	case "postcode":
		return "邮政编码"
	case "description":
		return "所需信息"
	case "purpose":
		return "用途"
	case "form":
		return "提供形式"
	case "delivery":
		return "获取方式"
	}
	return name
}

// summary lists the application for confirmation.
func summary(st *State) string {
	a := st.App
	a.Normalize()
	var b []string
	add := func(label, v string) {
		if v != "" {
			b = append(b, label+"："+v)
		}
	}
	add("申请人类型", a.ApplicantType)
	if st.Kind == "org" {
		add("单位名称", a.OrgName)
		add("统一社会信用代码", a.CreditCode)
		add("法定代表人或负责人", a.LegalRep)
		add("联系人", a.Name)
	} else {
		add("姓名", a.Name)
		add("证件", strings.TrimSpace(a.IDType+" "+a.IDNumber))
	}
	add("联系电话", a.Phone)
	add("电子邮箱", a.Email)
	addr := a.Address
	if a.Postcode != "" {
		addr += "（邮编 " + a.Postcode + "）"
	}
	add("通信地址", addr)
	add("所需信息", a.FullDescription())
	add("用途", a.Purpose)
	add("提供形式", a.FormOrImplied())
	add("获取方式", a.Delivery)
	return strings.Join(b, "\n")
}
