package intake

import (
	_ "embed"
	"regexp"
	"strings"
)

//go:embed quote_markers.txt
var quoteMarkersFile string

// rule is one line of quote_markers.txt.
type rule struct {
	lit string // the lower-cased line must contain it ("" = always try)
	set uint64 // bytesOf(lit)
	re  *regexp.Regexp
}

// quoteRules are the rules of quote_markers.txt by kind.
type quoteRules struct {
	cut, from, sent, forward, fwdSubj []rule
}

var rules = loadQuoteRules(quoteMarkersFile)

func loadQuoteRules(src string) *quoteRules {
	r := &quoteRules{}
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			panic("intake: quote_markers.txt: want KIND, LITERAL and EXPR in " + line)
		}
		ru := rule{lit: asciiLower(f[1]), re: regexp.MustCompile(f[2])}
		if ru.lit == "-" {
			ru.lit = ""
		}
		ru.set = bytesOf(ru.lit)
		switch f[0] {
		case "cut":
			r.cut = append(r.cut, ru)
		case "from":
			r.from = append(r.from, ru)
		case "sent":
			r.sent = append(r.sent, ru)
		case "forward":
			r.forward = append(r.forward, ru)
		case "fwdsubj":
			r.fwdSubj = append(r.fwdSubj, ru)
		default:
			panic("intake: quote_markers.txt: unknown kind " + f[0])
		}
	}
	return r
}

// maxMarkerLine is the longest line that can be a quote marker; longer
// lines (paragraphs of a letter) are not tried.
const maxMarkerLine = 400

// asciiLower lower-cases ASCII letters only (CJK has no case, and the
// rule literals are ASCII or CJK); it allocates only when it must.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// anyMatch says whether a trimmed line matches one of the rules.
func anyMatch(rs []rule, s string) bool {
	if len(s) > maxMarkerLine {
		return false
	}
	return anyMatchSet(rs, s, bytesOf(s))
}

// anyMatchSet is anyMatch for a line whose bytesOf is set (computed once
// when a line is tried against several kinds of rule).
func anyMatchSet(rs []rule, s string, set uint64) bool {
	if len(s) > maxMarkerLine {
		return false
	}
	lower, lowered := "", false
	for i := range rs {
		r := &rs[i]
		if r.lit != "" {
			// A literal with a byte the line lacks cannot be in it: most
			// lines of a letter fail here, before any substring search
			// (Chinese literals share their lead bytes with every line).
			if r.set&^set != 0 {
				continue
			}
			if !lowered {
				lower, lowered = asciiLower(s), true
			}
			if !strings.Contains(lower, r.lit) {
				continue
			}
		}
		if r.re.MatchString(s) {
			return true
		}
	}
	return false
}

// bytesOf is a 64-bit summary of the bytes of asciiLower(s): bit b&63 is
// set for every byte b. If a string contains another, its summary has
// every bit of the other's.
func bytesOf(s string) uint64 {
	var set uint64
	for i := 0; i < len(s); i++ {
		set |= 1 << byteBit[s[i]]
	}
	return set
}

// byteBit is the bit of a byte in bytesOf: b&63, upper-case ASCII letters
// taking the bit of their lower case.
var byteBit = func() (t [256]uint8) {
	for i := range t {
		c := byte(i)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		t[i] = c & 63
	}
	return t
}()

// SplitQuoted separates the new text of a reply from its quoted history:
// "> " lines, "-----原始邮件-----" and QQ's "------------------ 原始邮件
// ------------------", "在 2025年3月1日 … 写道：", "On … wrote:", and
// "发件人: … 发送时间: …" or Outlook "From: … Sent: …" header blocks. Everything
// from the first such marker on is quoted; "> " lines before it are quoted
// too. The rules live in quote_markers.txt.
func SplitQuoted(text string) (newText, quoted string) {
	lines := strings.Split(text, "\n")
	cutAt := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || isQuoteLine(t) {
			continue
		}
		if len(t) > maxMarkerLine {
			continue // neither a marker nor the start of one
		}
		set := bytesOf(t)
		if anyMatchSet(rules.cut, t, set) {
			cutAt = i
			break
		}
		if i+1 < len(lines) && (strings.HasPrefix(t, "On ") || strings.HasPrefix(t, "on ")) {
			if anyMatch(rules.cut, t+" "+strings.TrimSpace(lines[i+1])) {
				cutAt = i
				break
			}
		}
		if anyMatchSet(rules.from, t, set) && sentFollows(lines[i+1:]) {
			cutAt = i
			// Take a separator line ("____", "-----") above the block along.
			for j := i - 1; j >= 0; j-- {
				p := strings.TrimSpace(lines[j])
				if p == "" {
					continue
				}
				if len(p) >= 5 && strings.Trim(p, "_-—") == "" {
					cutAt = j
				}
				break
			}
			break
		}
	}
	var nb, qb []string
	for _, l := range lines[:cutAt] {
		if isQuoteLine(strings.TrimSpace(l)) {
			qb = append(qb, l)
		} else {
			nb = append(nb, l)
		}
	}
	qb = append(qb, lines[cutAt:]...)
	return strings.TrimSpace(strings.Join(nb, "\n")), strings.TrimSpace(strings.Join(qb, "\n"))
}

func isQuoteLine(t string) bool {
	return strings.HasPrefix(t, ">") || strings.HasPrefix(t, "＞")
}

// sentFollows says whether a "sent"/"date" line comes within the next four
// non-empty lines.
func sentFollows(lines []string) bool {
	n := 0
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if anyMatch(rules.sent, t) {
			return true
		}
		n++
		if n >= 4 {
			return false
		}
	}
	return false
}

// isForward says whether a message forwards another: a forward prefix on
// the subject, or a forwarding marker line in the text before any quoted
// history. The forwarded body is then the substance (dev/013: a request
// below another agency's forwarding note).
func isForward(subject, text string) bool {
	s := strings.TrimSpace(subject)
	if anyMatch(rules.fwdSubj, s) {
		return true
	}
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if len(t) > maxMarkerLine {
			continue
		}
		set := bytesOf(t)
		if anyMatchSet(rules.forward, t, set) {
			return true
		}
		if anyMatchSet(rules.cut, t, set) {
			return false
		}
	}
	return false
}
