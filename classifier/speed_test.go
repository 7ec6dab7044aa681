package classifier

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gongkai"
	"gongkai/bench/mailgen"
)

// Tests of the second round of speed work (the load corpus): each shortcut
// is compared with what it replaces.

// formValuesRef is the original formValues: one pass per priority.
func formValuesRef(kvs []kv, field string) []kv {
	var out []kv
	for p := 0; p < 64; p++ {
		for _, k := range kvs {
			if k.field == field && !k.empty && k.prio == p {
				out = append(out, k)
			}
		}
	}
	return out
}

// randomKVs builds a form of up to 12 fields from a few names, priorities
// around and beyond the 0–63 range, some empty.
func randomKVs(rng *rand.Rand) []kv {
	fields := []string{"name", "phone", "address", "ignore"}
	prios := []int{0, 0, 1, 2, 3, 63, 64, 70, -1}
	kvs := make([]kv, rng.IntN(13))
	for i := range kvs {
		kvs[i] = kv{field: fields[rng.IntN(len(fields))], prio: prios[rng.IntN(len(prios))], empty: rng.IntN(4) == 0, line: i}
	}
	return kvs
}

func TestFormValuesSameAsRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 100000; n++ {
		kvs := randomKVs(rng)
		for _, field := range []string{"name", "phone", "email"} {
			if g, w := formValues(kvs, field), formValuesRef(kvs, field); !reflect.DeepEqual(g, w) {
				t.Fatalf("formValues(%v, %q) = %v, want %v", kvs, field, g, w)
			}
		}
	}
}

// FuzzFormValues compares formValues with formValuesRef on forms built from
// the fuzzer's bytes (a byte per field: name, priority, empty).
func FuzzFormValues(f *testing.F) {
	f.Add([]byte{0, 3, 1, 2, 0, 9, 65, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fields := []string{"name", "phone", "address"}
		var kvs []kv
		for i := 0; i+2 < len(b); i += 3 {
			kvs = append(kvs, kv{field: fields[int(b[i])%len(fields)], prio: int(int8(b[i+1])), empty: b[i+2]&1 == 1, line: i})
		}
		for _, field := range fields {
			if g, w := formValues(kvs, field), formValuesRef(kvs, field); !reflect.DeepEqual(g, w) {
				t.Fatalf("formValues(%v, %q) = %v, want %v", kvs, field, g, w)
			}
		}
	})
}

// TestMatcherSets checks that the conjunctive prefilter is in force where it
// should be: "(了解|查询…)(的)?是" needs 是, and rules with case variants
// get no sets from those parts.
func TestMatcherSets(t *testing.T) {
	r, err := sharedRules()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range r.triggers {
		if strings.Contains(m.re.String(), "了解") {
			found = slices.ContainsFunc(m.sets, func(set []string) bool { return slices.Equal(set, []string{"是"}) })
		}
	}
	if !found {
		t.Error("the 了解…是 request phrase has no set [是]")
	}
	for _, c := range []struct {
		src  string
		want string
	}{
		{`(申请|查询)(的)?是[：:]?`, `[[是]]`},
		{`(?i)(ems|sfx)(寄|送)`, `[[寄 送]]`},
		{`(?i)(邮寄|快递)(e|k)`, `[]`}, // letters: left out
		{`[A-C1](寄送)`, `[]`},       // a class with letters: left out
		{`(用于)(\n)(说明)`, `[[说明]]`}, // a line break: never inside a line
		{`申请公开`, `[]`},
	} {
		m := newMatcher(regexp.MustCompile(c.src))
		if g := fmt.Sprint(m.sets); g != c.want && !(c.want == "[]" && m.sets == nil) {
			t.Errorf("sets of %s = %s, want %s", c.src, g, c.want)
		}
	}
}

