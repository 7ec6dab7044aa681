package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongkai"
	"gongkai/internal/testkit"
)

// TestBrowserFileAndOpen is the pattern every page test follows: a citizen
// fills the public form in a real headless Chromium and gets a 受理编号; a
// registrar logs in and opens that case.
func TestBrowserFileAndOpen(t *testing.T) {
	ctx := testkit.BrowserContext(t)
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)

	err := chromedp.Do(ctx,
		chromedp.Navigate(ta.URL+"/"),
		chromedp.WaitVisible(`#apply-form`),
		chromedp.SetValue(`#applicant_type`, "自然人"),
		chromedp.SendKeys(`#name`, "王五"),
		chromedp.SendKeys(`#id_number`, "11010519491231002X"),
		chromedp.SendKeys(`#phone`, "139 0379 1562"),
		chromedp.SendKeys(`#email`, "wangwu@example.com"),
		chromedp.SendKeys(`#description`, "西工区2024年公共租赁住房配租名单"),
		chromedp.SetValue(`#delivery`, "电子邮件"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#case-no`),
	)
	if err != nil {
		t.Fatalf("citizen files the form: %v", err)
	}
	caseNo, code, due := text(t, ctx, `#case-no`), text(t, ctx, `#query-code`), text(t, ctx, `#due-on`)
	if !reCaseNo.MatchString(caseNo) || len(code) != 8 || !strings.Contains(due, "年") {
		t.Fatalf("result page: case %q code %q due %q", caseNo, code, due)
	}

	openCaseAs(t, ctx, ta, "reg", caseNo)
	desc, name, idShown := text(t, ctx, `#description`), text(t, ctx, `#applicant-name`), text(t, ctx, `#id-number`)
	if desc != "西工区2024年公共租赁住房配租名单" || name != "王五" {
		t.Errorf("case page shows %q / %q", desc, name)
	}
	if idShown != gongkai.MaskID("11010519491231002X") {
		t.Errorf("ID shown as %q, want it masked", idShown)
	}
}

// text reads the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// staffLogin logs a staff member in through the login page (password
// "password-"+user, as addUser sets it); the inbox is shown after it.
func staffLogin(t *testing.T, ctx context.Context, ta *testApp, user string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(ta.URL+"/staff"),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, user),
		chromedp.SendKeys(`#password`, "password-"+user),
		chromedp.Click(`#login`),
		chromedp.WaitVisible(`table.cases`),
	)
	if err != nil {
		t.Fatalf("%s logs in: %v", user, err)
	}
}

// openCaseAs logs a staff member in and opens a case from the inbox list.
func openCaseAs(t *testing.T, ctx context.Context, ta *testApp, user, caseNo string) {
	t.Helper()
	staffLogin(t, ctx, ta, user)
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(`a[href="/staff/cases/`+caseNo+`"]`),
		chromedp.Click(`a[href="/staff/cases/`+caseNo+`"]`),
		chromedp.WaitVisible(`#description`),
	)
	if err != nil {
		t.Fatalf("%s opens the case: %v", user, err)
	}
}

// TestBrowserMailArchive: spam held for a person reaches the registrar's
// mail view; she reads it and archives it with a reason, in Chromium.
func TestBrowserMailArchive(t *testing.T) {
	ctx := testkit.BrowserContext(t)
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["mail-from"] = "ysqgk@zjj.xigong.example"
	ta := startApp(t, cfg)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	raw, err := os.ReadFile(filepath.Join(testkit.CorpusDir(t, "dev"), "011.eml")) // spam
	if err != nil {
		t.Fatal(err)
	}
	sendMail(t, ta.SMTPAddr, raw)
	waitProcessed(t, ta.DB, 1)

	staffLogin(t, ctx, ta, "reg")
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(`a[href="/staff/mail"]`),
		chromedp.Click(`a[href="/staff/mail"]`),
		chromedp.WaitVisible(`#mail a[href^="/staff/mail/"]`),
		chromedp.Click(`#mail a[href^="/staff/mail/"]`),
		chromedp.WaitVisible(`#mail-text`),
		chromedp.SendKeys(`#note`, "确认为垃圾邮件"),
		chromedp.Click(`#archive`),
		chromedp.WaitVisible(`#mail-done`),
	)
	if err != nil {
		t.Fatalf("registrar archives the spam: %v", err)
	}
	if tabs := text(t, ctx, `#mail-tabs`); !strings.Contains(tabs, "待处理（0）") || !strings.Contains(tabs, "已处理（1）") {
		t.Errorf("tabs after archiving: %q", tabs)
	}
}

// TestBrowserRegisterPaper: a registrar enters a letter from the inbox's
// registration link in Chromium and lands on the new case.
func TestBrowserRegisterPaper(t *testing.T) {
	ctx := testkit.BrowserContext(t)
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	staffLogin(t, ctx, ta, "reg")
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(`#register-paper`),
		chromedp.Click(`#register-paper`),
		chromedp.WaitVisible(`#apply-form`),
		chromedp.SetValue(`#channel`, "post"),
		chromedp.SetValue(`#applicant_type`, "自然人"),
		chromedp.SendKeys(`#name`, "赵六"),
		chromedp.SendKeys(`#id_number`, "11010519491231002X"),
		chromedp.SendKeys(`#phone`, "13903791562"),
		chromedp.SendKeys(`#address`, "洛阳市西工区凯旋东路1号"),
		chromedp.SendKeys(`#description`, "西工区2025年城镇老旧小区改造计划"),
		chromedp.SetValue(`#delivery`, "邮寄"),
		chromedp.Click(`#submit`),
		chromedp.WaitVisible(`#history`),
	)
	if err != nil {
		t.Fatalf("registrar enters a letter: %v", err)
	}
	if d, h := text(t, ctx, `#description`), text(t, ctx, `#history`); d != "西工区2025年城镇老旧小区改造计划" || !strings.Contains(h, "通过信函收到申请") || !strings.Contains(h, "reg") {
		t.Errorf("case page: description %q, history %q", d, h)
	}
}
