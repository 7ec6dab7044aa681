package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// format.txt holds every fixed string of the report: the official headings and
// labels (RULES.md §2.2–§2.5), the generated sentences and the C9 patterns.
//
//go:embed format.txt
var formatText string

// words maps a format.txt key to its text.
var words = func() map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(formatText))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			panic(fmt.Sprintf("report: format.txt: no tab in %q", line))
		}
		m[k] = v
	}
	return m
}()

// w returns the text of key; a missing key is a programming error.
func w(key string) string {
	v, ok := words[key]
	if !ok {
		panic("report: format.txt has no key " + key)
	}
	return v
}

// fill replaces {name} placeholders in s.
func fill(s string, kv ...string) string {
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// quote is one C9 pattern: a quantity the prose may quote.
type quote struct {
	key   string // new, carried_in, …
	label string
	re    *regexp.Regexp
}

// quotes lists the C9 patterns in format.txt order.
var quotes = func() []quote {
	var qs []quote
	for _, k := range []string{"new", "carried_in", "concluded", "carried_out", "reconsideration", "litigation"} {
		label, expr, ok := strings.Cut(w("c9."+k), "\t")
		if !ok {
			panic("report: format.txt: c9." + k + " needs label<TAB>regexp")
		}
		qs = append(qs, quote{key: k, label: label, re: regexp.MustCompile(expr)})
	}
	return qs
}()
