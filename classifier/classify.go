package classifier

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gongkai"
)

// message is what Classify works on: the e-mail's signals and the text the
// applicant wrote, chosen and cleaned.
type message struct {
	e        *gongkai.Email // nil for free text
	subject  string
	body     string // the applicant's text (forwarding notes and quoted history left out)
	newText  string // the unquoted text as written (for case numbers)
	relay    bool   // From is a relay, never the applicant
	relayEv  string
	fwdName  string // the original sender of a forwarded message
	fwdAddr  string
	exclude  map[string]bool
	now      time.Time
	hasHeads bool // e-mail headers are available
	memo     []*prepared
}

// prepared is one text of a message prepared once: the same texts (the body,
// the new text) are looked at by several steps.
type prepared struct {
	src    string
	t      text
	lines  []text
	kvs    []kv
	form   bool   // lines and kvs are set
	req    int8   // hasRequest: 0 not yet known, 1 no, 2 yes
	up     string // upper(t.w) once upDone
	upDone bool
	// masked is maskLawTitles(t.m) once maskDone; trig holds, once
	// trigDone, every request phrase's matches in masked (rules.triggers
	// order): the check for a request and the description both read them.
	masked   string
	maskDone bool
	trig     [][][]int
	trigDone bool
}

// lawMasked returns maskLawTitles(p.t.m), computed once per text.
func (p *prepared) lawMasked() string {
	if !p.maskDone {
		p.masked, p.maskDone = maskLawTitles(p.t.m), true
		if m := p.masked; m != p.t.m && len(m) >= lineWise && len(m) < runeSetMin {
			// Its characters are the text's and '_' (whole characters are
			// blanked): the text's filter, widened, serves for it.
			b := *bloomOf(p.t.m)
			b.set('_')
			b.set(utf8.RuneError)
			bloomPut(m, &b)
		}
	}
	return p.masked
}

// triggerMatches returns, per request phrase of r.triggers, its matches
// (FindAllStringIndex) in p.lawMasked(), computed once per text.
func (r *rules) triggerMatches(p *prepared) [][][]int {
	if !p.trigDone {
		masked := p.lawMasked()
		p.trig = make([][][]int, len(r.triggers))
		for i, re := range r.triggers {
			p.trig[i] = re.FindAllStringIndex(masked, -1)
		}
		p.trigDone = true
	}
	return p.trig
}

// upper returns upper(p.t.w), computed once per text.
func (p *prepared) upper() string {
	if !p.upDone {
		p.up, p.upDone = upper(p.t.w), true
	}
	return p.up
}

// prep returns s prepared, from the message's memo.
func (m *message) prep(r *rules, s string) *prepared {
	for _, p := range m.memo {
		if p.src == s {
			return p
		}
	}
	p := &prepared{src: s, t: r.prep(s)}
	m.memo = append(m.memo, p)
	return p
}

// form returns the lines and form fields of p.
func (r *rules) form(p *prepared) ([]text, []kv) {
	if !p.form {
		p.lines = p.t.lines()
		p.kvs = r.scanForm(p.lines)
		p.form = true
	}
	return p.lines, p.kvs
}

var (
	reQuoteHead = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(原始邮件|原邮件|original message|reply message)\s*-{2,}|在.{0,200}写道[：:]?|on\s.{0,250}\swrote:?)\s*$`)
	reFwdHead   = regexp.MustCompile(`(?i)^\s*-{2,}\s*(转发邮件信息|转发的邮件|转发邮件|forwarded message|以下为转发内容)\s*-{2,}\s*$|^\s*begin forwarded message:?\s*$`)
	reFwdFrom   = regexp.MustCompile(`(?i)^\s*(发件人|发信人|from)\s*[:：]\s*"?([^"<\n]*?)"?\s*<([^>\s]+@[^>\s]+)>`)
	reFwdSubj   = regexp.MustCompile(`(?i)^\s*(fwd?|转发|转寄|轉寄|轉發)\s*[:：]`)
)

