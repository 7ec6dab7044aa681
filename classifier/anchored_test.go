package classifier

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// allMatchers lists every compiled rule of data/.
func allMatchers(r *rules) []*matcher {
	var all []*matcher
	for _, n := range r.nature {
		all = append(all, n.re)
	}
	for _, n := range r.relay {
		all = append(all, n.re)
	}
	for _, n := range r.delivery {
		all = append(all, n.re)
	}
	all = append(all, r.boiler...)
	all = append(all, r.triggers...)
	all = append(all, r.vague...)
	for _, m := range r.orgs {
		all = append(all, m)
	}
	for _, ms := range r.prose {
		all = append(all, ms...)
	}
	return all
}

// checkSame fails when the anchored search and the plain regex disagree on s.
func checkSame(t *testing.T, m *matcher, s string) {
	t.Helper()
	if m.anc == nil || !m.anc.usable(s) {
		return
	}
	// The index of a text holding s as a later line, as the line-wise search
	// passes it.
	const head = "前一行 ABC\n"
	ix, base := newTextIndex(head+s), len(head)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"FindStringIndex", m.anc.find(s, 0, false, nil, 0), m.re.FindStringIndex(s)},
		{"FindStringSubmatchIndex", m.anc.find(s, 0, true, &textCtx{ix: ix}, base), m.re.FindStringSubmatchIndex(s)},
		{"FindAllStringIndex", m.anc.findAll(s, false, &textCtx{ix: ix}, base), m.re.FindAllStringIndex(s, -1)},
		{"FindAllStringSubmatchIndex", m.anc.findAll(s, true, nil, 0), m.re.FindAllStringSubmatchIndex(s, -1)},
		{"FindStringIndex/index", m.anc.find(s, 0, false, &textCtx{ix: newTextIndex(s)}, 0), m.re.FindStringIndex(s)},
	} {
		if g, w := fmt.Sprint(c.got), fmt.Sprint(c.want); g != w {
			t.Fatalf("%s %s on %q: got %s, want %s", m.re, c.name, s, g, w)
		}
	}
}

// TestAnchoredSameAsRegexp checks the anchored search against the regex engine
// on every text of the corpora and on tricky strings.
func TestAnchoredSameAsRegexp(t *testing.T) {
	r, err := sharedRules()
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"", "请", "申请公开", "申请申请公开以下信息：1、", "要求贵局依法予以公开下列三项政府信息：", "AUTO-REPLY Out Of Office", "我们想自己去局里拿", "ＥＭＳ快递 EMS", "\u212a\u017f ems seo", "受张三先生委托", "我叫王小明身份证"}
	for _, e := range corpusEmails(t) {
		texts = append(texts, e.Subject, e.Text, e.HTMLText, r.simp(e.Text), r.simp(e.HTMLText), r.simp(e.Subject))
	}
	n := 0
	for _, m := range allMatchers(r) {
		if m.anc == nil {
			continue
		}
		n++
		for _, s := range texts {
			checkSame(t, m, s)
		}
	}
	if n < 20 {
		t.Errorf("only %d rules use the anchored search", n)
	}
}

// FuzzAnchored compares the anchored search with the regex engine on random text.
func FuzzAnchored(f *testing.F) {
	for _, s := range []string{"申请公开以下信息：2024年", "请问怎么申请", "我们派人来局里领取", "mailer-daemon@x", "投诉该公司", "用于诉讼。"} {
		f.Add(s)
	}
	r, err := sharedRules()
	if err != nil {
		f.Fatal(err)
	}
	ms := allMatchers(r)
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range ms {
			checkSame(t, m, s)
		}
	})
}

// FuzzLawTitles compares lawTitles with the regex it stands for.
func FuzzLawTitles(f *testing.F) {
	for _, s := range []string{"依据《中华人民共和国政府信息公开条例》第二十七条", "政府信息公开条例信息公开条例公开条例", "《a\nb》《》《《x》", "x《一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十》", "《一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九》", "\xff《\xfe》公开条例"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`《[^》\n]{0,40}》|政府信息公开条例|信息公开条例|公开条例`)
	f.Fuzz(func(t *testing.T, s string) {
		if g, w := fmt.Sprint(lawTitles(s)), fmt.Sprint(re.FindAllStringIndex(s, -1)); g != w {
			t.Fatalf("%q: got %s, want %s", s, g, w)
		}
	})
}