// TestMatcherSetsRandom compares every rule's searches with refLines (the
// prefilter on lits alone, then the engine line by line) on random letters
// made of the rules' own literals, so lines holding some but not all of a
// rule's parts are common.
func TestMatcherSetsRandom(t *testing.T) {
	r, err := sharedRules()
	if err != nil {
		t.Fatal(err)
	}
	ms := allMatchers(r)
	var alpha []string
	for _, m := range ms {
		alpha = append(alpha, m.lits...)
		for _, set := range m.sets {
			alpha = append(alpha, set...)
		}
	}
	alpha = append(alpha, "\n", "\n", "，", "。", "：", " ", "是", "了解", "2024", "EMS", "用于", "申请", "公开")
	filler := strings.Repeat("（以上信息用于了解本人居住小区的有关情况。）\n", 8)
	rng := rand.New(rand.NewPCG(5, 6))
	n := 1500
	if testing.Short() || raceEnabled {
		n = 200
	}
	for i := 0; i < n; i++ {
		s := randText(rng, alpha, 40)
		if i%2 == 1 {
			s = filler + s // long: searched line by line
		}
		for _, m := range ms {
			checkMatcher(t, m, s)
		}
	}
}

// loadTexts returns the texts of some load letters and of the dev and peer
// corpora.
func loadTexts(t *testing.T) []string {
	t.Helper()
	raws, _ := mailgen.Corpus(40)
	var texts []string
	for _, raw := range raws {
		if e, _ := parseEmail(raw); e != nil {
			texts = append(texts, e.Text, e.NewText, e.HTMLText)
		}
	}
	for _, e := range corpusEmails(t) {
		texts = append(texts, e.Text, e.NewText, e.HTMLText)
	}
	return texts
}

// TestTriggerMatchesSameAsSearch checks the memoised request-phrase matches
// against the rules' searches on the law-masked text (FindAllStringIndex, as
// extractDescription ran them; the searches themselves are checked against
// the engine by TestMatcherSameAsLines), and hasRequestIn against its
// original form (the first match of each phrase, FindStringIndex).
func TestTriggerMatchesSameAsSearch(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r := c.r
	for _, s := range loadTexts(t) {
		p := &prepared{src: s, t: r.prep(s)}
		masked := maskLawTitles(p.t.m)
		if p.lawMasked() != masked {
			t.Fatalf("lawMasked(%q) differs from maskLawTitles", s)
		}
		trig := r.triggerMatches(p)
		want := false
		for i, m := range r.triggers {
			if g, w := fmt.Sprint(trig[i]), fmt.Sprint(m.FindAllStringIndex(masked, -1)); g != w {
				t.Fatalf("trigger %s on %q: got %s, want %s", m.re, s, g, w)
			}
			if loc := m.FindStringIndex(masked); loc != nil && r.substantive(p.t.m[loc[1]:]) {
				want = true
			}
		}
		if _, kvs := r.form(p); !want {
			want = slices.ContainsFunc(kvs, func(k kv) bool { return k.field == "description" })
		}
		if g := c.hasRequestIn(&prepared{src: s, t: r.prep(s)}); g != want {
			t.Fatalf("hasRequestIn(%q) = %v, want %v", s, g, want)
		}
	}
}

// checkBloom fails when lit occurs in s but the filter says it cannot.
func checkBloom(t *testing.T, s, lit string) {
	t.Helper()
	if indexLit(s, lit) >= 0 && !newBloom(s).has(lit) {
		t.Fatalf("newBloom(%q).has(%q) = false, but the text holds it", s, lit)
	}
	if strings.Contains(s, lit) && !bloomOf(s).has(lit) {
		t.Fatalf("bloomOf(%q).has(%q) = false, but the text holds it", s, lit)
	}
}

// FuzzBloom checks that the rune filter never rules out a literal the text
// holds (it may let through one it lacks).
func FuzzBloom(f *testing.F) {
	f.Add("申请公开以下信息", "公开")
	f.Add("\xe7申请\xff", "\x94\xb3")
	f.Add("EMS快递", "ems")
	f.Fuzz(func(t *testing.T, s, lit string) {
		checkBloom(t, s, lit)
		for i := 0; i < len(s); i++ { // every piece of s is in s
			checkBloom(t, s, s[i:min(len(s), i+7)])
		}
	})
}

