package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"gongkai"
	"gongkai/ledger"
	"gongkai/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s differs from the golden file (-update rewrites it) at line %d:\n got  %q\n want %q", name, i+1, gl, wl)
			return
		}
	}
}

// readJSON decodes testdata/name into v.
func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// ledgerSource reads a ledger file into a SliceSource, as `gongkai report`
// does for a bureau that has only its spreadsheet.
func ledgerSource(t *testing.T, name string) *report.SliceSource {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, errs := ledger.Read(name, f)
	if len(errs) > 0 {
		t.Fatalf("ledger.Read: %v", errs)
	}
	src := &report.SliceSource{}
	for _, c := range l.Cases {
		src.Rows = append(src.Rows, report.CaseRow{No: c.CaseNo, ApplicantType: c.ApplicantType, ReceivedOn: c.ReceivedOn, AnsweredOn: c.AnsweredOn, Result: c.Result, Counted: true})
	}
	for _, a := range l.Appeals {
		src.AppealRows = append(src.AppealRows, gongkai.Appeal{CaseNo: a.CaseNo, Kind: a.Kind, FiledOn: a.FiledOn, Outcome: a.Outcome, DecidedOn: a.DecidedOn})
	}
	return src
}

func seedReport(t *testing.T) *report.Report {
	t.Helper()
	opt := report.Options{Agency: "西工区住房和城乡建设局"}
	readJSON(t, "seed2024-proactive.json", &opt.Proactive)
	readJSON(t, "seed2024-texts.json", &opt.Texts)
	r, err := report.Build(context.Background(), ledgerSource(t, "seed2024.csv"), 2024, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// normCell applies the normalisation RULES.md §2.4 allows when comparing with
// the seed, whose text was extracted from a PDF: whitespace is dropped and
// full-width brackets and commas read as half-width ones.
func normCell(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return -1
		case r == '（':
			return '('
		case r == '）':
			return ')'
		case r == '，':
			return ','
		}
		return r
	}, s)
}

// sections splits a Markdown report into its title and six sections, each a
// list of lines; a line is its non-empty tab-separated cells, normalised.
// Heading levels are ignored (the seed's vary from ## to ####), and so are
// empty cells: the seed's extraction shifted two merged-cell rows.
func sections(doc string) map[string][]string {
	out := map[string][]string{}
	cur := "title"
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "#") {
			h := normCell(strings.TrimLeft(line, "#"))
			for _, n := range []string{"一", "二", "三", "四", "五", "六"} {
				if strings.HasPrefix(h, n+"、") {
					cur = n
				}
			}
		}
		var cells []string
		for _, c := range strings.Split(strings.TrimLeft(line, "#"), "\t") {
			if c = normCell(c); c != "" {
				cells = append(cells, c)
			}
		}
		if len(cells) > 0 {
			out[cur] = append(out[cur], strings.Join(cells, " | "))
		}
	}
	return out
}

// TestSeedReport rebuilds the Xigong housing bureau's published 2024 report
// from a ledger of its ten applications and compares every line of it —
// headings, prose, and each label and number of the tables — with the seed.
func TestSeedReport(t *testing.T) {
	r := seedReport(t)
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	golden(t, "seed2024.md", md.Bytes())

	seed, err := os.ReadFile(filepath.Join("testdata", "seed-xigong-2024.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, got := sections(string(seed)), sections(md.String())
	for _, sec := range []string{"title", "一", "二", "三", "四", "五", "六"} {
		t.Run(sec, func(t *testing.T) {
			w, g := want[sec], got[sec]
			if len(w) == 0 {
				t.Fatalf("seed has no section %s", sec)
			}
			for i := 0; i < len(w) || i < len(g); i++ {
				var wl, gl string
				if i < len(w) {
					wl = w[i]
				}
				if i < len(g) {
					gl = g[i]
				}
				if wl != gl {
					t.Errorf("line %d:\n got  %s\n want %s", i+1, gl, wl)
				}
			}
		})
	}
	// The table of section 三 has its three header lines and 25 numeric rows.
	if n := len(got["三"]); n != 1+3+25 {
		t.Errorf("section 三 has %d lines, want heading + 3 header lines + 25 rows", n)
	}
}

func TestSeedJSON(t *testing.T) {
	r := seedReport(t)
	if !r.OK() {
		t.Errorf("OK() = false, failed checks: %+v", r.Failed())
	}
	for _, c := range r.Checks {
		if !c.OK {
			t.Errorf("check %s %s %s failed: %s", c.ID, c.Rule, c.Column, c.Detail)
		}
	}
	var b bytes.Buffer
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "seed2024.json", b.Bytes())

	// The contract's example values, read back through a plain decoder.
	var doc struct {
		Year    int      `json:"year"`
		Agency  string   `json:"agency"`
		Columns []string `json:"columns"`
		Table3  []struct {
			Key   string `json:"key"`
			Label string `json:"label"`
			Cells []int  `json:"cells"`
		} `json:"table3"`
		Table4 struct {
			Cells []int `json:"cells"`
		} `json:"table4"`
		Proactive map[string]any `json:"proactive"`
		Checks    []struct {
			Rule   string `json:"rule"`
			Column string `json:"column"`
			OK     bool   `json:"ok"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Year != 2024 || doc.Agency != "西工区住房和城乡建设局" {
		t.Errorf("year, agency = %d, %q", doc.Year, doc.Agency)
	}
	if got := strings.Join(doc.Columns, ","); got != "自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计" {
		t.Errorf("columns = %s", got)
	}
	if len(doc.Table3) != 25 || len(doc.Table4.Cells) != 15 {
		t.Fatalf("table3 has %d rows, table4 %d cells", len(doc.Table3), len(doc.Table4.Cells))
	}
	first := doc.Table3[0]
	if first.Key != "new" || first.Label != "一、本年新收政府信息公开申请数量" || !equalInts(first.Cells, []int{10, 0, 0, 0, 0, 0, 10}) {
		t.Errorf("table3[0] = %+v", first)
	}
	wantRows := map[string][]int{
		"carried_in":             {0, 0, 0, 0, 0, 0, 0},
		"result.partial":         {4, 0, 0, 0, 0, 0, 4},
		"result.unable.not_held": {6, 0, 0, 0, 0, 0, 6},
		"result.total":           {10, 0, 0, 0, 0, 0, 10},
		"carried_out":            {0, 0, 0, 0, 0, 0, 0},
	}
	for _, row := range doc.Table3 {
		if want, ok := wantRows[row.Key]; ok && !equalInts(row.Cells, want) {
			t.Errorf("%s = %v, want %v", row.Key, row.Cells, want)
		}
	}
	if doc.Proactive["licensing_decisions"] != 4.0 {
		t.Errorf("proactive = %v", doc.Proactive)
	}
	found := false
	for _, c := range doc.Checks {
		if c.Rule == "一+二=三(七)+四" && c.Column == "自然人" && c.OK {
			found = true
		}
	}
	if !found {
		t.Error(`no passing check {"rule": "一+二=三(七)+四", "column": "自然人"}`)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
