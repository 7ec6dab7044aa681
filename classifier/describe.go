package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lawTitles returns the spans of the names of laws, whose "公开" is not a
// request: what the regex 《[^》\n]{0,40}》|政府信息公开条例|信息公开条例|公开条例
// finds (FindAllStringIndex), written out because the engine would try it at
// every position of the text.
func lawTitles(s string) (out [][]int) {
	i := 0
	for i < len(s) {
		a := strings.Index(s[i:], "《")
		if a >= 0 {
			a += i
		}
		lit, litEnd := -1, -1
		if b := strings.Index(s[i:], "公开条例"); b >= 0 {
			b += i
			lit, litEnd = b, b+len("公开条例")
			switch {
			case b-len("政府信息") >= i && strings.HasPrefix(s[b-len("政府信息"):], "政府信息公开条例"):
				lit = b - len("政府信息")
			case b-len("信息") >= i && strings.HasPrefix(s[b-len("信息"):], "信息公开条例"):
				lit = b - len("信息")
			}
		}
		if a >= 0 && (lit < 0 || a < lit) {
			if e := titleEnd(s, a); e > 0 {
				out = append(out, []int{a, e})
				i = e
			} else {
				i = a + len("《")
			}
			continue
		}
		if lit < 0 {
			break
		}
		out = append(out, []int{lit, litEnd})
		i = litEnd
	}
	return out
}

// titleEnd returns the end of "《…》" starting at p (at most 40 characters
// inside, none a line break), or -1.
func titleEnd(s string, p int) int {
	q := p + len("《")
	for n := 0; q < len(s); n++ {
		r, w := utf8.DecodeRuneInString(s[q:])
		if r == '》' {
			return q + w
		}
		if r == '\n' || n == 40 {
			return -1
		}
		q += w
	}
	return -1
}

// maskLawTitles blanks the names of laws with '_' (byte for byte).
func maskLawTitles(s string) string {
	return fillSpans(s, lawTitles(s), '_')
}

