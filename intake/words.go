package intake

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// defects collects defect names once each, in the order found.
type defects struct{ list []string }

func (d *defects) add(name string) {
	if d == nil {
		return
	}
	for _, n := range d.list {
		if n == name {
			return
		}
	}
	d.list = append(d.list, name)
}

func (d *defects) merge(names []string) {
	for _, n := range names {
		d.add(n)
	}
}

// encodedWord is one RFC 2047 "=?charset?enc?text?=" found in a value.
type encodedWord struct {
	start, end int // byte offsets in the value
	charset    string
	data       []byte // after B or Q decoding, still in charset
}

// findWord finds the next encoded word at or after i. It is lenient: words
// need not be separated from surrounding text, the encoding letter may be
// either case, and a charset may carry an RFC 2231 language ("utf-8*zh").
func findWord(s string, i int) (encodedWord, bool) {
	for {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			return encodedWord{}, false
		}
		j += i
		w, ok := parseWordAt(s, j)
		if ok {
			return w, true
		}
		i = j + 2
	}
}

func parseWordAt(s string, j int) (encodedWord, bool) {
	p := j + 2
	q1 := strings.IndexByte(s[p:], '?')
	if q1 <= 0 || q1 > 40 {
		return encodedWord{}, false
	}
	charset := s[p : p+q1]
	if strings.ContainsAny(charset, " \t\r\n\"=") {
		return encodedWord{}, false
	}
	p += q1 + 1
	if p+2 > len(s) || s[p+1] != '?' {
		return encodedWord{}, false
	}
	enc := s[p] | 0x20
	if enc != 'b' && enc != 'q' {
		return encodedWord{}, false
	}
	p += 2
	e := strings.Index(s[p:], "?=")
	if e < 0 {
		return encodedWord{}, false
	}
	text := s[p : p+e]
	if strings.ContainsAny(text, " \t\r\n") {
		// Encoded words never contain white space; some mailers fold
		// inside one anyway. Accept it, dropping the white space.
		text = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, text)
	}
	if k := strings.IndexByte(charset, '*'); k >= 0 {
		charset = charset[:k]
	}
	var data []byte
	if enc == 'b' {
		data = decodeBase64Lenient(text)
	} else {
		data = decodeQWord(text)
	}
	return encodedWord{start: j, end: p + e + 2, charset: charset, data: data}, true
}

// decodeQWord decodes the Q encoding: "_" is a space, "=XX" a byte.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// decodeBase64Lenient decodes base64 with or without padding, ignoring
// characters outside the alphabet. It returns what it could decode.
func decodeBase64Lenient(s string) []byte {
	b, _ := decodeBase64Body([]byte(s))
	return b
}

// decodeBase64Body decodes a base64 body leniently: white space and stray
// characters are skipped, missing padding is tolerated. partial reports
// that the data stopped in the middle of a quantum (a sign of truncation).
func decodeBase64Body(in []byte) (out []byte, partial bool) {
	// One pass with a class table and index writes: bodies with 200 KB
	// attachments made the per-byte switch and string copies a hot spot.
	clean := make([]byte, len(in))
	out = make([]byte, 0, len(in)*3/4+3)
	n := 0
	for _, c := range in {
		switch b64Class[c] {
		case b64Keep:
			clean[n] = c
			n++
		case b64Minus:
			clean[n] = '+' // URL-safe alphabet
			n++
		case b64Under:
			clean[n] = '/'
			n++
		case b64Pad:
			// Padding ends a quantum. Data after it (a second base64
			// stream glued on) is decoded separately.
			if n%4 >= 2 {
				out = appendBase64(out, clean[:n])
				n = 0
			}
		}
	}
	rem := n % 4
	if rem != 0 {
		// RFC 2045 pads every stream to whole quanta: a bare remainder
		// means the data was cut off.
		partial = true
		if rem == 1 {
			n--
		}
	}
	before := len(out)
	out = appendBase64(out, clean[:n])
	if len(out)-before != base64.RawStdEncoding.DecodedLen(n) {
		partial = true
	}
	return out, partial
}

// appendBase64 decodes unpadded standard base64 onto out, keeping what
// decodes before an error (as DecodeString does).
func appendBase64(out, src []byte) []byte {
	need := base64.RawStdEncoding.DecodedLen(len(src))
	if cap(out)-len(out) < need {
		grown := make([]byte, len(out), len(out)+need)
		copy(grown, out)
		out = grown
	}
	m, _ := base64.RawStdEncoding.Decode(out[len(out):len(out)+need], src)
	return out[:len(out)+m]
}

