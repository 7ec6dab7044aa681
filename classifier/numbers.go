package classifier

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gongkai"
)

var (
	// An 18-character ID, possibly written in groups ("410303 1985 0612 355X").
	reID18 = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([1-9]\d{5}[ -]?(?:\d[ -]?){11}[0-9Xx])(?:$|[^0-9A-Za-z])`)
	reID15 = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([1-9]\d{14})(?:$|[^0-9A-Za-z])`)
	// Passport and permit numbers: a letter or two and 7–10 digits.
	// reTWPermitLead: the text right before a 台胞证 number ends with the
	// document's name, or its label ("证件号码："), and nothing else.
	reTWPermitLead = regexp.MustCompile(`(?:台胞证|通行证|证件号码|号码|证号)[\s:：，,]*$`)
	// rePRCard is the 15-character number of the 外国人永久居留身份证 issued
	// before December 2023: 3 letters for the nationality and 12 digits.
	rePRCard   = regexp.MustCompile(`(?i)(?:^|[^0-9A-Za-z])([A-Z]{3}\d{12})(?:$|[^0-9A-Za-z])`)
	reTWPermit = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d{8}(?:\d{2})?)(?:$|[^0-9A-Za-z])`)
	rePermit   = regexp.MustCompile(`(?i)(?:^|[^0-9A-Za-z])([A-Z]{1,2}\d{7,10})(?:$|[^0-9A-Za-z])`)
	reCredit   = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{9}[0-9A-HJ-NP-RTUWXY])(?:$|[^0-9A-Za-z])`)
	reEmail    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	reCase     = regexp.MustCompile(`GK-\d{4}-\d{6}`)
	// Phones: mainland mobiles (with an optional +86), landlines with an area
	// code, international numbers with "+".
	reMobile   = regexp.MustCompile(`(?:^|[^0-9+])((?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d){8})(?:$|[^0-9])`)
	reLandline = regexp.MustCompile(`(?:^|[^0-9])((?:\(0\d{2,3}\)|0\d{2,3})[ -]?\d{3,4}[ -]?\d{4})(?:$|[^0-9])`)
	reIntl     = regexp.MustCompile(`(?:^|[^0-9])(\+\d{1,3}[ (\-]*\d[\d ()\-]{5,16}\d)`)
	reDate     = regexp.MustCompile(`\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?`)
)

// Number rules match one context character (or the start of the text), a core
// of ASCII characters from a small set, and one context character (or the
// end). Such a match lies within a maximal run of core characters holding a
// digit, widened by one character on each side, so the engine is run only on
// those windows (merged where they overlap) instead of the whole text: the
// matches are the same, found much faster in long letters.
const (
	phoneCore  = "0123456789+-() "
	idCore     = "0123456789 -Xx"
	creditCore = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// byteSet is a set of ASCII bytes.
type byteSet [256]bool

func newByteSet(chars string) *byteSet {
	var b byteSet
	for i := 0; i < len(chars); i++ {
		b[chars[i]] = true
	}
	return &b
}

var (
	phoneSet  = newByteSet(phoneCore)
	idSet     = newByteSet(idCore)
	creditSet = newByteSet(creditCore)
	digitSet  = newByteSet(digits)
	emailSet  = newByteSet("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-@")
	dateSet   = newByteSet(digits + "-/.T: ")
	atSet     = newByteSet("@")
)

// nextIn returns the index of the first byte of s at or after i in set, or -1.
func nextIn(s string, i int, set *byteSet) int {
	switch set {
	case digitSet:
		return nextDigit(s, i)
	case atSet:
		if j := strings.IndexByte(s[i:], '@'); j >= 0 {
			return i + j
		}
		return -1
	}
	for i < len(s) {
		// The sets hold ASCII bytes only: skip eight bytes at a time while
		// all are parts of multi-byte characters (most of a Chinese text).
		if i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			if x&0x8080808080808080 == 0x8080808080808080 {
				i += 8
				continue
			}
		}
		if set[s[i]] {
			return i
		}
		i++
	}
	return -1
}

// nextDigit is nextIn for digitSet: eight bytes at a time while none is an
// ASCII digit (XOR with '0' maps exactly the digits below 10, and the
// "has a byte less than n" test is exact as to whether one is).
func nextDigit(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		y := x ^ 0x3030303030303030
		if (y-0x0a0a0a0a0a0a0a0a)&^y&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return i
		}
	}
	return -1
}

