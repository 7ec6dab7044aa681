package classifier

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// matcher is a compiled rule with a literal prefilter: every match must
// contain one of lits, so a text containing none of them is skipped without
// running the regex engine (most texts contain none of most cue words; this
// keeps Classify well under a millisecond).
type matcher struct {
	re   *regexp.Regexp
	lits []string // nil: no prefilter possible
}

func newMatcher(re *regexp.Regexp) *matcher {
	m := &matcher{re: re}
	if p, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		if lits, ok := required(p.Simplify()); ok && len(lits) > 0 && len(lits) <= 64 {
			m.lits = lits
		}
	}
	return m
}

// required returns literals one of which occurs in every match of re.
func required(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			s = strings.ToLower(s)
		}
		if s == "" {
			return nil, false
		}
		return []string{s}, true
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
		return nil, false
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			l, ok := required(s)
			if !ok {
				return nil, false
			}
			out = append(out, l...)
		}
		return out, true
	case syntax.OpCharClass:
		// A small class of single characters: each is a literal.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 8 {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if r >= 'A' && r <= 'Z' {
					continue // the text is lower-cased
				}
				out = append(out, string(r))
			}
		}
		return out, len(out) > 0 && len(out) <= 16
	case syntax.OpConcat:
		// The child whose shortest literal is longest is the best filter.
		var best []string
		bestLen := 0
		for _, s := range re.Sub {
			l, ok := required(s)
			if !ok {
				continue
			}
			short := 1 << 30
			for _, x := range l {
				short = min(short, utf8.RuneCountInString(x))
			}
			if short > bestLen {
				best, bestLen = l, short
			}
		}
		return best, best != nil
	}
	return nil, false
}

// may reports whether s can contain a match.
func (m *matcher) may(s string) bool {
	if m.lits == nil {
		return true
	}
	for _, l := range m.lits {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

// Long texts are matched line by line (the rules never span lines; "^" then
// also means the start of a line), running the engine only on lines that
// pass the prefilter.
const lineWise = 256

func (m *matcher) lines(s string, each func(off int, line string) bool) {
	if !m.may(s) {
		return
	}
	if len(s) < lineWise || !strings.Contains(s, "\n") {
		each(0, s)
		return
	}
	off := 0
	for {
		i := strings.IndexByte(s[off:], '\n')
		end := len(s)
		if i >= 0 {
			end = off + i
		}
		if line := s[off:end]; m.may(line) && !each(off, line) {
			return
		}
		if i < 0 {
			return
		}
		off = end + 1
	}
}

func shift(loc []int, off int) []int {
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += off
		}
	}
	return loc
}

func (m *matcher) MatchString(s string) bool { return m.FindStringIndex(s) != nil }

func (m *matcher) FindString(s string) string {
	if loc := m.FindStringIndex(s); loc != nil {
		return s[loc[0]:loc[1]]
	}
	return ""
}

func (m *matcher) FindStringIndex(s string) (out []int) {
	m.lines(s, func(off int, line string) bool {
		if loc := m.re.FindStringIndex(line); loc != nil {
			out = shift(loc, off)
			return false
		}
		return true
	})
	return out
}

func (m *matcher) FindAllString(s string, n int) []string {
	var out []string
	for _, loc := range m.FindAllStringIndex(s, n) {
		out = append(out, s[loc[0]:loc[1]])
	}
	return out
}

func (m *matcher) FindAllStringIndex(s string, n int) (out [][]int) {
	m.lines(s, func(off int, line string) bool {
		for _, loc := range m.re.FindAllStringIndex(line, -1) {
			out = append(out, shift(loc, off))
		}
		return n < 0 || len(out) < n
	})
	return out
}

func (m *matcher) FindStringSubmatchIndex(s string) (out []int) {
	m.lines(s, func(off int, line string) bool {
		if loc := m.re.FindStringSubmatchIndex(line); loc != nil {
			out = shift(loc, off)
			return false
		}
		return true
	})
	return out
}

func (m *matcher) FindAllStringSubmatchIndex(s string, n int) (out [][]int) {
	m.lines(s, func(off int, line string) bool {
		for _, loc := range m.re.FindAllStringSubmatchIndex(line, -1) {
			out = append(out, shift(loc, off))
		}
		return n < 0 || len(out) < n
	})
	return out
}