// Literal prefilters of the line rules above: a line without these cannot
// match, so most lines never reach the regex engine. "wrote" and "begin" are
// matched case-insensitively; none of their letters has a non-ASCII case
// variant, so lower-casing ASCII is exact.
func mayQuoteHead(l string) bool {
	return strings.Contains(l, "--") || strings.Contains(l, "写道") || containsFoldASCII(l, "wrote")
}

func mayFwdHead(l string) bool {
	return strings.Contains(l, "--") || containsFoldASCII(l, "begin")
}

// containsFoldASCII is strings.Contains(lowerASCII(s), lit) for a lower-case
// lit, without the copy.
func containsFoldASCII(s, lit string) bool {
	if lit == "" {
		return true
	}
	// Candidates: the places of lit's first byte and, for a letter, of its
	// upper case, each found with strings.IndexByte.
	c0, u0 := lit[0], lit[0]
	if c0 >= 'a' && c0 <= 'z' {
		u0 = c0 - ('a' - 'A')
	}
	nextC, nextU := -1, -1 // next offsets of c0 and u0 at or after i; -2: none left
	for i := 0; i+len(lit) <= len(s); {
		if nextC != -2 && nextC < i {
			if j := strings.IndexByte(s[i:], c0); j >= 0 {
				nextC = i + j
			} else {
				nextC = -2
			}
		}
		if nextU != -2 && nextU < i {
			if j := strings.IndexByte(s[i:], u0); j >= 0 {
				nextU = i + j
			} else {
				nextU = -2
			}
		}
		q := nextC
		if q == -2 || nextU != -2 && nextU < q {
			q = nextU
		}
		if q < 0 || q+len(lit) > len(s) {
			return false
		}
		k := 1
		for ; k < len(lit); k++ {
			c, l := s[q+k], lit[k]
			if c != l && (l < 'a' || l > 'z' || c != l-('a'-'A')) {
				break
			}
		}
		if k == len(lit) {
			return true
		}
		i = q + 1
	}
	return false
}

func mayFwdFrom(l string) bool {
	return strings.Contains(l, "@") && strings.Contains(l, "<")
}

// cutQuoted drops quoted history the parser may have left in a text.
func cutQuoted(s string) string {
	// No line can be a quote head when the whole text has none of the
	// literals (none holds a line break).
	if !mayQuoteHead(s) && !strings.Contains(s, ">") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if mayQuoteHead(l) && reQuoteHead.MatchString(l) || strings.HasPrefix(strings.TrimSpace(l), ">") {
			return strings.Join(lines[:i], "\n")
		}
	}
	return s
}