// extractDescription finds what is asked for: a form's description field, else
// the words after a request phrase ("申请公开以下信息：…"), with list items kept
// apart and back-references ("该项目", "本小区") replaced by what they point at.
func (r *rules) extractDescription(f *found, o extractOpts) {
	if k, ok := formValue(f.kvs, "description"); ok || f.present["description"] {
		var items []string
		start := k.line + 1
		if ok {
			items = append(items, r.splitItems(k.value.w)...)
		} else {
			for _, kk := range f.kvs {
				if kk.field == "description" {
					start = kk.line + 1
					break
				}
			}
		}
		// The value may go on in list items or lines below the label.
		if more := r.listAfter(f, start, !ok); len(more) > 0 {
			items = append(items, more...)
		}
		items = nonEmpty(items)
		if len(items) > 0 {
			f.descFromForm = true
			f.triggerAt = lineOffset(f, start-1)
			f.trigger = "表单：" + firstNonEmpty(k.label, "所需信息")
			r.setDescription(f, items, o)
			return
		}
	}
	// Header lines of a forward or a relay ("主题：申请公开…", "来信标题：…") are
	// not the request: masked like law titles. Without them the text is the
	// prepared text's law-masked copy, whose phrase matches are kept.
	ignore := false
	for _, k := range f.kvs {
		ignore = ignore || k.field == "ignore"
	}
	var trig [][][]int
	if !ignore && f.p != nil {
		trig = r.triggerMatches(f.p)
	} else {
		mm := []byte(f.t.m)
		for _, loc := range lawTitles(f.t.m) {
			for i := loc[0]; i < loc[1]; i++ {
				mm[i] = '_'
			}
		}
		for _, k := range f.kvs {
			if k.field == "ignore" {
				off := lineOffset(f, k.line)
				for i := off; i < off+len(f.lines[k.line].m); i++ {
					mm[i] = '_'
				}
			}
		}
		masked := string(mm)
		trig = make([][][]int, len(r.triggers))
		for i, re := range r.triggers {
			trig[i] = re.FindAllStringIndex(masked, -1)
		}
	}
	best, bestEnd := -1, -1
	for _, all := range trig {
		for _, loc := range all {
			if !r.substantive(f.t.m[loc[1]:]) {
				continue
			}
			if best < 0 || loc[0] < best || (loc[0] == best && loc[1] > bestEnd) {
				best, bestEnd = loc[0], loc[1]
			}
			break
		}
	}
	if best >= 0 {
		items := r.itemsAfter(f, bestEnd)
		if len(items) > 0 {
			f.triggerAt = best
			f.trigger = strings.TrimSpace(f.t.w[best:bestEnd])
			r.setDescription(f, items, o)
			return
		}
	}
	// No request phrase: the first sentence naming a record.
	for _, s := range r.sentences(f) {
		if r.namesRecord(s.m) {
			f.triggerAt = strings.Index(f.t.w, s.w)
			f.trigger = "含有文件名称的句子"
			r.setDescription(f, []string{cleanItem(s.w)}, o)
			return
		}
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func lineOffset(f *found, li int) int {
	off := 0
	for i := 0; i < li && i < len(f.lines); i++ {
		off += len(f.lines[i].w) + 1
	}
	return off
}

// substantive reports whether what follows a request phrase says something
// (not just "政府信息，具体如下表").
func (r *rules) substantive(rest string) bool {
	rest = strings.TrimLeft(rest, " \t：:")
	if strings.HasPrefix(rest, "\n") || rest == "" {
		return true // a list follows
	}
	line := cutAt(rest, "\n")
	line = strings.TrimSpace(cutAt(line, "，,。"))
	for _, p := range []string{"政府信息", "信息", "相关信息", "如下", "以下"} {
		line = strings.TrimPrefix(line, p)
	}
	return runeLen(strings.TrimSpace(line)) >= 3 || strings.HasSuffix(cutAt(rest, "\n"), "：")
}

// listAfter gathers list items (or, when loose, plain lines) below line start.
func (r *rules) listAfter(f *found, start int, loose bool) []string {
	var items []string
	kvLine := map[int]bool{}
	for _, k := range f.kvs {
		kvLine[k.line] = true
	}
	blank := 0
	for i := start; i < len(f.lines); i++ {
		l := f.lines[i].trim()
		if l.w == "" {
			blank++
			if blank > 1 && len(items) > 0 {
				break
			}
			continue
		}
		if kvLine[i] {
			break
		}
		if listMarker(l.w) > 0 {
			items = append(items, cleanItem(l.w))
			blank = 0
			continue
		}
		if loose && len(items) == 0 && !r.isBoiler(l.m) {
			items = append(items, cleanItem(cutSentence(l.w)))
			break
		}
		break
	}
	return items
}

// cutSentence returns s up to and excluding its first full stop.
func cutSentence(s string) string {
	for i, r := range s {
		if r == '。' || r == '！' || r == '？' || r == '!' || r == '?' {
			return s[:i]
		}
	}
	return s
}

// itemsAfter returns the items that follow a request phrase ending at off.
func (r *rules) itemsAfter(f *found, off int) []string {
	rest := f.t.w[off:]
	restM := f.t.m[off:]
	trimmed := strings.TrimLeft(rest, " \t：:")
	line := cutAt(trimmed, "\n")
	if strings.TrimSpace(line) != "" {
		s := cutSentence(line)
		s = strings.TrimSpace(s)
		if strings.HasSuffix(s, "：") || strings.HasSuffix(s, ":") || strings.TrimSpace(s) == "" {
			// "…具体包括：" introduces a list below.
			li := lineIndexAt(f, off)
			items := r.listAfter(f, li+1, true)
			if head := strings.TrimRight(s, "：:"); head != "" && !isGenericHead(r.simp(head)) {
				return append([]string{cleanItem(head)}, items...)
			}
			return items
		}
		return r.splitItems(s)
	}
	_ = restM
	li := lineIndexAt(f, off)
	return r.listAfter(f, li+1, true)
}

// isGenericHead reports a list heading with no content ("以下信息", "具体如下").
func isGenericHead(m string) bool {
	m = strings.TrimSpace(m)
	for _, p := range []string{"以下", "下列", "如下", "具体", "信息", "政府", "内容", "材料", "三项", "两项", "二项", "几项", "项", "的"} {
		m = strings.ReplaceAll(m, p, "")
	}
	return runeLen(strings.TrimSpace(m)) < 2
}

func lineIndexAt(f *found, off int) int {
	pos := 0
	for i, l := range f.lines {
		if off <= pos+len(l.w) {
			return i
		}
		pos += len(l.w) + 1
	}
	return len(f.lines) - 1
}

// splitItems splits one sentence into items: at semicolons, and at "、", "和",
// "以及" outside brackets when both sides name a record ("竣工验收备案表和工程质量监督报告").
func (r *rules) splitItems(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '；' || r == ';' }) {
		out = append(out, r.splitConj(cleanItem(p))...)
	}
	return nonEmpty(out)
}

var conjunctions = []string{"，以及", "以及", "、", "和"}

func (r *rules) splitConj(s string) []string {
	depth := 0
	for i, c := range s {
		switch c {
		case '（', '(', '《', '“', '[', '【':
			depth++
			continue
		case '）', ')', '》', '”', ']', '】':
			depth--
			continue
		}
		if depth != 0 {
			continue
		}
		for _, cj := range conjunctions {
			if !strings.HasPrefix(s[i:], cj) {
				continue
			}
			left, right := cleanItem(s[:i]), cleanItem(s[i+len(cj):])
			if cj != "，以及" && cj != "以及" && (strings.ContainsAny(left, "，,：:") || strings.ContainsAny(right, "，,：:")) {
				break
			}
			if runeLen(left) >= 4 && runeLen(right) >= 4 && r.namesRecord(r.simp(left)) && r.namesRecord(r.simp(right)) {
				return append([]string{left}, r.splitConj(right)...)
			}
			break
		}
	}
	return []string{s}
}

