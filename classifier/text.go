package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// text is a piece of writing prepared for matching. w is the writer's text with
// full-width digits and letters folded to ASCII (what extraction returns); m is
// w with traditional characters mapped to simplified ones and ASCII lower-cased,
// byte-aligned with w, so a match found in m is cut from w at the same offsets.
type text struct {
	w, m string
}

// foldWidth turns full-width digits, letters and the few symbols of numbers and
// addresses into ASCII, ideographic and no-break spaces into spaces, and drops
// carriage returns and zero-width characters.
func foldWidth(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r = r - 0xFEE0
		case r == '＋' || r == '－' || r == '＠' || r == '．' || r == '＿' || r == '＃' || r == '／':
			r = r - 0xFEE0
		case r == '\u3000' || r == '\u00a0' || r == '\u2002' || r == '\u2003':
			r = ' '
		case r == '\r' || r == '\u200b' || r == '\ufeff':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// prep prepares s: width folding, then the aligned simplified copy (one pass
// writing both). Stretches that neither step changes — most of a letter —
// are copied whole, and a copy without changes is s itself.
func (r *rules) prep(s string) text {
	var w, m strings.Builder
	wFrom, mFrom := 0, 0 // s[wFrom:i] and s[mFrom:i] are still to be copied
	flushW := func(i int) {
		if w.Len() == 0 {
			w.Grow(len(s))
		}
		w.WriteString(s[wFrom:i])
	}
	flushM := func(i int) {
		if m.Len() == 0 {
			m.Grow(len(s))
		}
		m.WriteString(s[mFrom:i])
	}
	wChanged, mChanged := false, false
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			switch {
			case b == '\r':
				flushW(i)
				flushM(i)
				wChanged, mChanged = true, true
				wFrom, mFrom = i+1, i+1
			case b >= 'A' && b <= 'Z':
				flushM(i)
				mChanged = true
				m.WriteByte(b + 'a' - 'A')
				mFrom = i + 1
			}
			i++
			continue
		}
		c, n := decodeRune(s[i:])
		changed := true
		switch {
		case c >= '０' && c <= '９', c >= 'Ａ' && c <= 'Ｚ', c >= 'ａ' && c <= 'ｚ':
			c = c - 0xFEE0
		case c == '＋' || c == '－' || c == '＠' || c == '．' || c == '＿' || c == '＃' || c == '／':
			c = c - 0xFEE0
		case c == '\u3000' || c == '\u00a0' || c == '\u2002' || c == '\u2003':
			c = ' '
		case c == '\u200b' || c == '\ufeff':
			c = -1 // dropped
		case c == utf8.RuneError && n == 1:
			// An invalid byte is written as U+FFFD.
		default:
			changed = false
		}
		if changed {
			flushW(i)
			flushM(i)
			wChanged, mChanged = true, true
			switch {
			case c < 0:
			case c < utf8.RuneSelf:
				w.WriteByte(byte(c))
				m.WriteByte(byte(unicode.ToLower(c)))
			default:
				w.WriteRune(c)
				m.WriteRune(r.simpRune(c))
			}
			i += n
			wFrom, mFrom = i, i
			continue
		}
		if sc := r.simpRune(c); sc != c {
			flushM(i)
			mChanged = true
			m.WriteRune(sc)
			mFrom = i + n
		}
		i += n
	}
	t := text{w: s, m: s}
	if wChanged {
		flushW(len(s))
		t.w = w.String()
	}
	if mChanged {
		flushM(len(s))
		t.m = m.String()
	}
	return t
}

// simpRune maps a traditional character to its simplified form.
func (r *rules) simpRune(c rune) rune {
	if c < rune(len(r.t2sBMP)) {
		if s := r.t2sBMP[c]; s != 0 {
			return rune(s)
		}
		return c
	}
	if s, ok := r.t2s[c]; ok {
		return s
	}
	return c
}

// simp maps s to its simplified matching form.
func (r *rules) simp(s string) string { return r.prep(s).m }

// lines splits a text into aligned lines.
func (t text) lines() []text {
	ws := strings.Split(t.w, "\n")
	out := make([]text, 0, len(ws))
	off := 0
	for _, l := range ws {
		out = append(out, text{w: l, m: t.m[off : off+len(l)]})
		off += len(l) + 1
	}
	return out
}

// sub returns the aligned slice [i:j].
func (t text) sub(i, j int) text { return text{w: t.w[i:j], m: t.m[i:j]} }

// trim trims spaces on both sides, keeping alignment.
func (t text) trim() text {
	i, j := 0, len(t.w)
	for i < j {
		r, n := utf8.DecodeRuneInString(t.w[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	for j > i {
		r, n := utf8.DecodeLastRuneInString(t.w[i:j])
		if !unicode.IsSpace(r) {
			break
		}
		j -= n
	}
	return t.sub(i, j)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// hanOnly reports whether s is made only of Han characters (and the middle dot
// of minority names).
func hanOnly(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isHan(r) && r != '·' && r != '•' {
			return false
		}
	}
	return true
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// squeeze removes all white space (for comparisons).
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// cutAt returns s up to the first rune in stops.
func cutAt(s, stops string) string {
	if i := strings.IndexAny(s, stops); i >= 0 {
		return s[:i]
	}
	return s
}

// trimPunct trims spaces and trailing/leading punctuation that never belongs to a value.
func trimPunct(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("，,。.；;、：:!！?？", r)
	})
}

// firstRunes returns at most n runes of s.
func firstRunes(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// upper is strings.ToUpper, quicker on Chinese: the CJK blocks
// U+3000–U+9FFF have no case, and stretches without change are copied whole.
func upper(s string) string {
	var b []byte // nil until the first change
	from := 0    // s[from:i] is still to be copied into b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' {
				b = append(append(grow(b, len(s)), s[from:i]...), c-('a'-'A'))
				from = i + 1
			}
			i++
			continue
		}
		// A lead byte of U+3000–U+9FFF and two continuation bytes.
		if c >= 0xe3 && c <= 0xe9 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if u := unicode.ToUpper(r); u != r || r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(append(grow(b, len(s)), s[from:i]...), u)
			from = i + n
		}
		i += n
	}
	if b == nil {
		return s
	}
	return string(append(b, s[from:]...))
}

// grow returns b, allocated with capacity n when nil.
func grow(b []byte, n int) []byte {
	if b == nil {
		return make([]byte, 0, n)
	}
	return b
}

// decodeRune is utf8.DecodeRuneInString with the three-byte characters
// U+1000–U+CFFF (CJK, its punctuation and the fullwidth forms' neighbours)
// decoded inline: lead bytes 0xE1–0xEC with two continuation bytes are
// always valid, so no further check is needed.
func decodeRune(s string) (rune, int) {
	if len(s) >= 3 {
		if c := s[0]; c >= 0xe1 && c <= 0xec && s[1]&0xc0 == 0x80 && s[2]&0xc0 == 0x80 {
			return rune(c&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), 3
		}
	}
	return utf8.DecodeRuneInString(s)
}