// prepare chooses the applicant's text and the sender signals of an e-mail.
func (c *Classifier) prepare(e *gongkai.Email) *message {
	m := &message{e: e, subject: e.Subject, hasHeads: true, exclude: map[string]bool{}}
	m.now = e.Date
	if m.now.IsZero() {
		m.now = c.now()
	}
	for _, a := range e.To {
		m.exclude[strings.ToLower(a)] = true
	}
	nt := e.NewText
	if strings.TrimSpace(nt) == "" {
		nt = e.Text
	}
	m.newText = nt
	body := cutQuoted(nt)
	// Where the plain part only says "see the table", the HTML part has the form.
	if e.HTMLText != "" {
		h := cutQuoted(e.HTMLText)
		if c.richness(m, h) > c.richness(m, body)+1 {
			body = h
		}
	}
	// A forwarded request: the applicant is the original sender, below the note.
	// The lines are walked without splitting the body: rest, the lines from
	// the head on, is body[off:] split.
	for i, off := 0, 0; off <= len(body); i++ {
		l := body[off:]
		next := len(body) + 1
		if j := strings.IndexByte(l, '\n'); j >= 0 {
			l, next = l[:j], off+j+1
		}
		if mayFwdHead(l) && reFwdHead.MatchString(l) || (mayFwdFrom(l) && reFwdFrom.MatchString(l) && (reFwdSubj.MatchString(e.Subject) || i > 0)) {
			rest := strings.Split(body[off:], "\n")
			for _, h := range rest[:min(len(rest), 8)] {
				if mm := reFwdFrom.FindStringSubmatch(h); mm != nil {
					m.fwdName, m.fwdAddr = strings.TrimSpace(mm[2]), strings.ToLower(mm[3])
					break
				}
			}
			if m.fwdAddr != "" || reFwdHead.MatchString(l) {
				body = body[off:] // the lines of rest, joined
			}
			break
		}
		off = next
	}
	if m.fwdAddr == "" && reFwdSubj.MatchString(e.Subject) && len(e.Embedded) > 0 && e.MediaType != "multipart/report" {
		em := e.Embedded[0]
		m.fwdName, m.fwdAddr = em.FromName, strings.ToLower(em.FromAddr)
		body = firstNonEmpty(em.NewText, em.Text)
	}
	// A request that is only in an attached form (.docx, .txt, .html).
	if !c.hasRequest(m, body) {
		var att []string
		for _, a := range e.Attachments {
			if strings.TrimSpace(a.Text) != "" {
				att = append(att, a.Text)
			}
		}
		if len(att) > 0 {
			body = body + "\n\n" + strings.Join(att, "\n\n")
		}
	}
	m.body = body
	// Relays: portals, the 区长信箱, 12345, another agency forwarding.
	fromM := c.r.simp(e.FromName + " " + e.FromAddr)
	subjM := c.r.simp(e.Subject)
	bodyM := m.prep(c.r, nt).t.m
	var subjHit, textHit string
	for _, rr := range c.r.relay {
		switch rr.scope {
		case "from":
			if loc := rr.re.FindStringIndex(fromM); loc != nil && !m.relay {
				m.relay, m.relayEv = true, "发件人“"+strings.TrimSpace(e.FromName+" <"+e.FromAddr+">")+"”是转办/平台邮箱"
			}
		case "subject":
			if loc := rr.re.FindStringIndex(subjM); loc != nil {
				subjHit = subjM[loc[0]:loc[1]]
			}
		case "text":
			if loc := rr.re.FindStringIndex(bodyM); loc != nil {
				textHit = bodyM[loc[0]:loc[1]]
			}
		}
	}
	if !m.relay && subjHit != "" && textHit != "" {
		m.relay, m.relayEv = true, "主题“"+subjHit+"”及正文“"+textHit+"”表明是转办来信"
	}
	if !m.relay && m.fwdAddr != "" && m.fwdAddr != strings.ToLower(e.FromAddr) {
		m.relay, m.relayEv = true, "转发邮件：原发件人为"+m.fwdAddr
	}
	if m.relay {
		m.exclude[strings.ToLower(e.FromAddr)] = true
	}
	return m
}

// richness scores how much of a request a text holds (form fields, a request phrase).
func (c *Classifier) richness(m *message, s string) int {
	_, kvs := c.r.form(m.prep(c.r, s))
	n := len(kvs)
	if c.hasRequest(m, s) {
		n += 2
	}
	return n
}

// hasRequest reports a request phrase or a description field.
func (c *Classifier) hasRequest(m *message, s string) bool {
	p := m.prep(c.r, s)
	if p.req == 0 {
		p.req = 1
		if c.hasRequestIn(p) {
			p.req = 2
		}
	}
	return p.req == 2
}

func (c *Classifier) hasRequestIn(p *prepared) bool {
	t := p.t
	// The first match of each phrase (what FindStringIndex returns).
	for _, all := range c.r.triggerMatches(p) {
		if len(all) > 0 && c.r.substantive(t.m[all[0][1]:]) {
			return true
		}
	}
	_, kvs := c.r.form(p)
	for _, k := range kvs {
		if k.field == "description" {
			return true
		}
	}
	return false
}

// Classify classifies one parsed e-mail. h may be nil (no repeat detection).
func (c *Classifier) Classify(e *gongkai.Email, h History) gongkai.Verdict {
	if e == nil {
		return gongkai.Verdict{Nature: gongkai.KindUnparsed, Delivery: "unspecified", MissingFields: []string{}, Items: []string{}}
	}
	return c.classify(c.prepare(e), h)
}

// ClassifyText classifies free text typed in the web form or chat (no headers):
// extraction, nature, department and missing fields.
func (c *Classifier) ClassifyText(subject, text string, h History) gongkai.Verdict {
	m := &message{subject: subject, body: text, newText: text, exclude: map[string]bool{}, now: c.now()}
	return c.classify(m, h)
}
