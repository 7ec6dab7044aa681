package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/store"
)

// testApp runs a real gongkai on 127.0.0.1:0 with a SQLite file in dir.
type testApp struct {
	*App
	URL    string
	cancel context.CancelFunc
	done   chan error
}

func testConfig(dbPath string) Config {
	cfg := Config{}
	for _, o := range Options {
		cfg[o.Key] = o.Default
	}
	cfg["db"] = dbPath
	cfg["http"] = "127.0.0.1:0"
	cfg["smtp"] = "127.0.0.1:0"
	cfg["file-rate"] = "0"
	cfg["daily"] = "false" // tests drive RunDaily themselves, on a fixed date
	return cfg
}

func startApp(t testing.TB, cfg Config, setup ...func(*App)) *testApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("NewApp: %v", err)
	}
	app.Staff.Cost = 4 // fast bcrypt in tests
	for _, f := range setup {
		f(app)
	}
	if err := app.Listen(); err != nil {
		cancel()
		t.Fatalf("Listen: %v", err)
	}
	ta := &testApp{App: app, URL: "http://" + app.HTTPAddr, cancel: cancel, done: make(chan error, 1)}
	go func() { ta.done <- app.Run(ctx) }()
	select {
	case <-app.Ready():
	case err := <-ta.done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready after 10s")
	}
	t.Cleanup(ta.stop)
	return ta
}

func (ta *testApp) stop() {
	if ta.cancel == nil {
		return
	}
	ta.cancel()
	<-ta.done
	ta.App.Close()
	ta.cancel = nil
}

