package classifier

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// anchored speeds up a rule whose every match begins with one of a few
// literals (most rules begin "(申请|请求|要求…)"): Go's engine has no
// accelerator for such alternations and would try the pattern at every
// position of the text. Instead the literals are searched with strings.Index
// and the rule is run, anchored, only where one of them starts. The first
// such position with a match is the leftmost match, and anchored matching
// there picks the same (leftmost-first) alternative, so results are exactly
// those of the unanchored regex.
type anchored struct {
	re     *regexp.Regexp // ^(?:src), same capture groups
	first  []string       // every match starts with one of these
	fold   bool           // first was ASCII-lower-cased: search a lower-cased copy
	ks     bool           // a first literal has k or s, which also match K (U+212A) and ſ (U+017F)
	maxLen int            // longest match in bytes; -1 when unbounded or end-sensitive
	// The top-level alternatives ("branches"): which can start with each first
	// literal, and literals one of which each must contain within its
	// longest match (nil: unknown), so most candidates are dismissed without
	// running the engine.
	branchOf map[string][]int
	need     [][][]string // per branch: literal sets, one of each must occur
	span     []int        // longest match of each branch in bytes, -1 unbounded
	// indexed: every first literal begins with a character a textIndex
	// records; firstRunes are those characters, byRune the first literals
	// (indexes into first, in order) beginning with each.
	indexed    bool
	firstRunes []rune
	byRune     map[rune][]int
}

// newAnchored returns nil when the rule does not qualify (a match may start
// with an assertion, an arbitrary character or a large class).
func newAnchored(src string) *anchored {
	p, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	p = p.Simplify()
	first, nullable, fold, ok := prefixes(p)
	if !ok || nullable || len(first) == 0 || len(first) > 48 {
		return nil
	}
	ks := false
	for _, f := range first {
		ks = ks || strings.ContainsAny(f, "ks")
	}
	re, err := regexp.Compile(`^(?:` + src + `)`)
	if err != nil || re.NumSubexp() != mustNumSubexp(src) {
		return nil
	}
	max, endSens := maxLen(p)
	if endSens {
		max = -1
	}
	a := &anchored{re: re, first: dedupe(first), fold: fold, ks: fold && ks, maxLen: max, branchOf: map[string][]int{}}
	a.indexed, a.byRune = true, map[rune][]int{}
	for k, lit := range a.first {
		r, _ := utf8.DecodeRuneInString(lit)
		if !indexable(r) {
			a.indexed = false
		}
		if a.byRune[r] == nil {
			a.firstRunes = append(a.firstRunes, r)
		}
		a.byRune[r] = append(a.byRune[r], k)
	}
	branches := []*syntax.Regexp{p}
	if p.Op == syntax.OpAlternate {
		branches = p.Sub
	}
	for bi, b := range branches {
		f, _, _, _ := prefixes(b)
		for _, l := range dedupe(f) {
			a.branchOf[l] = append(a.branchOf[l], bi)
		}
		n, _ := maxLen(b)
		a.span = append(a.span, n)
		// Every child of a sequence must match inside the branch's match, so
		// each child's literals must occur there.
		parts := []*syntax.Regexp{b}
		if b.Op == syntax.OpConcat {
			parts = b.Sub
		}
		var need [][]string
		for _, part := range parts {
			lits, ok := required(part)
			if !ok || len(lits) == 0 || strings.ContainsFunc(strings.Join(lits, ""), func(r rune) bool { return r >= 'A' && r <= 'Z' }) {
				continue
			}
			for _, l := range lits {
				// required lower-cases and reads the text as lower-cased: search a
				// lower-cased copy, and leave texts with K or ſ to the engine.
				if strings.ContainsFunc(l, func(r rune) bool { return r >= 'a' && r <= 'z' }) {
					a.fold = true
				}
				if strings.ContainsAny(l, "ks") {
					a.ks = true
				}
			}
			need = append(need, lits)
		}
		a.need = append(a.need, need)
	}
	return a
}

// possible reports whether a branch starting with lit at i can match: one
// of its needed literals occurs within its longest match.
func (a *anchored) possible(hay string, i int, lit string) bool {
	for _, bi := range a.branchOf[lit] {
		w := hay[i:]
		if n := a.span[bi]; n >= 0 && n < len(w) {
			w = w[:n]
		}
		if allPresent(w, a.need[bi]) {
			return true
		}
	}
	return false
}

