package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gongkai"
)

// Markdown writes the report shaped like the seed report
// (shared/seed/xigong-housing-bureau-2024-annual-report.md): the six headings,
// the prose, and the official tables as tab-separated lines with merged cells
// laid out the way the seed prints them — a merged cell is written once, in
// its top-left position, and the cells it covers are empty. Two seed lines are
// artefacts of its PDF extraction and are printed in the regular layout
// instead: "3.其他" sits under its group like its siblings, and "（七）总计"
// under 三、本年度办理结果 like "（一）予以公开"; the 第二十条第（八）项 block has
// the same four columns as the others. Labels are the official full-width ones.
func (r *Report) Markdown(out io.Writer) error {
	b := bufio.NewWriter(out)
	para := func(s string) {
		for _, p := range paragraphs(s) {
			fmt.Fprintf(b, "%s\n\n", p)
		}
	}
	heading := func(key string) { fmt.Fprintf(b, "## %s\n\n", w(key)) }

	fmt.Fprintf(b, "# %s\n\n", r.title())
	heading("h1")
	para(r.Texts.Intro)
	for i, s := range r.Texts.Overview {
		fmt.Fprintf(b, "%s%s\n\n", w(fmt.Sprintf("overview.%d", i+1)), strings.TrimSpace(s))
	}
	heading("h2")
	for _, line := range r.table2Lines() {
		fmt.Fprintln(b, strings.Join(line, "\t"))
	}
	fmt.Fprintln(b)
	heading("h3")
	for _, line := range r.table3Lines() {
		fmt.Fprintln(b, strings.Join(line, "\t"))
	}
	fmt.Fprintln(b)
	heading("h4")
	for _, line := range r.table4Lines() {
		fmt.Fprintln(b, strings.Join(line, "\t"))
	}
	fmt.Fprintln(b)
	heading("h5")
	para(r.Texts.Problems)
	heading("h6")
	fmt.Fprintf(b, "%s\n", strings.Join(paragraphs(r.Texts.Other), "\n\n"))
	if err := b.Flush(); err != nil {
		return fmt.Errorf("report: writing markdown: %w", err)
	}
	return nil
}

// title is the report's title line.
func (r *Report) title() string {
	return strings.TrimSpace(fill(w("title"), "agency", r.Agency, "year", strconv.Itoa(r.Year)))
}

// table2Lines is section 二 as a 4-column grid (RULES.md §2.3).
func (r *Report) table2Lines() [][]string {
	p := r.Proactive
	n := strconv.Itoa
	return [][]string{
		{w("p.item1"), "", "", ""},
		{w("p.content"), w("p.issued"), w("p.repealed"), w("p.in_force")},
		{w("p.rules"), n(p.Rules.Issued), n(p.Rules.Repealed), n(p.Rules.InForce)},
		{w("p.normative"), n(p.NormativeDocuments.Issued), n(p.NormativeDocuments.Repealed), n(p.NormativeDocuments.InForce)},
		{w("p.item5"), "", "", ""},
		{w("p.content"), w("p.decisions"), "", ""},
		{w("p.licensing"), n(p.LicensingDecisions), "", ""},
		{w("p.item6"), "", "", ""},
		{w("p.content"), w("p.decisions"), "", ""},
		{w("p.penalties"), n(p.Penalties), "", ""},
		{w("p.coercive"), n(p.CoerciveMeasures), "", ""},
		{w("p.item8"), "", "", ""},
		{w("p.content"), w("p.fee_amount"), "", ""},
		{w("p.fees"), formatAmount(p.FeesWanYuan, 4), "", ""},
	}
}

// table3Lines is section 三 as the seed's 10-field lines: three header lines,
// then one line per numeric row (RULES.md §2.4).
func (r *Report) table3Lines() [][]string {
	lines := [][]string{
		{w("t3.note"), "", w("t3.applicants"), "", "", "", "", "", w("t3.total"), ""},
		{"", "", string(gongkai.NaturalPerson), w("t3.orgs"), "", "", "", "", "", ""},
		append(append([]string{"", "", ""}, r.Columns[1:colTotal]...), "", ""),
	}
	nums := func(row Row) []string {
		s := make([]string, 0, 7)
		for _, v := range row.Cells {
			s = append(s, strconv.Itoa(v))
		}
		return s
	}
	group := ""
	for i, row := range r.Table3 {
		var head []string
		var tail []string
		switch {
		case i == rowResult0:
			head, tail = []string{row.Section, row.Label}, []string{""}
		case row.Section != "" && row.Group == "":
			head, tail = []string{"", row.Label}, []string{""}
		case row.Group != "":
			g := ""
			if row.Group != group {
				g = row.Group
			}
			head = []string{"", g, row.Label}
		default:
			head, tail = []string{row.Label, ""}, []string{""}
		}
		group = row.Group
		line := append(append(head, nums(row)...), tail...)
		lines = append(lines, line)
	}
	return lines
}

// table4Lines is section 四: three header lines and the 15 numbers (RULES.md §2.5).
func (r *Report) table4Lines() [][]string {
	five := []string{w("t4.upheld"), w("t4.corrected"), w("t4.other"), w("t4.pending"), w("t4.total")}
	l1 := make([]string, 15)
	l1[0], l1[5] = w("t4.reconsideration"), w("t4.litigation")
	l2 := append(append([]string{}, five...), w("t4.direct"), "", "", "", "", w("t4.after"), "", "", "", "")
	l3 := append(append(append([]string{}, make([]string, 5)...), five...), five...)
	l4 := make([]string, 15)
	for i, v := range r.Table4.Cells {
		l4[i] = strconv.Itoa(v)
	}
	return [][]string{l1, l2, l3, l4}
}