// findNumbers is re.FindAllStringSubmatchIndex(s, -1) for a number rule whose
// core characters are core.
func findNumbers(re *regexp.Regexp, s string, core *byteSet) [][]int {
	var out [][]int
	lo, hi := -1, -1 // the window being gathered
	flush := func() {
		if lo >= 0 {
			for _, loc := range re.FindAllStringSubmatchIndex(s[lo:hi], -1) {
				out = append(out, shift(loc, lo))
			}
		}
	}
	need := minDigits(re)
	for i := 0; ; {
		d := nextIn(s, i, digitSet) // every core holds a digit
		if d < 0 {
			break
		}
		a, j := d, d+1
		for a > i && core[s[a-1]] {
			a--
		}
		for j < len(s) && core[s[j]] {
			j++
		}
		if countDigits(s[a:j]) < need {
			// No match's core fits in this run. Leaving its window out
			// changes no other match: a match never reaches past its run's
			// context characters, and this run's window held no match to
			// take a context character from a neighbour.
			i = j
			continue
		}
		_, before := utf8.DecodeLastRuneInString(s[:a])
		_, after := utf8.DecodeRuneInString(s[j:])
		wlo, whi := a-before, j+after
		if lo >= 0 && wlo < hi {
			hi = whi
		} else {
			flush()
			lo, hi = wlo, whi
		}
		i = j
	}
	flush()
	return out
}

// findRuns is re.FindAllStringIndex(s, -1) for a rule without assertions
// whose matched characters are all in set (or, when wide, also one of the
// non-ASCII runes in wide) and which always matches a byte of must: matches
// never leave a maximal run of such characters, so only the runs holding a
// byte of must are searched.
func findRuns(re *regexp.Regexp, s string, set *byteSet, wide string, must *byteSet) [][]int {
	var out [][]int
	in := func(r rune) bool {
		if r < utf8.RuneSelf {
			return set[r]
		}
		return r != utf8.RuneError && strings.ContainsRune(wide, r)
	}
	need := minDigits(re)
	for i := 0; ; {
		d := nextIn(s, i, must)
		if d < 0 {
			break
		}
		a, j := d, d+1
		for a > i {
			r, w := utf8.DecodeLastRuneInString(s[:a])
			if !in(r) {
				break
			}
			a -= w
		}
		for j < len(s) {
			r, w := decodeRune(s[j:])
			if !in(r) {
				break
			}
			j += w
		}
		if countDigits(s[a:j]) < need {
			i = j // too few digits in the run for any match
			continue
		}
		if h := hand[re]; h != nil {
			out = h(out, s[a:j], a)
		} else {
			for _, loc := range re.FindAllStringIndex(s[a:j], -1) {
				out = append(out, shift(loc, a))
			}
		}
		i = j
	}
	return out
}

const digits = "0123456789"

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// minDigitsOf caches minDigits per rule.
var minDigitsOf sync.Map // *regexp.Regexp -> int

// minDigits returns the fewest ASCII digits a match of re holds: a run of
// number characters with fewer cannot hold a match, and the engine is not run
// on it (most digit runs of a letter are short: years, days, amounts).
func minDigits(re *regexp.Regexp) int {
	if n, ok := minDigitsOf.Load(re); ok {
		return n.(int)
	}
	n := 0
	if p, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		n = minDigitsIn(p.Simplify())
	}
	minDigitsOf.Store(re, n)
	return n
}

func minDigitsIn(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		// Only a class of digits alone (case folding adds no runes to one).
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] < '0' || re.Rune[i+1] > '9' {
				return 0
			}
		}
		if len(re.Rune) == 0 {
			return 0
		}
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minDigitsIn(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minDigitsIn(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minDigitsIn(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if m := minDigitsIn(s); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0 // optional parts, assertions, any character
}

// mask blanks out spans in s with spaces (byte for byte, so offsets hold).
//
// The spans may overlap and come in any order: they are sorted, then s is
// copied once, the spans written as runs of fill (maskRef in speed_test.go
// is the byte-slice original; FuzzMask compares the two).
func mask(s string, spans [][]int) string {
	return fillSpans(s, spans, ' ')
}

// fillSpans returns s with the bytes of every span [a, b) set to fill.
func fillSpans(s string, spans [][]int, fill byte) string {
	if len(spans) == 0 {
		return s
	}
	sorted := make([][2]int, 0, len(spans))
	for _, sp := range spans {
		if sp[0] < sp[1] {
			sorted = append(sorted, [2]int{sp[0], sp[1]})
		}
	}
	if len(sorted) == 0 {
		return s
	}
	slices.SortFunc(sorted, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	b.Grow(len(s))
	at := 0 // s[:at] is written
	for _, sp := range sorted {
		lo, hi := max(sp[0], at), sp[1]
		if hi <= lo {
			continue
		}
		b.WriteString(s[at:lo])
		for i := lo; i < hi; i++ {
			b.WriteByte(fill)
		}
		at = hi
	}
	b.WriteString(s[at:])
	return b.String()
}

// normPhone normalises one written phone number: an 11-digit mobile, a landline
// as 0379-63218857, or "+" and digits for an international number. mobile
// reports a mainland mobile.
func normPhone(s string) (phone string, mobile bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "转xX#"); i > 0 && strings.ContainsAny(s[:i], "0123456789") {
		s = s[:i] // extension
	}
	plus := strings.HasPrefix(s, "+")
	var d strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d.WriteRune(r)
		}
	}
	ds := d.String()
	if strings.HasPrefix(ds, "0086") {
		ds, plus = ds[2:], true
	}
	if (plus || len(ds) == 13) && strings.HasPrefix(ds, "86") && len(ds) == 13 && ds[2] == '1' {
		return ds[2:], true
	}
	if plus {
		if len(ds) < 7 {
			return "", false
		}
		return "+" + ds, false
	}
	if len(ds) == 11 && ds[0] == '1' && ds[1] >= '3' {
		return ds, true
	}
	if ds != "" && ds[0] == '0' && len(ds) >= 10 && len(ds) <= 12 {
		area := 4
		if ds[1] == '1' || ds[1] == '2' {
			area = 3
		}
		return ds[:area] + "-" + ds[area:], false
	}
	if len(ds) >= 7 && len(ds) <= 8 {
		return ds, false
	}
	return "", false
}

