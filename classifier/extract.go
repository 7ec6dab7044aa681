package classifier

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gongkai"
)

// Fields is what the field extractor finds in a piece of text: the applicant and
// the description fields of a verdict (corpus README label schema). Empty
// strings mean "not found"; Delivery is "unspecified" when nothing is said.
type Fields struct {
	ApplicantType   gongkai.ApplicantType `json:"applicant_type"` // "" when the text does not say
	Name            string                `json:"name"`
	IDType          string                `json:"id_type"`
	IDNumber        string                `json:"id_number"`
	IDValid         *bool                 `json:"id_valid"`
	OrgName         string                `json:"org_name"`
	CreditCode      string                `json:"credit_code"`
	CreditCodeValid *bool                 `json:"credit_code_valid"`
	Phone           string                `json:"phone"`
	Email           string                `json:"email"`
	Address         string                `json:"address"`
	Description     string                `json:"description"`
	Items           []string              `json:"items"`
	Purpose         string                `json:"purpose"`
	Delivery        string                `json:"delivery"`
	// Evidence holds, per field name, the words that decided it.
	Evidence map[string]string `json:"-"`
}

// found is Fields plus what the verdict needs to explain itself.
type found struct {
	Fields
	t       text
	p       *prepared // the prepared t
	lines   []text
	kvs     []kv
	orgSelf string // "我公司", "本所"… when the writer speaks as an organisation
	client  string // the client a lawyer files for
	// present marks form fields that exist even when left empty (a portal's
	// "通信地址：（未填写）" is authoritative: nothing is guessed from prose).
	present      map[string]bool
	trigger      string // the words that introduced the request
	triggerAt    int    // byte offset in t of the request, -1 when none
	descFromForm bool
	emails       []string // addresses written in the text, in order
	vague        string   // the vagueness cue, when the description is too vague
}

// extractOpts tunes extraction for where the text came from.
type extractOpts struct {
	now     time.Time
	exclude map[string]bool // e-mail addresses that are never the applicant's
	subject string
}

func (f *found) setEv(field, ev string) {
	if f.Evidence == nil {
		f.Evidence = map[string]string{}
	}
	f.Evidence[field] = ev
}

var rePostcode = regexp.MustCompile(`(?:[（(]?(?:邮编|邮政编码)[:：]?\s*\d{6}[）)]?|[（(]\d{6}[）)]|^\d{6}\s+|\s+\d{6}$)`)

// extract runs the field extractor over one text.
func (r *rules) extract(src string, o extractOpts) *found {
	return r.extractPrepared(&prepared{src: src, t: r.prep(src)}, o)
}

// extractPrepared is extract on a prepared text.
func (r *rules) extractPrepared(p *prepared, o extractOpts) *found {
	t := p.t
	f := &found{t: t, p: p, triggerAt: -1, present: map[string]bool{}}
	f.lines, f.kvs = r.form(p)
	for _, k := range f.kvs {
		f.present[k.field] = true
	}
	if o.now.IsZero() {
		o.now = time.Now()
	}

	// Spans that are not phone numbers: e-mail addresses, case numbers, dates,
	// long digit runs (licence numbers), IDs and credit codes found below.
	var spans [][]int
	emailRuns := findRuns(reEmail, t.w, emailSet, "", atSet) // also the addresses extractEmail reads
	spans = append(spans, emailRuns...)
	spans = append(spans, reCase.FindAllStringIndex(t.w, -1)...)
	spans = append(spans, findRuns(reDate, t.w, dateSet, "年月日", digitSet)...)

	r.extractCredit(f, p, &spans)
	r.extractID(f, o, &spans)
	spans = append(spans, findRuns(reLongDigits, t.w, digitSet, "", digitSet)...)
	r.extractPhone(f, mask(t.m, spans))
	r.extractEmail(f, o, emailRuns)
	r.extractOrg(f)
	r.extractName(f)
	r.extractAddress(f)
	r.extractDescription(f, o)
	r.extractPurpose(f)
	f.Delivery = r.extractDelivery(f)
	if f.ApplicantType == "" {
		if k, ok := formValue(f.kvs, "applicant_type"); ok {
			switch {
			case strings.ContainsAny(k.value.m, "公民个人自然人") && !strings.Contains(k.value.m, "法人"):
				f.ApplicantType = gongkai.NaturalPerson
				f.setEv("applicant_type", k.label+"："+k.value.w)
			}
		}
	}
	return f
}

var reLongDigits = regexp.MustCompile(`\d{14,}`)

