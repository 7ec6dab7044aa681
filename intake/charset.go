package intake

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// Charset families that DecodeCharset treats specially.
const (
	famUTF8 = iota + 1
	famASCII
	famGB
	famBig5
	famSingle // any single-byte table: decodes every byte, so "no error" proves nothing
	famOther  // other multi-byte encodings known to htmlindex (Shift_JIS, EUC-KR, ISO-2022-JP…)
	famUnknown
)

// lookupCharset maps a MIME charset label to an encoding and its family.
// gb2312, x-gbk, gbk, cp936 and gb18030 all become GB18030, as browsers read
// them: real "gb2312" mail carries GBK-only characters.
func lookupCharset(label string) (encoding.Encoding, int) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "", "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968", "iso646-us", "7bit", "8bit":
		return nil, famASCII
	case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8":
		return nil, famUTF8
	case "gb2312", "gbk", "x-gbk", "gb18030", "cp936", "ms936", "windows-936", "csgb2312", "euc-cn", "x-euc-cn", "gb_2312-80", "chinese", "csiso58gb231280", "iso-ir-58", "hz-gb-2312":
		if l == "hz-gb-2312" {
			return simplifiedchinese.HZGB2312, famOther
		}
		return simplifiedchinese.GB18030, famGB
	case "big5", "big-5", "x-x-big5", "cn-big5", "csbig5", "big5-hkscs", "cp950", "x-big5", "windows-950", "ms950":
		return traditionalchinese.Big5, famBig5
	case "utf-16", "utf16", "unicode":
		// RFC 2781: big endian unless a byte order mark says otherwise.
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), famOther
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), famOther
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), famOther
	}
	enc, err := htmlindex.Get(l)
	if err != nil {
		// Some mailers write "ks_c_5601" or "iso8859-1" without the dash.
		if strings.HasPrefix(l, "iso8859") {
			enc, err = htmlindex.Get("iso-8859" + strings.TrimPrefix(l, "iso8859"))
		}
		if err != nil {
			return nil, famUnknown
		}
	}
	name, _ := htmlindex.Name(enc)
	switch name {
	case "utf-8":
		return nil, famUTF8
	case "gbk", "gb18030":
		return simplifiedchinese.GB18030, famGB
	case "big5":
		return traditionalchinese.Big5, famBig5
	case "shift_jis", "euc-jp", "iso-2022-jp", "euc-kr", "utf-16be", "utf-16le", "replacement":
		return enc, famOther
	}
	return enc, famSingle
}

// DecodeCharset converts bytes in a declared charset to UTF-8. gb2312, x-gbk
// and gbk are read as GB18030 and Big5 stays Traditional. Where the bytes
// contradict the label it decodes what the bytes really are and reports
// mislabelled: invalid UTF-8 under a utf-8 label, eight-bit bytes under
// us-ascii, valid multi-byte UTF-8 under a GB or Big5 label, CJK double-byte
// text under a single-byte label, and any unknown label.
func DecodeCharset(label string, b []byte) (text string, mislabelled bool) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	enc, fam := lookupCharset(label)
	ascii := isASCII(b)
	switch fam {
	case famASCII:
		if ascii {
			return string(b), false
		}
		if utf8.Valid(b) {
			// Undeclared UTF-8 is what most mailers mean by a missing label.
			return string(b), strings.TrimSpace(label) != ""
		}
		t, _ := detectCJK(b)
		return t, true
	case famUTF8:
		if ascii || utf8.Valid(b) {
			return string(b), false
		}
		if mostlyUTF8(b) {
			// A few damaged bytes in real UTF-8: keep it, marked.
			return strings.ToValidUTF8(string(b), "\ufffd"), true
		}
		t, _ := detectCJK(b)
		return t, true
	case famGB, famBig5:
		if ascii {
			return string(b), false
		}
		if t, ok := undoLatin1(enc, b); ok {
			return t, true
		}
		t, bad := decodeWith(enc, b)
		if looksUTF8(b) && (bad > 0 || highBytes(b) >= 12) {
			// A few GBK characters can happen to be valid UTF-8 too; then
			// the label wins.
			return string(b), true
		}
		if bad == 0 {
			return t, false
		}
		if d, _ := detectCJK(b); d != "" {
			dt, dbad := d, countRuneError(d)-countRuneError(string(b))
			if dbad < bad {
				return dt, true
			}
		}
		return t, false
	case famSingle:
		if ascii {
			return string(b), false
		}
		if looksUTF8(b) {
			return string(b), true
		}
		if cjkDense(b) {
			if t, score := detectCJK(b); score > 0.85 {
				return t, true
			}
		}
		t, _ := decodeWith(enc, b)
		return t, false
	case famOther:
		if ascii && !isStateful(label) {
			return string(b), false
		}
		t, bad := decodeWith(enc, b)
		if bad > 0 && utf8.Valid(b) {
			return string(b), true
		}
		return t, false
	}
	// Unknown label (x-unknown, unknown-8bit…): the bytes decide.
	if ascii || utf8.Valid(b) {
		return string(b), true
	}
	t, _ := detectCJK(b)
	return t, true
}

func isStateful(label string) bool {
	l := strings.ToLower(label)
	return strings.Contains(l, "2022") || strings.Contains(l, "utf-16") || strings.Contains(l, "hz-")
}

