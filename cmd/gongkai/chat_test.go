package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongkai"
	"gongkai/intake/chatbot"
	"gongkai/internal/testkit"
	"gongkai/store"
)

// oneMessage is a whole application in one chat message.
const oneMessage = "我叫张三，身份证号110101199003074477，电话13800000000，申请公开2024年西工区翠湖名苑项目3号楼商品房预售许可证，电子邮件发到zhangsan@example.com"

const oneDescription = "2024年西工区翠湖名苑项目3号楼商品房预售许可证"

// chat posts one message to /api/v1/chat.
func chat(t testing.TB, base string, body any) (int, map[string]any) {
	t.Helper()
	return postJSON(t, base+"/api/v1/chat", "application/json", mustJSON(body))
}

// caseByNo reads a case straight from the database.
func caseByNo(t testing.TB, db *store.DB, no string) *gongkai.Case {
	t.Helper()
	var c *gongkai.Case
	if err := db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.CaseByNo(no)
		return err
	}); err != nil {
		t.Fatalf("case %s: %v", no, err)
	}
	return c
}

// TestChatAPI follows contracts/http-api.md: start without a session, go on
// with it, file (done=true, case_no set); an unknown session starts afresh;
// over-long text is refused with 413.
func TestChatAPI(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))

	status, res := chat(t, ta.URL, map[string]any{"text": "申请要收费吗？"})
	sess, _ := res["session"].(string)
	if status != http.StatusOK || len(sess) < 20 || res["done"] != false || res["case_no"] != nil || !strings.Contains(res["reply"].(string), "一般不收费") {
		t.Fatalf("start: %d %v", status, res)
	}
	status, res = chat(t, ta.URL, map[string]any{"session": sess, "text": oneMessage})
	if status != http.StatusOK || res["session"] != sess || !strings.Contains(res["reply"].(string), "请核对您的申请") || res["done"] != false {
		t.Fatalf("continue: %d %v", status, res)
	}
	status, res = chat(t, ta.URL, map[string]any{"session": sess, "text": "确认提交"})
	no, _ := res["case_no"].(string)
	if status != http.StatusOK || res["done"] != true || !reCaseNo.MatchString(no) || !strings.Contains(res["reply"].(string), no) {
		t.Fatalf("confirm: %d %v", status, res)
	}
	c := caseByNo(t, ta.DB, no)
	if c.Channel != gongkai.ChannelChat || c.Applicant.Name != "张三" || c.Description != oneDescription ||
		c.Applicant.IDNumber != "110101199003074477" || c.Delivery != "电子邮件" || c.Applicant.Email != "zhangsan@example.com" {
		t.Errorf("filed case: %+v", c)
	}
	if !strings.Contains(res["reply"].(string), c.QueryCode) || !strings.Contains(res["reply"].(string), c.DueOn.Chinese()) {
		t.Errorf("reply lacks query code %s or due date %s: %s", c.QueryCode, c.DueOn.Chinese(), res["reply"])
	}
	// The stored session points at the case it filed.
	if err := ta.DB.View(context.Background(), func(tx *store.Tx) error {
		cs, err := tx.ChatSession(sess, time.Now())
		if err == nil && cs.CaseID != c.ID {
			t.Errorf("chat session case_id %d, want %d", cs.CaseID, c.ID)
		}
		return err
	}); err != nil {
		t.Errorf("chat session: %v", err)
	}
	// Confirming again does not file twice.
	status, res = chat(t, ta.URL, map[string]any{"session": sess, "text": "确认提交"})
	if status != http.StatusOK || res["done"] != false || !strings.Contains(res["reply"].(string), no) {
		t.Errorf("after filing: %d %v", status, res)
	}
	// The status query answers with the right code only.
	status, res = chat(t, ta.URL, map[string]any{"session": sess, "text": no + " 查询码 " + c.QueryCode})
	if status != http.StatusOK || !strings.Contains(res["reply"].(string), "办理情况") {
		t.Errorf("status query: %d %v", status, res)
	}
	status, res = chat(t, ta.URL, map[string]any{"session": sess, "text": no + " 查询码 ZZZZ2222"})
	if status != http.StatusOK || !strings.Contains(res["reply"].(string), "不正确") {
		t.Errorf("status query, wrong code: %d %v", status, res)
	}

	// Unknown session: a fresh one, not an error.
	status, res = chat(t, ta.URL, map[string]any{"session": "no-such-session-xxxxxxxxx", "text": "你好"})
	if fresh, _ := res["session"].(string); status != http.StatusOK || fresh == "" || fresh == "no-such-session-xxxxxxxxx" || fresh == sess {
		t.Errorf("unknown session: %d %v", status, res)
	}
	// Too long.
	status, res = chat(t, ta.URL, map[string]any{"session": sess, "text": strings.Repeat("长", 1001)})
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(res["error"].(string), "1000") {
		t.Errorf("too long: %d %v", status, res)
	}
	status, _ = chat(t, ta.URL, map[string]any{"text": strings.Repeat("长", 1000)})
	if status != http.StatusOK {
		t.Errorf("1000 characters: status %d, want 200", status)
	}
	// Not JSON.
	if status, _ := postJSON(t, ta.URL+"/api/v1/chat", "text/plain", []byte("hi")); status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: status %d", status)
	}
}

