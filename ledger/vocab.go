package ledger

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"gongkai"
)

//go:embed vocab.txt
var vocabText string

// column is one known column of a sheet.
type column struct {
	key      string // field name, e.g. received_on
	header   string // canonical header text, e.g. 收到日期
	required bool
}

// vocabulary is vocab.txt parsed: per section, normalised spelling → value,
// plus the column lists in file order.
type vocabulary struct {
	words   map[string]map[string]string
	columns map[string][]column
}

var vocab = func() vocabulary {
	v := vocabulary{words: map[string]map[string]string{}, columns: map[string][]column{}}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(vocabText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			v.words[section] = map[string]string{}
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 || section == "" {
			panic(fmt.Sprintf("ledger: vocab.txt: bad line %q", line))
		}
		val := f[0]
		if section == "cases" || section == "appeals" {
			c := column{key: strings.TrimPrefix(val, "*"), header: f[1], required: strings.HasPrefix(val, "*")}
			v.columns[section] = append(v.columns[section], c)
			val = c.key
		}
		for _, s := range f[1:] {
			k := normalize(s)
			if old, dup := v.words[section][k]; dup && old != val {
				panic(fmt.Sprintf("ledger: vocab.txt: %q means both %s and %s", s, old, val))
			}
			v.words[section][k] = val
		}
	}
	return v
}()

// lookup returns the value of a spelling in a vocab.txt section.
func (v vocabulary) lookup(section, s string) (string, bool) {
	val, ok := v.words[section][normalize(s)]
	return val, ok
}

// normalize makes header texts and labels comparable: NFKC folds full-width
// letters, digits, brackets and commas to half width; whitespace, quotes, the
// middle dot and a trailing required-marker * are dropped (RULES.md §2.4 notes:
// label matching normalises brackets, commas, quotes and whitespace).
func normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '"', r == '\'', r == '“', r == '”', r == '‘', r == '’', r == '「', r == '」', r == '·', r == '・':
			continue
		case r == '【' || r == '〔' || r == '［':
			r = '('
		case r == '】' || r == '〕' || r == '］':
			r = ')'
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(strings.ToLower(b.String()), "*")
}

// results maps every accepted spelling of an outcome to its key: the key
// itself, the leaf label, the row label with or without its number, and the
// group with the leaf (contracts/ledger-import.md, 办理结果).
var results = func() map[string]gongkai.ResultKey {
	m := map[string]gongkai.ResultKey{}
	put := func(s string, k gongkai.ResultKey) {
		n := normalize(s)
		if old, dup := m[n]; dup && old != k {
			panic(fmt.Sprintf("ledger: outcome spelling %q means both %s and %s", s, old, k))
		}
		m[n] = k
	}
	for _, r := range gongkai.Results {
		put(string(r.Key), r.Key)
		put(r.Leaf, r.Key)
		put(r.Label, r.Key)
		put(r.Key.Label(), r.Key)
		if r.Group != "" {
			put(r.Group+r.Label, r.Key)
			put(r.Group+r.Leaf, r.Key)
		}
	}
	return m
}()