func (ta *testApp) addUser(t testing.TB, name string, roles ...gongkai.Role) {
	t.Helper()
	if _, err := ta.Staff.AddUser(context.Background(), name, "password-"+name, roles, "办公室"); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
func browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postForm(t testing.TB, c *http.Client, u string, v url.Values) (int, string, *http.Response) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func postJSON(t testing.TB, u, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(u, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

var reHidden = regexp.MustCompile(`name="(csrf|submission_id)" value="([^"]+)"`)

// hidden reads the hidden form tokens of a page.
func hidden(t testing.TB, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range reHidden.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("csrf") == "" {
		t.Fatalf("no csrf token in page:\n%.500s", page)
	}
	return v
}

var reCaseNo = regexp.MustCompile(`GK-\d{4}-\d{6}`)

func validApplication() map[string]string {
	return map[string]string{
		"applicant_type": "自然人", "name": "张三", "id_type": "居民身份证", "id_number": "110101199003074477",
		"org_name": "", "credit_code": "", "phone": "13800000000", "email": "zhangsan@example.com",
		"address": "洛阳市西工区凯旋东路1号", "description": "2024年西工区翠湖名苑项目3号楼商品房预售许可证", "purpose": "", "delivery": "电子邮件",
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func login(t testing.TB, ta *testApp, name string) *http.Client {
	t.Helper()
	c := browser(t)
	_, page := get(t, c, ta.URL+"/staff/login")
	v := hidden(t, page)
	v.Set("username", name)
	v.Set("password", "password-"+name)
	status, body, resp := postForm(t, c, ta.URL+"/staff/login", v)
	if status != http.StatusSeeOther {
		t.Fatalf("login %s: status %d\n%.400s", name, status, body)
	}
	if ck := resp.Header.Get("Set-Cookie"); !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Errorf("session cookie lacks HttpOnly/SameSite: %q", ck)
	}
	return c
}

func TestServeEndToEnd(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "gongkai.db")
	ta := startApp(t, testConfig(dbPath))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)

	// 1. File through the API.
	status, res := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(validApplication()))
	if status != http.StatusCreated {
		t.Fatalf("API file: status %d %v", status, res)
	}
	apiNo, _ := res["case_no"].(string)
	if !reCaseNo.MatchString(apiNo) || res["query_code"] == "" || res["received_on"] == "" || res["due_on"] == "" {
		t.Fatalf("API file: bad answer %v", res)
	}

	// 2. File through the public form, twice with the same form (idempotent).
	cit := browser(t)
	_, page := get(t, cit, ta.URL+"/")
	form := hidden(t, page)
	for k, v := range validApplication() {
		form.Set(k, v)
	}
	form.Set("name", "李四<script>alert(1)</script>")
	status, body, _ := postForm(t, cit, ta.URL+"/apply", form)
	if status != http.StatusCreated {
		t.Fatalf("form file: status %d\n%.600s", status, body)
	}
	formNo := reCaseNo.FindString(body)
	if formNo == "" || formNo == apiNo || !strings.Contains(body, "查询码") || !strings.Contains(body, "答复期限") {
		t.Fatalf("form result page lacks the case number, query code or due date:\n%.800s", body)
	}
	status, body, _ = postForm(t, cit, ta.URL+"/apply", form)
	if again := reCaseNo.FindString(body); status != http.StatusCreated || again != formNo {
		t.Fatalf("second submit of the same form: status %d, case %q, want the same case %s", status, again, formNo)
	}

	// 3. A form without its CSRF token is refused and stores nothing.
	bad := url.Values{}
	for k, v := range validApplication() {
		bad.Set(k, v)
	}
	if status, _, _ := postForm(t, browser(t), ta.URL+"/apply", bad); status != http.StatusForbidden {
		t.Errorf("form without CSRF: status %d, want 403", status)
	}

	// 4. Staff: anonymous is sent to login; the registrar sees both cases.
	if status, _ := get(t, browser(t), ta.URL+"/staff"); status != http.StatusSeeOther {
		t.Errorf("anonymous /staff: status %d, want 303 to login", status)
	}
	reg := login(t, ta, "reg")
	status, body = get(t, reg, ta.URL+"/staff")
	if status != http.StatusOK || !strings.Contains(body, apiNo) || !strings.Contains(body, formNo) {
		t.Fatalf("registrar list: status %d, want both %s and %s\n%.500s", status, apiNo, formNo, body)
	}
	if strings.Index(body, formNo) > strings.Index(body, apiNo) {
		t.Errorf("list is not newest first")
	}
	status, body = get(t, reg, ta.URL+"/staff/cases/"+formNo)
	if status != http.StatusOK {
		t.Fatalf("case page: %d", status)
	}
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "李四&lt;script&gt;") {
		t.Errorf("applicant text not escaped on the case page")
	}
	if strings.Contains(body, "110101199003074477") || !strings.Contains(body, "110*************77") || strings.Contains(body, "13800000000") {
		t.Errorf("ID number or phone not masked by default")
	}
	// Reveal: unmasked, and the view is in the history.
	_, page = get(t, reg, ta.URL+"/staff/cases/"+formNo)
	rv := hidden(t, page)
	status, body, _ = postForm(t, reg, ta.URL+"/staff/cases/"+formNo+"/reveal", rv)
	if status != http.StatusOK || !strings.Contains(body, "110101199003074477") || !strings.Contains(body, "13800000000") {
		t.Fatalf("reveal: status %d, full data not shown", status)
	}
	if !strings.Contains(body, "查看了申请人完整的证件号码和联系电话") {
		t.Errorf("unmasked view not written to the history")
	}

	// 5. Roles: a handler gets 403 on the admin pages, and cannot reveal an unassigned case.
	hand := login(t, ta, "hand")
	if status, _ := get(t, hand, ta.URL+"/staff/admin/users"); status != http.StatusForbidden {
		t.Errorf("handler on admin page: status %d, want 403", status)
	}
	_, page = get(t, hand, ta.URL+"/staff/cases/"+formNo)
	if status, _, _ := postForm(t, hand, ta.URL+"/staff/cases/"+formNo+"/reveal", hidden(t, page)); status != http.StatusForbidden {
		t.Errorf("handler reveal of another's case: status %d, want 403", status)
	}
	// Staff POST without the session's CSRF token is refused.
	if status, _, _ := postForm(t, reg, ta.URL+"/staff/cases/"+formNo+"/reveal", url.Values{"csrf": {"forged"}}); status != http.StatusForbidden {
		t.Errorf("staff POST with a forged CSRF token: status %d, want 403", status)
	}

	// 6. Restart on the same file: the data is still there.
	ta.stop()
	ta2 := startApp(t, testConfig(dbPath))
	reg2 := login(t, ta2, "reg")
	if _, body := get(t, reg2, ta2.URL+"/staff"); !strings.Contains(body, apiNo) || !strings.Contains(body, formNo) {
		t.Fatalf("after restart the cases are gone")
	}
	code := res["query_code"].(string)
	status, body = get(t, browser(t), ta2.URL+"/api/v1/requests/"+apiNo+"?code="+code)
	if status != http.StatusOK || !strings.Contains(body, `"status_label"`) || !strings.Contains(body, "申请已收到并登记") {
		t.Fatalf("track after restart: %d %s", status, body)
	}
	if status, _ := get(t, browser(t), ta2.URL+"/api/v1/requests/"+apiNo+"?code=WRONG"); status != http.StatusNotFound {
		t.Errorf("track with a wrong code: %d, want 404", status)
	}
}