// TestChatComplaintInsisted: a citizen who insists that a complaint is a
// disclosure request gets a case (RULES.md §7), but the registrar sees it
// marked: nature 信访举报投诉, and why, in the history. A plain request
// filed the same way stays a request.
func TestChatComplaintInsisted(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	reg := login(t, ta, "reg")
	tests := []struct {
		name  string
		turns []string
		want  gongkai.MessageKind
		flag  bool
	}{
		{"complaint insisted", []string{"我要举报隔壁工地夜间施工扰民，请你们立即查处", "我坚持申请",
			"个人，我叫张三，身份证110101199003074477", "电话13800000000，自取", "确认提交"}, gongkai.KindComplaint, true},
		{"plain request", []string{oneMessage, "确认提交"}, gongkai.KindRequest, false},
	}
	for _, tt := range tests {
		var sess, no string
		for _, turn := range tt.turns {
			body := map[string]any{"text": turn}
			if sess != "" {
				body["session"] = sess
			}
			status, res := chat(t, ta.URL, body)
			if status != http.StatusOK {
				t.Fatalf("%s: %q: status %d %v", tt.name, turn, status, res)
			}
			sess, _ = res["session"].(string)
			no, _ = res["case_no"].(string)
		}
		if no == "" {
			t.Fatalf("%s: no case filed", tt.name)
		}
		c := caseByNo(t, ta.DB, no)
		if gongkai.MessageKind(c.Nature) != tt.want || c.Status != gongkai.StatusRegistered {
			t.Errorf("%s: case nature %q status %q, want %q awaiting the registrar", tt.name, c.Nature, c.Status, tt.want)
		}
		var events []gongkai.Event
		if err := ta.DB.View(context.Background(), func(tx *store.Tx) error {
			var err error
			events, err = tx.Events(c.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || events[0].Kind != "registered" {
			t.Fatalf("%s: history %+v", tt.name, events)
		}
		if got := strings.Contains(events[0].Detail, "请登记时核实"); got != tt.flag {
			t.Errorf("%s: registered event %q: flagged for the registrar = %v, want %v", tt.name, events[0].Detail, got, tt.flag)
		}
		// The registrar sees the nature on the case page.
		_, page := get(t, reg, ta.URL+"/staff/cases/"+no)
		want := `<dd id="nature">` + tt.want.Label() + `</dd>`
		if tt.flag {
			want = `<dd id="nature" class="warn">` + tt.want.Label() + `</dd>`
		}
		if !strings.Contains(page, want) {
			t.Errorf("%s: case page lacks %s", tt.name, want)
		}
	}
}

// TestChatPageWithoutJavaScript posts the page's form as a browser without
// JavaScript does: each post redirects to the page, which shows the whole
// conversation; a reload resumes it; CSRF is checked.
func TestChatPageWithoutJavaScript(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	cit := browser(t)
	status, page := get(t, cit, ta.URL+"/chat")
	if status != http.StatusOK || !strings.Contains(page, "在线申请助手") || !strings.Contains(page, `src="/static/chat.js"`) {
		t.Fatalf("GET /chat: %d\n%.500s", status, page)
	}
	form := hidden(t, page)
	say := func(text string) string {
		t.Helper()
		v := url.Values{"csrf": {form.Get("csrf")}, "text": {text}}
		status, body, resp := postForm(t, cit, ta.URL+"/chat", v)
		if status != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/chat") {
			t.Fatalf("POST /chat %q: %d\n%.300s", text, status, body)
		}
		_, page := get(t, cit, ta.URL+"/chat")
		return page
	}
	page = say(oneMessage)
	if !strings.Contains(page, "请核对您的申请") || !strings.Contains(page, "张三") {
		t.Fatalf("summary not shown:\n%s", page)
	}
	page = say("确认提交")
	no := reCaseNo.FindString(page)
	if no == "" || !strings.Contains(page, "查询码") {
		t.Fatalf("no case number on the page:\n%s", page)
	}
	// A reload shows the whole conversation again, in order.
	_, page = get(t, cit, ta.URL+"/chat")
	i1, i2, i3 := strings.Index(page, "在线申请助手"), strings.Index(page, "请核对您的申请"), strings.Index(page, no)
	if i1 < 0 || i2 < i1 || i3 < i2 {
		t.Errorf("reload does not resume the conversation in order (%d %d %d)", i1, i2, i3)
	}
	if c := caseByNo(t, ta.DB, no); c.Channel != gongkai.ChannelChat || c.Applicant.Name != "张三" {
		t.Errorf("case %s: channel %s name %q", no, c.Channel, c.Applicant.Name)
	}
	// Without the CSRF token: refused.
	status, _, _ = postForm(t, cit, ta.URL+"/chat", url.Values{"text": {"你好"}})
	if status != http.StatusForbidden {
		t.Errorf("POST without csrf: %d, want 403", status)
	}
	// Too long: 413 with a clear message, the conversation still shown.
	status, body, _ := postForm(t, cit, ta.URL+"/chat", url.Values{"csrf": {form.Get("csrf")}, "text": {strings.Repeat("长", 1001)}})
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "消息过长") || !strings.Contains(body, no) {
		t.Errorf("too long: %d\n%.300s", status, body)
	}
}

// TestChatSessionExpiry: an idle session expires after two hours (the next
// message starts afresh) and the sweep deletes it with its lines.
func TestChatSessionExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, gongkai.Beijing)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")), func(a *App) { a.DB.Now = clock })
	_, res := chat(t, ta.URL, map[string]any{"text": "我叫张三，申请公开西工区2024年公共租赁住房配租名单"})
	sess := res["session"].(string)
	mu.Lock()
	now = now.Add(90 * time.Minute)
	mu.Unlock()
	_, res = chat(t, ta.URL, map[string]any{"session": sess, "text": "个人"})
	if res["session"] != sess || !strings.Contains(res["reply"].(string), "身份证") {
		t.Fatalf("after 90 minutes the session should go on: %v", res)
	}
	mu.Lock()
	now = now.Add(2*time.Hour + time.Minute)
	mu.Unlock()
	bot, err := newChatService(ta.App)
	if err != nil {
		t.Fatal(err)
	}
	n, err := bot.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1 session deleted", n, err)
	}
	var turns []store.ChatTurn
	ta.DB.View(context.Background(), func(tx *store.Tx) error {
		turns, err = tx.ChatTurns(sess)
		return err
	})
	if len(turns) != 0 {
		t.Errorf("%d lines left after the sweep", len(turns))
	}
	_, res = chat(t, ta.URL, map[string]any{"session": sess, "text": "个人"})
	if res["session"] == sess {
		t.Errorf("expired session was resumed: %v", res)
	}
}

