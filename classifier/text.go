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

// prep prepares s: width folding, then the aligned simplified copy.
func (r *rules) prep(s string) text {
	w := foldWidth(s)
	var b strings.Builder
	b.Grow(len(w))
	for _, c := range w {
		if c < utf8.RuneSelf {
			b.WriteByte(byte(unicode.ToLower(c)))
			continue
		}
		if s, ok := r.t2s[c]; ok {
			c = s
		}
		b.WriteRune(c)
	}
	return text{w: w, m: b.String()}
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
