package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/intake"
	"gongkai/internal/testkit"
	"gongkai/replies"
	"gongkai/store"
	"gongkai/web"
)

// ---- helpers driving the letter pages ----

var reLetterURL = regexp.MustCompile(`/staff/letters/(\d+)$`)

// letterPost posts a form of a page (taking its CSRF token) and follows the
// redirect; it returns the status of the POST and the final page.
func letterPost(t *testing.T, ta *testApp, c *http.Client, pageURL, action string, fields url.Values) (int, string, string) {
	t.Helper()
	_, page := get(t, c, ta.URL+pageURL)
	v := url.Values{"csrf": {hidden(t, page).Get("csrf")}}
	for k, xs := range fields {
		v[k] = xs
	}
	status, body, resp := postForm(t, c, ta.URL+action, v)
	loc := ""
	if status == http.StatusSeeOther {
		loc = resp.Header.Get("Location")
		_, body = get(t, c, ta.URL+loc)
	}
	return status, body, loc
}

// multipartPost posts fields and files as multipart/form-data.
func multipartPost(t *testing.T, c *http.Client, u string, fields map[string]string, files []gongkai.Attachment) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachments"; filename="%s"`, f.Name))
		h.Set("Content-Type", f.ContentType)
		p, _ := w.CreatePart(h)
		p.Write(f.Data)
	}
	w.Close()
	resp, err := c.Post(u, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var testAgency = map[string]string{
	"name": "西工区住房和城乡建设局", "short_name": "西住建", "office": "局办公室", "address": "洛阳市西工区中州中路1号",
	"postcode": "471000", "phone": "0379-63900000", "email": "ysqgk@zjj.xigong.example",
	"review_body": "洛阳市西工区人民政府", "court": "洛阳市西工区人民法院", "docno_pattern": "{short}公开〔{year}〕第{n}号",
}

// saveAgency fills the admin settings page.
func saveAgency(t *testing.T, ta *testApp, admin *http.Client) {
	t.Helper()
	v := url.Values{}
	for k, x := range testAgency {
		v.Set(k, x)
	}
	status, body, _ := letterPost(t, ta, admin, "/staff/admin/settings", "/staff/admin/settings", v)
	if status != http.StatusSeeOther || !strings.Contains(body, "设置已保存") {
		t.Fatalf("saving agency settings: %d\n%.800s", status, body)
	}
}

var admin = &gongkai.User{Username: "t", Roles: []gongkai.Role{gongkai.RoleAdmin}, Active: true}

func caseDetail(t *testing.T, ta *testApp, no string) *caseflow.Detail {
	t.Helper()
	d, err := ta.Cases.CaseDetail(context.Background(), no, admin, false)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func lettersOf(t *testing.T, ta *testApp, caseID int64) []*store.Letter {
	t.Helper()
	var ls []*store.Letter
	if err := ta.DB.View(context.Background(), func(tx *store.Tx) error {
		var err error
		ls, err = tx.LettersForCase(caseID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ls
}

func outboxOf(t *testing.T, ta *testApp, caseID int64) []*store.OutboxEntry {
	t.Helper()
	var es []*store.OutboxEntry
	if err := ta.DB.View(context.Background(), func(tx *store.Tx) error {
		var err error
		es, err = tx.OutboxOfCase(caseID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return es
}

// requestMail is an application by e-mail with a Message-ID.
func requestMail(msgID string) []byte {
	return []byte("From: =?UTF-8?B?" + b64("王小明") + "?= <wangxm@mail.example>\r\n" +
		"To: ysqgk@zjj.xigong.example\r\n" +
		"Subject: =?UTF-8?B?" + b64("政府信息公开申请") + "?=\r\n" +
		"Message-ID: <" + msgID + ">\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0800\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"您好：\r\n本人王小明，身份证号110101199003074477，联系电话13800000000，申请公开西工区2024年老旧小区改造项目的资金使用情况。\r\n请通过电子邮件答复。\r\n王小明\r\n")
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// waitCase waits for the e-mail with Message-ID msgID to be filed on a case.
func waitCase(t *testing.T, ta *testApp, msgID string) *gongkai.Case {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var c *gongkai.Case
		ta.DB.View(context.Background(), func(tx *store.Tx) error {
			ms, err := tx.Messages()
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.MessageID == msgID && m.CaseID != 0 {
					c, err = tx.CaseByID(m.CaseID)
					return err
				}
			}
			return nil
		})
		if c != nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("message <%s> not filed on a case after 60s", msgID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// parsed is a received message read back with go-message.
type parsedMail struct {
	subject, messageID, from string
	inReplyTo                []string
	text, html               string
	attachments              map[string][]byte
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing the received mail: %v", err)
	}
	var p parsedMail
	p.subject, _ = mr.Header.Subject()
	p.messageID, _ = mr.Header.MessageID()
	p.inReplyTo, _ = mr.Header.MsgIDList("In-Reply-To")
	if fs, err := mr.Header.AddressList("From"); err == nil && len(fs) > 0 {
		p.from = fs[0].Name + " <" + fs[0].Address + ">"
	}
	p.attachments = map[string][]byte{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading a part: %v", err)
		}
		b, _ := io.ReadAll(part.Body)
		switch h := part.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			if ct == "text/plain" {
				p.text = string(b)
			} else if ct == "text/html" {
				p.html = string(b)
			}
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			p.attachments[name] = b
		}
	}
	return p
}

func findMail(t *testing.T, ms []testkit.RelayMsg, msgID string) (testkit.RelayMsg, int) {
	t.Helper()
	var found testkit.RelayMsg
	n := 0
	for _, m := range ms {
		if bytes.Contains(m.Raw, []byte("Message-Id: <"+msgID+">")) || bytes.Contains(m.Raw, []byte("Message-ID: <"+msgID+">")) {
			found = m
			n++
		}
	}
	return found, n
}

// TestLetterMailRoundTrip drafts, reviews, approves and e-mails a final
// letter through a running gongkai whose relay is a real go-smtp server
// (AUTH PLAIN), parses what the relay received back, and mails the
// applicant's answer to the letter into gongkai's SMTP listener: it is filed
// on the same case by its In-Reply-To.
func TestLetterMailRoundTrip(t *testing.T) {
	be := &testkit.Relay{User: "relayuser", Pass: "relay-secret"}
	relay := testkit.StartRelay(t, be, "127.0.0.1:0")
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["relay"], cfg["relay-user"], cfg["relay-password"] = relay, "relayuser", "relay-secret"
	cfg["mail-from"] = "ysqgk@zjj.xigong.example"
	ta := startApp(t, cfg)
	if ta.SMTPAddr == "" {
		t.Fatal("the App has no SMTP listener (intake wiring)")
	}
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	ta.addUser(t, "boss", gongkai.RoleApprover)
	ta.addUser(t, "root", gongkai.RoleAdmin)
	reg, hand, boss, root := login(t, ta, "reg"), login(t, ta, "hand"), login(t, ta, "boss"), login(t, ta, "root")
	saveAgency(t, ta, root)

	// The application arrives by e-mail.
	reqID := "req-20261123-wang@mail.example"
	sendMail(t, ta.SMTPAddr, requestMail(reqID))
	c := waitCase(t, ta, reqID)
	no := c.No
	if c.Status == gongkai.StatusRegistered {
		if status, body := act(t, ta, reg, no, "register", nil); status != http.StatusSeeOther {
			t.Fatalf("register: %d\n%.500s", status, body)
		}
	}
	for _, s := range []struct {
		who    *http.Client
		action string
		fields map[string]string
	}{
		{reg, "assign", map[string]string{"department": "办公室", "assignee": "hand"}},
		{hand, "draft_answer", map[string]string{"result": "result.disclosed"}},
	} {
		if status, body := act(t, ta, s.who, no, s.action, s.fields); status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%.500s", s.action, status, body)
		}
	}

	// The handler drafts the answer from the template for the case's result.
	status, page, loc := letterPost(t, ta, hand, "/staff/cases/"+no, "/staff/cases/"+no+"/letters", url.Values{"kind": {"result.disclosed"}})
	if status != http.StatusSeeOther || !reLetterURL.MatchString(loc) {
		t.Fatalf("draft: %d %q\n%.800s", status, loc, page)
	}
	letterURL := loc
	if !strings.Contains(page, "待填写") || !strings.Contains(page, "西工区2024年老旧小区改造项目") {
		t.Fatalf("the draft should name the request and leave blanks to fill:\n%.1500s", page)
	}
	// Blanks left: the review refuses to pass it.
	status, page, _ = letterPost(t, ta, reg, letterURL, letterURL+"/review", url.Values{"result": {"pass"}})
	if status != http.StatusConflict || !strings.Contains(page, "待填写") {
		t.Fatalf("review with blanks: %d, want 409\n%.600s", status, page)
	}
	// The handler fills the blanks.
	ls := lettersOf(t, ta, c.ID)
	body := ls[0].Body
	body = regexp.MustCompile(`【待填写：提供的信息清单】`).ReplaceAllString(body, "1. 西工区2024年度老旧小区改造资金使用情况表，共2页")
	body = regexp.MustCompile(`【待填写：[^】]*】`).ReplaceAllString(body, "以电子邮件附件形式提供")
	status, page, _ = letterPost(t, ta, hand, letterURL, letterURL+"/edit", url.Values{"title": {ls[0].Title}, "body": {body}})
	if status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%.600s", status, page)
	}
	// Sending before the review and approval is refused.
	if status, page := multipartPost(t, hand, ta.URL+letterURL+"/send", map[string]string{"csrf": hidden(t, page).Get("csrf")}, nil); status != http.StatusConflict {
		t.Fatalf("send before approval: %d, want 409\n%.400s", status, page)
	}
	// 保密审查 by the registrar, approval by the approver.
	status, page, _ = letterPost(t, ta, reg, letterURL, letterURL+"/review", url.Values{"result": {"pass"}, "note": {"不涉及国家秘密、商业秘密和个人隐私"}})
	if status != http.StatusSeeOther || !strings.Contains(page, "通过（审查人 reg") {
		t.Fatalf("review: %d\n%.800s", status, page)
	}
	if status, page, _ := letterPost(t, ta, hand, letterURL, letterURL+"/approve", nil); status != http.StatusForbidden {
		t.Fatalf("approval by the handler: %d, want 403\n%.300s", status, page)
	}
	status, page, _ = letterPost(t, ta, boss, letterURL, letterURL+"/approve", nil)
	if status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%.800s", status, page)
	}
	if d := caseDetail(t, ta, no); d.Case.Status != gongkai.StatusApproved {
		t.Fatalf("after the letter's approval the case is %s, want approved", d.Case.Status)
	}

	// Documents over the upload limit are refused with the reason, and the
	// letter is not sent without them.
	_, page = get(t, hand, ta.URL+letterURL)
	for _, size := range []int{web.MaxLetterUpload + 1, web.MaxLetterUpload + 1<<20} { // refused by the handler; before reading the body
		huge := gongkai.Attachment{Name: "扫描件.pdf", ContentType: "application/pdf", Data: bytes.Repeat([]byte("x"), size)}
		if status, body := multipartPost(t, hand, ta.URL+letterURL+"/send", map[string]string{"csrf": hidden(t, page).Get("csrf")}, []gongkai.Attachment{huge}); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "附件合计不能超过 15 MB") {
			t.Fatalf("attachment of %d bytes: %d\n%.400s", size, status, body)
		}
	}
	if lt := lettersOf(t, ta, c.ID)[0]; lt.Status != store.LetterApproved {
		t.Fatalf("after a refused upload the letter is %s, want still approved", lt.Status)
	}

	// Sent by e-mail with the disclosed document attached: 2 MiB, more
	// than the 1 MiB every other form may post.
	doc := gongkai.Attachment{Name: "西工区2024年度老旧小区改造资金使用情况表.pdf", ContentType: "application/pdf",
		Data: append([]byte("%PDF-1.4 资金使用情况 test\n"), bytes.Repeat([]byte("0123456789abcdef"), 2<<16)...)}
	_, page = get(t, hand, ta.URL+letterURL)
	if status, page := multipartPost(t, hand, ta.URL+letterURL+"/send", map[string]string{"csrf": hidden(t, page).Get("csrf")}, []gongkai.Attachment{doc}); status != http.StatusSeeOther {
		t.Fatalf("send: %d\n%.800s", status, page)
	}
	lt := lettersOf(t, ta, c.ID)[0]
	if lt.Status != store.LetterSent || lt.MessageID == "" || !strings.HasPrefix(lt.DocNo, "西住建公开〔") {
		t.Fatalf("sent letter: status %s Message-ID %q 文号 %q", lt.Status, lt.MessageID, lt.DocNo)
	}
	be.Wait(t, 1)
	var got testkit.RelayMsg
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		got, n = findMail(t, be.Messages(), lt.MessageID)
		if n > 1 {
			t.Fatalf("letter delivered %d times", n)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("letter <%s> not received by the relay", lt.MessageID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.User != "relayuser" || got.From != "ysqgk@zjj.xigong.example" || len(got.To) != 1 || got.To[0] != "wangxm@mail.example" {
		t.Errorf("envelope: user %q from %q to %v", got.User, got.From, got.To)
	}
	pm := parseMail(t, got.Raw)
	agency := replies.Agency{Name: testAgency["name"]}
	wantText := replies.Letter{Title: lt.Title, DocNo: lt.DocNo, Body: lt.Body}.Text(agency, gongkai.DateOf(lt.DispatchedAt))
	if strings.TrimSpace(pm.text) != strings.TrimSpace(wantText) {
		t.Errorf("text part differs from the letter:\n got: %q\nwant: %q", pm.text, wantText)
	}
	if !strings.Contains(pm.text, "1. 西工区2024年度老旧小区改造资金使用情况表，共2页") || !strings.Contains(pm.text, "洛阳市西工区人民法院") {
		t.Errorf("text part lacks the letter's content:\n%s", pm.text)
	}
	if !strings.Contains(pm.html, lt.DocNo) || !strings.Contains(pm.html, "洛阳市西工区人民政府") {
		t.Errorf("HTML part lacks the 文号 or the remedy:\n%.600s", pm.html)
	}
	if want := lt.Title + "（受理编号：" + no + "）"; pm.subject != want {
		t.Errorf("subject %q, want %q", pm.subject, want)
	}
	if pm.messageID != lt.MessageID || len(pm.inReplyTo) != 1 || pm.inReplyTo[0] != reqID {
		t.Errorf("threading: Message-ID %q (letter %q), In-Reply-To %v (request %q)", pm.messageID, lt.MessageID, pm.inReplyTo, reqID)
	}
	if pm.from != testAgency["name"]+" <ysqgk@zjj.xigong.example>" {
		t.Errorf("From %q", pm.from)
	}
	if b, ok := pm.attachments[doc.Name]; !ok || !bytes.Equal(b, doc.Data) {
		t.Errorf("attachment %q: got %v", doc.Name, pm.attachments)
	}

	// The case keeps the letter, its delivery and the history; the answer is sent.
	waitOutbox(t, ta, c.ID, lt.MessageID, store.OutboxSent)
	d := caseDetail(t, ta, no)
	if d.Case.Status != gongkai.StatusClosed || d.Case.AnsweredOn.IsZero() {
		t.Errorf("case after sending: %s answered %s", d.Case.Status, d.Case.AnsweredOn)
	}
	kinds := map[string]string{}
	for _, e := range d.Events {
		kinds[e.Kind] = e.Actor + " " + e.Detail + " " + e.Reason
	}
	for kind, want := range map[string]string{"letter_drafted": "hand", "letter_reviewed": "不涉及国家秘密", "letter_approved": "boss",
		"letter_sent": lt.MessageID, "answer_sent": "hand"} {
		if !strings.Contains(kinds[kind], want) {
			t.Errorf("history %s = %q, want it to mention %q", kind, kinds[kind], want)
		}
	}
	_, casePage := get(t, reg, ta.URL+"/staff/cases/"+no)
	for _, want := range []string{lt.Title, lt.DocNo, "已发送", "已交中继服务器", lt.MessageID} {
		if !strings.Contains(casePage, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if _, lp := get(t, reg, ta.URL+letterURL); !strings.Contains(lp, "已发出，不可修改") || !strings.Contains(lp, "1. 西工区2024年度老旧小区改造资金使用情况表") {
		t.Errorf("the sent letter page should show the kept text")
	}

	// The applicant answers the letter: filed on the same case by In-Reply-To.
	answerID := "answer-1@mail.example"
	answer := []byte("From: wangxm@mail.example\r\nTo: ysqgk@zjj.xigong.example\r\n" +
		"Subject: =?UTF-8?B?" + b64("回复：收到") + "?=\r\nMessage-ID: <" + answerID + ">\r\n" +
		"In-Reply-To: <" + lt.MessageID + ">\r\nReferences: <" + reqID + "> <" + lt.MessageID + ">\r\n" +
		"Date: Fri, 27 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"收到，谢谢。\r\n")
	sendMail(t, ta.SMTPAddr, answer)
	if got := waitCase(t, ta, answerID); got.ID != c.ID {
		t.Errorf("the answer to the letter was filed on %s, want %s", got.No, no)
	}
}

// waitOutbox waits until the outbox item msgID of a case has status want.
func waitOutbox(t *testing.T, ta *testApp, caseID int64, msgID, want string) *store.OutboxEntry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, e := range outboxOf(t, ta, caseID) {
			if e.MessageID == msgID && e.Status == want {
				return e
			}
		}
		if time.Now().After(deadline) {
			for _, e := range outboxOf(t, ta, caseID) {
				t.Logf("outbox: %s %s attempts %d err %q", e.MessageID, e.Status, e.Attempts, e.LastError)
			}
			t.Fatalf("outbox item <%s> not %s after 30s", msgID, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address nobody listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// fastSender makes the App's sender poll and back off in milliseconds.
func fastSender(a *App) {
	rp := repliesOf(a)
	rp.sender.Poll = 20 * time.Millisecond
	rp.sender.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
}

var (
	regUser = &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true, Department: "办公室"}
)

// fileCase files an application through the API and returns the case.
func fileCase(t *testing.T, ta *testApp, email, name string) *gongkai.Case {
	t.Helper()
	app := validApplication()
	app["email"], app["name"] = email, name
	if email == "" {
		app["delivery"] = "邮寄"
	}
	status, res := postJSON(t, ta.URL+"/api/v1/requests", "application/json", mustJSON(app))
	if status != http.StatusCreated {
		t.Fatalf("file: %d %v", status, res)
	}
	return caseDetail(t, ta, res["case_no"].(string)).Case
}

// mailReceipt drafts, reviews and e-mails a 登记回执 on c as the registrar.
func mailReceipt(t *testing.T, ta *testApp, c *gongkai.Case) *store.Letter {
	t.Helper()
	ctx := context.Background()
	l := repliesOf(ta.App).letters
	lt, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindReceipt}, regUser)
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	if _, err := l.Review(ctx, lt.ID, regUser, true, ""); err != nil {
		t.Fatalf("review: %v", err)
	}
	if lt, err = l.SendMail(ctx, lt.ID, regUser, nil); err != nil {
		t.Fatalf("send: %v", err)
	}
	return lt
}

// TestOutboxRelayDownThenUp queues a letter while the relay is down: it is
// retried with backoff, the case page shows it waiting with the error, and
// once the relay is up it is delivered exactly once.
func TestOutboxRelayDownThenUp(t *testing.T) {
	addr := freeAddr(t)
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["relay"] = addr
	ta := startApp(t, cfg, fastSender)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	c := fileCase(t, ta, "zhangsan@example.com", "张三")
	lt := mailReceipt(t, ta, c)

	deadline := time.Now().Add(30 * time.Second)
	for {
		es := outboxOf(t, ta, c.ID)
		if len(es) == 1 && es[0].Attempts >= 3 && es[0].Status == store.OutboxQueued {
			if !strings.Contains(es[0].LastError, "无法连接邮件中继服务器") {
				t.Fatalf("retry error %q", es[0].LastError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retries recorded: %+v", es)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, page := get(t, login(t, ta, "reg"), ta.URL+"/staff/cases/"+c.No)
	if !strings.Contains(page, "等待发送") || !strings.Contains(page, "无法连接邮件中继服务器") {
		t.Errorf("the case page does not show the waiting letter and its error")
	}

	be := &testkit.Relay{}
	testkit.StartRelay(t, be, addr)
	waitOutbox(t, ta, c.ID, lt.MessageID, store.OutboxSent)
	// Let the sender make further passes: nothing is sent twice.
	for i := 0; i < 5; i++ {
		if _, _, _, err := repliesOf(ta.App).sender.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, n := findMail(t, be.Messages(), lt.MessageID); n != 1 {
		t.Fatalf("letter delivered %d times, want exactly once", n)
	}
}

// TestOutboxNoRelayThenCrashRecovery: with no relay the letter waits in the
// outbox, visible; an item a crash left "sending" is queued again at the next
// start, noted in the case history, and delivered with the same Message-ID.
func TestOutboxNoRelayThenCrashRecovery(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "g.db")
	cfg := testConfig(dbPath)
	cfg["relay"] = ""
	ta := startApp(t, cfg)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	c := fileCase(t, ta, "zhangsan@example.com", "张三")
	lt := mailReceipt(t, ta, c)
	if es := outboxOf(t, ta, c.ID); len(es) != 1 || es[0].Status != store.OutboxQueued {
		t.Fatalf("without a relay the letter should wait queued: %+v", es)
	}
	_, page := get(t, login(t, ta, "reg"), ta.URL+"/staff/cases/"+c.No)
	if !strings.Contains(page, "等待发送") || !strings.Contains(page, lt.MessageID) {
		t.Errorf("the case page does not show the waiting letter")
	}
	// A sender took it and the process died before recording the outcome.
	if err := ta.DB.Update(context.Background(), func(tx *store.Tx) error {
		_, err := tx.DueMail(time.Now(), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ta.stop()

	be := &testkit.Relay{}
	cfg["relay"] = testkit.StartRelay(t, be, "127.0.0.1:0")
	cfg["http"], cfg["smtp"] = "127.0.0.1:0", "127.0.0.1:0"
	ta2 := startApp(t, cfg, fastSender)
	waitOutbox(t, ta2, c.ID, lt.MessageID, store.OutboxSent)
	if _, n := findMail(t, be.Messages(), lt.MessageID); n != 1 {
		t.Fatalf("recovered letter delivered %d times", n)
	}
	d := caseDetail(t, ta2, c.No)
	found := false
	for _, e := range d.Events {
		found = found || (e.Kind == "mail_requeued" && strings.Contains(e.Detail, lt.MessageID))
	}
	if !found {
		t.Errorf("the possible repeat is not visible in the case history")
	}
}

// TestDeliveryProblemsShown: a permanent refusal and a bounce are shown on
// the case; staff reminders go by mail to staff with an address.
func TestDeliveryProblemsShown(t *testing.T) {
	be := &testkit.Relay{RejectTo: map[string]*smtp.SMTPError{
		"nobody@example.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
	}}
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["relay"] = testkit.StartRelay(t, be, "127.0.0.1:0")
	ta := startApp(t, cfg, fastSender)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "root", gongkai.RoleAdmin)
	c := fileCase(t, ta, "nobody@example.com", "赵六")
	lt := mailReceipt(t, ta, c)
	failed := waitOutbox(t, ta, c.ID, lt.MessageID, store.OutboxFailed)
	if !strings.Contains(failed.LastError, "550") {
		t.Errorf("failure text %q", failed.LastError)
	}
	if err := ta.DB.Update(context.Background(), func(tx *store.Tx) error {
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: "system", Kind: "letter_bounced", Detail: "发给申请人的邮件被退回（退信：Undelivered Mail）"})
	}); err != nil {
		t.Fatal(err)
	}
	reg := login(t, ta, "reg")
	_, page := get(t, reg, ta.URL+"/staff/cases/"+c.No)
	i := strings.Index(page, `id="delivery-problems"`)
	if i < 0 {
		t.Fatalf("no delivery problems box on the case page")
	}
	box := page[i:]
	box = box[:strings.Index(box, "</div>")]
	for _, want := range []string{"发送失败", "550", "被退回"} {
		if !strings.Contains(box, want) {
			t.Errorf("delivery problems lack %q:\n%s", want, box)
		}
	}

	// Reminders: mailed to staff with an address, skipped (nil) without.
	root := login(t, ta, "root")
	status, _, _ := letterPost(t, ta, root, "/staff/admin/settings", "/staff/admin/settings/email", url.Values{"username": {"reg"}, "email": {"reg@zjj.xigong.example"}})
	if status != http.StatusSeeOther {
		t.Fatalf("saving the staff e-mail: %d", status)
	}
	if ta.Notify == nil {
		t.Fatal("App.Notify is not set")
	}
	if err := ta.Notify(context.Background(), "root", "提醒", "无邮箱"); err != nil {
		t.Errorf("reminder to a user without e-mail: %v", err)
	}
	if err := ta.Notify(context.Background(), "reg", "即将到期的案件", "GK-2026-000001 将于3个工作日内到期"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var hit *testkit.RelayMsg
		for _, m := range be.Messages() {
			if len(m.To) == 1 && m.To[0] == "reg@zjj.xigong.example" {
				hit = &m
			}
		}
		if hit != nil {
			if pm := parseMail(t, hit.Raw); pm.subject != "即将到期的案件" || !strings.Contains(pm.text, "GK-2026-000001") {
				t.Errorf("reminder mail: %q %q", pm.subject, pm.text)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reminder not delivered")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTemplateAdmin edits a template in the admin pages: a text missing the
// remedy clause or with a broken field is refused at save time with the line
// and the reason; the preview runs against a real case; a good text is saved
// as a new version, which the next letter records.
func TestTemplateAdmin(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "root", gongkai.RoleAdmin)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	root := login(t, ta, "root")
	saveAgency(t, ta, root)
	c := fileCase(t, ta, "zhangsan@example.com", "张三丰")

	if status, _ := get(t, login(t, ta, "reg"), ta.URL+"/staff/admin/templates"); status != http.StatusForbidden {
		t.Errorf("registrar on the template admin: %d, want 403", status)
	}
	status, list := get(t, root, ta.URL+"/staff/admin/templates")
	if status != http.StatusOK || !strings.Contains(list, "/staff/admin/templates/receipt") || !strings.Contains(list, "/staff/admin/templates/result.withheld.state_secret") {
		t.Fatalf("template list: %d\n%.500s", status, list)
	}
	const kind = "result.withheld.state_secret"
	src := replies.Defaults().Source(replies.Kind(kind))
	editURL := "/staff/admin/templates/" + kind

	var noRemedy []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.Contains(line, "行政复议") {
			noRemedy = append(noRemedy, line)
		}
	}
	broken := strings.Split(src, "\n")
	broken[2] = broken[2] + "{{.Case.Nonexistent}}"
	cases := []struct {
		name, text string
		want       []string
	}{
		{"no remedy", strings.Join(noRemedy, "\n"), []string{"缺少救济途径", "行政复议"}},
		{"bad field", strings.Join(broken, "\n"), []string{"第3行", "Nonexistent"}},
		{"unclosed", src + "\n{{if .Case.Extended}}", []string{"行", "{{end}}"}},
	}
	for _, tc := range cases {
		status, page, _ := letterPost(t, ta, root, editURL, editURL, url.Values{"text": {tc.text}, "do": {"save"}})
		if status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.name, status)
			continue
		}
		i := strings.Index(page, `id="template-problems"`)
		if i < 0 {
			t.Errorf("%s: no problem list on the page", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(html2text(page[i:]), w) {
				t.Errorf("%s: the refusal lacks %q:\n%.600s", tc.name, w, page[i:])
			}
		}
	}
	if v := templateVersion(t, ta, kind); v != 0 {
		t.Fatalf("a refused template was stored (version %d)", v)
	}

	// Preview against the real case, then save.
	good := src + "\n　　（本告知书经修订。）"
	status, page, _ := letterPost(t, ta, root, editURL, editURL, url.Values{"text": {good}, "do": {"preview"}, "case_no": {c.No}})
	if status != http.StatusOK || !strings.Contains(page, `id="template-preview"`) || !strings.Contains(page, "张三丰") || !strings.Contains(page, "本告知书经修订") {
		t.Fatalf("preview against %s: %d\n%.1200s", c.No, status, page)
	}
	status, page, loc := letterPost(t, ta, root, editURL, editURL, url.Values{"text": {good}, "do": {"save"}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=") {
		t.Fatalf("save: %d %q\n%.600s", status, loc, page)
	}
	status, _, _ = letterPost(t, ta, root, editURL, editURL, url.Values{"text": {good + "\n"}, "do": {"save"}})
	if status != http.StatusSeeOther || templateVersion(t, ta, kind) != 2 {
		t.Fatalf("a second save should be version 2 (status %d)", status)
	}
	if _, list := get(t, root, ta.URL+"/staff/admin/templates"); !strings.Contains(list, "第2版") {
		t.Errorf("the list does not show version 2")
	}
	// A letter drafted now uses and records version 2.
	ctx := context.Background()
	u := &gongkai.User{Username: "root", Roles: []gongkai.Role{gongkai.RoleAdmin}, Active: true}
	for _, a := range []caseflow.Input{{Action: caseflow.ActRegister}, {Action: caseflow.ActAssign, Department: "办公室"}, {Action: caseflow.ActDraftAnswer, Result: gongkai.ResultStateSecret}} {
		a.Actor = u
		if _, err := ta.Cases.Act(ctx, c.No, a); err != nil {
			t.Fatalf("%s: %v", a.Action, err)
		}
	}
	lt, err := repliesOf(ta.App).letters.Draft(ctx, c.No, caseflow.DraftInput{Reasons: "所申请信息经依法确定为国家秘密"}, u)
	if err != nil {
		t.Fatal(err)
	}
	if lt.TemplateVersion != 2 || lt.Kind != kind || !strings.Contains(lt.Body, "本告知书经修订") {
		t.Errorf("letter: kind %s version %d", lt.Kind, lt.TemplateVersion)
	}
}

func templateVersion(t *testing.T, ta *testApp, kind string) int {
	t.Helper()
	var v int
	ta.DB.View(context.Background(), func(tx *store.Tx) error {
		vs, err := tx.TemplateVersions(kind)
		if len(vs) > 0 {
			v = vs[0].Version
		}
		return err
	})
	return v
}

var reTags = regexp.MustCompile(`<[^>]*>`)

// html2text strips tags and unescapes the entities a page uses.
func html2text(s string) string {
	s = reTags.ReplaceAllString(s, "")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

// TestPrintPage prints a procedural letter for post: the A4 page shows the
// 文号, title, body, agency, date and seal area, and escapes applicant text.
func TestPrintPage(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "root", gongkai.RoleAdmin)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	root, reg := login(t, ta, "root"), login(t, ta, "reg")
	saveAgency(t, ta, root)
	c := fileCase(t, ta, "", "李四<script>alert(1)</script>")
	ctx := context.Background()
	l := repliesOf(ta.App).letters
	lt, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindReceipt}, regUser)
	if err != nil {
		t.Fatal(err)
	}
	letterURL := fmt.Sprintf("/staff/letters/%d", lt.ID)
	// Printing before the review is refused.
	if status, _, _ := letterPost(t, ta, reg, letterURL, letterURL+"/printed", nil); status != http.StatusConflict {
		t.Errorf("print before review: %d, want 409", status)
	}
	if _, err := l.Review(ctx, lt.ID, regUser, true, "无涉密内容"); err != nil {
		t.Fatal(err)
	}
	// No e-mail address: sending by mail is refused, printing works.
	if _, err := l.SendMail(ctx, lt.ID, regUser, nil); gongkai.ErrorKind(err) != gongkai.EConflict {
		t.Errorf("mail without an address: %v", err)
	}
	status, page, loc := letterPost(t, ta, reg, letterURL, letterURL+"/printed", nil)
	if status != http.StatusSeeOther || loc != letterURL+"/print" {
		t.Fatalf("printed: %d %q", status, loc)
	}
	lt = lettersOf(t, ta, c.ID)[0]
	if lt.Status != store.LetterPrinted || lt.DocNo == "" || lt.DispatchedAt.IsZero() {
		t.Fatalf("printed letter: %+v", lt)
	}
	for _, want := range []string{lt.DocNo, "<h1>" + lt.Title + "</h1>", testAgency["name"], gongkai.DateOf(lt.DispatchedAt).Chinese(),
		`class="seal"`, "@page { size: A4", "李四&lt;script&gt;alert(1)&lt;/script&gt;", c.QueryCode} {
		if !strings.Contains(page, want) {
			t.Errorf("print page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Errorf("print page carries unescaped applicant text")
	}
	d := caseDetail(t, ta, c.No)
	found := false
	for _, e := range d.Events {
		found = found || (e.Kind == "letter_printed" && strings.Contains(e.Detail, lt.DocNo))
	}
	if !found {
		t.Errorf("no letter_printed history row")
	}
	// A printed letter is frozen.
	if _, err := l.Edit(ctx, lt.ID, "", "改动", regUser); gongkai.ErrorKind(err) != gongkai.EConflict {
		t.Errorf("editing a printed letter: %v", err)
	}
}

// TestReceiptFollowsLetterDesk: the 登记回执 intake mails is written with
// the receipt template in effect and the agency's contact details saved on
// the settings page, and a template saved later is used from the next
// receipt on.
func TestReceiptFollowsLetterDesk(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "g.db"))
	cfg["mail-from"] = "ysqgk@zjj.xigong.example"
	ta := startApp(t, cfg)
	ta.addUser(t, "root", gongkai.RoleAdmin)
	saveAgency(t, ta, login(t, ta, "root"))
	ctx := context.Background()
	letters := repliesOf(ta.App).letters
	src := replies.Defaults().Source(replies.KindReceipt)

	var requests []corpusMail
	for _, m := range readCorpus(t) {
		if l := m.label; l.IsRequest && l.Email != "" && l.DuplicateOf == "" && l.CaseRef == "" {
			requests = append(requests, m)
		}
	}
	if len(requests) < 2 {
		t.Fatalf("%d plain requests with an address in the corpus, want 2", len(requests))
	}
	sent := 0
	for i, mark := range []string{"（本回执模板第一次修订）", "（本回执模板第二次修订）"} {
		if _, err := letters.SaveTemplate(ctx, replies.KindReceipt, src+"\n　　"+mark, admin); err != nil {
			t.Fatal(err)
		}
		cm := requests[i]
		sendMail(t, ta.SMTPAddr, cm.raw)
		sent++
		waitProcessed(t, ta.DB, sent)
		var text, from string
		err := ta.DB.View(ctx, func(tx *store.Tx) error {
			all, err := tx.Messages()
			if err != nil {
				return err
			}
			i := slices.IndexFunc(all, func(m *gongkai.Message) bool { return m.MessageID == cm.msgID })
			if i < 0 || all[i].CaseID == 0 {
				return fmt.Errorf("%s: no case filed from it", cm.file)
			}
			out, err := tx.OutboxForCase(all[i].CaseID)
			if err != nil || len(out) != 1 {
				return fmt.Errorf("%s: %d outbox items, %v", cm.file, len(out), err)
			}
			em, err := intake.Parse(out[0].Raw)
			if err != nil {
				return err
			}
			text, from = em.Text, em.FromAddr
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{mark, testAgency["phone"], testAgency["address"], testAgency["postcode"], testAgency["office"]} {
			if !strings.Contains(text, want) {
				t.Errorf("receipt %d lacks %q:\n%s", i+1, want, text)
			}
		}
		if i == 1 && strings.Contains(text, "第一次修订") {
			t.Errorf("receipt 2 was written with the template saved before")
		}
		if from != testAgency["email"] {
			t.Errorf("receipt %d from %q, want %s", i+1, from, testAgency["email"])
		}
	}
}
