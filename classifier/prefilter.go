package classifier

import (
	"math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// matcher is a compiled rule with a literal prefilter: every match must
// contain one of lits, so a text containing none of them is skipped without
// running the regex engine (most texts contain none of most cue words; this
// keeps Classify well under a millisecond).
type matcher struct {
	re   *regexp.Regexp
	lits []string  // nil: no prefilter possible
	anc  *anchored // nil: the rule is run unanchored
	// sets are further literal sets, one literal of each of which every
	// match contains (the other parts of a sequence: "(了解|查询…)(的)?是"
	// needs 是 as well as one of the verbs), so a line holding lits but not
	// these is never handed to the engine. Only parts without case
	// variants are used: their literals are exact on any text.
	sets [][]string
}

func newMatcher(re *regexp.Regexp) *matcher {
	m := &matcher{re: re, anc: newAnchored(re.String())}
	if p, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		p = p.Simplify()
		if lits, ok := required(p); ok && len(lits) > 0 && len(lits) <= 64 {
			m.lits = lits
		}
		m.sets = requiredSets(p, m.lits)
	}
	return m
}

// requiredSets returns the literal sets of the parts of a sequence that
// every match holds (one literal of each set occurs in a match), leaving out
// parts with case variants, sets with a line break and the set lits.
func requiredSets(p *syntax.Regexp, lits []string) [][]string {
	for p.Op == syntax.OpCapture {
		p = p.Sub[0]
	}
	if p.Op != syntax.OpConcat {
		return nil
	}
	var out [][]string
	for _, part := range p.Sub {
		if !caseless(part) {
			continue
		}
		set, ok := required(part)
		if !ok || len(set) == 0 || len(set) > 16 || slices.Equal(set, lits) || slices.ContainsFunc(set, func(l string) bool { return strings.Contains(l, "\n") }) {
			continue
		}
		out = append(out, set)
	}
	return out
}

// caseless reports whether no literal or class of re holds a character with
// case variants, so required(re) neither lower-cases nor leaves out a
// character, whatever the flags.
func caseless(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if unicode.SimpleFold(r) != r {
				return false
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 8 {
				return false // required never takes a large class
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if unicode.SimpleFold(r) != r {
					return false
				}
			}
		}
	}
	for _, sub := range re.Sub {
		if !caseless(sub) {
			return false
		}
	}
	return true
}

// needs reports whether s holds a literal of every set of m.sets.
func (m *matcher) needs(s string) bool {
	return m.sets == nil || allPresent(s, m.sets)
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
		if indexLit(s, l) >= 0 {
			return true
		}
	}
	return false
}

// mayIn is may on a text whose index is ix (nil: none): literals with a
// character the text lacks are skipped, the others found through the index.
func (m *matcher) mayIn(s string, ix *textIndex) bool {
	if m.lits == nil {
		return true
	}
	for _, l := range m.lits {
		if ix.has(l) && ix.index(s, 0, 0, l) >= 0 {
			return true
		}
	}
	return false
}

// Long texts are matched line by line (the rules never span lines; "^" then
// also means the start of a line), running the engine only on lines that
// pass the prefilter.
const lineWise = 256

