package replies

import (
	"bytes"
	"io"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"gongkai"
)

// parsed is what a reader gets back from a message.
type parsed struct {
	header      mail.Header
	subject     string
	messageID   string
	inReplyTo   []string
	references  []string
	text, html  string
	attachments map[string][]byte
}

func parseMail(t *testing.T, raw []byte) parsed {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reading mail: %v", err)
	}
	p := parsed{header: r.Header, attachments: map[string][]byte{}}
	if p.subject, err = r.Header.Subject(); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	p.messageID, _ = r.Header.MessageID()
	p.inReplyTo, _ = r.Header.MsgIDList("In-Reply-To")
	p.references, _ = r.Header.MsgIDList("References")
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch h := part.Header.(type) {
		case *mail.InlineHeader:
			ct, params, _ := h.ContentType()
			if params["charset"] != "utf-8" {
				t.Errorf("%s charset = %q", ct, params["charset"])
			}
			if ct == "text/html" {
				p.html = string(b)
			} else {
				p.text = string(b)
			}
		case *mail.AttachmentHeader:
			name, err := h.Filename()
			if err != nil {
				t.Errorf("Filename: %v", err)
			}
			p.attachments[name] = b
		}
	}
	return p
}

func sampleMail(t *testing.T) (Mail, Letter) {
	t.Helper()
	d := SampleData()
	l := mustRender(t, Kind(gongkai.ResultDisclosed), d)
	m, err := d.Agency.LetterMail(l, d.Case.No, "李明 <liming@example.com>", time.Date(2025, 4, 1, 10, 0, 0, 0, gongkai.Beijing))
	if err != nil {
		t.Fatal(err)
	}
	m.InReplyTo = "<CAF=abc123@mail.example.com>"
	m.References = []string{"first@example.com"}
	m.Attachments = []gongkai.Attachment{
		{Name: "关于青山区2024年老旧小区改造项目立项的批复（青发改〔2024〕56号）及附件资金使用情况表.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 批复\n")},
		{Name: "table-2024.csv", Data: []byte("项目,金额\n甲,100\n")},
	}
	return m, l
}

func TestBuildMailRoundTrip(t *testing.T) {
	m, l := sampleMail(t)
	raw, err := BuildMail(m)
	if err != nil {
		t.Fatalf("BuildMail: %v", err)
	}
	for i, c := range raw {
		if c >= 0x80 {
			t.Fatalf("raw 8-bit byte at %d: the message must be 7-bit clean", i)
		}
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line longer than 998 octets: %.60s…", line)
		}
	}
	if !regexp.MustCompile(`(?m)^Subject: =\?utf-8\?`).Match(raw) {
		t.Error("Subject is not RFC 2047 encoded")
	}
	if !bytes.Contains(raw, []byte("filename*0*=utf-8''%E5%85%B3")) {
		t.Error("long Chinese file name is not RFC 2231 encoded in sections")
	}
	if !bytes.Contains(raw, []byte(`filename="table-2024.csv"`)) {
		t.Error("ASCII file name not given plainly")
	}

	p := parseMail(t, raw)
	if p.subject != m.Subject || !strings.Contains(p.subject, "GK-2025-000017") {
		t.Errorf("subject = %q, want %q", p.subject, m.Subject)
	}
	if p.messageID != m.MessageID || !strings.HasPrefix(p.messageID, "letter-GK-2025-000017-") || !strings.HasSuffix(p.messageID, "@zjj.qingshan.gov.cn") {
		t.Errorf("Message-ID = %q, want %q", p.messageID, m.MessageID)
	}
	if len(p.inReplyTo) != 1 || p.inReplyTo[0] != "CAF=abc123@mail.example.com" {
		t.Errorf("In-Reply-To = %q", p.inReplyTo)
	}
	if want := []string{"first@example.com", "CAF=abc123@mail.example.com"}; strings.Join(p.references, " ") != strings.Join(want, " ") {
		t.Errorf("References = %q, want %q", p.references, want)
	}
	if p.text != m.Text || !strings.Contains(p.text, l.Body) {
		t.Errorf("text part differs:\n%s", p.text)
	}
	if p.html != m.HTML || !strings.Contains(p.html, "依照《中华人民共和国政府信息公开条例》第三十六条") {
		t.Errorf("html part differs")
	}
	for _, a := range m.Attachments {
		if got, ok := p.attachments[a.Name]; !ok || !bytes.Equal(got, a.Data) {
			t.Errorf("attachment %q: got %q (present %v)", a.Name, got, ok)
		}
	}
	from, _ := p.header.AddressList("From")
	if len(from) != 1 || from[0].Name != "青山区住房和城乡建设局" || from[0].Address != "gongkai@zjj.qingshan.gov.cn" {
		t.Errorf("From = %v", from)
	}
	if got := p.header.Get("Auto-Submitted"); got != "" {
		t.Errorf("final letter marked Auto-Submitted: %q", got)
	}
	if d, _ := p.header.Date(); !d.Equal(m.Date) {
		t.Errorf("Date = %v, want %v", d, m.Date)
	}
}

