package intake

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"gongkai"
)

// Errors Parse returns when nothing at all could be read.
var (
	ErrEmpty    = errors.New("intake: empty message")
	ErrNoHeader = errors.New("intake: no header block")
)

// Parse reads one raw e-mail. It never panics and never returns a nil
// *Email: a message it cannot fully read comes back with Malformed set,
// Defects naming what is broken, and as much as could be recovered. err is
// non-nil only when nothing at all could be read (empty input, no header
// block); the Email then still carries what little is known.
func Parse(raw []byte) (*gongkai.Email, error) {
	return ParseWith(raw, Options{})
}

// ParseWith is Parse with options (attachment size cap).
func ParseWith(raw []byte, opt Options) (em *gongkai.Email, err error) {
	defer func() {
		if r := recover(); r != nil {
			// A bug of ours must not lose the message (STYLE.md habit 5):
			// hand it on as malformed for a person to read.
			em = &gongkai.Email{Malformed: true, Defects: []string{DefectTruncated}, Text: string(bytes.ToValidUTF8(raw, nil)), Header: map[string][]string{}}
			err = fmt.Errorf("intake: parsing message: internal error: %v", r)
		}
	}()
	return parse(raw, opt)
}

// parse is ParseWith without the recover, so that tests and the fuzzer see
// panics.
func parse(raw []byte, opt Options) (*gongkai.Email, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return &gongkai.Email{Malformed: true, Defects: []string{DefectTruncated}, Header: map[string][]string{}}, ErrEmpty
	}
	d := &defects{}
	// Blank lines before the header block (some relays prepend them) would
	// make the real header the body.
	raw = bytes.TrimLeft(raw, "\r\n")
	root := parseEntity(raw, 0, "", d)
	em := buildEmail(root, opt, d, 0)
	if len(root.hdr) == 0 {
		d.add(DefectBadHeaderLine)
		em.Defects = d.list
		em.Malformed = true
		return em, ErrNoHeader
	}
	return em, nil
}

// buildEmail turns a parsed entity into an Email. d collects this
// message's defects; defects of embedded messages are added too, since a
// strict reader of the whole message meets them as well.
func buildEmail(root *entity, opt Options, d *defects, depth int) *gongkai.Email {
	em := &gongkai.Email{Header: make(map[string][]string, len(root.hdr))}
	hint := charsetHint(root)
	for _, f := range root.hdr {
		em.Header[f.key] = append(em.Header[f.key], decodeHeaderText(f.value, hint, d))
	}
	h := root.hdr
	em.Subject = strings.TrimSpace(decodeHeaderText(h.get("Subject"), hint, d))
	if from := parseAddressList(h.get("From"), hint, d); len(from) > 0 {
		em.FromName, em.FromAddr = from[0].name, from[0].addr
	}
	if rt := parseAddressList(h.get("Reply-To"), hint, d); len(rt) > 0 {
		em.ReplyTo = strings.ToLower(rt[0].addr)
	}
	for _, v := range h.all("To") {
		for _, a := range parseAddressList(v, hint, d) {
			if a.addr != "" {
				em.To = append(em.To, strings.ToLower(a.addr))
			}
		}
	}
	if ids := msgIDs(h.get("Message-Id")); len(ids) > 0 {
		em.MessageID = ids[0]
	}
	em.InReplyTo = msgIDs(h.get("In-Reply-To"))
	em.References = msgIDs(strings.Join(h.all("References"), " "))
	em.Date = parseDate(h.get("Date"))

	em.MediaType = root.declared
	if em.MediaType == "" {
		em.MediaType = "text/plain"
	}
	em.ReportType = strings.ToLower(root.ct.params["report-type"])
	if !strings.HasPrefix(em.MediaType, "multipart/") || em.ReportType == "" {
		em.ReportType = strings.ToLower(parseParams(h.get("Content-Type"), hint, nil).params["report-type"])
	}

	var plain, htmls []string
	var walk func(e *entity)
	walk = func(e *entity) {
		if e.multipart() {
			for _, c := range e.children {
				walk(c)
			}
			return
		}
		name := e.cd.params["filename"]
		if name == "" {
			name = e.ct.params["name"]
		}
		if e.message != nil {
			sub := buildEmail(e.message, opt, e.msgDefs, depth+1)
			em.Embedded = append(em.Embedded, sub)
			d.merge(sub.Defects)
		}
		switch {
		case name != "":
			em.Attachments = append(em.Attachments, makeAttachment(e, name, opt, d))
		case e.message != nil:
		case e.ct.typ == "text/plain":
			plain = append(plain, partText(e, d))
		case e.ct.typ == "text/html":
			htmls = append(htmls, HTMLToText(partText(e, d)))
		}
	}
	if !root.headers {
		walk(root)
	}
	em.Text = strings.TrimSpace(strings.Join(plain, "\n\n"))
	em.HTMLText = strings.TrimSpace(strings.Join(htmls, "\n\n"))
	if em.Text == "" {
		em.Text = em.HTMLText
	}
	if isForward(em.Subject, em.Text) {
		em.NewText = em.Text
		if em.ReportType == "" {
			// Forwarded as an attachment: the forwarded message is the
			// substance, so its text joins NewText (dev/013 inline).
			for _, sub := range em.Embedded {
				em.NewText = strings.TrimSpace(em.NewText + "\n\n" + forwardBlock(sub))
			}
		}
	} else {
		em.NewText, em.Quoted = SplitQuoted(em.Text)
	}
	em.Defects = d.list
	em.Malformed = len(d.list) > 0
	return em
}