// allPresent reports whether w holds a literal of every set.
func allPresent(w string, sets [][]string) bool {
	for _, set := range sets {
		found := false
		for _, l := range set {
			if indexLit(w, l) >= 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func mustNumSubexp(src string) int {
	re, err := regexp.Compile(src)
	if err != nil {
		return -1
	}
	return re.NumSubexp()
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// foldLit lower-cases an ASCII literal matched case-insensitively; ok is false
// when a rune has case variants outside ASCII (k and s, which fold to K and ſ
// too, are allowed: texts holding those two fall back to the plain regex).
func foldLit(rs []rune) (string, bool, bool) {
	var b strings.Builder
	folded := false
	for _, r := range rs {
		if unicode.SimpleFold(r) == r {
			b.WriteRune(r)
			continue
		}
		lr := unicode.ToLower(r)
		if r >= utf8.RuneSelf {
			return "", false, false
		}
		b.WriteRune(lr)
		folded = true
	}
	return b.String(), folded, true
}

// prefixes returns literals one of which begins every non-empty match of re,
// whether re can match the empty string, and whether the literals were
// lower-cased for case-insensitive search. ok is false when no such finite
// set is known or when an assertion may sit at the start of a match.
func prefixes(re *syntax.Regexp) (first []string, nullable, fold, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil, true, false, true
		}
		if re.Flags&syntax.FoldCase != 0 {
			s, f, ok := foldLit(re.Rune)
			return []string{s}, false, f, ok
		}
		return []string{string(re.Rune)}, false, false, true
	case syntax.OpCharClass:
		var out []string
		n := 0
		for i := 0; i+1 < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
			if n > 16 {
				return nil, false, false, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
			}
		}
		return out, false, false, len(out) > 0
	case syntax.OpCapture:
		return prefixes(re.Sub[0])
	case syntax.OpEmptyMatch:
		return nil, true, false, true
	case syntax.OpQuest, syntax.OpStar:
		f, _, fo, ok := prefixes(re.Sub[0])
		return f, true, fo, ok
	case syntax.OpPlus:
		return prefixes(re.Sub[0])
	case syntax.OpRepeat:
		f, n, fo, ok := prefixes(re.Sub[0])
		return f, n || re.Min == 0, fo, ok
	case syntax.OpAlternate:
		var out []string
		null, fold := false, false
		for _, s := range re.Sub {
			f, n, fo, ok := prefixes(s)
			if !ok {
				return nil, false, false, false
			}
			out = append(out, f...)
			null, fold = null || n, fold || fo
		}
		return out, null, fold, true
	case syntax.OpConcat:
		var out []string
		fold := false
		for _, s := range re.Sub {
			f, n, fo, ok := prefixes(s)
			if !ok {
				return nil, false, false, false
			}
			out = append(out, f...)
			fold = fold || fo
			if !n {
				return out, false, fold, true
			}
		}
		return out, true, fold, true
	}
	// Assertions, any-character, and the rest.
	return nil, false, false, false
}

// maxLen is the longest match of re in bytes (-1 unbounded) and whether re
// looks at the end of the text or at word boundaries (then a match found in a
// window could differ from one found in the whole text).
func maxLen(re *syntax.Regexp) (int, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += utf8.RuneLen(r)
		}
		return n, false
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax, false
	case syntax.OpEndText, syntax.OpEndLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, true
	case syntax.OpBeginText, syntax.OpBeginLine, syntax.OpEmptyMatch:
		return 0, false
	case syntax.OpCapture, syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		_, e := maxLen(re.Sub[0])
		return -1, e
	case syntax.OpRepeat:
		n, e := maxLen(re.Sub[0])
		if re.Max < 0 || n < 0 {
			return -1, e
		}
		return n * re.Max, e
	case syntax.OpAlternate, syntax.OpConcat:
		total, end := 0, false
		for _, s := range re.Sub {
			n, e := maxLen(s)
			end = end || e
			switch {
			case n < 0 || total < 0:
				total = -1
			case re.Op == syntax.OpAlternate:
				total = max(total, n)
			default:
				total += n
			}
		}
		return total, end
	}
	return -1, true
}

