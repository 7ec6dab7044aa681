package intake

import (
	"bytes"
	"encoding/binary"
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
// The result is always a fresh, non-nil slice.
//
// Bytes outside the alphabet are skipped, '-' and '_' read as '+' and '/',
// and a '=' ends the quantum in progress when two or three characters of it
// have been seen (data after it, a second base64 stream glued on, is
// decoded on its own); any other '=' is skipped too. A stream that ends
// inside a quantum is partial: a last lone character is dropped, two or
// three decode to one or two bytes.
func decodeBase64Body(in []byte) (out []byte, partial bool) {
	// The output never exceeds three bytes for four input bytes; the slack
	// lets the fast path store eight bytes at a time.
	out = make([]byte, len(in)/4*3+8)
	o := 0
	var q [4]byte // characters of the quantum in progress
	n := 0
	for i := 0; i < len(in); {
		if n == 0 {
			// Between quanta, whole runs of the standard alphabet (nearly
			// all of a body: 76-character lines) decode eight or four
			// characters at a time, as encoding/base64 does.
			for len(in)-i >= 8 {
				// assemble64 by hand: the call is too big to inline.
				s := in[i : i+8 : i+8]
				n1, n2, n3, n4 := b64Value[s[0]], b64Value[s[1]], b64Value[s[2]], b64Value[s[3]]
				n5, n6, n7, n8 := b64Value[s[4]], b64Value[s[5]], b64Value[s[6]], b64Value[s[7]]
				if n1|n2|n3|n4|n5|n6|n7|n8 == 0xff {
					break
				}
				binary.BigEndian.PutUint64(out[o:], uint64(n1)<<58|uint64(n2)<<52|uint64(n3)<<46|uint64(n4)<<40|
					uint64(n5)<<34|uint64(n6)<<28|uint64(n7)<<22|uint64(n8)<<16)
				o += 6
				i += 8
			}
			if len(in)-i >= 4 {
				if v, ok := assemble32(in[i : i+4]); ok {
					binary.BigEndian.PutUint32(out[o:], v)
					o += 3
					i += 4
					continue
				}
			}
			if i == len(in) {
				break
			}
		}
		c := in[i]
		i++
		switch b64Class[c] {
		case b64Keep:
		case b64Minus:
			c = '+' // URL-safe alphabet
		case b64Under:
			c = '/'
		case b64Pad:
			if n >= 2 {
				o += putQuantum(out[o:], q[:n])
				n = 0
			}
			continue
		default:
			continue
		}
		q[n] = c
		n++
		if n == 4 {
			o += putQuantum(out[o:], q[:4])
			n = 0
		}
	}
	if n != 0 {
		// RFC 2045 pads every stream to whole quanta: a bare remainder
		// means the data was cut off.
		partial = true
		if n >= 2 {
			o += putQuantum(out[o:], q[:n])
		}
	}
	return out[:o], partial
}

// assemble32 decodes four standard-alphabet characters into the top three
// bytes of v; ok is false when one of them is anything else.
func assemble32(s []byte) (v uint32, ok bool) {
	_ = s[3]
	n1, n2, n3, n4 := b64Value[s[0]], b64Value[s[1]], b64Value[s[2]], b64Value[s[3]]
	if n1|n2|n3|n4 == 0xff {
		return 0, false
	}
	return uint32(n1)<<26 | uint32(n2)<<20 | uint32(n3)<<14 | uint32(n4)<<8, true
}

// putQuantum decodes two to four characters of the standard alphabet
// (without padding) into out: one, two or three bytes, and says how many.
// Unused low bits of a short quantum are ignored, as encoding/base64 does
// outside strict mode.
func putQuantum(out, q []byte) int {
	v := uint32(b64Value[q[0]])<<18 | uint32(b64Value[q[1]])<<12
	switch len(q) {
	case 2:
		out[0] = byte(v >> 16)
		return 1
	case 3:
		v |= uint32(b64Value[q[2]]) << 6
		out[0], out[1] = byte(v>>16), byte(v>>8)
		return 2
	}
	v |= uint32(b64Value[q[2]])<<6 | uint32(b64Value[q[3]])
	out[0], out[1], out[2] = byte(v>>16), byte(v>>8), byte(v)
	return 3
}

// base64Size is what decodeBase64Body would return as len(out) and
// partial, found by counting characters instead of decoding them: the
// decoded size of a binary attachment whose bytes are not kept.
func base64Size(in []byte) (size int, partial bool) {
	n := 0 // characters of the stream in progress
	for {
		k := bytes.IndexByte(in, '=')
		if k < 0 {
			n += countBase64(in)
			break
		}
		n += countBase64(in[:k])
		if n%4 >= 2 {
			size += n * 6 / 8
			n = 0
		}
		in = in[k+1:]
	}
	if rem := n % 4; rem != 0 {
		partial = true
		if rem == 1 {
			n--
		}
	}
	return size + n*6/8, partial
}

// countBase64 counts the bytes of b that are base64 characters in either
// alphabet. b holds no '='.
func countBase64(b []byte) int {
	n := 0
	for len(b) >= 8 {
		n += int(b64Char[b[0]]) + int(b64Char[b[1]]) + int(b64Char[b[2]]) + int(b64Char[b[3]]) +
			int(b64Char[b[4]]) + int(b64Char[b[5]]) + int(b64Char[b[6]]) + int(b64Char[b[7]])
		b = b[8:]
	}
	for _, c := range b {
		n += int(b64Char[c])
	}
	return n
}

// decodeBase64Prefix decodes at least the first want bytes of a base64 body
// (all of it when it is shorter): exactly what decodeBase64Body returns,
// cut after want bytes. Decoding a prefix of the input gives a prefix of
// the output, since quanta never span a cut-off remainder.
func decodeBase64Prefix(in []byte, want int) []byte {
	// Four characters make three bytes; allow for line breaks and a little
	// noise, and grow when the guess was short.
	for l := want/3*4 + want/8 + 64; ; l *= 2 {
		if l >= len(in) {
			out, _ := decodeBase64Body(in)
			return out
		}
		out, _ := decodeBase64Body(in[:l])
		if len(out) >= want {
			return out[:want:want]
		}
	}
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

// b64Char is 1 for the characters of either base64 alphabet.
var b64Char = func() (t [256]byte) {
	for c, k := range b64Class {
		if k == b64Keep || k == b64Minus || k == b64Under {
			t[c] = 1
		}
	}
	return t
}()

// b64Value is the six-bit value of a standard-alphabet character, 0xff
// for any other byte.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
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
