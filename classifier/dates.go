package classifier

import "regexp"

// hand holds hand-written recognisers for rules the engine runs often: each
// appends, shifted by off, exactly the spans re.FindAllStringIndex(s, -1)
// would give (FuzzRuns and FuzzDates compare them with the engine).
var hand = map[*regexp.Regexp]func(out [][]int, s string, off int) [][]int{
	reDate: appendDates,
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitsAt reports whether s[i:i+n] is n ASCII digits.
func digitsAt(s string, i, n int) bool {
	if i < 0 || i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// dateSep returns the width of the separator at s[i] ("-", "/", "." or the
// rune wide, which is 年 or 月), or 0 when there is none.
func dateSep(s string, i int, wide string) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] {
	case '-', '/', '.':
		return 1
	}
	if len(s)-i >= len(wide) && s[i:i+len(wide)] == wide {
		return len(wide)
	}
	return 0
}

// dateAt returns the end of reDate's leftmost-first match starting at i, or
// -1. The rule is
//
//	\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?
//
// Everything after the day's first digit is optional, so each greedy choice
// there is final; the month's two-digit reading is taken when the separator
// and a day digit follow it, else the one-digit reading (only one of the two
// can be followed by a separator).
func dateAt(s string, i int) int {
	if !digitsAt(s, i, 4) {
		return -1
	}
	j := i + 4
	w := dateSep(s, j, "年")
	if w == 0 {
		return -1
	}
	j += w
	if !digitsAt(s, j, 1) {
		return -1
	}
	found := false
	for _, n := range []int{2, 1} { // the month, greedy first
		if !digitsAt(s, j, n) {
			continue
		}
		if w := dateSep(s, j+n, "月"); w > 0 && digitsAt(s, j+n+w, 1) {
			j += n + w
			found = true
			break
		}
	}
	if !found {
		return -1
	}
	// The day.
	j++
	if digitsAt(s, j, 1) {
		j++
	}
	if len(s)-j >= len("日") && s[j:j+len("日")] == "日" {
		j += len("日")
	}
	// The optional time: [ T]\d{1,2}:\d{2}(?::\d{2})?
	if j < len(s) && (s[j] == ' ' || s[j] == 'T') {
		for _, n := range []int{2, 1} {
			k := j + 1 + n
			if digitsAt(s, j+1, n) && k < len(s) && s[k] == ':' && digitsAt(s, k+1, 2) {
				j = k + 3
				if j < len(s) && s[j] == ':' && digitsAt(s, j+1, 2) {
					j += 3
				}
				break
			}
		}
	}
	return j
}

// appendDates is reDate.FindAllStringIndex(s, -1), each span shifted by off
// and appended to out. The spans share one backing array (capacity-capped,
// so an append to one cannot overwrite the next).
func appendDates(out [][]int, s string, off int) [][]int {
	var flat []int
	for i := 0; i+4 <= len(s); {
		d := nextDigit(s, i)
		if d < 0 || d+4 > len(s) {
			break
		}
		e := dateAt(s, d)
		if e < 0 {
			i = d + 1
			continue
		}
		if len(flat) == cap(flat) {
			flat = make([]int, 0, 16)
		}
		k := len(flat)
		flat = append(flat, off+d, off+e)
		out = append(out, flat[k:k+2:k+2])
		i = e
	}
	return out
}
