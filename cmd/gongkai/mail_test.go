package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/internal/testkit"
	"gongkai/store"
)

// TestMailView: mail that became no case — spam held for a person, a
// consultation, a reply to a case gongkai does not know yet, an automatic
// reply, a message without a header block — is listed for the registrar
// over real SMTP, read, archived with a reason or linked to a case (which
// the case's history shows); handlers are refused, and a second handling is
// a conflict.
func TestMailView(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "gongkai.db"))
	cfg["mail-from"] = "ysqgk@zjj.xigong.example"
	ta := startApp(t, cfg)
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	dir := testkit.CorpusDir(t, "dev")
	for _, f := range []string{"011", "019", "009", "012"} { // spam, consultation, auto-reply, follow-up of GK-2025-000047
		raw, err := os.ReadFile(filepath.Join(dir, f+".eml"))
		if err != nil {
			t.Fatal(err)
		}
		sendMail(t, ta.SMTPAddr, raw)
	}
	sendMail(t, ta.SMTPAddr, []byte("就一句话，没有信头\r\n想问问<公租房>怎么申请\r\n"))
	waitProcessed(t, ta.DB, 5)

	byKind := map[gongkai.MessageKind]*gongkai.Message{}
	err := ta.DB.View(context.Background(), func(tx *store.Tx) error {
		for _, q := range []store.MailQueue{store.MailAttention, store.MailAuto} {
			ms, err := tx.Mail(q, 50)
			if err != nil {
				return err
			}
			for _, m := range ms {
				byKind[m.Kind] = m
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []gongkai.MessageKind{gongkai.KindSpam, gongkai.KindConsultation, gongkai.KindAutoReply, gongkai.KindFollowup, gongkai.KindUnparsed} {
		if byKind[k] == nil {
			t.Fatalf("no %s message on no case: %v", k, byKind)
		}
	}
	msgURL := func(k gongkai.MessageKind) string {
		return ta.URL + "/staff/mail/" + strconv.FormatInt(byKind[k].ID, 10)
	}

	hand := login(t, ta, "hand")
	if status, _ := get(t, hand, ta.URL+"/staff/mail"); status != http.StatusForbidden {
		t.Errorf("handler on the mail view: %d, want 403", status)
	}

	reg := login(t, ta, "reg")
	status, page := get(t, reg, ta.URL+"/staff/mail")
	if status != http.StatusOK {
		t.Fatalf("mail view: %d\n%.800s", status, page)
	}
	for _, want := range []string{"待处理（4）", "自动回复和退信（1）", "已处理（0）", "垃圾邮件", "咨询", "已有案件的来信", "未找到对应案件", "无法解析（需人工处理）",
		html.EscapeString(byKind[gongkai.KindConsultation].Subject), `href="/staff/mail"`} {
		if !strings.Contains(page, want) {
			t.Errorf("mail view lacks %q\n%.3000s", want, page)
		}
	}
	if _, auto := get(t, reg, ta.URL+"/staff/mail?q=auto"); !strings.Contains(auto, html.EscapeString(byKind[gongkai.KindAutoReply].Subject)) {
		t.Errorf("auto tab lacks the automatic reply\n%.2000s", auto)
	}

	// The message without a header block: its text is shown, escaped, and
	// why it could not be parsed, in Chinese.
	_, page = get(t, reg, msgURL(gongkai.KindUnparsed))
	if !strings.Contains(page, "想问问&lt;公租房&gt;怎么申请") || !strings.Contains(page, "没有信头") {
		t.Errorf("unparsed message page\n%.3000s", page)
	}
	csrf := hidden(t, page).Get("csrf")

	// Archiving needs a reason; then the spam leaves "待处理" for "已处理".
	spam := msgURL(gongkai.KindSpam)
	_, page = get(t, reg, spam)
	if !strings.Contains(page, "自动分类的理由") {
		t.Errorf("spam page lacks the classifier's reasons\n%.3000s", page)
	}
	if status, body, _ := postForm(t, reg, spam+"/handle", url.Values{"csrf": {csrf}, "note": {"  "}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "请写明处理情况") {
		t.Errorf("archive without a reason: %d\n%.1500s", status, body)
	}
	if status, _, _ := postForm(t, reg, spam+"/handle", url.Values{"note": {"确认为垃圾邮件"}}); status != http.StatusForbidden {
		t.Errorf("archive without the CSRF token: %d, want 403", status)
	}
	if status, body, _ := postForm(t, reg, spam+"/handle", url.Values{"csrf": {csrf}, "note": {"确认为垃圾邮件"}}); status != http.StatusSeeOther {
		t.Fatalf("archive: %d\n%.1500s", status, body)
	}
	if status, body, _ := postForm(t, reg, spam+"/handle", url.Values{"csrf": {csrf}, "note": {"再次归档"}}); status != http.StatusConflict || !strings.Contains(body, "已由 reg 处理") {
		t.Errorf("archive twice: %d, want 409\n%.1500s", status, body)
	}
	_, page = get(t, reg, ta.URL+"/staff/mail?q=handled")
	if !strings.Contains(page, "已处理（1）") || !strings.Contains(page, "待处理（3）") || !strings.Contains(page, "确认为垃圾邮件") {
		t.Errorf("handled tab after archiving\n%.3000s", page)
	}
	// Archived by mistake: undone, it waits again, and is archived anew.
	if _, page := get(t, reg, spam); !strings.Contains(page, `id="reopen"`) {
		t.Errorf("an archived message offers no 撤销归档")
	}
	if status, body, _ := postForm(t, reg, spam+"/reopen", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("reopen: %d\n%.800s", status, body)
	}
	if _, page := get(t, reg, ta.URL+"/staff/mail"); !strings.Contains(page, "待处理（4）") || !strings.Contains(page, "已处理（0）") {
		t.Errorf("after 撤销归档 the message does not wait again")
	}
	if status, _, _ := postForm(t, reg, spam+"/handle", url.Values{"csrf": {csrf}, "note": {"确认为垃圾邮件"}}); status != http.StatusSeeOther {
		t.Fatalf("archive again after reopening: %d", status)
	}

	// The follow-up of a case registered by hand afterwards: linked by its
	// number, the case page shows the message and the history says so.
	c := seedEmailCase(t, ta.App, "GK-2025-000047", true)
	followup := msgURL(gongkai.KindFollowup)
	if status, body, _ := postForm(t, reg, followup+"/link", url.Values{"csrf": {csrf}, "case_no": {"GK-2025-47"}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "受理编号格式") || !strings.Contains(body, `value="GK-2025-47"`) {
		t.Errorf("link to a malformed number: %d\n%.1500s", status, body)
	}
	if status, body, _ := postForm(t, reg, followup+"/link", url.Values{"csrf": {csrf}, "case_no": {"GK-2025-000999"}}); status != http.StatusNotFound {
		t.Errorf("link to a missing case: %d\n%.800s", status, body)
	}
	status, body, resp := postForm(t, reg, followup+"/link", url.Values{"csrf": {csrf}, "case_no": {" gk-2025-000047 "}, "link_note": {"申请人补正材料"}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/cases/GK-2025-000047" {
		t.Fatalf("link: %d %q\n%.1500s", status, resp.Header.Get("Location"), body)
	}
	_, page = get(t, reg, ta.URL+"/staff/cases/GK-2025-000047")
	if !strings.Contains(page, html.EscapeString(byKind[gongkai.KindFollowup].Subject)) || !strings.Contains(page, "关联到本案") || !strings.Contains(page, "收到补正") {
		t.Errorf("case page after linking\n%.4000s", page)
	}
	var evs []gongkai.Event
	ta.DB.View(context.Background(), func(tx *store.Tx) error { evs, err = tx.Events(c.ID); return err })
	if !slices.ContainsFunc(evs, func(e gongkai.Event) bool {
		return e.Kind == "message_linked" && e.Actor == "reg" && e.Reason == "申请人补正材料"
	}) {
		t.Errorf("no message_linked event by reg: %+v", evs)
	}
	if status, _, _ := postForm(t, reg, followup+"/handle", url.Values{"csrf": {csrf}, "note": {"x"}}); status != http.StatusConflict {
		t.Errorf("archive a linked message: %d, want 409", status)
	}
	if _, page = get(t, reg, ta.URL+"/staff/mail"); !strings.Contains(page, "待处理（2）") {
		t.Errorf("after linking, 2 should wait\n%.2000s", page)
	}

	// The consultation was an application after all: registered as a case,
	// received the day it arrived, with its 登记回执 and the registrar's
	// reason in the history. The unparsable message cannot be registered.
	consult := msgURL(gongkai.KindConsultation)
	if status, body, _ := postForm(t, reg, consult+"/register", url.Values{"csrf": {csrf}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "请写明登记理由") {
		t.Errorf("register without a reason: %d\n%.1500s", status, body)
	}
	if status, body, _ := postForm(t, reg, msgURL(gongkai.KindUnparsed)+"/register", url.Values{"csrf": {csrf}, "register_note": {"试试"}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "无法解析") {
		t.Errorf("register the unparsable message: %d\n%.1500s", status, body)
	}
	status, body, resp = postForm(t, reg, consult+"/register", url.Values{"csrf": {csrf}, "register_note": {"来信要求提供公租房配租名单，属于信息公开申请"}})
	no := strings.TrimPrefix(resp.Header.Get("Location"), "/staff/cases/")
	if status != http.StatusSeeOther || !reCaseNo.MatchString(no) {
		t.Fatalf("register: %d %q\n%.1500s", status, resp.Header.Get("Location"), body)
	}
	if status, _, _ := postForm(t, reg, consult+"/register", url.Values{"csrf": {csrf}, "register_note": {"again"}}); status != http.StatusConflict {
		t.Errorf("register twice: %d, want 409", status)
	}
	err = ta.DB.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.CaseByNo(no)
		if err != nil {
			return err
		}
		m, err := tx.MessageByID(byKind[gongkai.KindConsultation].ID)
		if err != nil {
			return err
		}
		if m.CaseID != c.ID || m.Kind != gongkai.KindRequest || m.HandledBy != "reg" {
			t.Errorf("registered message: case %d kind %s handled by %q", m.CaseID, m.Kind, m.HandledBy)
		}
		// Received (and due) as of the message's arrival, as any e-mail request.
		want := &gongkai.Case{Channel: gongkai.ChannelEmail}
		if err := caseflow.Register(want, m.ArrivedAt, ta.Cal); err != nil {
			return err
		}
		if c.Channel != gongkai.ChannelEmail || c.ReceivedOn != want.ReceivedOn || c.DueOn != want.DueOn {
			t.Errorf("registered case: channel %s received %s due %s; want email, %s, %s (arrived %s)", c.Channel, c.ReceivedOn, c.DueOn, want.ReceivedOn, want.DueOn, m.ArrivedAt)
		}
		evs, err := tx.Events(c.ID)
		if err != nil {
			return err
		}
		for _, kind := range []string{"registered", "registered_from_mail", "receipt_queued"} {
			if !slices.ContainsFunc(evs, func(e gongkai.Event) bool { return e.Kind == kind }) {
				t.Errorf("case %s history lacks %s: %+v", no, kind, evs)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, page = get(t, reg, ta.URL+"/staff/mail"); !strings.Contains(page, "待处理（1）") {
		t.Errorf("after registering, 1 should wait\n%.2000s", page)
	}
}

// TestMailAttachmentDownload: an attachment listed in 来信 downloads with
// its own (Chinese) name and bytes, never shown inline.
func TestMailAttachmentDownload(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	raw := "From: a@example.org\r\nTo: ysqgk@zjj.xigong.example\r\nSubject: =?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte("请问办理时限")) + "?=\r\n" +
		"Message-ID: <att@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请问政府信息公开申请多久答复？\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename*=utf-8''%E6%9D%90%E6%96%99.txt\r\n\r\n附件内容<script>\r\n--b--\r\n"
	sendMail(t, ta.SMTPAddr, []byte(raw))
	waitProcessed(t, ta.DB, 1)
	var id int64
	ta.DB.View(context.Background(), func(tx *store.Tx) error {
		ms, err := tx.Messages()
		if len(ms) == 1 {
			id = ms[0].ID
		}
		return err
	})
	reg := login(t, ta, "reg")
	_, page := get(t, reg, fmt.Sprintf("%s/staff/mail/%d", ta.URL, id))
	link := fmt.Sprintf("/staff/mail/%d/attachments/0", id)
	if !strings.Contains(page, link) || !strings.Contains(page, "材料.txt") {
		t.Fatalf("the mail view offers no download of the attachment:\n%.1500s", page)
	}
	resp, err := reg.Get(ta.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	cd := resp.Header.Get("Content-Disposition")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "%E6%9D%90%E6%96%99.txt") ||
		resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(string(body), "附件内容<script>") {
		t.Errorf("download: %d %q %q %q", resp.StatusCode, cd, resp.Header.Get("Content-Type"), body)
	}
	if status, _ := get(t, reg, fmt.Sprintf("%s/staff/mail/%d/attachments/5", ta.URL, id)); status != http.StatusNotFound {
		t.Errorf("a missing attachment: %d, want 404", status)
	}
}