// cleanItem strips list markers and trailing punctuation.
func cleanItem(s string) string {
	s = strings.TrimSpace(s)
	if n := listMarker(s); n > 0 {
		s = s[n:]
	}
	s = strings.TrimSpace(s)
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("，,。.；;：:、", r)
	})
}

// setDescription resolves back-references and stores description and items.
func (r *rules) setDescription(f *found, items []string, o extractOpts) {
	before := ""
	if f.triggerAt > 0 && f.triggerAt <= len(f.t.w) {
		before = f.t.w[:f.triggerAt]
	}
	for i := range items {
		ctx := before + "\n" + strings.Join(items[:i], "\n")
		items[i] = r.resolve(items[i], ctx, o.subject, f.Address)
	}
	f.Items = items
	f.Description = strings.Join(items, "；")
	f.setEv("description", f.trigger)
	// 条例 Art. 29(2): the description must let the agency find the record.
	m := r.simp(f.Description)
	for _, re := range r.vague {
		if loc := re.FindStringIndex(m); loc != nil {
			rest := m[:loc[0]] + m[loc[1]:]
			if !r.namesRecord(rest) {
				f.vague = f.Description[loc[0]:loc[1]]
			}
			break
		}
	}
}

// namesRecord reports whether m (simplified) names a kind of record.
func (r *rules) namesRecord(m string) bool {
	for _, w := range r.records {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// sentences returns the content sentences of the text (not form lines, not
// greetings or signatures), in order.
func (r *rules) sentences(f *found) []text {
	kvLine := map[int]bool{}
	for _, k := range f.kvs {
		kvLine[k.line] = true
	}
	var out []text
	boiler, system := r.boilerLines(f.t.m), r.systemLines(f.t.m)
	for i, l := range f.lines {
		if kvLine[i] || boiler(l.m) || system(l.m) {
			continue
		}
		l = l.trim()
		start := 0
		for j, c := range l.w {
			if c == '。' || c == '！' || c == '？' || c == '!' || c == '?' {
				if s := l.sub(start, j).trim(); s.w != "" {
					out = append(out, s)
				}
				start = j + utf8.RuneLen(c)
			}
		}
		if s := l.sub(start, len(l.w)).trim(); s.w != "" {
			out = append(out, s)
		}
	}
	return out
}

// isBoiler reports a greeting, courtesy, signature or boilerplate line.
func (r *rules) isBoiler(m string) bool { return boilerIn(r.boiler, m) }

func boilerIn(rules []*matcher, m string) bool {
	m = strings.TrimSpace(m)
	if m == "" {
		return true
	}
	for _, re := range rules {
		if re.MatchString(m) {
			return true
		}
	}
	return false
}

// boilerLines returns isBoiler for the lines of the text whole, checking
// each line only against the rules whose literals the whole text holds.
func (r *rules) boilerLines(whole string) func(line string) bool {
	var rules []*matcher
	for _, re := range r.boiler {
		if re.may(whole) {
			rules = append(rules, re)
		}
	}
	return func(m string) bool { return boilerIn(rules, m) }
}

// corefStop ends the leftward expansion of an antecedent.
const corefStop = "是的在了对与和及为从到我位关申公该此这住有据将把被给由向于等个一其也都就还说请"

// resolve replaces back-references in item with the thing they point at.
func (r *rules) resolve(item, ctx, subject, address string) string {
	im := r.simp(item)
	for _, c := range r.coref {
		ana, head := c[0], c[1]
		i := strings.Index(im, ana)
		if i < 0 {
			continue
		}
		ante := r.antecedent(ctx, head, corefStop)
		if ante == "" {
			ante = r.antecedent(subject, head, corefStop)
		}
		if ante == "" && address != "" {
			ante = r.antecedent(address, head, addressMarks+corefStop)
		}
		if ante == "" {
			continue
		}
		item = item[:i] + ante + item[i+len(ana):]
		im = r.simp(item)
	}
	return item
}

// antecedent finds the last "X…head" in ctx with at least two characters before
// head, expanding left until a stop character or punctuation.
func (r *rules) antecedent(ctx, head, stops string) string {
	t := r.prep(ctx)
	end := len(t.m)
	for {
		i := strings.LastIndex(t.m[:end], head)
		if i < 0 {
			return ""
		}
		j := i
		n := 0
		for j > 0 && n < 20 {
			c, size := utf8.DecodeLastRuneInString(t.m[:j])
			if strings.ContainsRune(stops, c) {
				break
			}
			if !(isHan(c) || unicode.IsDigit(c) || unicode.IsLetter(c) || strings.ContainsRune("“”\"#《》-", c)) {
				break
			}
			j -= size
			n++
		}
		if n >= 2 {
			return t.w[j : i+len(head)]
		}
		end = i
	}
}
