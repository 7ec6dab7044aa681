package replies

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strings"

	"gongkai"
)

//go:embed data/*.tsv
var dataFS embed.FS

// Kind names a letter template: a procedural letter ("receipt", "correction",
// …) or, for a final letter, the outcome key itself ("result.disclosed"), so
// that letters.kind in the store reads the same either way.
type Kind string

// Procedural letter kinds (RULES.md §5).
const (
	KindReceipt           Kind = "receipt"             // 登记回执
	KindCorrection        Kind = "correction"          // 补正告知书 (Art. 30, §3.5)
	KindExtension         Kind = "extension"           // 延期答复告知书 (Art. 33, §3.4)
	KindConsultThirdParty Kind = "consult_third_party" // 征求第三方意见书 (Art. 32, §3.6)
	KindConsultAgency     Kind = "consult_agency"      // 征求意见函 to a co-authoring agency (Art. 34)
	KindConsultNotice     Kind = "consult_notice"      // 征求意见告知书 to the applicant (Art. 33 para. 3)
	KindFee               Kind = "fee"                 // 收费通知书 (Art. 42, §3.7)
	KindReasons           Kind = "reasons"             // 说明理由告知书 (Art. 35, §3.8)
)

// kindInfo is one row of data/kinds.tsv.
type kindInfo struct {
	kind  Kind
	title string
	basis string
}

// ExtraField is a free field of LetterData.Extra that a kind's default
// template reads; the editor shows these as inputs for the handler.
type ExtraField struct {
	Key   string
	Label string
}

var (
	kindTable = mustKinds()
	kindIndex = func() map[Kind]kindInfo {
		m := make(map[Kind]kindInfo, len(kindTable))
		for _, k := range kindTable {
			m[k.kind] = k
		}
		return m
	}()
	extraTable   = mustExtras()
	missingGuide = mustMissing()
	fieldTable   = mustFields()
)

// Field is a value a template can print, with its meaning, for the editor's
// help panel.
type Field struct {
	Code    string // e.g. {{.Case.No}}
	Meaning string
}

// TemplateFields lists the values a letter template can use (data/fields.tsv).
func TemplateFields() []Field { return append([]Field(nil), fieldTable...) }

// Kinds lists every letter kind: the procedural letters, then one per outcome
// in the order of gongkai.ResultKeys.
func Kinds() []Kind {
	ks := make([]Kind, len(kindTable))
	for i, k := range kindTable {
		ks[i] = k.kind
	}
	return ks
}

// KindForResult is the kind of the final letter for outcome r.
func KindForResult(r gongkai.ResultKey) Kind { return Kind(r) }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindIndex[k]; return ok }

// Result returns the outcome a final-letter kind decides, and whether k is one.
func (k Kind) Result() (gongkai.ResultKey, bool) {
	r := gongkai.ResultKey(k)
	return r, r.Valid()
}

// Final reports whether k is a final letter (one per outcome), which must carry
// the remedy clause (RULES.md §4.1, §4.2 last paragraph).
func (k Kind) Final() bool { _, ok := k.Result(); return ok }

// Title is the Chinese title of the letter, without the agency name.
func (k Kind) Title() string {
	if ki, ok := kindIndex[k]; ok {
		return ki.title
	}
	return string(k)
}

// Label is how staff tell kinds apart in lists: the title, and for a final
// letter the outcome (e.g. 不予公开·属于国家秘密).
func (k Kind) Label() string {
	if r, ok := k.Result(); ok {
		return "答复：" + r.Label()
	}
	return k.Title()
}

// Basis is the legal basis the letter must cite ("" when none is required):
// RULES.md §4.2 for final letters, data/kinds.tsv for procedural ones.
func (k Kind) Basis() string {
	if r, ok := k.Result(); ok {
		info, _ := r.Info()
		return info.Basis
	}
	return kindIndex[k].basis
}

// ExtraFields lists the free fields the default template of k reads.
func (k Kind) ExtraFields() []ExtraField {
	var out []ExtraField
	for _, e := range extraTable {
		for _, kk := range e.kinds {
			if kk == k {
				out = append(out, ExtraField{Key: e.key, Label: e.label})
			}
		}
	}
	return out
}

// remedyDue reports whether letters of kind k must carry the remedy clause:
// every final letter (RULES.md §4.2 last paragraph) and the fee notice, which
// decides a charge the applicant may contest (K13 counts fee disputes).
func (k Kind) remedyDue() bool { return k.Final() || k == KindFee }

type extraRow struct {
	key, label string
	kinds      []Kind
}

// tsvRows reads a tab-separated data file, skipping blank lines and # comments.
func tsvRows(name string) ([][]string, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("replies: reading %s: %w", name, err)
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows, sc.Err()
}

func mustKinds() []kindInfo {
	rows, err := tsvRows("data/kinds.tsv")
	if err != nil {
		panic(err)
	}
	var out []kindInfo
	seen := map[Kind]bool{}
	for _, r := range rows {
		if len(r) < 2 {
			panic(fmt.Sprintf("replies: data/kinds.tsv: bad row %q", r))
		}
		ki := kindInfo{kind: Kind(r[0]), title: r[1]}
		if len(r) > 2 {
			ki.basis = r[2]
		}
		seen[ki.kind] = true
		out = append(out, ki)
	}
	for _, rk := range gongkai.ResultKeys {
		if !seen[Kind(rk)] {
			panic(fmt.Sprintf("replies: data/kinds.tsv lacks outcome %s", rk))
		}
	}
	return out
}

func mustExtras() []extraRow {
	rows, err := tsvRows("data/extra.tsv")
	if err != nil {
		panic(err)
	}
	var out []extraRow
	for _, r := range rows {
		if len(r) != 3 {
			panic(fmt.Sprintf("replies: data/extra.tsv: bad row %q", r))
		}
		e := extraRow{key: r[0], label: r[1]}
		for _, k := range strings.Split(r[2], ",") {
			e.kinds = append(e.kinds, Kind(strings.TrimSpace(k)))
		}
		out = append(out, e)
	}
	return out
}

func mustMissing() map[string]string {
	rows, err := tsvRows("data/missing.tsv")
	if err != nil {
		panic(err)
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			panic(fmt.Sprintf("replies: data/missing.tsv: bad row %q", r))
		}
		m[r[0]] = r[1]
	}
	return m
}

func mustFields() []Field {
	rows, err := tsvRows("data/fields.tsv")
	if err != nil {
		panic(err)
	}
	out := make([]Field, 0, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			panic(fmt.Sprintf("replies: data/fields.tsv: bad row %q", r))
		}
		out = append(out, Field{Code: r[0], Meaning: r[1]})
	}
	return out
}
