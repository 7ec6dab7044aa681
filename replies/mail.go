package replies

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"gongkai"
)

// Mail is one outgoing message: a letter (Text and HTML parts) with its
// attachments and threading headers.
type Mail struct {
	From, To      string // RFC 5322 addresses, display names may be Chinese
	Subject       string
	Text, HTML    string
	MessageID     string   // with or without angle brackets; see NewMessageID
	InReplyTo     string   // the applicant's message, so replies thread back
	References    []string // earlier messages of the thread
	AutoSubmitted string   // RFC 3834, e.g. "auto-replied" for receipts; "" = omit
	Attachments   []gongkai.Attachment
	Date          time.Time // zero = now
}

// NewMessageID returns a fresh Message-ID (without brackets) for a letter on
// case caseNo: letter-{caseNo}-{random}@{domain}. The case number stays in it
// so that the classifier links replies quoting it to the case.
func NewMessageID(caseNo, domain string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("replies: reading random bytes: %v", err)) // crypto/rand never fails on supported platforms
	}
	if domain == "" {
		domain = "gongkai.invalid"
	}
	return fmt.Sprintf("letter-%s-%s@%s", caseNo, hex.EncodeToString(b[:]), domain)
}

// LetterMail prepares the Mail that carries l to the address to, for case
// caseNo, dated at. The caller adds InReplyTo, References and Attachments.
// Receipts are marked Auto-Submitted: auto-replied (RFC 3834), so that
// auto-responders do not answer them.
func (a Agency) LetterMail(l Letter, caseNo, to string, at time.Time) (Mail, error) {
	date := gongkai.DateOf(at)
	html, err := l.HTML(a, date)
	if err != nil {
		return Mail{}, err
	}
	m := Mail{
		From:      (&mail.Address{Name: a.Name, Address: a.Email}).String(),
		To:        to,
		Subject:   fmt.Sprintf("%s（受理编号：%s）", l.Title, caseNo),
		Text:      l.Text(a, date),
		HTML:      html,
		MessageID: NewMessageID(caseNo, domainOf(a.Email)),
		Date:      at,
	}
	if l.Kind == KindReceipt {
		m.AutoSubmitted = "auto-replied"
	}
	return m, nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.TrimSuffix(addr[i+1:], ">")
	}
	return ""
}

func stripBrackets(id string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
}

// Envelope returns the SMTP envelope of m: the bare sender and recipient
// addresses, as the outbox Item needs them.
func Envelope(m Mail) (from string, to []string, err error) {
	f, err := mail.ParseAddress(m.From)
	if err != nil {
		return "", nil, fmt.Errorf("replies: parsing From %q: %w", m.From, err)
	}
	rs, err := mail.ParseAddressList(m.To)
	if err != nil {
		return "", nil, fmt.Errorf("replies: parsing To %q: %w", m.To, err)
	}
	for _, r := range rs {
		to = append(to, r.Address)
	}
	return f.Address, to, nil
}

// BuildMail writes m as an RFC 5322 message: UTF-8 text and HTML parts in
// base64 (Chinese text is smaller so than in quoted-printable), an RFC 2047
// Subject and display names, attachments with RFC 2231 file names, and the
// Message-ID, In-Reply-To, References and Auto-Submitted headers.
func BuildMail(m Mail) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("replies: parsing From %q: %w", m.From, err)
	}
	to, err := mail.ParseAddressList(m.To)
	if err != nil || len(to) == 0 {
		return nil, fmt.Errorf("replies: parsing To %q: %w", m.To, err)
	}
	id := stripBrackets(m.MessageID)
	if id == "" || !strings.Contains(id, "@") {
		return nil, fmt.Errorf("replies: building mail: Message-ID %q must be set (see NewMessageID)", m.MessageID)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, fmt.Errorf("replies: building mail: no text")
	}

	var h mail.Header
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	h.SetDate(date.In(gongkai.Beijing))
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", to)
	h.SetSubject(m.Subject)
	h.SetMessageID(id)
	var refs []string
	for _, r := range m.References {
		if r = stripBrackets(r); r != "" {
			refs = append(refs, r)
		}
	}
	if irt := stripBrackets(m.InReplyTo); irt != "" {
		h.SetMsgIDList("In-Reply-To", []string{irt})
		if len(refs) == 0 || refs[len(refs)-1] != irt {
			refs = append(refs, irt)
		}
	}
	h.SetMsgIDList("References", refs)
	if m.AutoSubmitted != "" {
		h.Set("Auto-Submitted", m.AutoSubmitted)
	}
	h.Set("Content-Language", "zh-CN")

	var buf bytes.Buffer
	size := len(m.Text) + len(m.HTML) // base64: 4/3, and a line break per 76
	for _, a := range m.Attachments {
		size += len(a.Data)
	}
	buf.Grow(size*4/3 + size/50 + 4<<10)
	if len(m.Attachments) == 0 {
		if err := writeBody(&buf, h, m); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("replies: building mail: %w", err)
	}
	if err := writeAlternative(w, m); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		if err := writeAttachment(w, a); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("replies: building mail: %w", err)
	}
	return buf.Bytes(), nil
}

func textHeader(ct string) mail.InlineHeader {
	var h mail.InlineHeader
	h.SetContentType(ct, map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "base64")
	return h
}

