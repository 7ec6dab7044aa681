package intake

import (
	"bytes"
	"strings"
)

// entity is one node of the MIME tree: a message, a part, or a message
// embedded in a message/rfc822 part.
type entity struct {
	hdr  header
	body []byte // transfer-encoded, as sent

	declared string      // Content-Type media type as declared ("" when absent)
	ct       mediaParams // effective Content-Type (text/plain when absent or unusable)
	cd       mediaParams // Content-Disposition

	children []*entity // multipart parts, in order
	message  *entity   // parsed message/rfc822 body
	msgDefs  *defects  // defects found inside message
	headers  bool      // text/rfc822-headers: hdr of the returned message, no body
}

func (e *entity) multipart() bool { return e.children != nil }

// parseEntity reads a header block and body, and recursively the parts of
// a multipart and the message of a message/rfc822 part. hint is the charset
// in force around this entity, for raw eight-bit parameter values.
func parseEntity(raw []byte, depth int, hint string, d *defects) *entity {
	e := &entity{}
	e.hdr, e.body = readHeader(raw, d)
	cts := e.hdr.all("Content-Type")
	ctRaw := ""
	if len(cts) > 0 {
		ctRaw = cts[0]
	}
	e.ct = parseParams(ctRaw, hint, d)
	e.declared = e.ct.typ
	if cs := e.ct.params["charset"]; cs != "" {
		hint = cs
	}
	if cd := e.hdr.get("Content-Disposition"); cd != "" {
		e.cd = parseParams(cd, hint, d)
	}
	if e.ct.typ == "" || !strings.Contains(e.ct.typ, "/") {
		e.ct.typ = "text/plain"
	}
	switch {
	case strings.HasPrefix(e.ct.typ, "multipart/"):
		if depth >= maxDepth {
			e.ct.typ = "application/octet-stream"
			return e
		}
		e.splitParts(cts, depth, hint, d)
	case e.ct.typ == "message/rfc822" || e.ct.typ == "message/global" || e.ct.typ == "message/rfc822-headers":
		// message/rfc822-headers is not a registered type; read it as the
		// message it claims to be, so a broken original shows up.
		if depth >= maxDepth {
			return e
		}
		inner := decodeBody(e, nil)
		e.msgDefs = &defects{}
		e.message = parseEntity(inner, depth+1, "", e.msgDefs)
	case e.ct.typ == "text/rfc822-headers":
		inner := decodeBody(e, nil)
		e.msgDefs = &defects{}
		m := &entity{headers: true}
		m.hdr, _ = readHeader(inner, e.msgDefs)
		m.ct = parseParams(m.hdr.get("Content-Type"), "", nil)
		m.declared = m.ct.typ
		e.message = m
	}
	return e
}

// splitParts splits a multipart body. When the declared boundary matches no
// delimiter it tries the boundaries of any other Content-Type field, then
// the first "--x" line that is followed by a header field; when nothing
// fits, the body is kept as plain text (boundary_mismatch).
func (e *entity) splitParts(cts []string, depth int, hint string, d *defects) {
	boundary := e.ct.params["boundary"]
	if e.ct.looseBoundary {
		d.add(DefectBoundaryMismatch)
	}
	parts, found, closed := splitMultipart(e.body, boundary)
	if !found {
		for _, other := range cts[min(1, len(cts)):] {
			mp := parseParams(other, hint, nil)
			if b := mp.params["boundary"]; b != "" && b != boundary {
				if p, f, c := splitMultipart(e.body, b); f {
					parts, found, closed, boundary = p, f, c, b
					break
				}
			}
		}
	}
	if !found {
		if b := guessBoundary(e.body); b != "" {
			parts, found, closed = splitMultipart(e.body, b)
			boundary = b
		}
	}
	if !found {
		if len(bytes.TrimSpace(e.body)) == 0 {
			d.add(DefectTruncated)
		} else {
			d.add(DefectBoundaryMismatch)
		}
		e.ct = mediaParams{typ: "text/plain", params: map[string]string{}}
		return
	}
	if boundary != e.ct.params["boundary"] {
		d.add(DefectBoundaryMismatch)
	}
	if !closed {
		d.add(DefectMissingCloseBoundary)
		if n := len(parts); n > 0 && len(bytes.TrimSpace(parts[n-1])) == 0 {
			parts = parts[:n-1]
		}
	}
	e.children = make([]*entity, 0, len(parts))
	for _, p := range parts {
		e.children = append(e.children, parseEntity(p, depth+1, hint, d))
	}
}

