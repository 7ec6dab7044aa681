package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/internal/testkit"
)

// fileByAPI files validApplication through the API and returns the answer.
func fileByAPI(t *testing.T, ta *testApp) map[string]any {
	t.Helper()
	status, res := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(validApplication()))
	if status != 201 {
		t.Fatalf("file: %d %v", status, res)
	}
	return res
}

// act posts one inbox action form of a case, as the page would.
func act(t *testing.T, ta *testApp, c *http.Client, no, action string, fields map[string]string) (int, string) {
	t.Helper()
	_, page := get(t, c, ta.URL+"/staff/cases/"+no)
	v := url.Values{"csrf": {hidden(t, page).Get("csrf")}, "action": {action}}
	for k, x := range fields {
		v.Set(k, x)
	}
	status, body, resp := postForm(t, c, ta.URL+"/staff/cases/"+no+"/act", v)
	if status == http.StatusSeeOther {
		_, body = get(t, c, ta.URL+resp.Header.Get("Location"))
	}
	return status, body
}

// TestInboxWalk walks one case from registration to closing through the
// inbox's forms, as registrar, handler and approver (issue 3).
func TestInboxWalk(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	// Fix "today" to a known working day so that due dates are hand-checkable.
	clock := testkit.NewClock(time.Date(2025, 9, 26, 9, 0, 0, 0, gongkai.Beijing)) // Fri
	ta := startApp(t, cfg, func(a *App) { a.DB.Now = clock.Now })
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	ta.addUser(t, "boss", gongkai.RoleApprover)

	res := fileByAPI(t, ta)
	no := res["case_no"].(string)
	// Received Fri 2025-09-26 (web, a working day): +20 wd skipping 10/1–10/8,
	// with Sun 9/28 and Sat 10/11 working → 2025-10-30.
	if res["due_on"] != "2025-10-30" {
		t.Fatalf("due_on %v, want 2025-10-30", res["due_on"])
	}
	reg, hand, boss := login(t, ta, "reg"), login(t, ta, "hand"), login(t, ta, "boss")

	// The handler cannot triage; the button is not even shown.
	if _, page := get(t, hand, ta.URL+"/staff/cases/"+no); strings.Contains(page, `value="register"`) {
		t.Errorf("handler is offered the registrar's triage action")
	}
	if status, _ := act(t, ta, hand, no, "register", nil); status != http.StatusForbidden {
		t.Errorf("handler triage: %d, want 403", status)
	}

	steps := []struct {
		who    *http.Client
		action string
		fields map[string]string
		status gongkai.Status
		want   string // text that must appear on the case page afterwards
	}{
		{reg, "register", nil, gongkai.StatusProcessing, "办理中"},
		{reg, "assign", map[string]string{"department": "办公室", "assignee": "hand"}, gongkai.StatusProcessing, "hand"},
		{hand, "request_extension", map[string]string{"reason": "涉及档案较多，需调取核查"}, gongkai.StatusProcessing, "涉及档案较多"},
		// Approved: +20 more working days after 2025-10-30 → 2025-11-27.
		{boss, "approve_extension", map[string]string{"reason": "同意延期"}, gongkai.StatusProcessing, "2025年11月27日"},
		{hand, "draft_answer", map[string]string{"result": "result.disclosed", "reason": "信息已找到"}, gongkai.StatusDrafted, "予以公开"},
		{boss, "approve_answer", map[string]string{"reason": "同意"}, gongkai.StatusApproved, "答复待发出"},
		{hand, "send_answer", map[string]string{"reason": "已通过电子邮件发送"}, gongkai.StatusClosed, "已办结"},
	}
	for _, s := range steps {
		clock.Advance(time.Hour)
		if s.action == "send_answer" {
			// Without a word on how it went out, the inbox sends the
			// answer to the letter desk instead.
			if status, body := act(t, ta, s.who, no, s.action, nil); status != http.StatusUnprocessableEntity || !strings.Contains(body, "文书") {
				t.Errorf("send_answer without saying how: %d", status)
			}
		}
		status, body := act(t, ta, s.who, no, s.action, s.fields)
		if status != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%.600s", s.action, status, body)
		}
		if !strings.Contains(body, s.want) {
			t.Errorf("after %s the case page lacks %q", s.action, s.want)
		}
		var c *gongkai.Case
		d, err := ta.Cases.CaseDetail(t.Context(), no, &gongkai.User{Username: "t", Roles: []gongkai.Role{gongkai.RoleAdmin}}, false)
		if err != nil {
			t.Fatal(err)
		}
		c = d.Case
		if c.Status != s.status {
			t.Errorf("after %s: status %s, want %s", s.action, c.Status, s.status)
		}
	}
	d, _ := ta.Cases.CaseDetail(t.Context(), no, &gongkai.User{Username: "t", Roles: []gongkai.Role{gongkai.RoleAdmin}}, false)
	if d.Case.Result != gongkai.ResultDisclosed || d.Case.AnsweredOn.IsZero() || !d.Case.Extended {
		t.Errorf("closed case: result %s answered %s extended %v", d.Case.Result, d.Case.AnsweredOn, d.Case.Extended)
	}
	kinds := map[string]string{}
	for _, e := range d.Events {
		kinds[e.Kind] = e.Actor
	}
	if !slices.ContainsFunc(d.Events, func(e gongkai.Event) bool {
		return e.Kind == "answer_sent" && strings.Contains(e.Reason, "答复未经本系统文书发出：已通过电子邮件发送")
	}) {
		t.Errorf("the history does not say the answer went out without a letter of the system")
	}
	for kind, actor := range map[string]string{"registered": "applicant", "extension_requested": "hand", "extension_approved": "boss", "answer_approved": "boss"} {
		if kinds[kind] != actor {
			t.Errorf("history: %s by %q, want by %s (have %v)", kind, kinds[kind], actor, kinds)
		}
	}
	// An illegal transition on the closed case is refused with a reason.
	if status, body := act(t, ta, reg, no, "request_correction", nil); status != http.StatusConflict || !strings.Contains(body, "error") {
		t.Errorf("补正 on a closed case: %d", status)
	}
	// The public status page shows the outcome steps in plain words.
	if _, body := get(t, browser(t), ta.URL+"/api/v1/requests/"+no+"?code="+res["query_code"].(string)); !strings.Contains(body, "答复期限已依法延长") || !strings.Contains(body, "已办结") {
		t.Errorf("public history: %s", body)
	}
}

