package gongkai

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// NormalizeDigits converts full-width digits and letters to ASCII and drops
// spaces and dashes inside an identifier, so "４１０３ 0319…x" reads as "41030319…X".
func NormalizeDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		case r >= 'Ａ' && r <= 'Ｚ':
			r = r - 'Ａ' + 'A'
		case r >= 'ａ' && r <= 'ｚ':
			r = r - 'ａ' + 'a'
		}
		if unicode.IsSpace(r) || r == '-' || r == '\u3000' {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IDCheck is the result of checking a 居民身份证 (or 居住证) number.
type IDCheck struct {
	Number   string // normalised
	Valid    bool
	Problem  string // why it is invalid, in Chinese; "" when valid
	Warnings []string
}

// CheckIDNumber validates an 18-character number under GB 11643 (RULES.md §6.3):
// check digit, a real birth date not in the future, a plausible province code.
// A 15-digit first-generation number is reported invalid with an explanation.
// now is the reference for "not in the future".
func CheckIDNumber(s string, now time.Time) IDCheck {
	n := NormalizeDigits(s)
	c := IDCheck{Number: n}
	if IsOldIDNumber(n) {
		c.Problem = "这是旧式15位身份证号码，请提供18位号码"
		return c
	}
	if len(n) != 18 {
		c.Problem = "身份证号码应为18位"
		return c
	}
	if !allDigits(n[:17]) || !(isDigit(n[17]) || n[17] == 'X') {
		c.Problem = "身份证号码前17位应为数字，最后一位为数字或X"
		return c
	}
	y, m, d := atoi(n[6:10]), atoi(n[10:12]), atoi(n[12:14])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || birth.Year() != y || int(birth.Month()) != m || birth.Day() != d {
		c.Problem = "身份证号码中的出生日期不存在"
		return c
	}
	if !now.IsZero() && birth.After(now) {
		c.Problem = "身份证号码中的出生日期晚于今天"
		return c
	}
	if n[17] != IDCheckDigit(n[:17]) {
		c.Problem = "身份证号码校验位不正确"
		return c
	}
	if y < 1900 {
		c.Warnings = append(c.Warnings, "出生日期早于1900年，请核对")
	}
	if !knownProvince(n[:2]) {
		c.Warnings = append(c.Warnings, "地址码不常见，请核对")
	}
	c.Valid = true
	return c
}

// IDCheckDigit computes the GB 11643 check character of the first 17 digits.
func IDCheckDigit(first17 string) byte {
	s := 0
	for i := 0; i < 17; i++ {
		s += int(first17[i]-'0') * idWeights[i]
	}
	return "10X98765432"[s%11]
}

// IsOldIDNumber reports whether s is a first-generation 15-digit 身份证
// number (no check digit; CheckIDNumber calls it invalid, as the corpus
// labels do, but an application with one is accepted, RULES.md §6.3).
func IsOldIDNumber(s string) bool {
	n := NormalizeDigits(s)
	return len(n) == 15 && allDigits(n)
}

// ValidIDNumber reports whether s is a valid 18-character GB 11643 number.
func ValidIDNumber(s string) bool { return CheckIDNumber(s, time.Now()).Valid }

func knownProvince(p string) bool {
	v := atoi(p)
	switch {
	case v >= 11 && v <= 15, v >= 21 && v <= 23, v >= 31 && v <= 37, v >= 41 && v <= 46,
		v >= 50 && v <= 54, v >= 61 && v <= 65, v == 71, v == 81, v == 82, v == 83:
		return true
	}
	return false
}

// creditCharset is GB 32100's 31 symbols, valued 0–30 in this order.
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCheck is the result of checking a 统一社会信用代码.
type CreditCheck struct {
	Code     string // normalised
	Valid    bool
	Problem  string
	Warnings []string
}

// CheckCreditCode validates a 统一社会信用代码 under GB 32100 (RULES.md §6.3),
// with the GB 11714 organisation-code check on positions 9–17 as a warning.
func CheckCreditCode(s string) CreditCheck {
	n := NormalizeDigits(s)
	c := CreditCheck{Code: n}
	if len(n) != 18 {
		c.Problem = "统一社会信用代码应为18位"
		return c
	}
	sum := 0
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditCharset, n[i]) < 0 {
			c.Problem = "统一社会信用代码含有不允许的字符（不使用I、O、S、V、Z）"
			return c
		}
		if i < 17 {
			sum += strings.IndexByte(creditCharset, n[i]) * creditWeights[i]
		}
	}
	if creditCharset[(31-sum%31)%31] != n[17] {
		c.Problem = "统一社会信用代码校验位不正确"
		return c
	}
	if !orgCodeOK(n[8:17]) {
		c.Warnings = append(c.Warnings, "组织机构代码部分校验不符，请核对")
	}
	c.Valid = true
	return c
}

// ValidCreditCode reports whether s is a valid 统一社会信用代码.
func ValidCreditCode(s string) bool { return CheckCreditCode(s).Valid }