// decodeWith decodes b and counts the replacement characters it had to insert.
func decodeWith(enc encoding.Encoding, b []byte) (string, int) {
	if enc == nil {
		return strings.ToValidUTF8(string(b), "\ufffd"), 0
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\ufffd"), len(b)
	}
	bad := bytes.Count(out, []byte("\ufffd")) - bytes.Count(b, []byte("\ufffd"))
	if bad < 0 {
		bad = 0
	}
	return string(out), bad
}

func countRuneError(s string) int { return strings.Count(s, "\ufffd") }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// looksUTF8 says whether b is valid UTF-8 that carries at least one
// multi-byte character whose text is plausible (mostly CJK, punctuation and
// Latin), so that a short GBK string that happens to be valid UTF-8 is not
// taken for it.
func looksUTF8(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	multi, good := 0, 0
	for _, r := range string(b) {
		if r < 0x80 {
			continue
		}
		multi++
		if plausibleRune(r) {
			good++
		}
	}
	return multi > 0 && good*10 >= multi*9
}

// plausibleRune is true for the characters real Chinese mail is made of.
func plausibleRune(r rune) bool {
	switch {
	case r >= 0x4e00 && r <= 0x9fff, // CJK unified ideographs
		r >= 0x3000 && r <= 0x30ff, // CJK punctuation, kana
		r >= 0xff00 && r <= 0xffef, // full-width forms
		r >= 0x2000 && r <= 0x206f, // general punctuation
		r >= 0x00a0 && r <= 0x017f, // Latin-1, Latin Extended-A
		r >= 0x2460 && r <= 0x24ff, // enclosed numbers ①
		r >= 0x2100 && r <= 0x21ff, // letterlike, arrows
		r >= 0x25a0 && r <= 0x26ff, // shapes, symbols ☺
		r >= 0xac00 && r <= 0xd7af, // Hangul
		r >= 0x3400 && r <= 0x4dbf: // CJK extension A
		return true
	}
	return false
}

// cjkDense says whether the eight-bit bytes are frequent enough to be a
// double-byte CJK text rather than accented Latin.
func cjkDense(b []byte) bool {
	high, letters := 0, 0
	for _, c := range b {
		if c >= 0x80 {
			high++
		} else if c > ' ' {
			letters++
		}
	}
	return high >= 4 && high*2 >= letters
}

// detectCJK guesses the encoding of undeclared or mislabelled eight-bit
// bytes among UTF-8, GB18030 and Big5. GB and Big5 both decode each other's
// bytes without error, so it scores which one the byte pairs fit: GB2312
// text keeps both bytes in 0xA1–0xFE, common Big5 characters have lead bytes
// 0xA4–0xC6 and trail bytes that are often below 0x7F.
func detectCJK(b []byte) (string, float64) {
	if utf8.Valid(b) {
		return string(b), 1
	}
	gbText, gbBad := decodeWith(simplifiedchinese.GB18030, b)
	b5Text, b5Bad := decodeWith(traditionalchinese.Big5, b)
	gbScore, b5Score := pairScores(b)
	if gbBad > b5Bad || (gbBad == b5Bad && b5Score > gbScore) {
		return b5Text, b5Score
	}
	return gbText, gbScore
}

// pairScores walks b as double-byte text and returns the share of pairs that
// look like common GB2312 characters and like common Big5 characters.
func pairScores(b []byte) (gb, big5 float64) {
	pairs, gbHits, b5Hits := 0, 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x81 || i+1 >= len(b) {
			continue
		}
		t := b[i+1]
		i++
		pairs++
		if c >= 0xa1 && c <= 0xf7 && t >= 0xa1 && t <= 0xfe {
			gbHits++
		}
		if c >= 0xa1 && c <= 0xc6 && ((t >= 0x40 && t <= 0x7e) || (t >= 0xa1 && t <= 0xfe)) {
			b5Hits++
		}
	}
	if pairs == 0 {
		return 0, 0
	}
	return float64(gbHits) / float64(pairs), float64(b5Hits) / float64(pairs)
}

// undoLatin1 repairs double encoding: CJK bytes that something read as
// Latin-1 and wrote out again as UTF-8 ("¤j" for 大). When b is valid UTF-8
// made only of U+0000–U+00FF, with eight-bit characters among them, and
// those code points as bytes decode cleanly in enc, that is the text.
func undoLatin1(enc encoding.Encoding, b []byte) (string, bool) {
	if enc == nil || !utf8.Valid(b) {
		return "", false
	}
	raw := make([]byte, 0, len(b))
	high, symbols := 0, 0
	for _, r := range string(b) {
		if r > 0xff {
			return "", false
		}
		if r >= 0x80 {
			high++
			if r < 0xe0 {
				symbols++ // ¡¤³ and capitals: rare in real Latin-1 text
			}
		}
		raw = append(raw, byte(r))
	}
	if high < 4 || symbols*2 < high {
		return "", false
	}
	t, bad := decodeWith(enc, raw)
	if bad > 0 {
		return "", false
	}
	return t, true
}

// mostlyUTF8 says whether invalid UTF-8 is still mostly valid multi-byte
// UTF-8 with a few damaged bytes, rather than another encoding: GBK bytes
// read as UTF-8 fail on most characters.
func mostlyUTF8(b []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			bad++
			i++
			continue
		}
		good++
		i += n
	}
	return good >= 2*bad && good > 0
}

func highBytes(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return n
}
