package chatbot

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"gongkai"
	"gongkai/classifier"
)

// found is what one message says about the application.
type found struct {
	vals  map[string]string // field (Application JSON name) → value
	order []string          // fields in the order found
	kind  string            // "person", "org", or "" when not said
	typ   string            // an exact ApplicantType the message named
	// target is a field the message says is wrong without giving the value.
	target string
}

// fieldOrder is the order fields are acknowledged in.
var fieldOrder = []string{"applicant_type", "org_name", "credit_code", "legal_rep", "name", "id_number", "phone",
	"email", "address", "postcode", "description", "purpose", "form", "delivery"}

// canonical sorts field names into fieldOrder.
func canonical(fs []string) []string {
	var out []string
	for _, k := range fieldOrder {
		for _, f := range fs {
			if f == k {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func (f *found) set(field, v string) {
	if v == "" {
		return
	}
	if f.vals == nil {
		f.vals = map[string]string{}
	}
	if _, ok := f.vals[field]; !ok {
		f.order = append(f.order, field)
	}
	f.vals[field] = v
}

func (f *found) has(field string) bool { _, ok := f.vals[field]; return ok }

func (f *found) empty() bool { return len(f.vals) == 0 && f.kind == "" && f.typ == "" }

// The description is also taken from a correction ("所需信息写错了，应该是…").

var (
	reEmail          = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	reCaseNo         = regexp.MustCompile(`(?i)GK-\d{4}-\d{6}`)
	reQCode          = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9])([2-9A-HJKMNP-Z]{8})(?:$|[^A-Za-z0-9])`)
	reToken          = regexp.MustCompile(`[0-9A-Za-z]{15,20}`)
	rePostcodePhrase = regexp.MustCompile(`[，,。；; ]*(?:邮编|邮政编码)(?:是|为|[:：])?\s*\d{6}[。.]?`)
	reMobile         = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}`)
	// reLandline is a landline with its area code, the area code maybe in
	// brackets ("0379-63215678", "(0379)6321 5678", "（0379）63215678"),
	// and any extension ("-801", "转801", "分机801").
	reLandline = regexp.MustCompile(`(?:[(（] ?0\d{2,3} ?[)）] ?|0\d{2,3}[- ]?)\d{3,4}[- ]?\d{3,4}(?: ?(?:-|转|分机|(?i:ext)\.?) ?\d{1,6})?`)
	reDigits   = regexp.MustCompile(`\+?[\d][\d\- ]{4,28}\d`)
	reClause   = regexp.MustCompile(`[，,。；;！!？?\n]+`)
	reHanName  = regexp.MustCompile(`^\p{Han}{2,4}(?:·\p{Han}{1,6})?$`)
	reValueCue = regexp.MustCompile(`^(?:应该是|应是|应为|改为|改成|换成|正确的是|是|为|[:：])\s*(.+)$`)
	reAlnum    = regexp.MustCompile(`^[0-9A-Za-z\-+ ]+$`)
	// rePhoneWord names a phone number ("电话", "手机", "座机").
	rePhoneWord = regexp.MustCompile(`电话|手机|座机|联系方式`)
)

// typeWords name an applicant type exactly.
var typeWords = map[string]gongkai.ApplicantType{
	"商业企业": gongkai.Enterprise, "科研机构": gongkai.ResearchBody, "社会公益组织": gongkai.PublicWelfare,
	"法律服务机构": gongkai.LegalService, "律师事务所": gongkai.LegalService,
}

// fold converts full-width digits, letters and @ . + - to ASCII, keeping
// Chinese punctuation.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ', r == '＠', r == '．', r == '＋', r == '－':
			return r - '！' + '!'
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}

// clause is a piece of the message between punctuation, with its position.
type clause struct {
	s          string
	start, end int
}

func clauses(m string) []clause {
	var out []clause
	prev := 0
	for _, loc := range append(reClause.FindAllStringIndex(m, -1), []int{len(m), len(m)}) {
		if s := strings.TrimSpace(m[prev:loc[0]]); s != "" {
			out = append(out, clause{s, prev, loc[0]})
		}
		prev = loc[1]
	}
	return out
}