// Classes of bytes in a base64 body.
const (
	b64Skip = iota
	b64Keep
	b64Minus
	b64Under
	b64Pad
)

var b64Class = func() (t [256]byte) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = b64Keep
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = b64Keep
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = b64Keep
	}
	t['+'], t['/'] = b64Keep, b64Keep
	t['-'], t['_'], t['='] = b64Minus, b64Under, b64Pad
	return t
}()

// decodeHeaderText decodes every encoded word in a header value and the raw
// eight-bit bytes around them. Adjacent encoded words in the same charset
// are joined before charset decoding, so a character split across two words
// (which RFC 2047 forbids) comes out whole and is reported as
// encoded_word_split. hint is the charset to try first for raw bytes.
func decodeHeaderText(s, hint string, d *defects) string {
	return decodeWords(s, d, func(x string) string { return decodeRawHeader(x, hint, d) })
}

// decodeWords decodes the encoded words in s and passes the text between
// them through raw.
func decodeWords(s string, d *defects, raw func(string) string) string {
	if !strings.Contains(s, "=?") {
		return raw(s)
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		w, ok := findWord(s, i)
		if !ok {
			b.WriteString(raw(s[i:]))
			break
		}
		b.WriteString(raw(s[i:w.start]))
		// Gather the run of words separated only by white space.
		run := []encodedWord{w}
		next := w.end
		for {
			k := next
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n') {
				k++
			}
			if k+2 > len(s) || s[k] != '=' || s[k+1] != '?' {
				break
			}
			w2, ok := parseWordAt(s, k)
			if !ok {
				break
			}
			run = append(run, w2)
			next = w2.end
		}
		b.WriteString(decodeWordRun(run, d))
		i = next
	}
	return b.String()
}

// decodeWordRun decodes a run of adjacent encoded words, joining the bytes
// of neighbours that share a charset.
func decodeWordRun(run []encodedWord, d *defects) string {
	var b strings.Builder
	for i := 0; i < len(run); {
		j := i + 1
		buf := append([]byte(nil), run[i].data...)
		for j < len(run) && sameCharset(run[j].charset, run[i].charset) {
			buf = append(buf, run[j].data...)
			j++
		}
		if j-i > 1 {
			for k := i; k < j; k++ {
				if !wordComplete(run[k].charset, run[k].data) {
					d.add(DefectEncodedWordSplit)
					break
				}
			}
		} else if !wordComplete(run[i].charset, run[i].data) && len(run) > 1 {
			d.add(DefectEncodedWordSplit)
		}
		t, mis := DecodeCharset(run[i].charset, buf)
		if mis {
			d.add(DefectCharsetMislabel)
		}
		b.WriteString(t)
		i = j
	}
	return b.String()
}

func sameCharset(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	ea, fa := lookupCharset(a)
	eb, fb := lookupCharset(b)
	return fa == fb && ea == eb && fa != famUnknown && fa != famSingle && fa != famOther
}

// wordComplete says whether one encoded word's bytes stand on their own in
// their charset (no character cut at either end).
func wordComplete(charset string, data []byte) bool {
	if isASCII(data) {
		return true
	}
	enc, fam := lookupCharset(charset)
	switch fam {
	case famUTF8, famASCII, famUnknown:
		return utf8.Valid(data)
	case famGB, famBig5, famOther:
		if fam == famOther && strings.Contains(strings.ToLower(charset), "utf-16") {
			return len(data)%2 == 0
		}
		_, bad := decodeWith(enc, data)
		return bad == 0
	}
	return true
}

// decodeRawHeader turns header bytes outside encoded words into UTF-8.
// Eight-bit bytes there break RFC 5322 (raw_8bit_header); they are read as
// UTF-8 when valid, else in the message's declared charset when it fits,
// else as whatever CJK encoding they look like.
func decodeRawHeader(s, hint string, d *defects) string {
	if isASCII([]byte(s)) {
		return s
	}
	d.add(DefectRaw8bitHeader)
	return decodeRaw8bit([]byte(s), hint)
}

func decodeRaw8bit(b []byte, hint string) string {
	if utf8.Valid(b) {
		if hint != "" {
			if enc, fam := lookupCharset(hint); fam == famGB || fam == famBig5 {
				if t, ok := undoLatin1(enc, b); ok {
					return t
				}
			}
		}
		return string(b)
	}
	if hint != "" {
		enc, fam := lookupCharset(hint)
		if fam == famGB || fam == famBig5 || fam == famOther {
			if t, bad := decodeWith(enc, b); bad == 0 {
				return t
			}
		}
	}
	t, _ := detectCJK(b)
	return t
}
