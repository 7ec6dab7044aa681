package intake

import (
	"bufio"
	"bytes"
	"net/textproto"
	"sync"

	mtextproto "github.com/emersion/go-message/textproto"
)

// field is one header field: canonical key and unfolded raw value (bytes as
// sent, encoded words still encoded).
type field struct {
	key, value string
}

// header is a header block in field order.
type header []field

// get returns the first value of key (canonical form).
func (h header) get(key string) string {
	for _, f := range h {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

// all returns every value of key.
func (h header) all(key string) []string {
	var out []string
	for _, f := range h {
		if f.key == key {
			out = append(out, f.value)
		}
	}
	return out
}

// readHeader splits raw into its header block and body. It first asks
// go-message's strict reader; when that refuses the block it falls back to
// readHeaderLenient, which skips lines that are not fields and reports
// bad_header_line. An mbox "From " line before the first field is dropped
// silently: it is an artefact of storage, not of the sender.
func readHeader(raw []byte, d *defects) (header, []byte) {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		} else {
			return nil, nil
		}
	}
	if len(raw) > 0 && (raw[0] == '\n' || (raw[0] == '\r' && len(raw) > 1 && raw[1] == '\n')) {
		// Empty header block.
		return nil, raw[bytes.IndexByte(raw, '\n')+1:]
	}
	br := bytes.NewReader(raw)
	r := headerReaders.Get().(*bufio.Reader)
	r.Reset(br)
	h, err := mtextproto.ReadHeader(r)
	off := len(raw) - br.Len() - r.Buffered()
	var out header
	if err == nil {
		out = make(header, 0, h.Len())
		fs := h.Fields()
		for fs.Next() {
			out = append(out, field{key: fs.Key(), value: fs.Value()})
		}
	}
	// Keys and values are strings of their own: nothing refers to the
	// reader's buffer any more.
	r.Reset(nil)
	headerReaders.Put(r)
	if err == nil {
		return out, raw[off:]
	}
	return readHeaderLenient(raw, d)
}

// headerReaders holds the readers readHeader hands go-message, so that an
// entity costs no 4 KB buffer.
var headerReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// readHeaderLenient reads a header block line by line. A line that is not
// "Name: value" and not a continuation is skipped with bad_header_line;
// when the very first line is not a field at all, the entity has no
// header block and everything is body.
func readHeaderLenient(raw []byte, d *defects) (header, []byte) {
	var h header
	pos := 0
	first := true
	for pos < len(raw) {
		end := bytes.IndexByte(raw[pos:], '\n')
		var line []byte
		next := len(raw)
		if end >= 0 {
			line = raw[pos : pos+end]
			next = pos + end + 1
		} else {
			line = raw[pos:]
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			return h, raw[next:]
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if len(h) > 0 {
				h[len(h)-1].value += " " + string(bytes.TrimSpace(line))
			} else {
				d.add(DefectBadHeaderLine)
			}
		default:
			key, val, ok := splitField(line)
			if !ok {
				if first {
					return nil, raw
				}
				d.add(DefectBadHeaderLine)
				if !fieldFollows(raw[next:]) {
					// The blank line before the body is missing: the
					// body starts here.
					return h, raw[pos:]
				}
				break
			}
			h = append(h, field{key: key, value: val})
		}
		first = false
		pos = next
	}
	return h, nil
}

// splitField splits "Name: value". The name must be printable ASCII
// without spaces (a space before the colon is tolerated).
func splitField(line []byte) (key, val string, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", "", false
	}
	k := bytes.TrimRight(line[:i], " \t")
	if len(k) == 0 {
		return "", "", false
	}
	for _, c := range k {
		if c <= ' ' || c >= 0x7f {
			return "", "", false
		}
	}
	return textproto.CanonicalMIMEHeaderKey(string(k)), string(bytes.TrimSpace(line[i+1:])), true
}

// fieldFollows says whether a header field comes before the next blank line.
func fieldFollows(raw []byte) bool {
	for len(raw) > 0 {
		end := bytes.IndexByte(raw, '\n')
		line := raw
		if end >= 0 {
			line, raw = raw[:end], raw[end+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			return false
		}
		if _, _, ok := splitField(line); ok && line[0] != ' ' && line[0] != '\t' {
			return true
		}
	}
	return false
}
