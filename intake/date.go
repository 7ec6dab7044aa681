package intake

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// beijing is the zone assumed for a date that names none: the bureau and
// nearly all its correspondents are in China.
var beijing = time.FixedZone("+0800", 8*3600)

// zoneAbbr maps the zone names mailers write instead of an offset. CST is
// China Standard Time here, not US Central.
var zoneAbbr = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"CST": 8 * 3600, "HKT": 8 * 3600, "SGT": 8 * 3600, "AWST": 8 * 3600, "BJT": 8 * 3600,
	"JST": 9 * 3600, "KST": 9 * 3600,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"CET": 3600, "CEST": 2 * 3600, "BST": 3600, "MSK": 3 * 3600, "IST": 5*3600 + 1800,
}

var (
	reNumericZone = regexp.MustCompile(`[+-]\d{4}\b`)
	reColonZone   = regexp.MustCompile(`([+-])(\d{2}):(\d{2})\s*$`)
	reGMTOffset   = regexp.MustCompile(`(?i)\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b`)
	reComment     = regexp.MustCompile(`\([^)]*\)`)
	reDateSpaces  = regexp.MustCompile(`\s+`)
	reTrailAbbr   = regexp.MustCompile(`\b([A-Z]{1,5})\s*$`)
)

// dateLayouts are tried after net/mail.ParseDate, on the cleaned string.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon,2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Monday, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 -0700",
	"Mon, Jan 2 2006 15:04:05 -0700",
	"Mon Jan 2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02T15:04:05-0700",
	"2006/01/02 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006/01/02 15:04:05",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15:04",
}

// parseDate reads a Date field and keeps the sender's offset. It takes what
// net/mail accepts, then repairs common breakage: "+08:00" and "GMT+8"
// offsets, zone names (CST = +0800), a missing space after the comma,
// ISO dates, asctime. A date with no zone at all is read as Beijing time.
// It returns the zero time when nothing fits.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, ok := parseDateQuick(s); ok {
		return t
	}
	return parseDateSlow(s)
}

// parseDateSlow is parseDate for a trimmed, non-empty s, without the
// quick path.
func parseDateSlow(s string) time.Time {
	if !reGMTOffset.MatchString(s) { // net/mail misreads "GMT+8"
		if t, err := mail.ParseDate(s); err == nil {
			if !reNumericZone.MatchString(s) {
				return fixAbbr(t, s)
			}
			return t
		}
	}
	c := reComment.ReplaceAllString(s, " ")
	c = strings.TrimSpace(reDateSpaces.ReplaceAllString(c, " "))
	if m := reGMTOffset.FindStringSubmatch(c); m != nil {
		h := m[2]
		if len(h) == 1 {
			h = "0" + h
		}
		mm := m[3]
		if mm == "" {
			mm = "00"
		}
		c = strings.TrimSpace(reGMTOffset.ReplaceAllString(c, m[1]+h+mm))
	}
	c = reColonZone.ReplaceAllString(c, "$1$2$3")
	if t, err := mail.ParseDate(c); err == nil {
		if !reNumericZone.MatchString(c) {
			return fixAbbr(t, c)
		}
		return t
	}
	zone := beijing
	if m := reTrailAbbr.FindStringSubmatch(c); m != nil {
		if off, ok := zoneAbbr[m[1]]; ok {
			zone = time.FixedZone(m[1], off)
			c = strings.TrimSpace(c[:len(c)-len(m[0])])
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, c); err == nil {
			if strings.Contains(l, "-0700") {
				return t
			}
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, zone)
		}
	}
	return time.Time{}
}

// parseDateQuick reads the one shape nearly every mailer writes, "Mon, 2
// Jan 2006 15:04:05 -0700" with or without the day of the week, exactly as
// parseDate's first step would: net/mail.ParseDate takes the first of its
// layouts that fits, which for this shape is this very layout, and a
// numeric zone keeps its offset. ok is false for anything else (parseDate
// then goes the long way).
func parseDateQuick(s string) (t time.Time, ok bool) {
	const layout = "Mon, 2 Jan 2006 15:04:05 -0700"
	l, rest := layout, s
	if len(rest) > 5 && rest[3] == ',' && rest[4] == ' ' && isLetters(rest[:3]) {
		rest = rest[5:]
	} else {
		l = layout[5:]
	}
	// D[D] Jan 2006 15:04:05 +0800
	day := 1
	if len(rest) > 1 && isDigits(rest[1:2]) {
		day = 2
	}
	if len(rest) != day+24 || !isDigits(rest[:day]) {
		return time.Time{}, false
	}
	r := rest[day:]
	if r[0] != ' ' || !isLetters(r[1:4]) || r[4] != ' ' || !isDigits(r[5:9]) || r[9] != ' ' ||
		!isDigits(r[10:12]) || r[12] != ':' || !isDigits(r[13:15]) || r[15] != ':' || !isDigits(r[16:18]) ||
		r[18] != ' ' || (r[19] != '+' && r[19] != '-') || !isDigits(r[20:24]) {
		return time.Time{}, false
	}
	t, err := time.Parse(l, s)
	return t, err == nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// fixAbbr gives a date parsed with a zone name the offset that name means.
func fixAbbr(t time.Time, s string) time.Time {
	name, off := t.Zone()
	if real, ok := zoneAbbr[strings.ToUpper(name)]; ok && real != off {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, real))
	}
	return t
}