// forwardBlock renders a message forwarded as an attachment the way mail
// clients render an inline forward, so that readers of NewText see who
// wrote it.
func forwardBlock(sub *gongkai.Email) string {
	var b strings.Builder
	b.WriteString("-------- 转发邮件信息 --------\n")
	b.WriteString("发件人：")
	if sub.FromName != "" {
		b.WriteString(sub.FromName + " ")
	}
	b.WriteString("<" + sub.FromAddr + ">\n")
	if !sub.Date.IsZero() {
		b.WriteString("发送日期：" + sub.Date.Format("2006-01-02 15:04:05") + "\n")
	}
	b.WriteString("主题：" + sub.Subject + "\n\n")
	b.WriteString(sub.NewText)
	return b.String()
}

// charsetHint is the first charset declared in the message (outside
// embedded messages): the best guess for raw eight-bit header bytes
// (peer big5.eml declares big5 only on its body).
func charsetHint(e *entity) string {
	if cs := e.ct.params["charset"]; cs != "" {
		return cs
	}
	for _, c := range e.children {
		if cs := charsetHint(c); cs != "" {
			return cs
		}
	}
	return ""
}

var reMsgID = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs extracts message ids without angle brackets; ids written without
// brackets are taken as white-space separated words.
func msgIDs(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if m := reMsgID.FindAllStringSubmatch(v, -1); len(m) > 0 {
		out := make([]string, 0, len(m))
		for _, x := range m {
			out = append(out, x[1])
		}
		return out
	}
	return strings.Fields(v)
}

var reMetaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)`)

// partText decodes a text part to UTF-8 with lines ending in "\n". A
// charset the bytes contradict is charset_mislabel. An HTML part without a
// MIME charset uses its <meta> charset.
func partText(e *entity, d *defects) string {
	data, cut := decodeBodyCut(e, d)
	if cut {
		data = trimPartialRune(data)
	}
	label := e.ct.params["charset"]
	if label == "" && e.ct.typ == "text/html" {
		head := data
		if len(head) > 2048 {
			head = head[:2048]
		}
		if m := reMetaCharset.FindSubmatch(head); m != nil {
			label = string(m[1])
		}
	}
	t, mis := DecodeCharset(label, data)
	if mis {
		d.add(DefectCharsetMislabel)
	}
	t = normalizeNewlines(t)
	if strings.EqualFold(e.ct.params["format"], "flowed") {
		t = unflow(t, strings.EqualFold(e.ct.params["delsp"], "yes"))
	}
	return t
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// unflow undoes RFC 3676 format=flowed: a line ending in a space continues
// on the next line.
func unflow(s string, delsp bool) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	for i, l := range lines {
		if l != "-- " && strings.HasSuffix(l, " ") && i+1 < len(lines) {
			if delsp {
				l = l[:len(l)-1]
			}
			b.WriteString(l)
			continue
		}
		b.WriteString(l)
		if i+1 < len(lines) {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// makeAttachment builds one named leaf part. Text is extracted from text,
// HTML and .docx files before Data is cut to opt.MaxAttachment.
func makeAttachment(e *entity, name string, opt Options, d *defects) gongkai.Attachment {
	a := gongkai.Attachment{
		Name:        name,
		ContentType: e.declared,
		Inline:      e.cd.typ == "inline",
	}
	if a.ContentType == "" {
		a.ContentType = "text/plain"
	}
	kind := attachmentKind(e, name)
	if kind == attBinary && (opt.NoData || opt.MaxAttachment > 0) && isBase64(e) {
		// Nobody reads all of a PDF, image or archive here: decode what
		// sniffing and the kept Data need, and count the rest.
		size, partial := base64Size(e.body)
		if partial {
			d.add(DefectTruncated)
		}
		want := sniffLen
		if !opt.NoData {
			want = max(want, opt.MaxAttachment)
		}
		head := decodeBase64Prefix(e.body, min(want, size))
		a.Size = size
		a.Sniffed = sniff(head)
		if !opt.NoData {
			a.Data = head[:min(len(head), opt.MaxAttachment):min(len(head), opt.MaxAttachment)]
		}
		return a
	}
	data := decodeBody(e, d)
	if len(data) > 0 && len(e.body) > 0 && &data[0] == &e.body[0] && !opt.NoData {
		data = bytes.Clone(data) // do not alias the caller's raw bytes
	}
	a.Sniffed = sniff(data)
	a.Size = len(data)
	switch kind {
	case attDocx:
		if t, err := docxText(data); err == nil || t != "" {
			a.Text = t
		}
	case attHTML:
		t, mis := DecodeCharset(e.ct.params["charset"], data)
		if mis && strings.HasPrefix(e.ct.typ, "text/") {
			d.add(DefectCharsetMislabel)
		}
		a.Text = HTMLToText(t)
	case attText:
		t, mis := DecodeCharset(e.ct.params["charset"], data)
		if mis && strings.HasPrefix(e.ct.typ, "text/") && e.ct.params["charset"] != "" {
			d.add(DefectCharsetMislabel)
		}
		a.Text = strings.TrimSpace(normalizeNewlines(t))
	}
	if opt.NoData {
		return a
	}
	if opt.MaxAttachment > 0 && len(data) > opt.MaxAttachment {
		data = data[:opt.MaxAttachment:opt.MaxAttachment]
	}
	a.Data = data
	return a
}

// Kinds of attachment, by what is read from them.
const (
	attBinary = iota // only sniffed and measured
	attDocx          // text extracted from word/document.xml
	attHTML          // text extracted from HTML
	attText          // plain text
)

// attachmentKind says which text, if any, makeAttachment extracts from a
// named part.
func attachmentKind(e *entity, name string) int {
	lname := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lname, ".docx") || strings.Contains(e.ct.typ, "wordprocessingml"):
		return attDocx
	case e.ct.typ == "text/html" || strings.HasSuffix(lname, ".html") || strings.HasSuffix(lname, ".htm"):
		return attHTML
	case strings.HasPrefix(e.ct.typ, "text/") || strings.HasSuffix(lname, ".txt") || strings.HasSuffix(lname, ".csv"):
		return attText
	}
	return attBinary
}

// sniffLen is how many leading bytes http.DetectContentType looks at.
const sniffLen = 512

// sniff is http.DetectContentType without parameters.
func sniff(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	t := http.DetectContentType(data)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return t
}

// trimPartialRune drops a multi-byte character cut off at the end of
// truncated data, so that the cut is not mistaken for a wrong charset.
func trimPartialRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return b
		}
		if c >= 0xc0 { // lead byte of a UTF-8 sequence
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			return b
		}
	}
	return b
}