// writeBody writes a message without attachments: multipart/alternative, or a
// single part when only one form of the text exists.
func writeBody(buf *bytes.Buffer, h mail.Header, m Mail) error {
	if m.Text == "" || m.HTML == "" {
		ct, body := "text/plain", m.Text
		if m.Text == "" {
			ct, body = "text/html", m.HTML
		}
		th := textHeader(ct)
		h.SetContentType(ct, map[string]string{"charset": "utf-8"})
		h.Set("Content-Transfer-Encoding", th.Get("Content-Transfer-Encoding"))
		w, err := mail.CreateSingleInlineWriter(buf, h)
		if err != nil {
			return fmt.Errorf("replies: building mail: %w", err)
		}
		return writeClose(w, body)
	}
	w, err := mail.CreateInlineWriter(buf, h)
	if err != nil {
		return fmt.Errorf("replies: building mail: %w", err)
	}
	if err := writeParts(w, m); err != nil {
		return err
	}
	return closeErr(w.Close())
}

func writeAlternative(w *mail.Writer, m Mail) error {
	if m.Text == "" || m.HTML == "" {
		ct, body := "text/plain", m.Text
		if m.Text == "" {
			ct, body = "text/html", m.HTML
		}
		pw, err := w.CreateSingleInline(textHeader(ct))
		if err != nil {
			return fmt.Errorf("replies: building mail: %w", err)
		}
		return writeClose(pw, body)
	}
	iw, err := w.CreateInline()
	if err != nil {
		return fmt.Errorf("replies: building mail: %w", err)
	}
	if err := writeParts(iw, m); err != nil {
		return err
	}
	return closeErr(iw.Close())
}

// writeParts writes the plain part, then the HTML part (RFC 2046: the
// preferred alternative last).
func writeParts(iw *mail.InlineWriter, m Mail) error {
	for _, p := range []struct{ ct, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		pw, err := iw.CreatePart(textHeader(p.ct))
		if err != nil {
			return fmt.Errorf("replies: building mail: %w", err)
		}
		if err := writeClose(pw, p.body); err != nil {
			return err
		}
	}
	return nil
}

func writeClose(w io.WriteCloser, body string) error {
	if _, err := io.WriteString(w, strings.ReplaceAll(body, "\r\n", "\n")); err != nil {
		return fmt.Errorf("replies: building mail: %w", err)
	}
	return closeErr(w.Close())
}

func closeErr(err error) error {
	if err != nil {
		return fmt.Errorf("replies: building mail: %w", err)
	}
	return nil
}

func writeAttachment(w *mail.Writer, a gongkai.Attachment) error {
	name := a.Name
	if name == "" {
		name = "附件"
	}
	ct := a.ContentType
	if ct == "" {
		ct = mime.TypeByExtension(strings.ToLower(path.Ext(name)))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt // drop parameters; name goes in below
	}
	var h mail.AttachmentHeader
	// Content-Type name: RFC 2047 for old clients; Content-Disposition
	// filename: RFC 2231, which current readers prefer.
	h.Header = message.Header{}
	h.Set("Content-Type", ct+"; "+rfc2047Param("name", name))
	h.Set("Content-Disposition", "attachment; "+rfc2231Param("filename", name))
	h.Set("Content-Transfer-Encoding", "base64")
	aw, err := w.CreateAttachment(h)
	if err != nil {
		return fmt.Errorf("replies: building mail: attachment %q: %w", name, err)
	}
	if _, err := aw.Write(a.Data); err != nil {
		return fmt.Errorf("replies: building mail: attachment %q: %w", name, err)
	}
	return closeErr(aw.Close())
}

// rfc2047Param formats name="value", with the value as RFC 2047 encoded words
// when it is not plain ASCII.
func rfc2047Param(name, value string) string {
	if isToken(value) {
		return name + `="` + value + `"`
	}
	return name + `="` + mime.BEncoding.Encode("utf-8", value) + `"`
}

// rfc2231Param formats a parameter as RFC 2231 requires for non-ASCII values:
// name*0*=utf-8”%E5…; name*1*=… — split into sections so that the header
// can be folded at the "; " between them.
func rfc2231Param(name, value string) string {
	if isToken(value) {
		return name + `="` + value + `"`
	}
	const maxSection = 54
	var enc strings.Builder
	var secs []string
	// Sections end on character boundaries: some readers decode each
	// section on its own.
	for _, r := range value {
		var piece strings.Builder
		for _, c := range []byte(string(r)) {
			if isAttrChar(c) {
				piece.WriteByte(c)
			} else {
				fmt.Fprintf(&piece, "%%%02X", c)
			}
		}
		if enc.Len() > 0 && enc.Len()+piece.Len() > maxSection {
			secs = append(secs, enc.String())
			enc.Reset()
		}
		enc.WriteString(piece.String())
	}
	secs = append(secs, enc.String())
	if len(secs) == 1 {
		return name + "*=utf-8''" + secs[0]
	}
	parts := make([]string, len(secs))
	for i, s := range secs {
		prefix := ""
		if i == 0 {
			prefix = "utf-8''"
		}
		parts[i] = fmt.Sprintf("%s*%d*=%s%s", name, i, prefix, s)
	}
	return strings.Join(parts, "; ")
}

// isToken reports whether v can go in a quoted-string as is: printable ASCII
// without quotes or backslashes.
func isToken(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isAttrChar is RFC 2231 attribute-char: ASCII printable except SPACE, *, ',
// %, and tspecials.
func isAttrChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`*'%()<>@,;:\"/[]?=`, rune(c))
}
