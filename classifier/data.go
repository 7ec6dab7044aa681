package classifier

import (
	"bufio"
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// The rules, dictionaries and routing terms are plain files, embedded so the
// binary needs nothing at run time (STYLE.md habit: rules live in data files).
//
//go:embed data/*.txt data/*.tsv
var dataFS embed.FS

// rules is everything loaded from data/: compiled once, read-only afterwards,
// so a Classifier is safe for concurrent use.
type rules struct {
	t2s       map[rune]rune
	t2sBMP    []uint16         // t2s for the Basic Multilingual Plane, 0 = unchanged
	surnames  map[string]bool  // single and compound surnames
	labels    []label          // longest first
	labelsBy  map[rune][]label // labels by first character, longest first
	nature    []natureRule
	relay     []relayRule
	delivery  []deliveryRule
	boiler    []*matcher
	triggers  []*matcher
	records   []string
	vague     []*matcher
	orgs      map[string]*matcher
	defRoutes []RoutingRule
	prose     map[string][]*matcher // field -> patterns with one group
	coref     [][2]string           // anaphor, head noun (simplified)
}

type label struct {
	text  string // simplified
	field string
	prio  int // position within its field in labels.tsv; lower wins
}

type natureRule struct {
	kind   string // bounce, auto_reply, spam, complaint, consult, publication, confirm, progress
	scope  string // subject, text, short, any, from, header:NAME
	header string
	re     *matcher
	src    string
}

type relayRule struct {
	scope string // from, subject, text
	re    *matcher
}

type deliveryRule struct {
	kind string
	re   *matcher
}

// readLines returns the non-empty, non-comment lines of an embedded file.
func readLines(name string) ([]string, error) {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("classifier: reading %s: %w", name, err)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), " \r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

// compile compiles a data-file regex case-insensitively.
func compile(file, src string) (*matcher, error) {
	re, err := regexp.Compile("(?i)" + src)
	if err != nil {
		return nil, fmt.Errorf("classifier: compiling %s pattern %q: %w", file, src, err)
	}
	return newMatcher(re), nil
}

func tsv(l string, n int) []string {
	f := strings.SplitN(l, "\t", n)
	for len(f) < n {
		f = append(f, "")
	}
	return f
}

func loadRules() (*rules, error) {
	r := &rules{t2s: map[rune]rune{}, surnames: map[string]bool{}, orgs: map[string]*matcher{}}
	lines, err := readLines("t2s.txt")
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		rs := []rune(l)
		// Only same-width pairs keep the simplified copy byte-aligned with the text.
		if len(rs) == 2 && utf8.RuneLen(rs[0]) == utf8.RuneLen(rs[1]) {
			r.t2s[rs[0]] = rs[1]
		}
	}
	r.t2sBMP = make([]uint16, 0x10000)
	for t, s := range r.t2s {
		if t < 0x10000 && s < 0x10000 && s != 0 {
			r.t2sBMP[t] = uint16(s)
		}
	}
	if lines, err = readLines("surnames.txt"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		for _, s := range strings.Fields(l) {
			r.surnames[s] = true
		}
	}
	if lines, err = readLines("labels.tsv"); err != nil {
		return nil, err
	}
	prio := map[string]int{}
	for _, l := range lines {
		f := tsv(l, 2)
		if f[1] == "" {
			return nil, fmt.Errorf("classifier: labels.tsv: bad line %q", l)
		}
		r.labels = append(r.labels, label{text: strings.ToLower(f[1]), field: f[0], prio: prio[f[0]]})
		prio[f[0]]++
	}
	sort.SliceStable(r.labels, func(i, j int) bool { return len(r.labels[i].text) > len(r.labels[j].text) })
	r.labelsBy = map[rune][]label{}
	for _, lb := range r.labels {
		c, _ := utf8.DecodeRuneInString(lb.text)
		r.labelsBy[c] = append(r.labelsBy[c], lb)
	}

	if lines, err = readLines("nature.tsv"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := tsv(l, 3)
		re, err := compile("nature.tsv", f[2])
		if err != nil {
			return nil, err
		}
		nr := natureRule{kind: f[0], scope: f[1], re: re, src: f[2]}
		if h, ok := strings.CutPrefix(f[1], "header:"); ok {
			nr.scope, nr.header = "header", h
		}
		r.nature = append(r.nature, nr)
	}
	if lines, err = readLines("relay.tsv"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := tsv(l, 2)
		re, err := compile("relay.tsv", f[1])
		if err != nil {
			return nil, err
		}
		r.relay = append(r.relay, relayRule{scope: f[0], re: re})
	}
	if lines, err = readLines("delivery.tsv"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := tsv(l, 2)
		re, err := compile("delivery.tsv", f[1])
		if err != nil {
			return nil, err
		}
		r.delivery = append(r.delivery, deliveryRule{kind: f[0], re: re})
	}
	for _, spec := range []struct {
		file string
		dst  *[]*matcher
	}{{"boilerplate.txt", &r.boiler}, {"request.txt", &r.triggers}, {"vague.txt", &r.vague}} {
		if lines, err = readLines(spec.file); err != nil {
			return nil, err
		}
		for _, l := range lines {
			re, err := compile(spec.file, l)
			if err != nil {
				return nil, err
			}
			*spec.dst = append(*spec.dst, re)
		}
	}
	if r.records, err = readLines("records.txt"); err != nil {
		return nil, err
	}
	if lines, err = readLines("orgs.tsv"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := tsv(l, 2)
		re, err := compile("orgs.tsv", f[1])
		if err != nil {
			return nil, err
		}
		r.orgs[f[0]] = re
	}
	r.prose = map[string][]*matcher{}
	if lines, err = readLines("prose.tsv"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := tsv(l, 2)
		re, err := compile("prose.tsv", f[1])
		if err != nil {
			return nil, err
		}
		r.prose[f[0]] = append(r.prose[f[0]], re)
	}
	if lines, err = readLines("coref.tsv"); err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := tsv(l, 2)
		r.coref = append(r.coref, [2]string{f[0], f[1]})
	}
	if lines, err = readLines("routes.tsv"); err != nil {
		return nil, err
	}
	for i, l := range lines {
		f := tsv(l, 2)
		rule := RoutingRule{ID: -int64(i + 1), Department: f[0], Pattern: f[1], Enabled: true}
		if p, ok := strings.CutPrefix(f[1], "re:"); ok {
			rule.Pattern, rule.IsRegex = p, true
		}
		r.defRoutes = append(r.defRoutes, rule)
	}
	return r, nil
}