// isName reports a personal name, with the classifier's surname list.
// reBareName is a name given alone when the bot asked for it: a Chinese
// name of two to six characters (rare surnames too: 禤文, 訾建), a name with
// its "·" (买买提·艾力, 爱新觉罗·启星), or one in Latin letters (John
// Smith) — not a sentence, a number or an address.
var reBareName = regexp.MustCompile(`^(?:\p{Han}{2,6}(?:[·•・.．]\p{Han}{1,10}){0,3}|[A-Za-z][A-Za-z .'\-]{0,58}[A-Za-z.])$`)

// bareName is the name in an answer to "what is your name", or "".
func bareName(v string) string {
	v = strings.TrimSpace(v)
	for _, p := range []string{"我的名字是", "名字是", "姓名是", "姓名：", "姓名:", "我叫", "我是"} {
		if strings.HasPrefix(v, p) {
			v = strings.TrimSpace(strings.TrimPrefix(v, p))
			break
		}
	}
	if !reBareName.MatchString(v) || reNotAName.MatchString(v) {
		return ""
	}
	if !strings.ContainsFunc(v, func(r rune) bool { return r >= 0x2E80 }) && !strings.Contains(strings.TrimSpace(v), " ") {
		return "" // one Latin word ("no", "help"): not a name; "John Smith" is
	}
	return v
}

// reNotAName: answers to "what is your name" that are no name — a refusal,
// a place.
var reNotAName = regexp.MustCompile(`^(?:不想说|不知道|不告诉你?|不方便|不愿意|匿名|保密|无|没有|不用了?|算了)|[省市区县]$`)

func isName(v string) bool {
	if !reHanName.MatchString(v) {
		return false
	}
	return classifier.Extract("我叫"+v).Name == v
}