// orgCodeOK checks the GB 11714 organisation code (8 symbols + check).
func orgCodeOK(code string) bool {
	w := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := 0; i < 8; i++ {
		ch := code[i]
		var v int
		switch {
		case isDigit(ch):
			v = int(ch - '0')
		case ch >= 'A' && ch <= 'Z':
			v = int(ch-'A') + 10
		default:
			return false
		}
		s += v * w[i]
	}
	c := 11 - s%11
	var want byte
	switch c {
	case 10:
		want = 'X'
	case 11:
		want = '0'
	default:
		want = byte('0' + c)
	}
	return code[8] == want
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// IDTypes are the identity documents a natural person may use (RULES.md §6.2).
var IDTypes = []string{"居民身份证", "港澳居民居住证", "台湾居民居住证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "护照", "外国人永久居留身份证"}

// IDTypeHasCheckDigit reports whether numbers of this document type carry the
// GB 11643 check digit (身份证 and both 居住证).
func IDTypeHasCheckDigit(t string) bool {
	return t == "居民身份证" || t == "港澳居民居住证" || t == "台湾居民居住证"
}

// CheckPermanentResidenceNumber checks the number of a 外国人永久居留身份证
// (RULES.md §6.2 asks only for the format of documents other than 身份证 and
// 居住证). Two formats are in use side by side: the 15 characters of the
// cards issued before 1 December 2023 (3 letters for the nationality and 12
// digits, no check character: the shape is all there is to check), and the
// 18 characters of the 2023 card ("9", 16 digits and a check character
// computed as for a 身份证, GB 11643 MOD 11-2). It returns the normalised
// number and why it is refused, "" when it is accepted.
func CheckPermanentResidenceNumber(s string) (number, problem string) {
	n := NormalizeDigits(s)
	switch {
	case len(n) == 15 && upperLetters(n[:3]) && allDigits(n[3:]):
		return n, ""
	case len(n) == 18 && n[0] == '9' && allDigits(n[:17]) && (isDigit(n[17]) || n[17] == 'X'):
		if n[17] != IDCheckDigit(n[:17]) {
			return n, "外国人永久居留身份证号码校验位不正确"
		}
		return n, ""
	}
	return n, "外国人永久居留身份证号码应为18位（以9开头），旧版为15位（3个英文字母加12位数字）"
}

// permanentResidenceNames are what people call the 外国人永久居留身份证.
var permanentResidenceNames = []string{"永久居留", "永居", "绿卡"}

// LastPermanentResidenceName is the byte index in s of the last name of the
// 外国人永久居留身份证 (永久居留…, 永居证, 绿卡), -1 when s names none.
func LastPermanentResidenceName(s string) int {
	at := -1
	for _, n := range permanentResidenceNames {
		at = max(at, strings.LastIndex(s, n))
	}
	return at
}

func upperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// MaskID shows the first 3 and last 2 characters of an identifier.
func MaskID(s string) string {
	r := []rune(s)
	if len(r) <= 5 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-5) + string(r[len(r)-2:])
}

// rePersonal finds ID numbers (18 or 15 digits, the last may be X; spaces
// between the groups allowed; the older 外国人永久居留身份证's 3 letters and
// 12 digits) and phone numbers (mobile, with +86 / 0086 and spaces or
// hyphens; or a landline with its area code, maybe in brackets, and
// extension) in free text. The ID forms come first: a mobile-like start of
// an ID number is the ID.
var rePersonal = regexp.MustCompile(`\d{6} ?\d{8} ?\d{3}[\dXx]|\d{15}|[A-Za-z]{3}\d{12}|(?:(?:\+|00)?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}|(?:0\d{2,3}[- ]?|[(（] ?0\d{2,3} ?[)）] ?)\d{3,4}[- ]?\d{4}(?:-\d{1,6})?`)

// MaskPersonal masks the ID numbers and phone numbers in a text written
// about an applicant (the classifier's evidence, the case history), as
// MaskID and MaskPhone mask the fields: what looks like one is masked,
// so that a longer number is masked in part rather than shown — unless it
// is part of a word (a Message-ID, a file name, a code with letters).
func MaskPersonal(s string) string {
	locs := rePersonal.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		m := s[l[0]:l[1]]
		// A bracketed area code starts a number even right after a word ("Tel(0379)…").
		bracket := strings.HasPrefix(m, "(") || strings.HasPrefix(m, "（")
		if (inWord(s, l[0]-1) && !bracket) || inWord(s, l[1]) {
			continue
		}
		b.WriteString(s[last:l[0]])
		// An ID number starts with 1–9 (a phone with 0, +, 86 or a
		// bracket), or with the letters of an older 永居证.
		id := m[0] >= 'A' && m[0] <= 'Z' || m[0] >= 'a' && m[0] <= 'z' || m[0] >= '1' && m[0] <= '9' && len(digitsOf(m)) >= 15 && !strings.HasPrefix(m, "86")
		if id {
			b.WriteString(MaskID(m))
		} else {
			b.WriteString(MaskPhone(m))
		}
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// inWord reports whether s[i] is a letter, digit or joiner of an ASCII
// word (false outside s).
func inWord(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	alnum := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
	}
	if c := s[i]; c == '-' {
		// A hyphen joins a word only to more word: "GK-2026-…",
		// "letter-…-0467…@…", not "电话-" or a trailing "-".
		before, after := i > 0 && alnum(s[i-1]), i+1 < len(s) && alnum(s[i+1])
		return before && after
	}
	return alnum(s[i])
}

// MaskPhone shows the first 3 and last 4 digits of a phone number.
func MaskPhone(s string) string {
	r := []rune(s)
	if len(r) <= 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}