// lowerASCII lower-cases ASCII letters (byte for byte, so offsets hold).
func lowerASCII(s string) string {
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

// usable reports whether the anchored search is exact on s.
func (a *anchored) usable(s string) bool {
	return !a.ks || !strings.Contains(s, "\u212a") && !strings.Contains(s, "\u017f")
}

// scan calls try at every position of s where one of the first literals
// starts, in increasing order, from pos on; it stops when try returns false.
// s is a line at offset base of the text of tc (nil: no index).
func (a *anchored) scan(s string, pos int, tc *textCtx, base int, try func(i int) bool) {
	hay := s
	if a.fold {
		hay = lowerASCII(s)
	}
	if cands := tc.candidates(a); cands != nil {
		// Only the offsets where a first literal's first character occurs:
		// the same positions, in the same order, as the search below.
		i, _ := slices.BinarySearch(cands, int32(base+pos))
		for ; i < len(cands) && int(cands[i]) < base+len(s); i++ {
			q := int(cands[i]) - base
			if q < pos {
				continue
			}
			r0, n := decodeRune(s[q:])
			ok := false
			for _, k := range a.byRune[r0] {
				if lit := a.first[k]; strings.HasPrefix(hay[q:], lit) && a.possible(hay, q, lit) {
					ok = true
					break
				}
			}
			if ok && !try(q) {
				return
			}
			pos = q + n
		}
		return
	}
	ix := tc.index()
	var next [48]int
	for k, lit := range a.first {
		next[k] = -2 // not yet searched
		if !ix.has(lit) {
			next[k] = -1 // not in the text
		}
	}
	for pos < len(s) {
		best := -1
		for k, lit := range a.first {
			if next[k] == -1 {
				continue
			}
			if next[k] < pos {
				j := ix.index(hay, base, pos, lit)
				if j < 0 {
					next[k] = -1
					continue
				}
				next[k] = j
			}
			if best < 0 || next[k] < best {
				best = next[k]
			}
		}
		if best < 0 {
			return
		}
		ok := false
		for k, lit := range a.first {
			if next[k] == best && a.possible(hay, best, lit) {
				ok = true
				break
			}
		}
		if ok && !try(best) {
			return
		}
		_, n := decodeRune(s[best:])
		if best+n > pos {
			pos = best + n
		}
	}
}

// at runs the anchored rule at i; it returns the submatch indices in s, or nil.
func (a *anchored) at(s string, i int, sub bool) []int {
	end := len(s)
	if a.maxLen >= 0 && i+a.maxLen < end {
		end = i + a.maxLen
	}
	var loc []int
	if sub {
		loc = a.re.FindStringSubmatchIndex(s[i:end])
	} else {
		loc = a.re.FindStringIndex(s[i:end])
	}
	if loc == nil {
		return nil
	}
	return shift(loc, i)
}

// find returns the first (sub)match of the rule in s from pos on.
func (a *anchored) find(s string, pos int, sub bool, tc *textCtx, base int) (out []int) {
	a.scan(s, pos, tc, base, func(i int) bool {
		out = a.at(s, i, sub)
		return out == nil
	})
	return out
}

// findAll returns the successive non-overlapping (sub)matches of the rule in s.
func (a *anchored) findAll(s string, sub bool, tc *textCtx, base int) (out [][]int) {
	done := 0 // end of the last match: later matches start there or after
	a.scan(s, 0, tc, base, func(i int) bool {
		if i < done {
			return true
		}
		if loc := a.at(s, i, sub); loc != nil {
			out = append(out, loc)
			done = loc[1] // never empty: every match starts with a literal
		}
		return true
	})
	return out
}

// indexLit is strings.Index(s, lit), faster on Chinese text: it looks for the
// literal's last byte, a UTF-8 continuation byte that varies far more than
// the few lead bytes of CJK characters strings.Index looks for.
func indexLit(s, lit string) int {
	k := len(lit) - 1
	if k < 1 {
		return strings.Index(s, lit)
	}
	c := lit[k]
	for i := k; i < len(s); {
		j := strings.IndexByte(s[i:], c)
		if j < 0 {
			return -1
		}
		p := i + j - k
		if s[p:i+j+1] == lit {
			return p
		}
		i += j + 1
	}
	return -1
}