// parse reads the fields a message gives, using st.Asking for bare answers.
func (e *Engine) parse(st *State, m string) found {
	l := e.lexicon()
	var f found
	rest := reCaseNo.ReplaceAllString(m, " ")

	// E-mail addresses.
	if em := reEmail.FindString(rest); em != "" {
		f.set("email", strings.ToLower(em))
	}
	rest = reEmail.ReplaceAllString(rest, " ")

	// 18-character identifiers: ID number or credit code.
	for _, loc := range reToken.FindAllStringIndex(rest, -1) {
		tok := strings.ToUpper(rest[loc[0]:loc[1]])
		if reMobile.MatchString(tok) && len(tok) <= 13 {
			continue
		}
		ctx := rest[max(0, loc[0]-30):loc[0]]
		field := idOrCredit(st, tok, ctx)
		if field != "" && !f.has(field) {
			f.set(field, tok)
			rest = rest[:loc[0]] + strings.Repeat(" ", loc[1]-loc[0]) + rest[loc[1]:]
		}
	}
	// Phone numbers: one written in groups with spaces only after a phone
	// word or when asked ("宗地编号0410 2023 0015" is no phone).
	loose := rePhoneWord.MatchString(rest) || st.Asking == "phone"
	if p := phoneIn(rest, loose); p != "" {
		f.set("phone", p)
	} else if loose {
		if p := reDigits.FindString(rest); p != "" {
			f.set("phone", strings.TrimSpace(p))
		}
	}

	// Labelled values, clause by clause.
	cls := clauses(m)
	descAt := -1
	slotAt := map[int]bool{}
	for i, c := range cls {
		for _, sc := range l.slots {
			if f.has(sc.key) && sc.key != "description" {
				continue
			}
			mm := sc.re.FindStringSubmatch(c.s)
			if mm == nil {
				continue
			}
			v := strings.TrimSpace(mm[1])
			switch sc.key {
			case "name", "legal_rep":
				if !isName(v) {
					continue
				}
			case "description":
				if descAt >= 0 || f.has("description") || (e.hasField(v) && utf8.RuneCountInString(v) <= 8) {
					continue
				}
				descAt = i
				slotAt[i] = true
				continue
			}
			f.set(sc.key, v)
			slotAt[i] = true
			break
		}
	}
	// The description runs from its clause to the next clause that says
	// something else (a field, a delivery wish).
	if descAt >= 0 {
		end := descAt
		for j := descAt + 1; j < len(cls); j++ {
			if slotAt[j] || e.hasField(cls[j].s) {
				break
			}
			end = j
		}
		mm := descCue(l).FindStringSubmatch(m[cls[descAt].start:cls[end].end])
		if mm != nil {
			f.set("description", strings.TrimSpace(strings.TrimRight(mm[1], "，,。；; ")))
		}
	}
	// Delivery wishes, outside the description.
	scan := m
	if d := f.vals["description"]; d != "" {
		scan = strings.Replace(scan, d, " ", 1)
	}
	f.wish("delivery", l.delivery, scan, st.Asking)
	f.wish("form", l.forms, scan, st.Asking)
	// Applicant kind.
	switch {
	case l.isAny("org", scan):
		f.kind = "org"
	case l.isAny("person", scan):
		f.kind = "person"
	}
	for w, t := range typeWords {
		if strings.Contains(scan, w) && (st.Asking == "applicant_type" || f.kind == "org") {
			f.typ, f.kind = string(t), "org"
		}
	}
	// Names in prose the slot patterns missed ("本人王五，…").
	ex := classifier.Extract(m)
	if !f.has("name") && ex.Name != "" && !strings.HasPrefix(ex.Evidence["name"], "落款") && ex.Name != f.vals["legal_rep"] {
		f.set("name", ex.Name)
	}
	if ex.IDType != "" && ex.IDType != "居民身份证" && ex.IDNumber != "" {
		switch {
		case !f.has("id_number"):
			f.set("id_number", ex.IDNumber)
			f.set("id_type", ex.IDType)
		case strings.EqualFold(f.vals["id_number"], ex.IDNumber) && !f.has("id_type"):
			// The 18-character number was taken above; the words before
			// it name its document (港澳居民居住证, 外国人永久居留身份证…).
			f.set("id_type", ex.IDType)
		}
	}
	if f.has("id_number") && !f.has("id_type") && namesCardBefore(m, f.vals["id_number"]) {
		// The card named right before a number the classifier did not
		// type (one of neither of the card's shapes): the chat-bot can
		// then say what is wrong with it as a card number.
		f.set("id_type", permanentResidence)
	}
	if !f.has("org_name") && ex.OrgName != "" && l.slotMatches("org_name", ex.OrgName) {
		f.set("org_name", ex.OrgName)
	}

	// "电话写错了，是…": a correction names the field, the value follows.
	if tk := l.first(m, "target:"); tk != "" {
		field := strings.TrimPrefix(tk, "target:")
		if v := valueAfterTarget(cls, l, tk); v != "" {
			delete(f.vals, field)
			e.bare(st, &f, field, v)
		}
		if !f.has(field) {
			st.Asking = field // the next message gives the value
			if f.empty() {
				f.target = field
			}
		}
	}
	// A bare answer to the question just asked.
	if f.empty() && st.Asking != "" {
		e.bare(st, &f, st.Asking, strings.TrimSpace(m))
	}
	// "洛阳市…1号，邮编471000" to the address question (which asks for the
	// postcode too): the postcode was taken above, the rest is the address.
	if st.Asking == "address" && len(f.vals) == 1 && f.has("postcode") {
		if rest := strings.TrimSpace(rePostcodePhrase.ReplaceAllString(m, " ")); rest != "" {
			e.bare(st, &f, "address", rest)
		}
	}
	// A first message that names a record is the information wanted.
	if f.empty() && !st.Started && st.Asking == "" && l.is("record", m) && !l.is("question", m) {
		e.bare(st, &f, "description", strings.TrimSpace(m))
	}
	return f
}

// wish sets field from the first cue that matches text and reports whether
// one did; a "bare" cue counts only in the answer to the question about
// field.
func (f *found) wish(field string, cues []wishCue, text, asking string) bool {
	for _, d := range cues {
		if d.bare && asking != field {
			continue
		}
		if d.re.MatchString(text) {
			f.set(field, d.value)
			return true
		}
	}
	return false
}

// descCue is the description slot pattern, applied across clauses.
func descCue(l *lexicon) *regexp.Regexp {
	for _, c := range l.slots {
		if c.key == "description" {
			return c.re
		}
	}
	return regexp.MustCompile(`(.+)`)
}

