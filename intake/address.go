package intake

import (
	"strings"
)

// address is one mailbox of an address field, decoded.
type address struct {
	name, addr string
}

// parseAddressList reads an address field leniently. Unlike net/mail it
// decodes encoded words inside quoted display names ("=?GBK?B?...?=" <a@b>,
// as Foxmail, Outlook, QQ Mail and Coremail write them), strips Outlook's
// single quotes, takes the comment of "addr (comment)" as the name, and
// when no address is found outside encoded words (From:
// =?unknown-8bit?q?=22x=22_=3Cx=40y=3E?=) decodes the whole value first.
func parseAddressList(v, hint string, d *defects) []address {
	out := parseAddressListRaw(v, hint, d)
	// An address is kept as written, but 8-bit bytes that are no UTF-8
	// (From:=?\x9a, found by FuzzParse) would reach SQLite and the pages as
	// invalid text: they become U+FFFD.
	for i := range out {
		out[i].addr = strings.ToValidUTF8(out[i].addr, "\uFFFD")
		out[i].name = strings.ToValidUTF8(out[i].name, "\uFFFD")
	}
	return out
}

func parseAddressListRaw(v, hint string, d *defects) []address {
	out := parseAddressItems(v, hint, d)
	for _, a := range out {
		if strings.Contains(a.addr, "@") && !strings.Contains(a.addr, "=?") {
			return out
		}
	}
	if strings.Contains(v, "=?") {
		dec := decodeHeaderText(v, hint, d)
		if alt := parseAddressItems(dec, hint, nil); len(alt) > 0 {
			for _, a := range alt {
				if strings.Contains(a.addr, "@") {
					return alt
				}
			}
		}
	}
	return out
}

func parseAddressItems(v, hint string, d *defects) []address {
	var out []address
	for _, item := range splitAddresses(v) {
		a, ok := parseMailbox(item, hint, d)
		if ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddresses splits at commas (and group semicolons) that are outside
// quotes, angle brackets, comments and encoded words; a group name
// ("undisclosed-recipients:") is dropped.
func splitAddresses(v string) []string {
	var items []string
	depth, angle := 0, false
	quote := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote:
			if c == '\\' {
				i++
			} else if c == '"' {
				quote = false
			}
		case c == '=' && i+1 < len(v) && v[i+1] == '?':
			if w, ok := parseWordAt(v, i); ok {
				i = w.end - 1
			}
		case c == '"':
			quote = true
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case angle:
		case c == ':':
			// Group syntax: "name: a, b;". Only when no '@' came before.
			if !strings.Contains(v[start:i], "@") && !strings.Contains(v[start:i], "<") {
				start = i + 1
			}
		case c == ',' || c == ';':
			items = append(items, v[start:i])
			start = i + 1
		}
	}
	items = append(items, v[start:])
	out := items[:0]
	for _, it := range items {
		if strings.TrimSpace(it) != "" {
			out = append(out, it)
		}
	}
	return out
}

// parseMailbox reads one "name <addr>", "addr (comment)" or bare address.
func parseMailbox(item, hint string, d *defects) (address, bool) {
	item = strings.TrimSpace(item)
	if item == "" {
		return address{}, false
	}
	// Find the last '<' outside quotes and comments.
	lt := -1
	quote, depth := false, 0
	for i := 0; i < len(item); i++ {
		c := item[i]
		switch {
		case quote:
			if c == '\\' {
				i++
			} else if c == '"' {
				quote = false
			}
		case c == '"':
			quote = true
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case c == '<' && depth == 0:
			lt = i
		}
	}
	var a address
	if lt >= 0 {
		rest := item[lt+1:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 {
			rest = rest[:gt]
		}
		a.addr = cleanAddr(rest, hint, d)
		display, comment := stripComments(item[:lt])
		a.name = displayName(display, hint, d)
		if a.name == "" {
			a.name = displayName(comment, hint, d)
		}
	} else {
		bare, comment := stripComments(item)
		if strings.Contains(bare, "=?") {
			// A whole mailbox inside an encoded word: the caller decodes
			// the value and parses again.
			a.addr = strings.TrimSpace(bare)
			return a, true
		}
		a.addr = cleanAddr(bare, hint, d)
		a.name = displayName(comment, hint, d)
	}
	return a, a.addr != "" || a.name != ""
}

// stripComments removes (comments) outside quotes and returns the rest and
// the text of the first comment.
func stripComments(s string) (rest, comment string) {
	if !strings.Contains(s, "(") {
		return s, ""
	}
	var b, cm strings.Builder
	quote, depth, n := false, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				quote = false
			}
		case depth == 0 && c == '"':
			quote = true
			b.WriteByte(c)
		case c == '(':
			depth++
			if depth > 1 && n == 0 {
				cm.WriteByte(c)
			}
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				n++
			} else if n == 0 {
				cm.WriteByte(c)
			}
		case depth > 0:
			if n == 0 {
				cm.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), cm.String()
}

// displayName unquotes and decodes a display name.
func displayName(s, hint string, d *defects) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.Contains(s, `"`) {
		var b strings.Builder
		for len(s) > 0 {
			q := strings.IndexByte(s, '"')
			if q < 0 {
				b.WriteString(s)
				break
			}
			b.WriteString(s[:q])
			var inner string
			inner, s = readQuoted(s[q+1:])
			b.WriteString(inner)
		}
		s = strings.TrimSpace(b.String())
	}
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	s = decodeHeaderText(s, hint, d)
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return strings.Join(strings.Fields(s), " ")
}

// cleanAddr trims an addr-spec. Case is kept as written (the local part is
// case-sensitive, and the label schema compares from_addr exactly); callers
// that match addresses lower-case them.
func cleanAddr(s, hint string, d *defects) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "=?") {
		s = decodeHeaderText(s, hint, d)
	} else if !isASCII([]byte(s)) {
		s = decodeRawHeader(s, hint, d)
	}
	s = strings.Trim(s, " \t\r\n<>\"'")
	if strings.ContainsAny(s, " \t") {
		s = strings.Join(strings.Fields(s), "")
	}
	if strings.HasPrefix(strings.ToLower(s), "mailto:") {
		s = s[7:]
	}
	return s
}