type phoneHit struct {
	phone    string
	mobile   bool
	labelled bool
	ev       string
}

// pickPhone chooses among the numbers found: with two, the mainland mobile
// (corpus README "phone"); labelled ones before free-text ones.
func pickPhone(hits []phoneHit) (phoneHit, bool) {
	for _, want := range []func(phoneHit) bool{
		func(h phoneHit) bool { return h.mobile && h.labelled },
		func(h phoneHit) bool { return h.mobile },
		func(h phoneHit) bool { return h.labelled },
		func(h phoneHit) bool { return true },
	} {
		for _, h := range hits {
			if want(h) {
				return h, true
			}
		}
	}
	return phoneHit{}, false
}

// phonesIn finds phone numbers in s (which should have IDs, codes, e-mail
// addresses and dates masked).
func phonesIn(s string, labelled bool) []phoneHit {
	var out []phoneHit
	taken := [][]int{}
	overlaps := func(a, b int) bool {
		for _, t := range taken {
			if a < t[1] && b > t[0] {
				return true
			}
		}
		return false
	}
	for _, re := range []*regexp.Regexp{reIntl, reMobile, reLandline} {
		for _, m := range findNumbers(re, s, phoneSet) {
			a, b := m[2], m[3]
			if overlaps(a, b) {
				continue
			}
			p, mob := normPhone(s[a:b])
			if p == "" {
				continue
			}
			if strings.HasPrefix(p, "+") && !mob {
				// +86 numbers were normalised above; other "+" numbers need 7+ digits.
				if len(p) < 8 {
					continue
				}
			}
			taken = append(taken, []int{a, b})
			out = append(out, phoneHit{phone: p, mobile: mob, labelled: labelled, ev: strings.TrimSpace(s[a:b])})
		}
	}
	// Keep the order of appearance.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && strings.Index(s, out[j].ev) < strings.Index(s, out[j-1].ev); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// idHit is an identity number found in a text.
type idHit struct {
	number   string
	idType   string
	valid    *bool
	labelled bool
	ev       string
	span     []int
}

func boolp(b bool) *bool { return &b }

// checkID builds an idHit for an 18- or 15-character number of the GB 11643 kind.
func checkID(n, idType string, now time.Time) idHit {
	h := idHit{number: n, idType: idType}
	if idType == "" {
		switch {
		case strings.HasPrefix(n, "81") || strings.HasPrefix(n, "82"):
			h.idType = "港澳居民居住证"
		case strings.HasPrefix(n, "83"):
			h.idType = "台湾居民居住证"
		case strings.HasPrefix(n, "9"): // no 身份证 number starts with 9; the 2023 永居证's does
			h.idType = "外国人永久居留身份证"
		default:
			h.idType = "居民身份证"
		}
	}
	switch {
	case gongkai.IDTypeHasCheckDigit(h.idType):
		h.valid = boolp(gongkai.CheckIDNumber(n, now).Valid)
	case h.idType == "外国人永久居留身份证":
		_, problem := gongkai.CheckPermanentResidenceNumber(n)
		h.valid = boolp(problem == "")
	}
	return h
}

// plausibleID reports whether an unlabelled 18-character number looks like an
// ID (a real-looking birth date), so that account or record numbers are not taken.
func plausibleID(n string) bool {
	if len(n) != 18 {
		return false
	}
	y := atoi(n[6:10])
	m := atoi(n[10:12])
	d := atoi(n[12:14])
	return y >= 1900 && y <= 2030 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// idTypeOf maps what a writer calls the document to the schema's id_type.
func idTypeOf(m string) string {
	switch {
	case strings.Contains(m, "居住证") && strings.Contains(m, "台"):
		return "台湾居民居住证"
	case strings.Contains(m, "居住证"):
		return "港澳居民居住证"
	case strings.Contains(m, "台胞证") || (strings.Contains(m, "台湾") && strings.Contains(m, "通行证")):
		return "台湾居民来往大陆通行证"
	case strings.Contains(m, "回乡证") || strings.Contains(m, "通行证"):
		return "港澳居民来往内地通行证"
	case gongkai.LastPermanentResidenceName(m) >= 0:
		return "外国人永久居留身份证"
	case strings.Contains(m, "护照") || strings.Contains(m, "passport"):
		return "护照"
	case strings.Contains(m, "身份证") || strings.Contains(m, "身份号码"):
		return "居民身份证"
	}
	return ""
}