func (r *rules) extractCredit(f *found, p *prepared, spans *[][]int) {
	for _, k := range formValues(f.kvs, "credit_code") {
		n := gongkai.NormalizeDigits(cutAt(k.value.w, "，,；;（(\t"))
		n = leadingAlnum(n)
		if n == "" {
			continue
		}
		c := gongkai.CheckCreditCode(n)
		f.CreditCode, f.CreditCodeValid = c.Code, boolp(c.Valid)
		f.setEv("credit_code", k.label+"："+k.value.w)
		if i := strings.Index(f.t.w, k.value.w); i >= 0 {
			*spans = append(*spans, []int{i, i + len(k.value.w)})
		}
		return
	}
	up := p.upper() // p.t is f.t
	for _, m := range findNumbers(reCredit, up, creditSet) {
		code := up[m[2]:m[3]]
		if c := gongkai.CheckCreditCode(code); c.Valid && !allDigits(code) {
			f.CreditCode, f.CreditCodeValid = c.Code, boolp(true)
			f.setEv("credit_code", code)
			*spans = append(*spans, []int{m[2], m[3]})
			return
		} else if c.Valid {
			// An all-digit code (12…) reads like an ID: take it only near its name.
			ctx := f.t.m[max(0, m[2]-40):m[2]]
			if strings.Contains(ctx, "信用代码") || strings.Contains(ctx, "代码") {
				f.CreditCode, f.CreditCodeValid = c.Code, boolp(true)
				f.setEv("credit_code", code)
				*spans = append(*spans, []int{m[2], m[3]})
				return
			}
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// leadingAlnum returns the first run of ASCII letters and digits.
func leadingAlnum(s string) string {
	i := 0
	for i < len(s) && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')) {
		i++
	}
	return strings.ToUpper(s[:i])
}

func (r *rules) extractID(f *found, o extractOpts, spans *[][]int) {
	typ := ""
	if k, ok := formValue(f.kvs, "id_type"); ok {
		typ = idTypeOf(k.value.m)
	}
	for _, k := range formValues(f.kvs, "id_number") {
		n := leadingAlnum(gongkai.NormalizeDigits(cutAt(k.value.w, "，,；;（(\t。")))
		if n == "" || len(n) < 6 {
			continue
		}
		if n == f.CreditCode {
			continue
		}
		t := typ
		if t == "" {
			t = idTypeOf(strings.ToLower(k.label))
		}
		var h idHit
		if (len(n) == 18 || len(n) == 15) && (allDigits(n[:len(n)-1])) || t == "外国人永久居留身份证" {
			h = checkID(n, t, o.now)
		} else {
			if t == "" {
				t = idTypeOf(f.t.m)
			}
			h = idHit{number: n, idType: t}
			if t == "" || gongkai.IDTypeHasCheckDigit(t) {
				h.idType = "居民身份证"
				h.valid = boolp(false)
			}
		}
		f.IDNumber, f.IDType, f.IDValid = h.number, h.idType, h.valid
		f.setEv("id_number", k.label+"："+k.value.w)
		if i := strings.Index(f.t.w, k.value.w); i >= 0 {
			*spans = append(*spans, []int{i, i + len(k.value.w)})
		}
		return
	}
	ms := mask(f.t.w, *spans)
	for _, m := range findNumbers(reID18, ms, idSet) {
		n := gongkai.NormalizeDigits(ms[m[2]:m[3]])
		if !plausibleID(n) || n == f.CreditCode {
			continue
		}
		t := typ
		if t == "" {
			t = idTypeOf(lastClause(f.t.m[max(0, m[2]-60):m[2]]))
		}
		h := checkID(n, t, o.now)
		f.IDNumber, f.IDType, f.IDValid = h.number, h.idType, h.valid
		f.setEv("id_number", strings.TrimSpace(f.t.w[max(0, m[2]-15):m[3]]))
		*spans = append(*spans, []int{m[2], m[3]})
		return
	}
	for _, m := range findNumbers(reID15, ms, idSet) {
		ctx := f.t.m[max(0, m[2]-30):m[2]]
		if !strings.Contains(ctx, "身份") {
			continue
		}
		h := checkID(ms[m[2]:m[3]], "居民身份证", o.now)
		f.IDNumber, f.IDType, f.IDValid = h.number, h.idType, h.valid
		f.setEv("id_number", ms[m[2]:m[3]])
		*spans = append(*spans, []int{m[2], m[3]})
		return
	}
	for _, m := range rePermit.FindAllStringSubmatchIndex(ms, -1) {
		ctx := f.t.m[max(0, m[2]-40):m[2]]
		t := idTypeOf(ctx)
		if t == "" || gongkai.IDTypeHasCheckDigit(t) {
			continue
		}
		f.IDNumber, f.IDType = strings.ToUpper(ms[m[2]:m[3]]), t
		f.setEv("id_number", strings.TrimSpace(f.t.w[max(0, m[2]-20):m[3]]))
		*spans = append(*spans, []int{m[2], m[3]})
		return
	}
	// The older 外国人永久居留身份证 number: 3 letters and 12 digits, a shape
	// nothing else has.
	for _, m := range rePRCard.FindAllStringSubmatchIndex(ms, -1) {
		f.IDNumber, f.IDType, f.IDValid = strings.ToUpper(ms[m[2]:m[3]]), "外国人永久居留身份证", boolp(true)
		f.setEv("id_number", strings.TrimSpace(f.t.w[max(0, m[2]-20):m[3]]))
		*spans = append(*spans, []int{m[2], m[3]})
		return
	}
	// The 台湾居民来往大陆通行证 (台胞证) number is digits only (8, or 10
	// with the renewal count): taken right after its name.
	for _, m := range reTWPermit.FindAllStringSubmatchIndex(ms, -1) {
		ctx := f.t.m[max(0, m[2]-60):m[2]]
		if idTypeOf(ctx) != "台湾居民来往大陆通行证" || !reTWPermitLead.MatchString(ctx) {
			continue
		}
		f.IDNumber, f.IDType = ms[m[2]:m[3]], "台湾居民来往大陆通行证"
		f.setEv("id_number", strings.TrimSpace(f.t.w[max(0, m[2]-20):m[3]]))
		*spans = append(*spans, []int{m[2], m[3]})
		return
	}
}

func (r *rules) extractPhone(f *found, masked string) {
	var hits []phoneHit
	for _, k := range formValues(f.kvs, "phone") {
		i := strings.Index(f.t.w, k.value.w)
		v := k.value.m
		if i >= 0 {
			v = masked[i : i+len(k.value.w)]
		}
		for _, h := range phonesIn(v, true) {
			h.ev = k.label + "：" + h.ev
			hits = append(hits, h)
		}
	}
	hits = append(hits, phonesIn(masked, false)...)
	if h, ok := pickPhone(hits); ok {
		f.Phone = h.phone
		f.setEv("phone", h.ev)
	}
}

// extractEmail reads the addresses at runs, reEmail's matches in f.t.w.
func (r *rules) extractEmail(f *found, o extractOpts, runs [][]int) {
	for _, loc := range runs {
		e := f.t.w[loc[0]:loc[1]]
		e = strings.ToLower(strings.TrimRight(e, "."))
		if o.exclude[e] {
			continue
		}
		f.emails = append(f.emails, e)
	}
	for _, k := range formValues(f.kvs, "email") {
		if e := reEmail.FindString(k.value.w); e != "" {
			f.Email = strings.ToLower(e)
			f.setEv("email", k.label+"："+k.value.w)
			return
		}
	}
	if len(f.emails) > 0 && !f.present["email"] {
		f.Email = f.emails[0]
		f.setEv("email", f.emails[0])
	}
}

// orgKind names the group of orgs.tsv an organisation's name falls in.
func (r *rules) orgKind(m string) string {
	for _, g := range []string{"legal", "research", "company", "welfare", "other"} {
		if r.orgs[g].MatchString(m) {
			return g
		}
	}
	return ""
}

// looksLikeOrg reports whether a value names an organisation.
func (r *rules) looksLikeOrg(m string) bool {
	m = strings.TrimSpace(m)
	if runeLen(m) < 4 || runeLen(m) > 40 || strings.ContainsAny(m, "，。；！？,;!?") {
		return false
	}
	return r.orgKind(m) != ""
}

func (r *rules) extractOrg(f *found) {
	if loc := r.orgs["self"].FindStringIndex(f.t.m); loc != nil {
		f.orgSelf = f.t.w[loc[0]:loc[1]]
	}
	for _, k := range formValues(f.kvs, "org_name") {
		v := trimPunct(cutAt(k.value.w, "，,；;\t"))
		if i := strings.Index(v, "  "); i > 0 {
			v = v[:i]
		}
		if v != "" {
			f.OrgName = v
			f.setEv("org_name", k.label+"："+k.value.w)
			return
		}
	}
	// "申请人：某某有限公司"
	for _, k := range formValues(f.kvs, "name") {
		v := trimPunct(cutAt(k.value.w, "，,；;（(\t"))
		if r.looksLikeOrg(r.simp(v)) && !r.isPersonName(v) {
			f.OrgName = v
			f.setEv("org_name", k.label+"："+k.value.w)
			return
		}
	}
	if f.orgSelf == "" && f.CreditCode == "" {
		return
	}
	// The organisation signs the letter.
	for i := len(f.lines) - 1; i >= 0; i-- {
		l := f.lines[i].trim()
		if l.w == "" || strings.ContainsAny(l.w, "：:") {
			continue
		}
		first := strings.Fields(l.w)[0]
		if r.looksLikeOrg(r.simp(first)) && !r.isPersonName(first) {
			f.OrgName = first
			f.setEv("org_name", l.w)
			return
		}
	}
}

// isPersonName reports whether s reads as a Chinese personal name: two to four
// Han characters starting with a known surname, not a common word.
func (r *rules) isPersonName(s string) bool {
	s = strings.TrimSpace(s)
	n := runeLen(s)
	if !hanOnly(s) || n < 2 || n > 10 || (n > 4 && !strings.ContainsAny(s, "·•")) {
		return false
	}
	m := r.simp(s)
	for _, re := range r.prose["notname"] {
		if re.MatchString(m) {
			return false
		}
	}
	first, size := utf8.DecodeRuneInString(m)
	if r.surnames[string(first)] {
		return true
	}
	if n >= 3 {
		_, size2 := utf8.DecodeRuneInString(m[size:])
		return r.surnames[m[:size+size2]]
	}
	return false
}

// cleanName cuts a labelled name at the first parenthesis or separator.
func cleanName(v string) string {
	v = cutAt(v, "（(，,；;、\t/ ")
	return trimPunct(v)
}

func (r *rules) extractName(f *found) {
	for _, k := range formValues(f.kvs, "name") {
		v := cleanName(k.value.w)
		if r.isPersonName(v) {
			f.Name = v
			f.setEv("name", k.label+"："+k.value.w)
			break
		}
	}
	for _, re := range r.prose["client"] {
		if m := re.FindStringSubmatchIndex(f.t.m); m != nil {
			if v := f.t.w[m[2]:m[3]]; r.isPersonName(v) {
				f.client = v
			}
		}
	}
	if f.Name != "" {
		return
	}
	for _, re := range r.prose["name"] {
		for _, m := range re.FindAllStringSubmatchIndex(f.t.m, -1) {
			v := f.t.w[m[2]:m[3]]
			if r.isPersonName(v) {
				f.Name = v
				f.setEv("name", strings.TrimSpace(f.t.w[m[0]:m[1]]))
				return
			}
			// "我叫常桂芝身份证…": try the shorter reading.
			if rs := []rune(v); len(rs) > 2 {
				for k := len(rs) - 1; k >= 2; k-- {
					if r.isPersonName(string(rs[:k])) && re == r.prose["name"][0] {
						f.Name = string(rs[:k])
						f.setEv("name", strings.TrimSpace(f.t.w[m[0]:m[1]]))
						return
					}
				}
			}
		}
	}
	// A signature: a line that is a name, perhaps followed by an ID or a date.
	seen := 0
	for i := len(f.lines) - 1; i >= 0 && seen < 12; i-- {
		l := f.lines[i].trim()
		if l.w == "" {
			continue
		}
		seen++
		if strings.ContainsAny(l.w, "：:") {
			continue
		}
		first := strings.Fields(l.w)[0]
		if r.isPersonName(first) {
			f.Name = first
			f.setEv("name", "落款："+l.w)
			return
		}
	}
}

func (r *rules) cleanAddress(v string) string {
	v = cutAt(v, "，,；;\t。")
	if i := strings.Index(v, "  "); i > 0 {
		v = v[:i]
	}
	v = rePostcode.ReplaceAllString(strings.TrimSpace(v), "")
	return trimPunct(v)
}

func (r *rules) extractAddress(f *found) {
	for _, k := range formValues(f.kvs, "address") {
		if v := r.cleanAddress(k.value.w); v != "" {
			f.Address = v
			f.setEv("address", k.label+"："+k.value.w)
			return
		}
	}
	if f.present["address"] {
		return // the form says it is empty; prose is not guessed
	}
	for _, re := range r.prose["address"] {
		for _, m := range re.FindAllStringSubmatchIndex(f.t.m, -1) {
			v := r.cleanAddress(f.t.w[m[2]:m[3]])
			if looksLikeAddress(v) && !strings.Contains(v, "的") {
				f.Address = v
				f.setEv("address", strings.TrimSpace(f.t.w[m[0]:m[1]]))
				return
			}
		}
	}
	// A bare address line among the closing lines ("七一路17号院2号楼1单元").
	seen := 0
	for i := len(f.lines) - 1; i >= 0 && seen < 8; i-- {
		l := f.lines[i].trim()
		if l.w == "" {
			continue
		}
		seen++
		if strings.ContainsAny(l.w, "：:，,。；;！？的") || listMarker(l.w) > 0 {
			continue
		}
		if looksLikeAddress(l.w) && strings.ContainsAny(l.w, "0123456789一二三四五六七八九十") && runeLen(l.w) <= 40 {
			f.Address = r.cleanAddress(l.w)
			f.setEv("address", l.w)
			return
		}
	}
}

func (r *rules) extractPurpose(f *found) {
	if k, ok := formValue(f.kvs, "purpose"); ok {
		f.Purpose = trimPunct(k.value.w)
		f.setEv("purpose", k.label+"："+k.value.w)
		return
	}
	for _, re := range r.prose["purpose"] {
		if m := re.FindStringSubmatchIndex(f.t.m); m != nil {
			f.Purpose = trimPunct(f.t.w[m[2]:m[3]])
			f.setEv("purpose", strings.TrimSpace(f.t.w[m[0]:m[1]]))
			return
		}
	}
}

// deliveryOf applies delivery.tsv to a simplified text.
func (r *rules) deliveryOf(m string) (string, string) {
	for _, d := range r.delivery {
		if loc := d.re.FindStringIndex(m); loc != nil {
			return d.kind, m[loc[0]:loc[1]]
		}
	}
	return "", ""
}

var contactFields = map[string]bool{"phone": true, "email": true, "address": true, "id_number": true, "name": true,
	"org_name": true, "credit_code": true, "id_type": true, "ignore": true, "applicant_type": true, "description": true, "purpose": true}

func (r *rules) extractDelivery(f *found) string {
	if k, ok := formValue(f.kvs, "form"); ok {
		if d, _ := r.deliveryOf(k.value.m); d == "光盘" {
			f.setEv("delivery", k.label+"："+k.value.w)
			return d
		}
	}
	if k, ok := formValue(f.kvs, "delivery"); ok {
		if d, _ := r.deliveryOf(k.value.m); d != "" {
			f.setEv("delivery", k.label+"："+k.value.w)
			return d
		}
	}
	// Prose: leave out contact lines, form values and system notices.
	skip := make([]bool, len(f.lines))
	for _, k := range f.kvs {
		if contactFields[k.field] && k.line >= 0 && k.line < len(skip) {
			skip[k.line] = true
		}
	}
	var b strings.Builder
	b.Grow(len(f.t.m) + 1)
	system := r.systemLines(f.t.m)
	for i, l := range f.lines {
		if skip[i] || system(l.m) {
			continue
		}
		b.WriteString(l.m)
		b.WriteByte('\n')
	}
	if d, ev := r.deliveryOf(b.String()); d != "" {
		f.setEv("delivery", ev)
		return d
	}
	return "unspecified"
}

// systemLines returns a test for a relay's notice line ("本邮件由系统自动发送，
// 请勿直接回复") among the lines of the text whole: the rules whose literals
// the whole text lacks are left out, so a long letter's lines are each
// checked against the few rules that can match.
func (r *rules) systemLines(whole string) func(line string) bool {
	var rules []*matcher
	var ix *textIndex
	if len(whole) >= runeSetMin {
		ix = indexOf(whole) // usually built already by the rules run on it
	}
	for _, rr := range r.relay {
		if rr.scope == "text" && rr.re.mayIn(whole, ix) {
			rules = append(rules, rr.re)
		}
	}
	notice := strings.Contains(whole, "请勿") && strings.Contains(whole, "回复")
	return func(m string) bool {
		for _, re := range rules {
			if re.MatchString(m) {
				return true
			}
		}
		return notice && strings.Contains(m, "请勿") && strings.Contains(m, "回复")
	}
}

// lastClause is the end of s after its last clause mark: the words that
// name a number written right after s ("我在国外有绿卡，但用身份证…": a 身份证).
func lastClause(s string) string {
	for _, sep := range []string{"，", ",", "。", "；", ";", "\n"} {
		if i := strings.LastIndex(s, sep); i >= 0 {
			s = s[i+len(sep):]
		}
	}
	return s
}
