package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// kv is one "label：value" found in a text, in any order, with full- or
// half-width colons, a tab (HTML tables) or, at the start of a line, spaces.
type kv struct {
	field string
	prio  int
	label string // as written
	value text   // raw value, trimmed
	line  int
	empty bool // the label is there but the value is empty or a placeholder ("（未填写）")
}

// placeholders are values that mean "not filled in".
var placeholders = map[string]bool{
	"无": true, "暂无": true, "未填写": true, "未填": true, "空": true, "不详": true, "略": true,
	"-": true, "--": true, "/": true, "—": true, "——": true, "n/a": true, "none": true, "null": true,
	"（未填写）": true, "(未填写)": true, "（无）": true, "(无)": true, "（空）": true, "未提供": true, "不提供": true,
}

// listMarker reports the length of a list marker at the start of s ("1.", "（一）",
// "一、", "-", "•"), 0 when there is none.
func listMarker(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	rest := s[i:]
	// Most lines start with none of the characters a marker starts with:
	// a bullet, an opening bracket, a digit or Chinese numeral, ① to ⑳.
	if !markerStart(rest) {
		return 0
	}
	return markerAt(rest, i)
}

// markerAt reads the list marker at the start of rest, which follows i
// bytes of indentation, and returns i plus its length (0 when there is
// none), without listMarker's quick check.
func markerAt(rest string, i int) int {
	for _, b := range []string{"·", "•", "●", "■", "◆", "○", "- ", "* ", "> "} {
		if strings.HasPrefix(rest, b) {
			return i + len(b)
		}
	}
	// (1) （一） 1. 1、 1) 一、 ① …
	j := 0
	open := false
	if strings.HasPrefix(rest, "（") {
		j, open = len("（"), true
	} else if strings.HasPrefix(rest, "(") {
		j, open = 1, true
	}
	k := j
	for k < len(rest) {
		r, n := utf8.DecodeRuneInString(rest[k:])
		if (r >= '0' && r <= '9') || strings.ContainsRune("一二三四五六七八九十", r) {
			k += n
			continue
		}
		break
	}
	if k == j {
		r, n := utf8.DecodeRuneInString(rest)
		if r >= '①' && r <= '⑳' {
			return i + n
		}
		return 0
	}
	for _, close := range []string{"）", ")", "、", ".", "．", "：", ":"} {
		if strings.HasPrefix(rest[k:], close) {
			if open && close != "）" && close != ")" {
				return 0
			}
			if !open && (close == "）" || close == ")") && !(rest[j] >= '0' && rest[j] <= '9') {
				return 0
			}
			if close == "." && k+1 < len(rest) && rest[k+1] >= '0' && rest[k+1] <= '9' {
				return 0 // 2.5 is a number, not a marker
			}
			if (close == "：" || close == ":") && !open {
				return 0
			}
			return i + k + len(close)
		}
	}
	return 0
}

// markerStart reports whether s starts with a character that can begin a
// list marker (see listMarker; listMarkerRef in speed_test.go is listMarker
// without this check, and FuzzListMarker compares the two).
func markerStart(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf {
		return c == '-' || c == '*' || c == '>' || c == '(' || c >= '0' && c <= '9'
	}
	r, _ := decodeRune(s)
	switch r {
	case '·', '•', '●', '■', '◆', '○', '（', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十':
		return true
	}
	return r >= '①' && r <= '⑳'
}

var possessives = []string{"我的", "本人的", "本人", "申请人的", "我", "其"}

// matchLabel tries the labels at m[pos:]; it returns the label and the end of the
// label (after "/"-joined alternatives like "微信/手机").
func (r *rules) matchLabel(m string, pos int) (label, int, bool) {
	for _, lb := range r.labelsAt(m[pos:]) {
		if strings.HasPrefix(m[pos:], lb.text) {
			end := pos + len(lb.text)
			for {
				rest := m[end:]
				if !(strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "、")) {
					break
				}
				sep := 1
				if strings.HasPrefix(rest, "、") {
					sep = len("、")
				}
				found := false
				for _, lb2 := range r.labelsAt(rest[sep:]) {
					if strings.HasPrefix(rest[sep:], lb2.text) {
						end += sep + len(lb2.text)
						found = true
						break
					}
				}
				if !found {
					break
				}
			}
			return lb, end, true
		}
	}
	return label{}, 0, false
}

// labelsAt returns the labels (longest first) that start with the first
// character of s: the only ones that can be a prefix of s.
func (r *rules) labelsAt(s string) []label {
	c, _ := utf8.DecodeRuneInString(s)
	return r.labelsBy[c]
}

// isSep reports whether a label may start right after r.
func isSep(r rune) bool {
	switch r {
	case '，', ',', '；', ';', '。', ' ', '\t', '、', '|', '｜', '】', ']':
		return true
	}
	return false
}

