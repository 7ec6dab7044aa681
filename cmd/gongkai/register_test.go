package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/store"
)

// TestRegisterPaper: a registrar enters a letter signed for three days ago;
// the case is received as of that day by post rules, its history names her;
// the same form sent twice is one case; a future date, an unknown channel
// and a missing 法定代表人 are refused with the form kept; a handler may not.
func TestRegisterPaper(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, gongkai.Beijing) // a Friday
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")), func(a *App) { a.DB.Now = func() time.Time { return now } })
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)

	if status, _ := get(t, login(t, ta, "hand"), ta.URL+"/staff/cases/new"); status != http.StatusForbidden {
		t.Errorf("handler on the registration form: %d, want 403", status)
	}
	reg := login(t, ta, "reg")
	_, inbox := get(t, reg, ta.URL+"/staff")
	if !strings.Contains(inbox, `href="/staff/cases/new"`) {
		t.Errorf("inbox lacks the registration link")
	}
	status, page := get(t, reg, ta.URL+"/staff/cases/new")
	if status != http.StatusOK || !strings.Contains(page, "登记纸质、当面或传真申请") || !strings.Contains(page, `value="2026-11-27"`) || !strings.Contains(page, "信函") {
		t.Fatalf("registration form: %d\n%.2000s", status, page)
	}
	form := hidden(t, page)
	for k, v := range validApplication() {
		form.Set(k, v)
	}
	form.Set("delivery", "邮寄")
	form.Set("channel", "post")
	form.Set("received", "2026-11-24")

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("received", "2026-11-28")
	bad.Set("channel", "web")
	if status, body, _ := postForm(t, reg, ta.URL+"/staff/cases/new", bad); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "收到日期不能晚于今天") || !strings.Contains(body, "请选择当面提交、信函或传真") || !strings.Contains(body, "翠湖名苑") {
		t.Errorf("future date and web channel: %d\n%.3000s", status, body)
	}
	bad.Set("received", "2026-11-24")
	bad.Set("channel", "post")
	bad.Set("applicant_type", "商业企业")
	bad.Set("org_name", "洛阳某某置业有限公司")
	bad.Set("credit_code", "91410303MA9XXXXX1X")
	if status, body, _ := postForm(t, reg, ta.URL+"/staff/cases/new", bad); status != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写法定代表人或负责人") {
		t.Errorf("organisation without 法定代表人: %d\n%.2000s", status, body)
	}

	status, body, resp := postForm(t, reg, ta.URL+"/staff/cases/new", form)
	no := strings.TrimPrefix(resp.Header.Get("Location"), "/staff/cases/")
	if status != http.StatusSeeOther || !reCaseNo.MatchString(no) {
		t.Fatalf("register: %d %q\n%.2000s", status, resp.Header.Get("Location"), body)
	}
	if _, _, resp := postForm(t, reg, ta.URL+"/staff/cases/new", form); resp.Header.Get("Location") != "/staff/cases/"+no {
		t.Errorf("the same form again went to %q, want %s", resp.Header.Get("Location"), no)
	}
	err := ta.DB.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByNo(no)
		if err != nil {
			return err
		}
		want := &gongkai.Case{Channel: gongkai.ChannelPost}
		if err := caseflow.Register(want, time.Date(2026, 11, 24, 12, 0, 0, 0, gongkai.Beijing), ta.Cal); err != nil {
			return err
		}
		if c.Channel != gongkai.ChannelPost || c.ReceivedOn != gongkai.MustDate("2026-11-24") || c.DueOn != want.DueOn || c.Form != "纸质文本" || c.Delivery != "纸质" {
			t.Errorf("case: channel %s received %s due %s (want %s) form %q delivery %q", c.Channel, c.ReceivedOn, c.DueOn, want.DueOn, c.Form, c.Delivery)
		}
		evs, err := tx.Events(c.ID)
		if err != nil {
			return err
		}
		if len(evs) == 0 || evs[0].Kind != "registered" || evs[0].Actor != "reg" || !strings.Contains(evs[0].Detail, "信函") {
			t.Errorf("history: %+v", evs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