func TestAPIBadInput(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	u := ta.URL + "/api/v1/requests"
	count := func() int {
		var n int
		ta.DB.View(context.Background(), func(tx *store.Tx) error { n, _ = tx.CountCases(store.CaseFilter{}); return nil })
		return n
	}

	// Every bad field at once, in Chinese, and nothing stored.
	app := validApplication()
	app["id_number"] = "110101199003074476"
	app["phone"] = "12345"
	app["email"] = "not-an-email"
	app["description"] = ""
	status, res := postJSON(t, u, "application/json", mustJSON(app))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", status)
	}
	got := map[string]string{}
	for _, e := range res["errors"].([]any) {
		m := e.(map[string]any)
		got[m["field"].(string)] = m["message"].(string)
	}
	for _, f := range []string{"id_number", "phone", "email", "description"} {
		if got[f] == "" {
			t.Errorf("422 does not name field %s: %v", f, got)
		}
	}
	if got["id_number"] != "身份证号码校验位不正确" {
		t.Errorf("id_number message = %q", got["id_number"])
	}

	org := validApplication()
	org["applicant_type"] = "商业企业"
	org["org_name"] = "洛阳某某置业有限公司"
	org["credit_code"] = "91350100M000100Y44"
	if status, res := postJSON(t, u, "application/json", mustJSON(org)); status != 422 || !strings.Contains(fmt.Sprint(res), "统一社会信用代码校验位不正确") {
		t.Errorf("bad credit code: %d %v", status, res)
	}

	tests := []struct {
		name   string
		ctype  string
		body   []byte
		status int
	}{
		{"unknown field", "application/json", []byte(`{"applicant_type":"自然人","nickname":"x"}`), 400},
		{"wrong content type", "text/plain", mustJSON(validApplication()), 415},
		{"invalid UTF-8", "application/json", append([]byte(`{"name":"`), 0xff, 0xfe, '"', '}'), 400},
		{"not JSON", "application/json", []byte(`name=x`), 400},
		{"oversized", "application/json", bytes.Repeat([]byte("a"), 200<<10), 413},
		{"two objects", "application/json", append(mustJSON(validApplication()), mustJSON(validApplication())...), 400},
	}
	for _, tt := range tests {
		if status, res := postJSON(t, u, tt.ctype, tt.body); status != tt.status {
			t.Errorf("%s: status %d (%v), want %d", tt.name, status, res, tt.status)
		}
	}
	if n := count(); n != 0 {
		t.Errorf("%d cases stored after only bad requests, want 0", n)
	}

	// HTML in a field is stored as text.
	h := validApplication()
	h["description"] = `<img src=x onerror=alert(1)>预售许可证`
	if status, _ := postJSON(t, u, "application/json", mustJSON(h)); status != 201 {
		t.Fatalf("html in description: %d", status)
	}
	var c *gongkai.Case
	ta.DB.View(context.Background(), func(tx *store.Tx) error {
		cs, _ := tx.Cases(store.CaseFilter{})
		c = cs[0]
		return nil
	})
	if c.Description != h["description"] {
		t.Errorf("description stored as %q", c.Description)
	}
}

func TestRateLimit(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["file-rate"] = "2"
	ta := startApp(t, cfg)
	var statuses []int
	for i := 0; i < 3; i++ {
		s, _ := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(validApplication()))
		statuses = append(statuses, s)
	}
	if statuses[0] != 201 || statuses[1] != 201 || statuses[2] != 429 {
		t.Errorf("statuses %v, want [201 201 429]", statuses)
	}
	// A client that names itself anew in X-Forwarded-For is still itself,
	// unless it is a trusted proxy (then the header names the client).
	for _, proxies := range []string{"", "127.0.0.1"} {
		cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
		cfg["file-rate"], cfg["trusted-proxies"] = "1", proxies
		ta := startApp(t, cfg)
		var got []int
		for i := range 3 {
			app := validApplication()
			app["description"] = fmt.Sprintf("第%d份：2024年西工区翠湖名苑项目预售许可证", i)
			req, _ := http.NewRequest("POST", ta.URL+"/api/v1/requests", bytes.NewReader(mustJSON(app)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i+1))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got = append(got, resp.StatusCode)
		}
		want := []int{201, 429, 429}
		if proxies != "" {
			want = []int{201, 201, 201}
		}
		if !slices.Equal(got, want) {
			t.Errorf("trusted proxies %q: statuses %v, want %v", proxies, got, want)
		}
	}
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	runCmd := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"due", "--received", "2025-09-26", "--channel", "web"}, "2025-10-30\n", 0},
		{[]string{"due", "--received", "2024-09-27", "--channel", "in_person"}, "2024-10-30\n", 0},
		{[]string{"due", "--received", "2024-09-27", "--channel", "post", "--extended"}, "2024-11-27\n", 0},
		{[]string{"due", "--received", "2024-10-01", "--channel", "email"}, "2024-11-04\n", 0},
		{[]string{"due", "--received", "2026-02-14", "--channel", "web"}, "2026-03-20\n", 0},
		{[]string{"due", "--received", "2024-13-01"}, "", 2},
		{[]string{"due", "--received", "2024-01-01", "--channel", "pigeon"}, "", 2},
		{[]string{"nonsense"}, "", 2},
	}
	for _, tt := range tests {
		code, out, errs := runCmd("", tt.args...)
		if code != tt.code || (tt.want != "" && out != tt.want) {
			t.Errorf("gongkai %v = %d %q (%s), want %d %q", tt.args, code, out, errs, tt.code, tt.want)
		}
	}
	if code, _, errs := runCmd("short\n", "user", "add", "bob", "--role", "handler", "--db", db); code != 2 || !strings.Contains(errs, "密码至少8位") {
		t.Errorf("user add with a short password: %d %s", code, errs)
	}
	if code, out, errs := runCmd("long-enough-pw\n", "user", "add", "bob", "--role", "handler,approver", "--db", db); code != 0 || !strings.Contains(out, "bob") {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, _, _ := runCmd("long-enough-pw\n", "user", "add", "eve", "--role", "boss", "--db", db); code != 2 {
		t.Errorf("unknown role accepted")
	}

	// A case filed through the service shows in `cases --json`.
	ta := startApp(t, testConfig(db))
	status, res := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(validApplication()))
	if status != 201 {
		t.Fatalf("file: %d", status)
	}
	ta.stop()
	code, out, errs := runCmd("", "cases", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("cases --json: %d %s", code, errs)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &row); err != nil {
		t.Fatalf("cases --json output %q: %v", out, err)
	}
	for _, k := range []string{"case_no", "received_on", "channel", "applicant_type", "status", "result", "due_on"} {
		if _, ok := row[k]; !ok {
			t.Errorf("cases --json lacks %s", k)
		}
	}
	if row["case_no"] != res["case_no"] || row["channel"] != "web" || row["applicant_type"] != "自然人" {
		t.Errorf("cases --json row %v", row)
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	d.Update(context.Background(), func(tx *store.Tx) error { return tx.ForceSchemaVersion(store.SchemaVersion() + 1) })
	d.Close()
	if _, err := store.Open(context.Background(), db); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opening a newer database: err = %v, want a refusal", err)
	}
}