func TestBuildMailReceipt(t *testing.T) {
	d := SampleData()
	l := mustRender(t, KindReceipt, d)
	m, err := d.Agency.LetterMail(l, d.Case.No, "liming@example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := BuildMail(m)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, raw)
	if got := p.header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted = %q, want auto-replied", got)
	}
	ct, _, _ := p.header.ContentType()
	if ct != "multipart/alternative" {
		t.Errorf("Content-Type = %s, want multipart/alternative without attachments", ct)
	}
	if !strings.Contains(p.text, "查询码：K7Q2M9") || !strings.Contains(p.html, "查询码：K7Q2M9") {
		t.Error("receipt text lost in the parts")
	}
	if len(p.references) != 0 {
		t.Errorf("References = %q, want none", p.references)
	}
}

func TestBuildMailRefuses(t *testing.T) {
	good := Mail{From: "a@example.com", To: "b@example.com", Subject: "x", Text: "正文", MessageID: "letter-GK-2025-000001-1@example.com"}
	tests := []struct {
		name string
		edit func(*Mail)
	}{
		{"no Message-ID", func(m *Mail) { m.MessageID = "" }},
		{"bad From", func(m *Mail) { m.From = "not an address" }},
		{"no To", func(m *Mail) { m.To = "" }},
		{"no text", func(m *Mail) { m.Text = "" }},
	}
	if _, err := BuildMail(good); err != nil {
		t.Fatalf("good mail refused: %v", err)
	}
	for _, tt := range tests {
		m := good
		tt.edit(&m)
		if _, err := BuildMail(m); err == nil {
			t.Errorf("%s: BuildMail accepted it", tt.name)
		}
	}
	// Text only: a single text/plain part.
	raw, err := BuildMail(good)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, raw)
	if p.text != "正文" || p.html != "" {
		t.Errorf("text-only mail: text %q html %q", p.text, p.html)
	}
}

func TestEnvelope(t *testing.T) {
	m, _ := sampleMail(t)
	from, to, err := Envelope(m)
	if err != nil || from != "gongkai@zjj.qingshan.gov.cn" || len(to) != 1 || to[0] != "liming@example.com" {
		t.Errorf("Envelope = %q %q %v", from, to, err)
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID("GK-2025-000017", "example.gov.cn"), NewMessageID("GK-2025-000017", "example.gov.cn")
	if a == b {
		t.Error("Message-IDs repeat")
	}
	if !regexp.MustCompile(`^letter-GK-2025-000017-[0-9a-f]{16}@example\.gov\.cn$`).MatchString(a) {
		t.Errorf("Message-ID %q has the wrong form", a)
	}
}

func TestRFC2231(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a.pdf", `filename="a.pdf"`},
		{"批复.pdf", `filename*=utf-8''%E6%89%B9%E5%A4%8D.pdf`},
		{"a b;c.pdf", `filename="a b;c.pdf"`},
		{`q"uote.pdf`, `filename*=utf-8''q%22uote.pdf`},
	}
	for _, tt := range tests {
		if got := rfc2231Param("filename", tt.in); got != tt.want {
			t.Errorf("rfc2231Param(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// Long names are split into sections, each of which decodes on its own
	// to whole characters, and which together give the name back.
	name := strings.Repeat("老旧小区改造资金使用情况表", 4) + ".xlsx"
	p := rfc2231Param("filename", name)
	secs := strings.Split(p, "; ")
	if len(secs) < 3 {
		t.Fatalf("not split: %s", p)
	}
	var all strings.Builder
	for i, sec := range secs {
		v := sec[strings.Index(sec, "=")+1:]
		if i == 0 {
			v = strings.TrimPrefix(v, "utf-8''")
		}
		dec, err := url.PathUnescape(v)
		if err != nil || !utf8.ValidString(dec) {
			t.Errorf("section %d %q does not decode to whole characters", i, sec)
		}
		all.WriteString(dec)
	}
	if all.String() != name {
		t.Errorf("sections give %q", all.String())
	}
	_, params, err := mime.ParseMediaType("attachment; " + p)
	if err != nil || params["filename"] != name {
		t.Errorf("mime.ParseMediaType = %q, %v", params["filename"], err)
	}
}

func BenchmarkBuildMail(b *testing.B) {
	d := SampleData()
	l, _ := Defaults().Render(Kind(gongkai.ResultDisclosed), d)
	m, _ := d.Agency.LetterMail(l, d.Case.No, "liming@example.com", time.Now())
	m.Attachments = []gongkai.Attachment{{Name: "批复.pdf", Data: bytes.Repeat([]byte("x"), 64<<10)}}
	for b.Loop() {
		if _, err := BuildMail(m); err != nil {
			b.Fatal(err)
		}
	}
}