// scanForm finds the form fields of a text.
func (r *rules) scanForm(lines []text) []kv {
	var out []kv
	type hit struct {
		segStart, valStart int
		lb                 label
		labelW             string
		colon              bool
	}
	var hits []hit // one line's, reused
	for li, ln := range lines {
		m := ln.m
		lead := listMarker(m)
		for lead < len(m) && (m[lead] == ' ' || m[lead] == '\t') {
			lead++
		}
		hits = hits[:0]
		// sep: whether the character before pos is a separator, when known
		// (the loop mostly steps one character at a time).
		sep, sepKnown := false, false
		step := func(pos int) int {
			r, n := decodeRune(m[pos:])
			sep, sepKnown = isSep(r), true
			return pos + n
		}
		for pos := lead; pos < len(m); {
			atStart := pos == lead
			if !atStart {
				if !sepKnown {
					prev, _ := utf8.DecodeLastRuneInString(m[:pos])
					sep = isSep(prev)
				}
				if !sep {
					pos = step(pos)
					continue
				}
			}
			p := pos
			lb, end, ok := r.matchLabel(m, p)
			if !ok {
				for _, pre := range possessives {
					if strings.HasPrefix(m[pos:], pre) {
						if lb, end, ok = r.matchLabel(m, pos+len(pre)); ok {
							p = pos + len(pre)
							break
						}
					}
				}
			}
			if !ok {
				pos = step(pos)
				continue
			}
			q := end
			for q < len(m) && (m[q] == ' ' || m[q] == '\t') {
				q++
			}
			spaced := q > end
			tabbed := strings.Contains(m[end:q], "\t")
			var h hit
			switch {
			case strings.HasPrefix(m[q:], "："):
				h = hit{segStart: pos, valStart: q + len("："), lb: lb, colon: true}
			case strings.HasPrefix(m[q:], ":"):
				h = hit{segStart: pos, valStart: q + 1, lb: lb, colon: true}
			case (atStart || tabbed) && (spaced || q == len(m)):
				h = hit{segStart: pos, valStart: q, lb: lb}
			case !spaced && q < len(m) && directValue(lb.field, m[q:]):
				h = hit{segStart: pos, valStart: q, lb: lb}
			default:
				pos = step(pos)
				continue
			}
			h.labelW = ln.w[p:end]
			hits = append(hits, h)
			pos, sepKnown = h.valStart, false
		}
		for i, h := range hits {
			end := len(m)
			if i+1 < len(hits) {
				end = hits[i+1].segStart
			}
			v := ln.sub(h.valStart, end).trim()
			// A value never runs on into the next label's separator.
			for _, s := range []string{"，", ",", "；", ";", "、", "|", "｜"} {
				if strings.HasSuffix(v.w, s) {
					v = v.sub(0, len(v.w)-len(s)).trim()
				}
			}
			k := kv{field: h.lb.field, prio: h.lb.prio, label: h.labelW, value: v, line: li}
			if v.w == "" || placeholders[strings.ToLower(trimPunct(v.w))] {
				k.empty = true
			}
			out = append(out, k)
		}
	}
	return out
}

// directValue reports whether a label written without a colon is followed
// directly by its value ("电话13703795108", "住址洛阳市…").
func directValue(field, rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	switch field {
	case "id_number", "phone", "credit_code":
		return unicode.IsDigit(r) || r == '+'
	case "address":
		return isHan(r) && looksLikeAddress(cutAt(rest, "，,。；;\n"))
	}
	return false
}

// addressMarks are the characters of a Chinese postal address.
const addressMarks = "省市区县镇乡村路街道巷弄号院楼室幢栋单元组屯里"

// looksLikeAddress reports whether s reads like a postal address.
func looksLikeAddress(s string) bool {
	s = strings.TrimSpace(s)
	n := runeLen(s)
	if n < 4 || n > 60 {
		return false
	}
	marks := 0
	for _, r := range s {
		if strings.ContainsRune(addressMarks, r) {
			marks++
		}
	}
	return marks >= 2
}

// formValue returns the best filled-in value for field (lowest prio, then first),
// and whether the field is present at all (even as a placeholder).
func formValue(kvs []kv, field string) (kv, bool) {
	best, present, found := kv{}, false, false
	for _, k := range kvs {
		if k.field != field {
			continue
		}
		present = true
		if k.empty {
			continue
		}
		if !found || k.prio < best.prio {
			best, found = k, true
		}
	}
	return best, present
}

// formValues returns all filled-in values for field in order of priority.
// It is one pass and a stable insertion sort (a form has a handful of
// values) where it was one pass per priority; formValuesRef in speed_test.go
// is the original, and FuzzFormValues compares the two.
func formValues(kvs []kv, field string) []kv {
	var out []kv
	for _, k := range kvs {
		if k.field == field && !k.empty && k.prio >= 0 && k.prio < 64 {
			out = append(out, k)
			for i := len(out) - 1; i > 0 && out[i-1].prio > out[i].prio; i-- {
				out[i-1], out[i] = out[i], out[i-1]
			}
		}
	}
	return out
}