// hasField reports a clause that carries another field than the description.
func (e *Engine) hasField(s string) bool {
	l := e.lexicon()
	if reEmail.MatchString(s) || reMobile.MatchString(s) || phoneIn(s, false) != "" || reToken.MatchString(s) || rePhoneWord.MatchString(s) || strings.Contains(s, "邮箱") {
		return true
	}
	for _, d := range l.delivery {
		if !d.bare && d.re.MatchString(s) {
			return true
		}
	}
	for _, c := range l.slots {
		if c.key != "description" && c.key != "purpose" && c.re.MatchString(s) {
			return true
		}
	}
	for _, k := range []string{"org", "person", "insist"} {
		if l.is(k, s) {
			return true
		}
	}
	return strings.HasPrefix(s, "用于") || strings.HasPrefix(s, "为了") || strings.HasPrefix(s, "用途")
}

// valueAfterTarget finds "是李四" after "名字写错了".
func valueAfterTarget(cls []clause, l *lexicon, tk string) string {
	for i, c := range cls {
		if !l.is(tk, c.s) {
			continue
		}
		// the same clause: "名字改为李四"
		for _, c2 := range cls[i:] {
			s := c2.s
			if c2 == c {
				loc := findTarget(l, tk, s)
				s = strings.TrimSpace(s[loc:])
			}
			if mm := reValueCue.FindStringSubmatch(s); mm != nil {
				v := strings.TrimSpace(mm[1])
				if tk == "target:description" {
					// the description may run over several clauses
					full := strings.Join(clauseStrings(cls[indexOf(cls, c2):]), "，")
					if mm2 := reValueCue.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(full, c2.s[:len(c2.s)-len(s)]))); mm2 != nil {
						return strings.TrimSpace(mm2[1])
					}
				}
				return v
			}
		}
	}
	return ""
}

func findTarget(l *lexicon, tk, s string) int {
	for _, c := range l.cues {
		if c.key == tk {
			if loc := c.re.FindStringIndex(s); loc != nil {
				end := loc[1]
				for _, suf := range []string{"了", "啦"} {
					if strings.HasPrefix(s[end:], suf) {
						end += len(suf)
					}
				}
				return end
			}
		}
	}
	return 0
}

func clauseStrings(cs []clause) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.s
	}
	return out
}

func indexOf(cs []clause, c clause) int {
	for i := range cs {
		if cs[i] == c {
			return i
		}
	}
	return 0
}

// bare takes a value given without a label for field.
func (e *Engine) bare(st *State, f *found, field, v string) {
	l := e.lexicon()
	v = strings.Trim(v, "，,。.；; ")
	if v == "" {
		return
	}
	switch field {
	case "name", "legal_rep":
		for _, k := range []string{"confirm", "deny", "ack", "greeting", "insist", "question"} {
			if l.isAll(k, v) {
				return
			}
		}
		if n := bareName(v); n != "" {
			f.set(field, n)
		}
	case "description":
		for _, k := range []string{"confirm", "deny", "ack", "greeting", "insist", "question"} {
			if l.isAll(k, v) || (k == "question" && l.is(k, v)) {
				return
			}
		}
		if mm := descCue(l).FindStringSubmatch(v); mm != nil {
			v = strings.TrimSpace(mm[1])
		}
		f.set("description", v)
	case "applicant_type":
		if l.is("org", v) {
			f.kind = "org"
		} else if l.is("person", v) {
			f.kind = "person"
		}
	case "org_name", "address", "purpose":
		f.set(field, v)
	case "credit_code":
		if v == "无" || v == "没有" {
			f.set(field, "无")
		} else if reAlnum.MatchString(v) {
			f.set(field, strings.ToUpper(strings.ReplaceAll(v, " ", "")))
		}
	case "id_number":
		if reAlnum.MatchString(v) {
			f.set(field, strings.ToUpper(strings.ReplaceAll(v, " ", "")))
		}
	case "phone":
		if p := phoneIn(v, true); p != "" {
			f.set(field, p)
		} else if reAlnum.MatchString(v) {
			f.set(field, v)
		}
	case "email":
		if strings.Contains(v, "@") {
			f.set(field, v)
		}
	case "delivery":
		if f.wish("delivery", l.delivery, v, field) {
			return
		}
		for _, c := range gongkai.DeliveryChoices {
			if strings.Contains(v, c) {
				f.set("delivery", c)
				return
			}
		}
	case "form":
		f.wish("form", l.forms, v, field)
	}
}