// FuzzNumbers compares the windowed number search with the regex engine.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"电话13812345678 13912345678号", "（0379）6521 8890", "+852 6123 4567", "身份证410305 1969 1102 2035，", "91410303MA45XK7LX6", "a13812345678b", "138 1234 5678\n0379-65218890", "\xff13812345678", "2024,13812345678", "12)13812345678 5-6（0379）65218890;7+86 138 1234 5678", "1 2 3 410305196911022035x 9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			re   *regexp.Regexp
			core *byteSet
		}{{reMobile, phoneSet}, {reLandline, phoneSet}, {reIntl, phoneSet}, {reID18, idSet}, {reID15, idSet}, {reCredit, creditSet}} {
			if g, w := fmt.Sprint(findNumbers(c.re, s, c.core)), fmt.Sprint(c.re.FindAllStringSubmatchIndex(s, -1)); g != w {
				t.Fatalf("%s on %q: got %s, want %s", c.re, s, g, w)
			}
		}
	})
}

// FuzzRuns compares the run-wise searches and line prefilters with the regex engine.
func FuzzRuns(f *testing.F) {
	for _, s := range []string{"a.b@c.com x@y", "2024年5月6日 10:30", "2024-05-06T10:30:00", "12345678901234567890", "在2025年5月1日，张三写道：", "On Mon, X wrote:", "----- Original Message -----", "Begin forwarded message:", "From: 张 <a@b.c>", "5月2024年5月6日 10:30 12 2024-05-06", "1234567890123 12345678901234 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			re        *regexp.Regexp
			set, must *byteSet
			wide      string
		}{{reEmail, emailSet, atSet, ""}, {reDate, dateSet, digitSet, "年月日"}, {reLongDigits, digitSet, digitSet, ""}} {
			if g, w := fmt.Sprint(findRuns(c.re, s, c.set, c.wide, c.must)), fmt.Sprint(c.re.FindAllStringIndex(s, -1)); g != w {
				t.Fatalf("%s on %q: got %s, want %s", c.re, s, g, w)
			}
		}
		if reQuoteHead.MatchString(s) && !mayQuoteHead(s) || reFwdHead.MatchString(s) && !mayFwdHead(s) || reFwdFrom.MatchString(s) && !mayFwdFrom(s) {
			t.Fatalf("prefilter rejects %q", s)
		}
	})
}

// FuzzIndexLit compares indexLit with strings.Index.
func FuzzIndexLit(f *testing.F) {
	f.Add("申请公开以下信息", "公开")
	f.Add("aaab", "ab")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, s, lit string) {
		if lit == "" {
			return
		}
		if g, w := indexLit(s, lit), strings.Index(s, lit); g != w {
			t.Fatalf("indexLit(%q, %q) = %d, want %d", s, lit, g, w)
		}
	})
}

// FuzzPrep compares the one-pass prep with width folding followed by the
// simplified copy.
func FuzzPrep(f *testing.F) {
	f.Add("聯絡電話：＋８５２ ６１２３\r\nABC\u200b\u3000臺灣\xff")
	r, err := sharedRules()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w := foldWidth(s)
		var b strings.Builder
		for _, c := range w {
			if c < utf8.RuneSelf {
				b.WriteByte(byte(unicode.ToLower(c)))
				continue
			}
			if x, ok := r.t2s[c]; ok {
				c = x
			}
			b.WriteRune(c)
		}
		if got := r.prep(s); got.w != w || got.m != b.String() {
			t.Fatalf("prep(%q) = %q, %q; want %q, %q", s, got.w, got.m, w, b.String())
		}
	})
}

// TestUpperCJKCaseless checks the premise of upper: nothing in U+3000–U+9FFF
// changes case.
func TestUpperCJKCaseless(t *testing.T) {
	for r := rune(0x3000); r <= 0x9fff; r++ {
		if unicode.ToUpper(r) != r {
			t.Fatalf("ToUpper(%U) = %U", r, unicode.ToUpper(r))
		}
	}
}

// FuzzUpper compares upper with strings.ToUpper.
func FuzzUpper(f *testing.F) {
	f.Add("gk-2025-000001 申请ſı\xffＡａ")
	f.Fuzz(func(t *testing.T, s string) {
		if g, w := upper(s), strings.ToUpper(s); g != w {
			t.Fatalf("upper(%q) = %q, want %q", s, g, w)
		}
	})
}

// refLines is the matcher's original line-wise search: the prefilter on the
// whole text, then the regex engine on each line that passes it.
func refLines(m *matcher, s string, each func(off int, line string) bool) {
	if !m.may(s) {
		return
	}
	if len(s) < lineWise || !strings.Contains(s, "\n") {
		each(0, s)
		return
	}
	off := 0
	for {
		i := strings.IndexByte(s[off:], '\n')
		end := len(s)
		if i >= 0 {
			end = off + i
		}
		if line := s[off:end]; m.may(line) && !each(off, line) {
			return
		}
		if i < 0 {
			return
		}
		off = end + 1
	}
}