// TestChatRateLimit: one address may send 6×file-rate messages a minute.
func TestChatRateLimit(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["file-rate"] = "1"
	ta := startApp(t, cfg)
	for i := 0; i < 6; i++ {
		if status, res := chat(t, ta.URL, map[string]any{"text": "你好"}); status != http.StatusOK {
			t.Fatalf("message %d: %d %v", i+1, status, res)
		}
	}
	if status, res := chat(t, ta.URL, map[string]any{"text": "你好"}); status != http.StatusTooManyRequests {
		t.Errorf("7th message: %d %v, want 429", status, res)
	}
}

// TestChatLogsNoPersonalData: the log carries the session id and intent,
// never what the citizen typed.
func TestChatLogsNoPersonalData(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.App.Log = slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	ta.Cases.Log = ta.App.Log
	bot, err := newChatService(ta.App)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := bot.Turn(ctx, "", oneMessage)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = bot.Turn(ctx, res.Session, "确认提交"); err != nil || !res.Done {
		t.Fatalf("confirm: %+v %v", res, err)
	}
	mu.Lock()
	logged := buf.String()
	mu.Unlock()
	if !strings.Contains(logged, "intent=filed") || !strings.Contains(logged, res.Session) {
		t.Errorf("log lacks the session and intent:\n%s", logged)
	}
	for _, pii := range []string{"张三", "110101199003074477", "13800000000", "zhangsan@example.com", "翠湖名苑"} {
		if strings.Contains(logged, pii) {
			t.Errorf("log contains %q:\n%s", pii, logged)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestChatBrowser: a citizen types a whole application on /chat in a real
// headless Chromium, confirms, gets a 受理编号; a registrar opens the case
// and sees the name, the description and the channel 在线问答.
func TestChatBrowser(t *testing.T) {
	ctx := testkit.BrowserContext(t)
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)

	err := chromedp.Do(ctx,
		chromedp.Navigate(ta.URL+"/chat"),
		chromedp.WaitVisible(`#chat-text`),
		chromedp.SendKeys(`#chat-text`, oneMessage),
		chromedp.Click(`#chat-send`),
		chromedp.WaitVisible(`#chat-log p.bot:nth-of-type(3)`),
	)
	if err != nil {
		t.Fatalf("citizen sends the application: %v", err)
	}
	if log := text(t, ctx, `#chat-log`); !strings.Contains(log, "请核对您的申请") || !strings.Contains(log, "所需信息："+oneDescription) {
		t.Fatalf("no summary in the chat:\n%s", log)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#chat-text`, "确认提交"),
		chromedp.Click(`#chat-send`),
		chromedp.WaitVisible(`#chat-filed`),
	)
	if err != nil {
		t.Fatalf("citizen confirms: %v", err)
	}
	filed := text(t, ctx, `#chat-filed`)
	caseNo := reCaseNo.FindString(filed)
	if caseNo == "" || !regexp.MustCompile(`查询码：[2-9A-Z]{8}`).MatchString(filed) || !strings.Contains(filed, "答复期限") {
		t.Fatalf("filed message: %q", filed)
	}
	// A reload shows the conversation again (the session lives in SQLite).
	err = chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`#chat-log`))
	if err != nil {
		t.Fatal(err)
	}
	if log := text(t, ctx, `#chat-log`); !strings.Contains(log, caseNo) {
		t.Errorf("reload lost the conversation:\n%s", log)
	}

	openCaseAs(t, ctx, ta, "reg", caseNo)
	if desc, name := text(t, ctx, `#description`), text(t, ctx, `#applicant-name`); desc != oneDescription || name != "张三" {
		t.Errorf("case page shows description %q, name %q", desc, name)
	}
	ch, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("dt")].find(d => d.textContent.trim() === "渠道").nextElementSibling.textContent.trim()`))
	if err != nil || ch != "在线问答" {
		t.Errorf("case page channel %q (%v), want 在线问答", ch, err)
	}
}

// BenchmarkChatTurn measures one dialog turn on the server side: load the
// session from SQLite, run the engine (classifier included), save the state
// and both lines. Reports p50 and p99 per turn.
func BenchmarkChatTurn(b *testing.B) {
	ctx := context.Background()
	cfg := testConfig(filepath.Join(b.TempDir(), "g.db"))
	app, err := NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	bot, err := newChatService(app)
	if err != nil {
		b.Fatal(err)
	}
	bot.Log = nil
	ts := &timedSessions{Sessions: bot.Sessions}
	bot.Sessions = ts
	// A conversation that never files (so every turn is the same work):
	// fields, a question, a correction, a refused confirmation.
	script := []string{
		"申请公开西工区2024年公共租赁住房配租名单", "个人", "我叫张三，电话13800000000",
		"身份证110101199003074477", "要收费吗？", "发到我的邮箱zhangsan@example.com", "电话写错了，是13900000000", "不对",
	}
	res, err := bot.Turn(ctx, "", "你好")
	if err != nil {
		b.Fatal(err)
	}
	sess := res.Session
	var times, stores []time.Duration
	i := 0
	for b.Loop() {
		ts.spent = 0
		start := time.Now()
		if _, err := bot.Turn(ctx, sess, script[i%len(script)]); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		stores = append(stores, ts.spent)
		i++
	}
	pct := func(d []time.Duration, p int) float64 {
		slices.Sort(d)
		return float64(d[(len(d)-1)*p/100].Microseconds()) / 1000
	}
	if len(times) > 0 {
		b.ReportMetric(pct(times, 50), "p50-ms")
		b.ReportMetric(pct(times, 99), "p99-ms")
		b.ReportMetric(pct(stores, 50), "store-p50-ms")
		b.ReportMetric(pct(stores, 99), "store-p99-ms")
	}
}

// timedSessions measures the time a turn spends in SQLite.
type timedSessions struct {
	chatbot.Sessions
	spent time.Duration
}

func (t *timedSessions) Load(ctx context.Context, id string, now time.Time) ([]byte, error) {
	start := time.Now()
	defer func() { t.spent += time.Since(start) }()
	return t.Sessions.Load(ctx, id, now)
}

func (t *timedSessions) Save(ctx context.Context, id string, state []byte, caseID int64, exp time.Time, lines []chatbot.Line) error {
	start := time.Now()
	defer func() { t.spent += time.Since(start) }()
	return t.Sessions.Save(ctx, id, state, caseID, exp, lines)
}

// TestChatStatusLimited: the chat-bot's status queries count against the
// status page's limit on failed lookups, per client: ten wrong codes, and
// the right one is refused in plain words, in the chat and by the API.
func TestChatStatusLimited(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	filed := fileByAPI(t, ta)
	no, code := filed["case_no"].(string), filed["query_code"].(string)
	wrong := "ABCD2345"
	if wrong == code {
		wrong = "ABCD2346"
	}
	for i := range 10 {
		status, res := chat(t, ta.URL, map[string]any{"text": no + " 查询码 " + wrong})
		if status != http.StatusOK || !strings.Contains(res["reply"].(string), "受理编号或查询码不正确") {
			t.Fatalf("wrong code %d: %d %v", i+1, status, res)
		}
	}
	status, res := chat(t, ta.URL, map[string]any{"text": no + " 查询码 " + code})
	if reply, _ := res["reply"].(string); status != http.StatusOK || !strings.Contains(reply, "查询失败次数过多") || strings.Contains(reply, "办理") {
		t.Errorf("right code after ten wrong ones: %d %v; want the refusal", status, res)
	}
	resp, err := http.Get(ta.URL + "/api/v1/requests/" + no + "?code=" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("status API after ten wrong codes in the chat: %d, want 429", resp.StatusCode)
	}
}
