package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/report"
	"gongkai/store"
	"gongkai/workday"
)

// seedPartial are the seed's four 部分公开 applications (seed2024.csv).
var seedPartial = []string{"GK-2024-000001", "GK-2024-000004", "GK-2024-000006", "GK-2024-000009"}

var reDrillItem = regexp.MustCompile(`<li><a href="/staff/cases/(GK-\d{4}-\d{6})">`)

// TestAnnualReportPages: the seed ledger imported with the CLI shows on the
// staff report page with its drill-downs, checks and downloads; the inputs
// form saves and the report then prints the saved text.
// seededApp serves a database holding the seed's ten 2024 applications,
// imported from the ledger with `gongkai import`.
func seededApp(t *testing.T) (*testApp, string) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "g.db")
	if code, out, errs := runCLI(t, "import", "../../report/testdata/seed2024.csv", "--db", dbPath); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	return startApp(t, testConfig(dbPath)), dbPath
}

func TestAnnualReportPages(t *testing.T) {
	ta, dbPath := seededApp(t)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	reg := login(t, ta, "reg")

	status, body := get(t, reg, ta.URL+"/staff/report")
	if status != http.StatusOK || !strings.Contains(body, "政府信息公开工作年度报告") || !strings.Contains(body, `href="/staff/report"`) {
		t.Fatalf("/staff/report: %d\n%.600s", status, body)
	}
	if status, _ := get(t, reg, ta.URL+"/staff/report?year=2024"); status != http.StatusSeeOther {
		t.Errorf("year chooser: %d, want 303", status)
	}

	// The report page: 本年新收 总计 10, linked to its cases; checks pass.
	status, body = get(t, reg, ta.URL+"/staff/report/2024")
	if status != http.StatusOK {
		t.Fatalf("/staff/report/2024: %d\n%.600s", status, body)
	}
	newTotal := html.EscapeString(report.DrillURL(2024, report.KeyNew, 6))
	if !strings.Contains(body, `<a href="`+newTotal+`">10</a>`) {
		t.Errorf("report page lacks 本年新收 总计 10 linked to %s", newTotal)
	}
	for _, want := range []string{"一、本年新收政府信息公开申请数量", "四、政府信息公开行政复议、行政诉讼情况", `class="t3"`, "勾稽关系核对：<span class=\"status-ok\">通过", "C1", "/staff/report/2024.xlsx"} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	if strings.Contains(body, `<tr class="c-bad">`) || strings.Contains(body, "<style>") {
		t.Errorf("report page has a failing check or an inline style")
	}

	// Drill-down: exactly the four 部分公开 cases, each linked to its page.
	partial := report.DrillURL(2024, string(gongkai.ResultPartial), 6)
	if !strings.Contains(body, html.EscapeString(partial)) {
		t.Fatalf("report page has no link %s", partial)
	}
	status, body = get(t, reg, ta.URL+partial)
	var got []string
	for _, m := range reDrillItem.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1])
	}
	if status != http.StatusOK || !slices.Equal(got, seedPartial) {
		t.Errorf("drill-down of 部分公开: %d %v, want %v", status, got, seedPartial)
	}
	if status, _ := get(t, reg, ta.URL+"/staff/cases/"+got[0]); status != http.StatusOK {
		t.Errorf("drill-down link to %s: %d", got[0], status)
	}
	for _, bad := range []string{"/staff/report/2024/cases?row=nope&col=6", "/staff/report/2024/cases?row=new&col=7", "/staff/report/2024.pdf", "/staff/report/abcd"} {
		if status, _ := get(t, reg, ta.URL+bad); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, status)
		}
	}

	// Downloads.
	for ext, want := range map[string]string{"md": "（七）总计\t10", "json": `"table3"`, "html": "<table", "xlsx": "PK"} {
		resp, err := reg.Get(ta.URL + "/staff/report/2024." + ext)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "annual-report-2024."+ext) || !bytes.Contains(b, []byte(want)) {
			t.Errorf("download .%s: %d %q, body lacks %q", ext, resp.StatusCode, resp.Header.Get("Content-Disposition"), want)
		}
		if ext == "json" {
			var r report.Report
			if err := json.Unmarshal(b, &r); err != nil || r.Table3[0].Cells[6] != 10 {
				t.Errorf("json download: %v, 本年新收 %v", err, r.Table3)
			}
		}
	}

	// Inputs: a handler may read the report but not edit it.
	hand := login(t, ta, "hand")
	if status, _ := get(t, hand, ta.URL+"/staff/report/2024"); status != http.StatusOK {
		t.Errorf("handler reading the report: %d", status)
	}
	if status, _ := get(t, hand, ta.URL+"/staff/report/2024/inputs"); status != http.StatusForbidden {
		t.Errorf("handler on the inputs form: %d, want 403", status)
	}
	status, page := get(t, reg, ta.URL+"/staff/report/2024/inputs")
	if status != http.StatusOK || !strings.Contains(page, `name="licensing_decisions"`) || !strings.Contains(page, `name="overview5"`) {
		t.Fatalf("inputs form: %d\n%.600s", status, page)
	}
	form := hidden(t, page)
	intro := "2024 年，我局认真贯彻条例<测试>。"
	form.Set("intro", intro+"\r\n")
	form.Set("overview1", "主动公开工作稳步推进。")
	form.Set("licensing_decisions", "4")
	form.Set("fees_wan_yuan", "0")
	form.Set("problems", "宣传力度不够。")
	form.Set("other", "无")
	if status, body, _ := postForm(t, browser(t), ta.URL+"/staff/report/2024/inputs", form); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Errorf("inputs without a session: %d\n%.300s", status, body)
	}
	noCSRF := url.Values{"intro": {"伪造"}}
	if status, _, _ := postForm(t, reg, ta.URL+"/staff/report/2024/inputs", noCSRF); status != http.StatusForbidden {
		t.Errorf("inputs without CSRF: %d, want 403", status)
	}
	status, body, resp := postForm(t, reg, ta.URL+"/staff/report/2024/inputs", form)
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/report/2024?saved=1" {
		t.Fatalf("save inputs: %d %q\n%.600s", status, resp.Header.Get("Location"), body)
	}
	status, body = get(t, reg, ta.URL+"/staff/report/2024?saved=1")
	if status != http.StatusOK || !strings.Contains(body, html.EscapeString(intro)) || !strings.Contains(body, "已保存") || !strings.Contains(body, "宣传力度不够。") {
		t.Errorf("report after saving lacks the saved text\n%.1500s", body)
	}
	// A bad figure: refused with the form as typed, nothing saved.
	form.Set("intro", "不应保存")
	form.Set("penalties", "-1")
	form.Set("coercive_measures", "三")
	status, body, _ = postForm(t, reg, ta.URL+"/staff/report/2024/inputs", form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "行政强制处理决定数量应为整数") || !strings.Contains(body, `value="三"`) {
		t.Errorf("bad figures: %d\n%.1000s", status, body)
	}
	form.Set("coercive_measures", "0")
	status, body, _ = postForm(t, reg, ta.URL+"/staff/report/2024/inputs", form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "行政处罚处理决定数量不能为负数") {
		t.Errorf("negative figure: %d\n%.1000s", status, body)
	}
	_, body = get(t, reg, ta.URL+"/staff/report/2024")
	if strings.Contains(body, "不应保存") || !strings.Contains(body, html.EscapeString(intro)) {
		t.Errorf("a refused save changed the report")
	}
	// The CLI prints what the staff saved.
	code, md, errs := runCLI(t, "report", "--year", "2024", "--format", "md", "--db", dbPath)
	if code != 0 || !strings.Contains(md, intro) {
		t.Errorf("CLI after the web save: exit %d %s, intro missing", code, errs)
	}
}

