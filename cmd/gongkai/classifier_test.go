package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"gongkai"
)

// TestClassifierAdmin: an admin edits routing rules (a bad regex is refused
// with the reason), a registrar overrides a verdict field on a case, the
// override is in the history and counted on the accuracy page.
func TestClassifierAdmin(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "adm", gongkai.RoleAdmin)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	adm, reg, hand := login(t, ta, "adm"), login(t, ta, "reg"), login(t, ta, "hand")

	// Before any rule: the web filing gets the shipped routing's department.
	dept := func(desc string) string {
		app := validApplication()
		app["description"] = desc
		_, res := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(app))
		d, err := ta.Cases.CaseDetail(t.Context(), res["case_no"].(string), &gongkai.User{Roles: []gongkai.Role{gongkai.RoleAdmin}}, false)
		if err != nil {
			t.Fatal(err)
		}
		return d.Case.Department
	}
	if got := dept("星河湾片区2024年的项目批复"); got != "办公室" {
		t.Fatalf("shipped routing sent an unroutable request to %q, want 办公室", got)
	}
	_, page := get(t, adm, ta.URL+"/staff/admin/routing")
	csrf := hidden(t, page).Get("csrf")
	// An admin rule takes effect at once, without a restart.
	if status, _, _ := postForm(t, adm, ta.URL+"/staff/admin/routing", url.Values{"csrf": {csrf}, "pattern": {"星河湾"}, "department": {"城建股"}, "priority": {"100"}}); status != http.StatusSeeOther {
		t.Fatalf("save rule: %d", status)
	}
	if got := dept("星河湾片区2024年的项目批复"); got != "城建股" {
		t.Errorf("after the admin rule the department is %q, want 城建股", got)
	}
	status, body, _ := postForm(t, adm, ta.URL+"/staff/admin/routing", url.Values{"csrf": {csrf}, "pattern": {"(人才公寓"}, "is_regex": {"1"}, "department": {"住房保障股"}, "priority": {"5"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "正则表达式有误") {
		t.Errorf("bad regex: status %d", status)
	}
	status, _, _ = postForm(t, adm, ta.URL+"/staff/admin/routing", url.Values{"csrf": {csrf}, "pattern": {"人才公寓"}, "department": {"住房保障股"}, "priority": {"5"}})
	if status != http.StatusSeeOther {
		t.Fatalf("save rule: %d", status)
	}
	if _, body := get(t, adm, ta.URL+"/staff/admin/routing"); !strings.Contains(body, "人才公寓") || !strings.Contains(body, "住房保障股") {
		t.Errorf("saved rule not listed")
	}
	if status, _ := get(t, hand, ta.URL+"/staff/admin/routing"); status != http.StatusForbidden {
		t.Errorf("handler on routing rules: %d, want 403", status)
	}

	_, res := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(validApplication()))
	no := res["case_no"].(string)
	_, page = get(t, reg, ta.URL+"/staff/cases/"+no+"/verdict")
	csrf = hidden(t, page).Get("csrf")
	status, _, _ = postForm(t, reg, ta.URL+"/staff/cases/"+no+"/override", url.Values{"csrf": {csrf}, "field": {"applicant_type"}, "value": {"商业企业"}, "reason": {"以公司名义申请"}})
	if status != http.StatusSeeOther {
		t.Fatalf("override: %d", status)
	}
	if status, _, _ := postForm(t, reg, ta.URL+"/staff/cases/"+no+"/override", url.Values{"csrf": {csrf}, "field": {"applicant_type"}, "value": {"外星人"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("invalid override value: %d, want 422", status)
	}
	_, body = get(t, reg, ta.URL+"/staff/cases/"+no)
	if !strings.Contains(body, "将申请人类型由“自然人”改为“商业企业”") {
		t.Errorf("override not in the history")
	}
	if _, body := get(t, reg, ta.URL+"/staff/classifier"); !strings.Contains(body, "申请人类型") {
		t.Errorf("accuracy page lacks the field rows")
	}
	_, page = get(t, hand, ta.URL+"/staff/cases/"+no+"/verdict")
	if status, _, _ := postForm(t, hand, ta.URL+"/staff/cases/"+no+"/override", url.Values{"csrf": {hidden(t, page).Get("csrf")}, "field": {"department"}, "value": {"办公室"}}); status != http.StatusForbidden {
		t.Errorf("handler override: %d, want 403", status)
	}
}