// splitMultipart cuts body at "--boundary" lines. found reports that at
// least one delimiter line exists, closed that the closing "--boundary--"
// was seen. The line break before a delimiter belongs to the delimiter.
func splitMultipart(body []byte, boundary string) (parts [][]byte, found, closed bool) {
	if boundary == "" {
		return nil, false, false
	}
	delim := make([]byte, 0, len(boundary)+2)
	delim = append(append(delim, "--"...), boundary...)
	in := false
	start := 0
	pos := 0
	for pos < len(body) {
		// Jump to the next candidate line quickly.
		k := bytes.Index(body[pos:], delim)
		if k < 0 {
			break
		}
		ls := pos + k
		if ls > 0 && body[ls-1] != '\n' {
			pos = ls + len(delim)
			continue
		}
		le := bytes.IndexByte(body[ls:], '\n')
		next := len(body)
		if le >= 0 {
			next = ls + le + 1
			le += ls
		} else {
			le = len(body)
		}
		rest := bytes.TrimRight(body[ls+len(delim):le], " \t\r")
		isClose := bytes.Equal(rest, []byte("--"))
		if len(rest) != 0 && !isClose {
			pos = next
			continue
		}
		found = true
		if in {
			end := ls
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		if isClose {
			return parts, true, true
		}
		in = true
		start = next
		pos = next
	}
	if in {
		parts = append(parts, body[start:])
	}
	return parts, found, false
}

// guessBoundary finds the first "--x" line directly followed by a
// Content-* header field and returns x.
func guessBoundary(body []byte) string {
	pos := 0
	for pos < len(body) {
		le := bytes.IndexByte(body[pos:], '\n')
		if le < 0 {
			return ""
		}
		line := bytes.TrimRight(body[pos:pos+le], " \t\r")
		next := pos + le + 1
		if len(line) > 2 && line[0] == '-' && line[1] == '-' {
			nl := body[next:]
			if e := bytes.IndexByte(nl, '\n'); e >= 0 {
				nl = nl[:e]
			}
			if len(nl) > 8 && bytes.EqualFold(nl[:8], []byte("content-")) {
				return string(line[2:])
			}
		}
		pos = next
	}
	return ""
}

// decodeBody undoes the Content-Transfer-Encoding. Unknown or empty
// encodings are taken as 8bit. A base64 body that stops inside a quantum
// is reported as truncated.
func decodeBody(e *entity, d *defects) []byte {
	out, _ := decodeBodyCut(e, d)
	return out
}

// decodeBodyCut is decodeBody that also says whether the data was cut off.
func decodeBodyCut(e *entity, d *defects) ([]byte, bool) {
	cte := transferEncoding(e)
	switch {
	case strings.HasPrefix(cte, "base64"):
		out, partial := decodeBase64Body(e.body)
		if partial {
			d.add(DefectTruncated)
		}
		return out, partial
	case strings.HasPrefix(cte, "quoted-printable"):
		return decodeQP(e.body), false
	}
	return e.body, false
}

// transferEncoding is the Content-Transfer-Encoding, trimmed and lower
// case.
func transferEncoding(e *entity) string {
	return strings.ToLower(strings.TrimSpace(e.hdr.get("Content-Transfer-Encoding")))
}

// isBase64 says whether decodeBody reads e's body as base64.
func isBase64(e *entity) bool {
	return strings.HasPrefix(transferEncoding(e), "base64")
}

// decodeQP decodes quoted-printable leniently: soft breaks with CRLF or LF,
// either-case hex, and a stray '=' kept as it is.
func decodeQP(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		switch {
		case i+2 < len(in) && isHex(in[i+1]) && isHex(in[i+2]):
			out = append(out, unhex(in[i+1])<<4|unhex(in[i+2]))
			i += 2
		case i+1 < len(in) && in[i+1] == '\n':
			i++
		case i+2 < len(in) && in[i+1] == '\r' && in[i+2] == '\n':
			i += 2
		default:
			// "=  \r\n": soft break with trailing white space.
			j := i + 1
			for j < len(in) && (in[j] == ' ' || in[j] == '\t') {
				j++
			}
			if j < len(in) && (in[j] == '\n' || in[j] == '\r') {
				if in[j] == '\r' && j+1 < len(in) && in[j+1] == '\n' {
					j++
				}
				i = j
				continue
			}
			if j >= len(in) {
				i = j
				continue
			}
			out = append(out, c)
		}
	}
	return out
}
