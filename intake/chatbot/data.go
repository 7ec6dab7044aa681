package chatbot

import (
	"bufio"
	"embed"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

//go:embed data/*
var dataFS embed.FS

// cue is one intent or slot pattern of the data files.
type cue struct {
	key string
	re  *regexp.Regexp
}

// wishCue maps a wish ("发到邮箱", "要电子版") to a 获取方式 or 提供形式 value
// (delivery.tsv, forms.tsv).
type wishCue struct {
	value string
	bare  bool
	re    *regexp.Regexp
}

// lexicon is the embedded data: intent cues, slot patterns, wish cues and
// every sentence the bot says.
type lexicon struct {
	cues     []cue
	slots    []cue
	delivery []wishCue
	forms    []wishCue // 提供形式 wishes (forms.tsv)
	text     map[string]string
}

var (
	lexOnce sync.Once
	lex     *lexicon
	lexErr  error
)

// loadLexicon parses the embedded data files once per process.
func loadLexicon() (*lexicon, error) {
	lexOnce.Do(func() { lex, lexErr = parseLexicon() })
	return lex, lexErr
}

func parseLexicon() (*lexicon, error) {
	l := &lexicon{text: map[string]string{}}
	var err error
	if l.cues, err = readCues("data/cues.tsv", 2); err != nil {
		return nil, err
	}
	if l.slots, err = readCues("data/slots.tsv", 2); err != nil {
		return nil, err
	}
	if l.delivery, err = readWishes("data/delivery.tsv"); err != nil {
		return nil, err
	}
	if l.forms, err = readWishes("data/forms.tsv"); err != nil {
		return nil, err
	}
	b, err := dataFS.ReadFile("data/answers.txt")
	if err != nil {
		return nil, fmt.Errorf("chatbot: read answers: %w", err)
	}
	key := ""
	var buf []string
	flush := func() {
		if key != "" {
			l.text[key] = strings.TrimSpace(strings.Join(buf, "\n"))
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			flush()
			key, buf = line[1:len(line)-1], nil
		default:
			buf = append(buf, line)
		}
	}
	flush()
	return l, nil
}

// readWishes reads a value<TAB>scope<TAB>regex file (delivery.tsv, forms.tsv).
func readWishes(name string) ([]wishCue, error) {
	rows, err := readTSV(name, 3)
	if err != nil {
		return nil, err
	}
	var out []wishCue
	for _, f := range rows {
		re, err := regexp.Compile(f[2])
		if err != nil {
			return nil, fmt.Errorf("chatbot: %s: %w", name, err)
		}
		out = append(out, wishCue{value: f[0], bare: f[1] == "bare", re: re})
	}
	return out, nil
}

func readTSV(name string, cols int) ([][]string, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("chatbot: read %s: %w", name, err)
	}
	var out [][]string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", cols)
		if len(f) != cols {
			return nil, fmt.Errorf("chatbot: %s:%d: want %d tab-separated columns", name, n, cols)
		}
		out = append(out, f)
	}
	return out, nil
}

func readCues(name string, cols int) ([]cue, error) {
	rows, err := readTSV(name, cols)
	if err != nil {
		return nil, err
	}
	var out []cue
	for _, f := range rows {
		re, err := regexp.Compile(f[1])
		if err != nil {
			return nil, fmt.Errorf("chatbot: %s: %s: %w", name, f[0], err)
		}
		out = append(out, cue{key: f[0], re: re})
	}
	return out, nil
}

// is reports whether any cue of intent matches s.
func (l *lexicon) is(intent, s string) bool {
	for _, c := range l.cues {
		if c.key == intent && c.re.MatchString(s) {
			return true
		}
	}
	return false
}

// isAll reports whether every clause of s matches a cue of intent ("知道了，谢谢").
func (l *lexicon) isAll(intent, s string) bool {
	cs := clauses(s)
	for _, c := range cs {
		if !l.is(intent, c.s) {
			return false
		}
	}
	return len(cs) > 0
}

// isAny reports whether s or one of its clauses matches a cue of intent.
func (l *lexicon) isAny(intent, s string) bool {
	if l.is(intent, s) {
		return true
	}
	for _, c := range clauses(s) {
		if l.is(intent, c.s) {
			return true
		}
	}
	return false
}

// slotMatches reports whether a slot pattern of field matches s.
func (l *lexicon) slotMatches(field, s string) bool {
	for _, c := range l.slots {
		if c.key == field && c.re.MatchString(s) {
			return true
		}
	}
	return false
}

// first returns the first intent whose name starts with prefix (in data-file
// order) and whose cue matches s, or "".
func (l *lexicon) first(s string, prefix string) string {
	for _, c := range l.cues {
		if strings.HasPrefix(c.key, prefix) && c.re.MatchString(s) {
			return c.key
		}
	}
	return ""
}

// say returns a sentence with its {placeholders} filled.
func (l *lexicon) say(key string, kv ...string) string {
	t, ok := l.text[key]
	if !ok {
		return key
	}
	if len(kv) > 0 {
		pairs := make([]string, 0, len(kv))
		for i := 0; i+1 < len(kv); i += 2 {
			pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
		}
		t = strings.NewReplacer(pairs...).Replace(t)
	}
	return t
}