// TestAssignOnlyHandlers: a case is handed only to a handler who exists,
// is active and belongs to the 股室 named; anything else is refused with
// the reason, and the case stays as it was.
func TestAssignOnlyHandlers(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	ta.addUser(t, "boss", gongkai.RoleApprover)
	no := fileByAPI(t, ta)["case_no"].(string)
	reg := login(t, ta, "reg")
	if status, _ := act(t, ta, reg, no, "register", nil); status != http.StatusSeeOther {
		t.Fatalf("register: %d", status)
	}
	for _, tc := range []struct{ assignee, want string }{
		{"nobody", "没有用户名为"},
		{"boss", "没有承办人角色"},
	} {
		status, body := act(t, ta, reg, no, "assign", map[string]string{"department": "办公室", "assignee": tc.assignee})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
			t.Errorf("assign to %s: %d, want 422 %q", tc.assignee, status, tc.want)
		}
	}
	if status, _ := act(t, ta, reg, no, "assign", map[string]string{"department": "办公室", "assignee": "hand"}); status != http.StatusSeeOther {
		t.Errorf("assign to a handler: %d", status)
	}
	// The 补正 period is typed on the page (RULES.md §3.5: editable per case).
	if _, page := get(t, reg, ta.URL+"/staff/cases/"+no); !strings.Contains(page, `name="days"`) {
		t.Errorf("the case page offers no period to type")
	}
	if status, _ := act(t, ta, reg, no, "request_correction", map[string]string{"days": "10"}); status != http.StatusSeeOther {
		t.Fatalf("补正 with a 10-day period: %d", status)
	}
	d, err := ta.Cases.CaseDetail(t.Context(), no, &gongkai.User{Username: "t", Roles: []gongkai.Role{gongkai.RoleAdmin}, Active: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ta.Cal.AddWorkdays(d.Case.ClockFrom, 10)
	if err != nil || !d.Case.CorrectionDue.Equal(want) {
		t.Errorf("补正期限 %s, want %s (10 working days), %v", d.Case.CorrectionDue, want, err)
	}
}