// uploadSchedule posts a schedule file to the calendar page as a browser does.
func uploadSchedule(t *testing.T, c *http.Client, u, csrf, name string, content []byte) (int, string, *http.Response) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	mw.WriteField("schedule", "")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	resp, err := c.Post(u, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

// TestCalendarAdmin: an admin loads a 2028 schedule through the calendar
// page and deadlines in 2028 work at once and after a restart; a bad line is
// named and stores nothing; a handler is refused.
func TestCalendarAdmin(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "g.db")
	// The clock: 2026-11-27, so this year and next are 2026 and 2027.
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, gongkai.Beijing)
	ta := startApp(t, testConfig(dbPath), func(a *App) { a.DB.Now = func() time.Time { return now } })
	ta.addUser(t, "adm", gongkai.RoleAdmin)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	ctx := context.Background()

	if status, _ := get(t, login(t, ta, "hand"), ta.URL+"/staff/admin/calendar"); status != http.StatusForbidden {
		t.Errorf("handler on the calendar page: %d, want 403", status)
	}
	adm := login(t, ta, "adm")
	status, page := get(t, adm, ta.URL+"/staff/admin/calendar?year=2024")
	if status != http.StatusOK || !strings.Contains(page, "2024-10-01") || !strings.Contains(page, "国庆节") {
		t.Fatalf("calendar page for 2024: %d\n%.800s", status, page)
	}
	csrf := hidden(t, page).Get("csrf")
	// 2026 and 2027 (this year and next on the test clock) come from the
	// built-in table, unchecked here: the page asks for them to be checked.
	if want := `id="calendar-builtin">2026、2027年的节假日安排取自软件内置数据`; !strings.Contains(page, want) {
		t.Errorf("calendar page lacks the unchecked-years notice %q\n%.1500s", want, page)
	}
	march := gongkai.MustDate("2028-03-01")
	if _, err := ta.Cal.Due(march, gongkai.ChannelWeb, false); !errors.Is(err, workday.ErrNoSchedule) {
		t.Fatalf("2028 known before loading: %v", err)
	}

	// A bad line: named by its number, nothing stored or applied.
	bad := url.Values{"csrf": {csrf}, "schedule": {"year 2028\n2028-01-01 off 元旦\n2028-02-30 off 春节\n"}}
	status, body, _ := postForm(t, adm, ta.URL+"/staff/admin/calendar/load", bad)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "第3行") || strings.Contains(body, "第2行") || !strings.Contains(body, "2028-02-30 off 春节") {
		t.Errorf("bad schedule: %d, want 422 naming line 3 and keeping the text\n%.1200s", status, body)
	}
	if _, err := ta.Cal.IsWorkingDay(march); !errors.Is(err, workday.ErrNoSchedule) {
		t.Errorf("bad schedule applied: %v", err)
	}
	var days []store.CalendarDay
	var years []int
	ta.DB.View(ctx, func(tx *store.Tx) error { days, years, _ = tx.CalendarDays(); return nil })
	if len(days) != 0 || len(years) != 0 {
		t.Errorf("bad schedule stored %v %v", days, years)
	}

	// The (invented) 2028 example, uploaded as a file.
	file, err := os.ReadFile("../../workday/testdata/2028-example.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Confirming 2027 as it stands: a file of one "year" line changes no day.
	due2027, _ := ta.Cal.Due(gongkai.MustDate("2027-01-25"), gongkai.ChannelWeb, false)
	status, body, resp := uploadSchedule(t, adm, ta.URL+"/staff/admin/calendar/load", csrf, "2027.txt", []byte("year 2027\n"))
	if status != http.StatusSeeOther {
		t.Fatalf("confirm 2027: %d\n%.800s", status, body)
	}
	if d, err := ta.Cal.Due(gongkai.MustDate("2027-01-25"), gongkai.ChannelWeb, false); err != nil || d != due2027 || d == gongkai.MustDate("2027-02-22") {
		t.Errorf("Due(2027-01-25) after confirming 2027 = %s, %v; want %s as before (春节 off)", d, err, due2027)
	}
	_, page = get(t, adm, ta.URL+"/staff/admin/calendar")
	if want := `id="calendar-builtin">2026年的节假日安排`; !strings.Contains(page, want) {
		t.Errorf("after confirming 2027 the notice should name 2026 only\n%.1500s", page)
	}

	status, body, resp = uploadSchedule(t, adm, ta.URL+"/staff/admin/calendar/load", csrf, "2028.txt", file)
	if status != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "year=2028") {
		t.Fatalf("upload 2028: %d %q\n%.800s", status, resp.Header.Get("Location"), body)
	}
	due, err := ta.Cal.Due(march, gongkai.ChannelWeb, false)
	if err != nil || due != gongkai.MustDate("2028-03-29") {
		t.Errorf("Due(2028-03-01) = %s, %v; want 2028-03-29", due, err)
	}
	_, page = get(t, adm, ta.URL+resp.Header.Get("Location"))
	if !strings.Contains(page, "2028-01-03") || !strings.Contains(page, "元旦补休（示例）") || !strings.Contains(page, "已载入") {
		t.Errorf("calendar page after loading lacks 2028's days\n%.1500s", page)
	}

	// One day added by the form: an extra day off moves the due date.
	day := url.Values{"csrf": {csrf}, "date": {"2028-03-10"}, "kind": {"off"}, "name": {"测试假日"}}
	if status, body, _ := postForm(t, adm, ta.URL+"/staff/admin/calendar/day", day); status != http.StatusSeeOther {
		t.Fatalf("add a day: %d\n%.600s", status, body)
	}
	if due, err := ta.Cal.Due(march, gongkai.ChannelWeb, false); err != nil || due != gongkai.MustDate("2028-03-30") {
		t.Errorf("Due after 2028-03-10 off = %s, %v; want 2028-03-30", due, err)
	}
	day.Set("date", "2028-02-30")
	if status, body, _ := postForm(t, adm, ta.URL+"/staff/admin/calendar/day", day); status != http.StatusUnprocessableEntity || !strings.Contains(body, "日期格式不正确") {
		t.Errorf("bad day: %d\n%.600s", status, body)
	}

	// What was loaded survives a restart.
	ta.stop()
	ta2 := startApp(t, testConfig(dbPath))
	if due, err := ta2.Cal.Due(march, gongkai.ChannelWeb, false); err != nil || due != gongkai.MustDate("2028-03-30") {
		t.Errorf("after restart: Due = %s, %v; want 2028-03-30", due, err)
	}
}