func (m *matcher) lines(s string, each func(off int, line string, tc *textCtx) bool) {
	if len(s) < lineWise || !strings.Contains(s, "\n") {
		if m.may(s) && m.needs(s) {
			each(0, s, nil)
		}
		return
	}
	if !m.needs(s) {
		return // no line can hold every part
	}
	var ix *textIndex // nil: every literal may be present
	var tc *textCtx
	var bl *runeBloom // for a text too short to index
	if len(s) >= runeSetMin {
		ix = indexOf(s)
		tc = &textCtx{ix: ix}
	} else if m.lits != nil {
		bl = bloomOf(s)
	}
	if m.lits != nil {
		// The lines that pass the prefilter: those holding one of the
		// literals, found by searching the whole text for each literal rather
		// than each line for each literal.
		var starts []int
		for _, l := range m.lits {
			if strings.Contains(l, "\n") || !ix.has(l) || !bl.has(l) {
				continue // never inside a line, or not in the text at all
			}
			for pos := 0; pos < len(s); {
				at := ix.index(s, 0, pos, l)
				if at < 0 {
					break
				}
				start, nl := ix.line(s, at)
				starts = append(starts, start)
				if nl < 0 {
					break
				}
				pos = nl + 1
			}
		}
		slices.Sort(starts)
		starts = slices.Compact(starts)
		for _, off := range starts {
			end := strings.IndexByte(s[off:], '\n')
			if end < 0 {
				end = len(s) - off
			}
			if line := s[off : off+end]; m.needs(line) && !each(off, line, tc) {
				return
			}
		}
		return
	}
	off := 0
	for {
		i := strings.IndexByte(s[off:], '\n')
		end := len(s)
		if i >= 0 {
			end = off + i
		}
		if line := s[off:end]; m.needs(line) && !each(off, line, tc) {
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
	m.lines(s, func(off int, line string, tc *textCtx) bool {
		if loc := m.findIndex(line, tc, off); loc != nil {
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
	m.lines(s, func(off int, line string, tc *textCtx) bool {
		for _, loc := range m.findAllIndex(line, false, tc, off) {
			out = append(out, shift(loc, off))
		}
		return n < 0 || len(out) < n
	})
	return out
}

func (m *matcher) FindStringSubmatchIndex(s string) (out []int) {
	m.lines(s, func(off int, line string, tc *textCtx) bool {
		if loc := m.findSubIndex(line, tc, off); loc != nil {
			out = shift(loc, off)
			return false
		}
		return true
	})
	return out
}

func (m *matcher) FindAllStringSubmatchIndex(s string, n int) (out [][]int) {
	m.lines(s, func(off int, line string, tc *textCtx) bool {
		for _, loc := range m.findAllIndex(line, true, tc, off) {
			out = append(out, shift(loc, off))
		}
		return n < 0 || len(out) < n
	})
	return out
}

// The finders run the rule on s, a line at offset base of the text of tc
// (nil: s is the whole text, not indexed).
func (m *matcher) findIndex(s string, tc *textCtx, base int) []int {
	if m.anc != nil && m.anc.usable(s) {
		return m.anc.find(s, 0, false, tc, base)
	}
	return m.re.FindStringIndex(s)
}

func (m *matcher) findSubIndex(s string, tc *textCtx, base int) []int {
	if m.anc != nil && m.anc.usable(s) {
		return m.anc.find(s, 0, true, tc, base)
	}
	return m.re.FindStringSubmatchIndex(s)
}

func (m *matcher) findAllIndex(s string, sub bool, tc *textCtx, base int) [][]int {
	switch {
	case m.anc != nil && m.anc.usable(s):
		return m.anc.findAll(s, sub, tc, base)
	case sub:
		return m.re.FindAllStringSubmatchIndex(s, -1)
	}
	return m.re.FindAllStringIndex(s, -1)
}

// runeSetMin is the length from which a text's rune set pays for itself.
const runeSetMin = 2048

// runeSet records which characters of the Basic Multilingual Plane a text
// holds (ASCII letters in both cases), so a literal with a character the
// text lacks is never searched for. Characters beyond the plane count as
// present.
type runeSet [1 << 16 / 64]uint64

func (rs *runeSet) has(lit string) bool {
	if rs == nil {
		return true
	}
	for _, r := range lit {
		if r < 1<<16 && rs[r>>6]&(1<<(r&63)) == 0 {
			return false
		}
	}
	return true
}

// textIndex is a long text's rune set and, for every character of the
// Basic Multilingual Plane beyond ASCII, the offsets where it occurs: a
// literal is then found by checking the few places its first character
// occurs instead of scanning the whole text once per literal (a letter's
// rules look for a few hundred literals, many of them starting with common
// characters such as 我 or 到).
type textIndex struct {
	rs runeSet
	// cum[w] is the number of distinct non-ASCII characters of the text
	// below rune w*64: a character's rank among them, cum plus the set bits
	// of its word below it, numbers its group.
	cum   [len(runeSet{})]int32
	start []int32 // group g is pos[start[g]:start[g+1]]
	pos   []int32 // byte offsets, grouped by character, increasing in a group
	nl    []int32 // offsets of the line breaks, increasing
}

// line returns the start of the line of s holding offset at and the offset
// of the line break ending it (-1: none); s is the indexed text (ix may be
// nil).
func (ix *textIndex) line(s string, at int) (start, nl int) {
	if ix == nil {
		start = strings.LastIndexByte(s[:at], '\n') + 1
		if nl = strings.IndexByte(s[at:], '\n'); nl >= 0 {
			nl += at
		}
		return start, nl
	}
	i, _ := slices.BinarySearch(ix.nl, int32(at))
	if i > 0 {
		start = int(ix.nl[i-1]) + 1
	}
	if i == len(ix.nl) {
		return start, -1
	}
	return start, int(ix.nl[i])
}

// has reports whether every character of lit occurs in the text (true for a
// nil index).
func (ix *textIndex) has(lit string) bool {
	if ix == nil {
		return true
	}
	return ix.rs.has(lit)
}

func indexable(r rune) bool { return r >= utf8.RuneSelf && r < 1<<16 }

func (ix *textIndex) group(r rune) int {
	w := ix.rs[r>>6]
	return int(ix.cum[r>>6]) + bits.OnesCount64(w&(1<<(r&63)-1))
}

// positions returns the offsets of r, an indexable character, in the text.
func (ix *textIndex) positions(r rune) []int32 {
	if ix.rs[r>>6]&(1<<(r&63)) == 0 {
		return nil
	}
	g := ix.group(r)
	return ix.pos[ix.start[g]:ix.start[g+1]]
}

// index returns the first offset i >= pos in hay with lit at hay[i:], or
// -1. hay is the indexed text's [base, base+len(hay)) or a copy of it with
// ASCII lower-cased (byte-aligned, non-ASCII characters unchanged); ix may
// be nil.
func (ix *textIndex) index(hay string, base, pos int, lit string) int {
	r0, _ := utf8.DecodeRuneInString(lit)
	if ix == nil || !indexable(r0) {
		if j := indexLit(hay[pos:], lit); j >= 0 {
			return pos + j
		}
		return -1
	}
	ps := ix.positions(r0)
	lo, hi := base+pos, base+len(hay)
	i, _ := slices.BinarySearch(ps, int32(lo))
	for ; i < len(ps) && int(ps[i]) < hi; i++ {
		if q := int(ps[i]) - base; strings.HasPrefix(hay[q:], lit) {
			return q
		}
	}
	return -1
}

// textCtx is what the line-wise search knows of the whole text while it runs
// one rule: the text's index and, for an anchored rule whose first literals
// all begin with indexed characters, the offsets where one of those
// characters occurs (gathered once, then each line takes its share).
type textCtx struct {
	ix    *textIndex
	cands []int32
	done  bool
}

func (tc *textCtx) index() *textIndex {
	if tc == nil {
		return nil
	}
	return tc.ix
}

// candidates returns, in order, the offsets of the text where one of a's
// first characters occurs, or nil when not all of them are indexed.
func (tc *textCtx) candidates(a *anchored) []int32 {
	if tc == nil || !a.indexed {
		return nil
	}
	if !tc.done {
		tc.done = true
		tc.cands = []int32{}
		for _, r := range a.firstRunes {
			tc.cands = append(tc.cands, tc.ix.positions(r)...)
		}
		slices.Sort(tc.cands) // the characters differ: no offset twice
	}
	return tc.cands
}

func newTextIndex(s string) *textIndex {
	ix := new(textIndex)
	rs := &ix.rs
	n := 0
	for _, r := range s {
		if r < 1<<16 {
			rs[r>>6] |= 1 << (r & 63)
			if r >= utf8.RuneSelf {
				n++
			}
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
			rs[r>>6] |= 1 << (r & 63)
		}
	}
	// Words 0 and 1 are ASCII, never grouped.
	c := int32(0)
	for w := 2; w < len(rs); w++ {
		ix.cum[w] = c
		c += int32(bits.OnesCount64(rs[w]))
	}
	ix.start = make([]int32, c+1)
	for _, r := range s {
		if indexable(r) {
			ix.start[ix.group(r)+1]++
		}
	}
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			break
		}
		ix.nl = append(ix.nl, int32(i+j))
		i += j + 1
	}
	for g := 1; g < len(ix.start); g++ {
		ix.start[g] += ix.start[g-1]
	}
	ix.pos = make([]int32, n)
	fill := slices.Clone(ix.start[:c])
	for i, r := range s {
		if indexable(r) {
			g := ix.group(r)
			ix.pos[fill[g]] = int32(i)
			fill[g]++
		}
	}
	return ix
}

// recent caches a value computed from a text for the last few texts: every
// rule is run over the same few texts of a message.
type recent[T any] struct {
	mu   sync.Mutex
	ent  []recentEntry[T]
	next int
}

type recentEntry[T any] struct {
	s  string
	v  T
	ok bool
}

func newRecent[T any](n int) *recent[T] { return &recent[T]{ent: make([]recentEntry[T], n)} }

// get returns the cached value of s, or builds and caches it.
func (c *recent[T]) get(s string, build func(string) T) T {
	c.mu.Lock()
	for _, e := range c.ent {
		if e.ok && len(e.s) == len(s) && e.s == s {
			c.mu.Unlock()
			return e.v
		}
	}
	c.mu.Unlock()
	v := build(s)
	c.put(s, v)
	return v
}

// put caches v as the value of s, replacing the oldest entry.
func (c *recent[T]) put(s string, v T) {
	c.mu.Lock()
	c.ent[c.next] = recentEntry[T]{s, v, true}
	c.next = (c.next + 1) % len(c.ent)
	c.mu.Unlock()
}

// textIndexes caches the indexes of the last long texts matched.
var textIndexes = newRecent[*textIndex](16)

func indexOf(s string) *textIndex { return textIndexes.get(s, newTextIndex) }

// runeBloom is a 1024-bit Bloom filter of the characters of a text: a
// literal one of whose characters has its bit clear is not in the text. It
// is the rune set's cheap stand-in for texts below runeSetMin (a letter of
// 1–2 KB), whose literals are otherwise each searched for in the whole text.
type runeBloom [16]uint64

func bloomBit(r rune) uint32 { return uint32(r) * 0x9E3779B1 >> 22 }

func newBloom(s string) *runeBloom {
	b := new(runeBloom)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			k := bloomBit(rune(c))
			b[k>>6] |= 1 << (k & 63)
			i++
			continue
		}
		r, n := decodeRune(s[i:])
		k := bloomBit(r)
		b[k>>6] |= 1 << (k & 63)
		i += n
	}
	return b
}

// has reports whether every character of lit may be in the text (true for
// a nil filter). When lit occurs in the text its characters do: a valid
// UTF-8 lit begins with a lead byte, so the text decodes, rune by rune, to
// lit's runes where it holds it.
func (b *runeBloom) has(lit string) bool {
	if b == nil {
		return true
	}
	for i := 0; i < len(lit); {
		r, n := decodeRune(lit[i:])
		if r == utf8.RuneError && n == 1 {
			return true // not valid UTF-8: part of a character of the text
		}
		k := bloomBit(r)
		if b[k>>6]&(1<<(k&63)) == 0 {
			return false
		}
		i += n
	}
	return true
}

// blooms caches the filters of the last texts matched, as textIndexes does
// the indexes of long ones.
var blooms = newRecent[*runeBloom](8)

func bloomOf(s string) *runeBloom { return blooms.get(s, newBloom) }

// bloomPut caches b as the filter of s. b may let through more characters
// than s holds (a filter only ever rules literals out).
func bloomPut(s string, b *runeBloom) { blooms.put(s, b) }

// set adds r to the filter.
func (b *runeBloom) set(r rune) {
	k := bloomBit(r)
	b[k>>6] |= 1 << (k & 63)
}
