package report

import (
	"strconv"

	"gongkai"
)

// cell is one cell of an official table as HTML and XLSX draw it, with its
// merges (RULES.md §2.3–§2.5). Markdown prints the same tables flattened.
type cell struct {
	Text    string
	Rowspan int // 0 or 1: no merge
	Colspan int
	Head    bool   // a label, not a figure
	Key     string // for figures of section 三: the row key, for drill-down
	Col     int    // for figures of section 三: the column 0–6
}

// figure returns a data cell of section 三 that links to its cases.
func figure(key string, col, v int) cell {
	return cell{Text: strconv.Itoa(v), Key: key, Col: col}
}

func num(v int) cell     { return cell{Text: strconv.Itoa(v)} }
func head(s string) cell { return cell{Text: s, Head: true} }
func span(c cell, rows, cols int) cell {
	c.Rowspan, c.Colspan = rows, cols
	return c
}

// grid2 is section 二: one table of four columns.
func (r *Report) grid2() [][]cell {
	p := r.Proactive
	block := func(item string) []cell { return []cell{span(head(w(item)), 1, 4)} }
	one := func(label string, v cell) []cell { return []cell{head(w(label)), span(v, 1, 3)} }
	return [][]cell{
		block("p.item1"),
		{head(w("p.content")), head(w("p.issued")), head(w("p.repealed")), head(w("p.in_force"))},
		{head(w("p.rules")), num(p.Rules.Issued), num(p.Rules.Repealed), num(p.Rules.InForce)},
		{head(w("p.normative")), num(p.NormativeDocuments.Issued), num(p.NormativeDocuments.Repealed), num(p.NormativeDocuments.InForce)},
		block("p.item5"),
		one("p.content", head(w("p.decisions"))),
		one("p.licensing", num(p.LicensingDecisions)),
		block("p.item6"),
		one("p.content", head(w("p.decisions"))),
		one("p.penalties", num(p.Penalties)),
		one("p.coercive", num(p.CoerciveMeasures)),
		block("p.item8"),
		one("p.content", head(w("p.fee_amount"))),
		one("p.fees", cell{Text: formatAmount(p.FeesWanYuan, 4)}),
	}
}

// grid3 is section 三: 3 label columns and 7 figure columns; the header
// follows the seed (申请人情况 over six columns, 总计 over three header rows).
func (r *Report) grid3() (header, body [][]cell) {
	header = [][]cell{
		{span(head(w("t3.note")), 3, 3), span(head(w("t3.applicants")), 1, 6), span(head(w("t3.total")), 3, 1)},
		{span(head(string(gongkai.NaturalPerson)), 2, 1), span(head(w("t3.orgs")), 1, 5)},
		nil,
	}
	for _, c := range r.Columns[1:colTotal] {
		header[2] = append(header[2], head(c))
	}
	groupRows := map[string]int{}
	for _, ri := range gongkai.Results {
		groupRows[ri.Group]++
	}
	group := ""
	for i, row := range r.Table3 {
		var line []cell
		switch {
		case row.Section == "":
			line = []cell{span(head(row.Label), 1, 3)}
		case i == rowResult0:
			line = []cell{span(head(row.Section), rowTotal-rowResult0+1, 1), span(head(row.Label), 1, 2)}
		case row.Group == "":
			line = []cell{span(head(row.Label), 1, 2)}
		case row.Group != group:
			line = []cell{span(head(row.Group), groupRows[row.Group], 1), head(row.Label)}
		default:
			line = []cell{head(row.Label)}
		}
		group = row.Group
		for j, v := range row.Cells {
			line = append(line, figure(row.Key, j, v))
		}
		body = append(body, line)
	}
	return header, body
}

// grid4 is section 四: 15 columns under two header levels.
func (r *Report) grid4() [][]cell {
	five := func() []cell {
		return []cell{head(w("t4.upheld")), head(w("t4.corrected")), head(w("t4.other")), head(w("t4.pending")), head(w("t4.total"))}
	}
	rows := [][]cell{
		{span(head(w("t4.reconsideration")), 1, 5), span(head(w("t4.litigation")), 1, 10)},
		nil,
		append(five(), five()...),
		nil,
	}
	for _, c := range five() {
		rows[1] = append(rows[1], span(c, 2, 1))
	}
	rows[1] = append(rows[1], span(head(w("t4.direct")), 1, 5), span(head(w("t4.after")), 1, 5))
	for _, v := range r.Table4.Cells {
		rows[3] = append(rows[3], num(v))
	}
	return rows
}

// placed is a cell at its top-left grid position (0-based).
type placed struct {
	cell
	R, C int
}

// place lays rows out like an HTML table: each cell takes the next column
// not covered by a merge from a row above.
func place(rows [][]cell) []placed {
	taken := map[[2]int]bool{}
	var out []placed
	for ri, row := range rows {
		c := 0
		for _, x := range row {
			for taken[[2]int{ri, c}] {
				c++
			}
			rs, cs := max(x.Rowspan, 1), max(x.Colspan, 1)
			for dr := 0; dr < rs; dr++ {
				for dc := 0; dc < cs; dc++ {
					taken[[2]int{ri + dr, c + dc}] = true
				}
			}
			out = append(out, placed{cell: x, R: ri, C: c})
			c += cs
		}
	}
	return out
}