// phoneIn is the first mobile or landline number written in s, "" when
// there is none. A number is taken only whole, not out of a longer run of
// digits: "138000000001" is a mistyped number to ask again, not
// 13800000000. Unless loose (a phone word is there, or the phone was
// asked for), a landline in groups with spaces and no bracketed area code
// is not taken: it is as likely a parcel or file number.
func phoneIn(s string, loose bool) string {
	if p := phoneMatch(s, false); p != "" || !loose {
		return p
	}
	return phoneMatch(s, true)
}

// phoneMatch is phoneIn's search; spaced takes landlines in groups with
// spaces too (after one written otherwise was looked for: "宗地编号0410
// 2023 0015…，电话0379-62331234" is 0379-62331234).
func phoneMatch(s string, spaced bool) string {
	for _, re := range []*regexp.Regexp{reMobile, reLandline} {
		for _, loc := range re.FindAllStringIndex(s, -1) {
			a, b := loc[0], loc[1]
			if p := s[a:b]; !spaced && re == reLandline && strings.Contains(p, " ") && !strings.ContainsAny(p, "(（") {
				continue
			}
			if strings.HasPrefix(s[a:b], "86") && strings.HasSuffix(s[:a], "00") {
				a -= 2 // "0086 138…": 0086 dialled for +86
			}
			if (a == 0 || !isASCIIDigit(s[a-1])) && (b == len(s) || !isASCIIDigit(s[b])) {
				return s[a:b]
			}
		}
	}
	return ""
}

func isASCIIDigit(b byte) bool { return b >= '0' && b <= '9' }

// permanentResidence is the id_type of the 外国人永久居留身份证.
const permanentResidence = "外国人永久居留身份证"

// namesCardBefore reports whether the words just before the number num in
// m name the 外国人永久居留身份证, not a 身份证 after them ("我在国外有绿卡，
// 但用身份证1101…" is a 身份证).
func namesCardBefore(m, num string) bool {
	i := indexFold(m, num)
	if i < 0 {
		return false
	}
	before := m[max(0, i-40):i]
	at := gongkai.LastPermanentResidenceName(before)
	if at < 0 {
		return false
	}
	after := strings.Replace(before[at:], "永久居留身份证", "", 1)
	return !strings.Contains(after, "身份证")
}

// indexFold is the byte index in s of the first ASCII-case-insensitive
// match of sub, -1 when there is none.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// idTypeOfNumber is the document a number given without its name belongs
// to, when its shape says so: the 外国人永久居留身份证 (3 letters + 12
// digits, or "9" + 17 characters with its check — no 身份证 number starts
// with 9); "" otherwise.
func idTypeOfNumber(n string) string {
	if _, problem := gongkai.CheckPermanentResidenceNumber(n); problem == "" {
		return permanentResidence
	}
	return ""
}

// idOrCredit decides whether an 18-character token is an ID number or a
// credit code, from its check digit, the words before it and the question;
// a 15-character token is an ID number when it has the shape of a
// 外国人永久居留身份证 number.
func idOrCredit(st *State, tok, ctx string) string {
	credit := strings.Contains(ctx, "代码") || strings.Contains(ctx, "信用")
	id := strings.Contains(ctx, "身份") || strings.Contains(ctx, "证件") || gongkai.LastPermanentResidenceName(ctx) >= 0
	switch {
	case credit:
		return "credit_code"
	case id:
		return "id_number"
	case st.Asking == "credit_code":
		return "credit_code"
	case st.Asking == "id_number":
		return "id_number"
	case len(tok) == 15 && idTypeOfNumber(tok) == permanentResidence:
		return "id_number"
	}
	if len(tok) == 18 {
		if gongkai.CheckCreditCode(tok).Valid && !allDigitsX(tok) {
			return "credit_code"
		}
		if allDigitsX(tok) {
			if st.Kind == "org" {
				return "credit_code"
			}
			return "id_number"
		}
		return "credit_code"
	}
	return ""
}

func allDigitsX(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9') && !(i == len(s)-1 && s[i] == 'X') {
			return false
		}
	}
	return true
}