func BenchmarkFileAPI(b *testing.B) {
	ta := startApp(b, testConfig(filepath.Join(b.TempDir(), "g.db")))
	body := mustJSON(validApplication())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(ta.URL+"/api/v1/requests", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// TestIdempotencyKeyBoundToContent: an Idempotency-Key (API) or a form's
// submission id finds the first case only for the same application: sent
// again with another application, it files that one — never answering one
// applicant with another's case and 查询码.
func TestIdempotencyKeyBoundToContent(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	post := func(app map[string]string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", ta.URL+"/api/v1/requests", bytes.NewReader(mustJSON(app)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "k-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	a := validApplication()
	s1, r1 := post(a)
	s2, r2 := post(a)
	if s1 != 201 || s2 != 200 || r1["case_no"] != r2["case_no"] {
		t.Errorf("the same application twice: %d %v, %d %v; want one case", s1, r1["case_no"], s2, r2["case_no"])
	}
	// The status API takes the number and the code in either case.
	if status, body := get(t, browser(t), ta.URL+"/api/v1/requests/"+strings.ToLower(r1["case_no"].(string))+"?code="+strings.ToLower(r1["query_code"].(string))); status != http.StatusOK || !strings.Contains(body, "received_on") {
		t.Errorf("status in lower case: %d %s", status, body)
	}
	b := validApplication()
	b["name"], b["id_number"], b["description"] = "李四", "11010519491231002X", "另一份文件：2023年度保障性住房分配名单"
	s3, r3 := post(b)
	if s3 != 201 || r3["case_no"] == r1["case_no"] || r3["query_code"] == r1["query_code"] {
		t.Errorf("another application under the same key: %d %v; want a case of its own", s3, r3)
	}
}

// TestFormDefaultFollowsDelivery: the form's 提供形式 starts on "按获取方式
// 确定", so a citizen who picks e-mail and leaves it files 电子文档, not
// 纸质文本 by accident.
func TestFormDefaultFollowsDelivery(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	cit := browser(t)
	_, page := get(t, cit, ta.URL+"/")
	if !strings.Contains(page, `<option value="" selected>按获取方式确定`) {
		t.Fatalf("the form's 提供形式 does not start on 按获取方式确定")
	}
	form := hidden(t, page)
	for k, v := range validApplication() { // delivery 电子邮件, no 提供形式 chosen
		form.Set(k, v)
	}
	form.Set("form", "")
	if status, body, _ := postForm(t, cit, ta.URL+"/apply", form); status != http.StatusCreated {
		t.Fatalf("filing: %d\n%.500s", status, body)
	}
	ta.DB.View(context.Background(), func(tx *store.Tx) error {
		cs, _ := tx.Cases(store.CaseFilter{})
		if len(cs) != 1 || cs[0].Form != "电子文档" {
			t.Errorf("cases %v; want one with 提供形式 电子文档", cs)
		}
		return nil
	})
}