// TestBloomRandom checks the filter on random texts and their pieces, and
// that it rules out most absent literals (else it is no use).
func TestBloomRandom(t *testing.T) {
	alpha := []string{"申", "请", "公", "开", "了", "解", "a", "A", "1", "\n", "\xe7", "\x94", "\xff", "（", "。"}
	rng := rand.New(rand.NewPCG(7, 8))
	rounds := 20000
	if raceEnabled {
		rounds = 3000
	}
	for n := 0; n < rounds; n++ {
		s := randText(rng, alpha, 30)
		for i := 0; i < len(s); i++ {
			for j := i + 1; j <= min(len(s), i+9); j++ {
				checkBloom(t, s, s[i:j])
			}
		}
	}
	letter := strings.Repeat("洛阳市西工区住房和城乡建设局：根据《中华人民共和国政府信息公开条例》的规定，本人申请公开以下政府信息。\n", 5)
	bl, out := newBloom(letter), 0
	absent := []string{"退信", "自动回复", "投诉", "举报", "发票", "快递", "光盘", "邮寄", "诉讼", "查阅"}
	for _, l := range absent {
		if strings.Contains(letter, l) {
			t.Fatalf("%q is in the letter", l)
		}
		if !bl.has(l) {
			out++
		}
	}
	if out < len(absent)/2 {
		t.Errorf("the filter ruled out only %d of %d absent literals", out, len(absent))
	}
}

// listMarkerRef is listMarker without the markerStart check.
func listMarkerRef(s string) int {
	i := len(s) - len(strings.TrimLeft(s, " \t"))
	return markerAt(s[i:], i)
}

// FuzzListMarker compares listMarker with listMarkerRef.
func FuzzListMarker(f *testing.F) {
	for _, s := range []string{"1. 申请", "（一）", "一、", "- x", "• 点", "⑳", "(3)", "十二、", "  \t2、", "·", "申请"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if g, w := listMarker(s), listMarkerRef(s); g != w {
			t.Fatalf("listMarker(%q) = %d, want %d", s, g, w)
		}
	})
}

// TestListMarkerRandom compares listMarker with listMarkerRef on random
// lines over the characters markers are made of.
func TestListMarkerRandom(t *testing.T) {
	alpha := []string{"1", "9", "0", "一", "十", "二", "（", "）", "(", ")", "、", ".", "．", "：", ":", " ", "\t", "-", "*", ">", "·", "•", "●", "■", "◆", "○", "①", "⑳", "⑴", "申", "a", "\xe2", "\xc2"}
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 0; n < 200000; n++ {
		s := randText(rng, alpha, 8)
		if g, w := listMarker(s), listMarkerRef(s); g != w {
			t.Fatalf("listMarker(%q) = %d, want %d", s, g, w)
		}
	}
}

// maskRef is the original mask: a byte copy with the spans blanked.
func maskRef(s string, spans [][]int, fill byte) string {
	if len(spans) == 0 {
		return s
	}
	b := []byte(s)
	for _, sp := range spans {
		for i := sp[0]; i < sp[1]; i++ {
			b[i] = fill
		}
	}
	return string(b)
}

// spansOf turns the fuzzer's bytes into spans inside a text of n bytes:
// overlapping, nested, empty, reversed and out of order.
func spansOf(b []byte, n int) [][]int {
	var out [][]int
	for i := 0; i+1 < len(b) && n > 0; i += 2 {
		out = append(out, []int{int(b[i]) % (n + 1), int(b[i+1]) % (n + 1)})
	}
	return out
}

// FuzzMask compares mask and maskLawTitles with the byte-slice originals.
func FuzzMask(f *testing.F) {
	f.Add("身份证410303198506123551，电话13703795108", []byte{3, 9, 5, 20, 0, 0, 30, 12})
	f.Add("依据《政府信息公开条例》申请公开", []byte{})
	f.Fuzz(func(t *testing.T, s string, b []byte) {
		spans := spansOf(b, len(s))
		if g, w := mask(s, spans), maskRef(s, spans, ' '); g != w {
			t.Fatalf("mask(%q, %v) = %q, want %q", s, spans, g, w)
		}
		if g, w := maskLawTitles(s), maskRef(s, lawTitles(s), '_'); g != w {
			t.Fatalf("maskLawTitles(%q) = %q, want %q", s, g, w)
		}
	})
}

func TestMaskRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n := 0; n < 100000; n++ {
		s := strings.Repeat("申a1", rng.IntN(8))
		b := make([]byte, 2*rng.IntN(6))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		spans := spansOf(b, len(s))
		if g, w := mask(s, spans), maskRef(s, spans, ' '); g != w {
			t.Fatalf("mask(%q, %v) = %q, want %q", s, spans, g, w)
		}
	}
}

// fwdRef is prepare's original forward detection on a body (split into
// lines first): the original sender and the body from the forward head on.
func fwdRef(body, subject string) (name, addr, out string) {
	out = body
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if mayFwdHead(l) && reFwdHead.MatchString(l) || (mayFwdFrom(l) && reFwdFrom.MatchString(l) && (reFwdSubj.MatchString(subject) || i > 0)) {
			rest := lines[i:]
			for _, h := range rest[:min(len(rest), 8)] {
				if mm := reFwdFrom.FindStringSubmatch(h); mm != nil {
					name, addr = strings.TrimSpace(mm[2]), strings.ToLower(mm[3])
					break
				}
			}
			if addr != "" || reFwdHead.MatchString(l) {
				out = strings.Join(rest, "\n")
			}
			break
		}
	}
	return name, addr, out
}

// TestForwardSameAsSplit compares prepare's forward detection, which walks
// the lines without splitting, with fwdRef on random forwarded letters.
func TestForwardSameAsSplit(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	parts := []string{"---------- Forwarded message ---------", "-------- 转发邮件信息 --------", "From: 张三 <Zhang@Mail.example>",
		"发件人：李四 <li@x.example>", "begin forwarded message:", "申请公开以下信息：", "2024年预售许可证", "", "此致", "--", "a@b <c"}
	rng := rand.New(rand.NewPCG(13, 14))
	for n := 0; n < 20000; n++ {
		var lines []string
		for k := rng.IntN(10); k > 0; k-- {
			lines = append(lines, parts[rng.IntN(len(parts))])
		}
		body := strings.Join(lines, "\n")
		if rng.IntN(3) == 0 {
			body += "\n"
		}
		subject := []string{"Fwd: 申请", "申请公开", "转发：信息公开"}[rng.IntN(3)]
		m := c.prepare(&gongkai.Email{Subject: subject, NewText: body, Text: body})
		name, addr, want := fwdRef(cutQuoted(body), subject)
		if strings.TrimSpace(body) == "" {
			continue // prepare reads Text then; the same here, but cutQuoted differs on blanks
		}
		if m.fwdName != name || m.fwdAddr != addr || m.body != want {
			t.Fatalf("prepare(%q): fwd %q %q body %q, want %q %q %q", body, m.fwdName, m.fwdAddr, m.body, name, addr, want)
		}
	}
}

// TestMaskedBloom checks the filter a law-masked text inherits from its
// text: every piece of the masked text passes it.
func TestMaskedBloom(t *testing.T) {
	r, err := sharedRules()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range loadTexts(t) {
		p := &prepared{src: s, t: r.prep(s)}
		m := p.lawMasked()
		if m == p.t.m || len(m) < lineWise || len(m) >= runeSetMin {
			continue
		}
		n++
		b := bloomOf(m)
		for i := 0; i < len(m); i++ {
			for j := i + 1; j <= min(len(m), i+12); j++ {
				if strings.Contains(m, m[i:j]) && !b.has(m[i:j]) {
					t.Fatalf("the filter of the masked %q rules out %q", m, m[i:j])
				}
			}
		}
	}
	if n == 0 {
		t.Error("no masked text of filter length")
	}
}