// TestReportPublish: the leader publishes (定稿) a year's report from its
// page; the page then says who and when, the frozen JSON downloads, and
// next year's report checks its 上年结转 against it (C7). A registrar can
// neither see the button nor post the form; a report with errors is refused
// with the reason on the page; a case changed after publication is noticed.
func TestReportPublish(t *testing.T) {
	ta, dbPath := seededApp(t)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "boss", gongkai.RoleApprover)
	reg, boss := login(t, ta, "reg"), login(t, ta, "boss")

	_, page := get(t, reg, ta.URL+"/staff/report/2024")
	if !strings.Contains(page, "本年度报告尚未定稿") || strings.Contains(page, `id="publish"`) {
		t.Errorf("registrar's page: want 尚未定稿 and no publish button")
	}
	if status, _, _ := postForm(t, reg, ta.URL+"/staff/report/2024/publish", hidden(t, page)); status != http.StatusForbidden {
		t.Errorf("registrar publishing: %d, want 403", status)
	}
	if status, _ := get(t, reg, ta.URL+"/staff/report/2024/published.json"); status != http.StatusNotFound {
		t.Errorf("published.json before publication: %d, want 404", status)
	}
	_, page = get(t, boss, ta.URL+"/staff/report/2024")
	if !strings.Contains(page, `id="publish"`) {
		t.Fatalf("approver's page has no publish button")
	}
	// Without the CSRF token nothing happens.
	if status, _, _ := postForm(t, boss, ta.URL+"/staff/report/2024/publish", url.Values{}); status != http.StatusForbidden {
		t.Errorf("publishing without CSRF: %d, want 403", status)
	}
	status, _, resp := postForm(t, boss, ta.URL+"/staff/report/2024/publish", hidden(t, page))
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/report/2024?published=1" {
		t.Fatalf("publish: %d → %s", status, resp.Header.Get("Location"))
	}
	_, page = get(t, boss, ta.URL+"/staff/report/2024?published=1")
	for _, want := range []string{"已定稿", "由 boss 定稿", "/staff/report/2024/published.json", "按当前数据重新定稿"} {
		if !strings.Contains(page, want) {
			t.Errorf("page after publishing lacks %q", want)
		}
	}
	if strings.Contains(page, `id="changed-since"`) {
		t.Errorf("page says the data changed right after publishing")
	}
	status, js := get(t, reg, ta.URL+"/staff/report/2024/published.json")
	var pub report.Report
	if status != http.StatusOK || json.Unmarshal([]byte(js), &pub) != nil || pub.Year != 2024 || pub.Table3[0].Cells[6] != 10 {
		t.Errorf("published.json: %d %.200s", status, js)
	}

	// 2025 checks its 二 against the published 四.
	_, page = get(t, reg, ta.URL+"/staff/report/2025")
	if strings.Contains(page, "上年度报告未在本系统定稿") {
		t.Errorf("2025 report still skips C7 after 2024 was published")
	}
	code, out, errs := runCLI(t, "report", "--year", "2025", "--db", dbPath)
	if code != 0 || strings.Contains(out, "上年度报告未在本系统定稿") || !strings.Contains(out, "上年报告四 0") {
		t.Errorf("gongkai report 2025 after publication: %d %s\n%.300s", code, errs, out)
	}

	// A case of 2024 changed after publication: the page says so.
	if err := ta.DB.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByNo(seedPartial[0])
		if err != nil {
			return err
		}
		c.Applicant.Type = gongkai.Enterprise
		return tx.UpdateCase(c)
	}); err != nil {
		t.Fatal(err)
	}
	if _, page = get(t, reg, ta.URL+"/staff/report/2024"); !strings.Contains(page, `id="changed-since"`) {
		t.Errorf("page does not notice the change since publication")
	}

	// A year whose report has an error is refused, with the reason.
	if err := ta.DB.Update(context.Background(), func(tx *store.Tx) error {
		return tx.CreateCase(&gongkai.Case{No: "GK-2023-000001", QueryCode: "X", Channel: gongkai.ChannelPost, Status: gongkai.StatusClosed,
			ReceivedOn: gongkai.MustDate("2023-03-01"), Result: gongkai.ResultDisclosed, AnsweredOn: gongkai.MustDate("2023-03-10"),
			Applicant: gongkai.Applicant{Type: "无效类型", Name: "某"}, ClockState: gongkai.ClockStopped}, "")
	}); err != nil {
		t.Fatal(err)
	}
	_, page = get(t, boss, ta.URL+"/staff/report/2023")
	status, _, resp = postForm(t, boss, ta.URL+"/staff/report/2023/publish", hidden(t, page))
	if status != http.StatusSeeOther {
		t.Fatalf("publishing 2023: %d", status)
	}
	_, page = get(t, boss, ta.URL+resp.Header.Get("Location"))
	if !strings.Contains(page, `id="publish-error"`) || !strings.Contains(page, "勾稽关系错误") || !strings.Contains(page, "本年度报告尚未定稿") {
		t.Errorf("page after a refused publication lacks the reason")
	}
}
