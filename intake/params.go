package intake

import (
	"sort"
	"strconv"
	"strings"
)

// mediaParams is a parsed Content-Type or Content-Disposition value.
type mediaParams struct {
	typ    string            // "text/plain", "attachment"; lower case
	params map[string]string // keys lower case; RFC 2231 pieces joined and decoded
	// looseBoundary: the boundary was an unquoted token holding a
	// tspecial ('=' in Outlook Express boundaries); a strict reader cuts
	// it short and finds no parts.
	looseBoundary bool
}

// param piece of an RFC 2231 parameter ("filename*1*=...").
type piece struct {
	val     string
	encoded bool
}

const tspecials = `()<>@,;:\"/[]?=`

// parseParams parses "type/subtype; a=b; c*=utf-8'zh'x" leniently: unquoted
// values run to the next ';' whatever they contain, an unclosed quote runs
// to the end, RFC 2231 continuations are joined as bytes before charset
// decoding (so a UTF-8 character split across filename*0*/filename*1*
// survives), and name/filename values have RFC 2047 words and raw eight-bit
// bytes decoded. When both filename and filename* are given, filename* wins.
func parseParams(s, hint string, d *defects) mediaParams {
	mp := mediaParams{params: map[string]string{}}
	semi := strings.IndexByte(s, ';')
	if semi < 0 {
		mp.typ = strings.ToLower(strings.TrimSpace(s))
		return mp
	}
	mp.typ = strings.ToLower(strings.TrimSpace(s[:semi]))
	rest := s[semi+1:]
	var ext map[string]map[int]piece
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			// A bare word: skip it.
			if eq < 0 {
				break
			}
			rest = rest[eq+1:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		var val string
		quoted := false
		if strings.HasPrefix(rest, `"`) {
			quoted = true
			val, rest = readQuoted(rest[1:])
		} else {
			end := strings.IndexByte(rest, ';')
			if end < 0 {
				end = len(rest)
			}
			val = strings.TrimSpace(rest[:end])
			rest = rest[end:]
		}
		if key == "" {
			continue
		}
		if !quoted && key == "boundary" && strings.ContainsAny(val, tspecials) {
			mp.looseBoundary = true
		}
		if star := strings.IndexByte(key, '*'); star >= 0 {
			name := key[:star]
			suffix := key[star+1:]
			p := piece{val: val}
			idx := 0
			if strings.HasSuffix(suffix, "*") {
				p.encoded = true
				suffix = strings.TrimSuffix(suffix, "*")
			}
			if suffix == "" {
				p.encoded = true
			} else if n, err := strconv.Atoi(suffix); err == nil && n >= 0 && n < 1000 {
				idx = n
			} else {
				continue
			}
			if ext == nil {
				ext = map[string]map[int]piece{}
			}
			if ext[name] == nil {
				ext[name] = map[int]piece{}
			}
			ext[name][idx] = p
			continue
		}
		if _, dup := mp.params[key]; !dup {
			mp.params[key] = val
		}
	}
	for name, v := range mp.params {
		if name == "name" || name == "filename" {
			mp.params[name] = decodeParamText(v, hint, d)
		}
	}
	for name, pieces := range ext {
		// RFC 2231 wins over the plain spelling (dev/003).
		mp.params[name] = joinRFC2231(pieces, hint, d)
	}
	return mp
}

// readQuoted reads a quoted-string body (after the opening quote) and
// returns its value and the rest after the closing quote.
func readQuoted(s string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// decodeParamText decodes a plain name/filename value: raw eight-bit bytes
// (raw_8bit_filename) and RFC 2047 words inside quotes (dev/002), which
// RFC 2047 forbids but every Chinese client writes.
func decodeParamText(v, hint string, d *defects) string {
	if !isASCII([]byte(v)) {
		d.add(DefectRaw8bitFilename)
		v = decodeRaw8bit([]byte(v), hint)
	}
	v = decodeWords(v, d, func(x string) string { return x })
	return strings.TrimSpace(v)
}

// joinRFC2231 joins the pieces of an RFC 2231 parameter in index order,
// percent-decoding the encoded ones, and converts the bytes from the charset
// named in the first piece.
func joinRFC2231(pieces map[int]piece, hint string, d *defects) string {
	idx := make([]int, 0, len(pieces))
	for i := range pieces {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var buf []byte
	charset := ""
	for n, i := range idx {
		p := pieces[i]
		v := p.val
		if p.encoded {
			if n == 0 {
				if a := strings.IndexByte(v, '\''); a >= 0 {
					if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
						charset = v[:a]
						v = v[a+1+b+1:]
					}
				}
			}
			buf = append(buf, percentDecode(v)...)
		} else {
			buf = append(buf, v...)
		}
	}
	if charset == "" {
		if !isASCII(buf) {
			d.add(DefectRaw8bitFilename)
			return strings.TrimSpace(decodeRaw8bit(buf, hint))
		}
		return strings.TrimSpace(decodeWords(string(buf), d, func(x string) string { return x }))
	}
	t, mis := DecodeCharset(charset, buf)
	if mis {
		d.add(DefectCharsetMislabel)
	}
	return strings.TrimSpace(t)
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}