// checkMatcher compares a matcher's four searches with refLines and the engine.
func checkMatcher(t *testing.T, m *matcher, s string) {
	t.Helper()
	var first, firstSub []int
	var all, allSub [][]int
	refLines(m, s, func(off int, line string) bool {
		if loc := m.re.FindStringIndex(line); loc != nil && first == nil {
			first = shift(loc, off)
		}
		if loc := m.re.FindStringSubmatchIndex(line); loc != nil && firstSub == nil {
			firstSub = shift(loc, off)
		}
		for _, loc := range m.re.FindAllStringIndex(line, -1) {
			all = append(all, shift(loc, off))
		}
		for _, loc := range m.re.FindAllStringSubmatchIndex(line, -1) {
			allSub = append(allSub, shift(loc, off))
		}
		return true
	})
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"FindStringIndex", m.FindStringIndex(s), first},
		{"FindStringSubmatchIndex", m.FindStringSubmatchIndex(s), firstSub},
		{"FindAllStringIndex", m.FindAllStringIndex(s, -1), all},
		{"FindAllStringSubmatchIndex", m.FindAllStringSubmatchIndex(s, -1), allSub},
	} {
		if g, w := fmt.Sprint(c.got), fmt.Sprint(c.want); g != w {
			t.Fatalf("%s %s on %q: got %s, want %s", m.re, c.name, s, g, w)
		}
	}
}

// TestMatcherSameAsLines checks every rule's searches on the corpora's texts,
// whole and joined into long letters.
func TestMatcherSameAsLines(t *testing.T) {
	r, err := sharedRules()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	var all strings.Builder
	for _, e := range corpusEmails(t) {
		texts = append(texts, e.Text, r.simp(e.Text), r.simp(e.HTMLText), "ABC EMS 邮寄\n"+r.simp(e.Text))
		all.WriteString(r.simp(e.Text) + "\n")
	}
	texts = append(texts, all.String())
	for _, m := range allMatchers(r) {
		for _, s := range texts {
			checkMatcher(t, m, s)
		}
	}
}

// FuzzMatcher compares the rules' searches with refLines on random letters.
func FuzzMatcher(f *testing.F) {
	long := strings.Repeat("您好，我想问一下。\n", 30)
	f.Add(long + "申请公开以下信息：\n1. 2024年预售许可证\n请邮寄给我，EMS。")
	f.Add(long + "我们派人到局里领取\nFrom: x")
	r, err := sharedRules()
	if err != nil {
		f.Fatal(err)
	}
	ms := allMatchers(r)
	f.Fuzz(func(t *testing.T, s string) {
		s = long + s // long enough to be searched line by line
		for _, m := range ms {
			checkMatcher(t, m, s)
		}
	})
}

// FuzzContainsFold compares containsFoldASCII with lower-casing and searching.
func FuzzContainsFold(f *testing.F) {
	f.Add("On Mon, X WROTE:", "wrote")
	f.Add("BEGIN forwarded", "begin")
	f.Add("wrot", "wrote")
	f.Fuzz(func(t *testing.T, s, lit string) {
		lit = strings.ToLower(lit)
		if g, w := containsFoldASCII(s, lit), strings.Contains(lowerASCII(s), lit); g != w {
			t.Fatalf("containsFoldASCII(%q, %q) = %v, want %v", s, lit, g, w)
		}
	})
}

// FuzzMayIn compares the indexed prefilter with the plain one on the relay
// rules.
func FuzzMayIn(f *testing.F) {
	f.Add("本邮件由系统自动发送，请勿直接回复\n此致")
	f.Add("系统自动")
	r, err := sharedRules()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ix := newTextIndex(s)
		for _, rr := range r.relay {
			if g, w := rr.re.mayIn(s, ix), rr.re.may(s); g != w {
				t.Fatalf("mayIn(%q) = %v, may = %v (%s)", s, g, w, rr.re.re)
			}
		}
	})
}

// FuzzLine compares the indexed line lookup with searching for line breaks.
func FuzzLine(f *testing.F) {
	f.Add("一\n二三\n\n四", 4)
	f.Add("\n", 0)
	f.Fuzz(func(t *testing.T, s string, at int) {
		if at < 0 || at > len(s) {
			return
		}
		ws, wn := (*textIndex)(nil).line(s, at)
		if gs, gn := newTextIndex(s).line(s, at); gs != ws || gn != wn {
			t.Fatalf("line(%q, %d) = %d, %d, want %d, %d", s, at, gs, gn, ws, wn)
		}
	})
}
