package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"
)

//go:embed report.html.tmpl
var htmlText string

var htmlTmpl = template.Must(template.New("report").Parse(htmlText))

// DrillURL is the staff page listing the cases behind a number of section 三;
// the web layer serves it with Report.Cases.
func DrillURL(year int, rowKey string, col int) string {
	return fmt.Sprintf("/staff/report/%d/cases?row=%s&col=%d", year, url.QueryEscape(rowKey), col)
}

// htmlCell is a cell as the template draws it.
type htmlCell struct {
	cell
	Href  string
	Block bool // a block heading of section 二
}

type htmlView struct {
	Title, H1, H2, H3, H4, H5, H6 string
	Intro, Problems, Other        []string
	Overview                      []struct{ Head, Text string }
	T2, T3Head, T3Body, T4        [][]htmlCell
	Checks                        []Check
	OK                            bool
	Failed                        int
}

// HTML writes a print-ready page: the official tables with merged header
// cells, and every figure of section 三 a link to its cases (DrillURL).
// The consistency checks follow the report on screen and are not printed.
func (r *Report) HTML(out io.Writer) error {
	v := htmlView{
		Title: r.title(), H1: w("h1"), H2: w("h2"), H3: w("h3"), H4: w("h4"), H5: w("h5"), H6: w("h6"),
		Intro: paragraphs(r.Texts.Intro), Problems: paragraphs(r.Texts.Problems), Other: paragraphs(r.Texts.Other),
		Checks: r.Checks, OK: r.OK(), Failed: len(r.Failed()),
	}
	for i, s := range r.Texts.Overview {
		v.Overview = append(v.Overview, struct{ Head, Text string }{w(fmt.Sprintf("overview.%d", i+1)), strings.TrimSpace(s)})
	}
	conv := func(rows [][]cell) [][]htmlCell {
		out := make([][]htmlCell, len(rows))
		for i, row := range rows {
			for _, c := range row {
				h := htmlCell{cell: c, Block: c.Head && c.Colspan == 4}
				if c.Key != "" {
					h.Href = DrillURL(r.Year, c.Key, c.Col)
				}
				out[i] = append(out[i], h)
			}
		}
		return out
	}
	h3, b3 := r.grid3()
	v.T2, v.T3Head, v.T3Body, v.T4 = conv(r.grid2()), conv(h3), conv(b3), conv(r.grid4())
	var buf bytes.Buffer
	if err := htmlTmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: rendering html: %w", err)
	}
	if _, err := buf.WriteTo(out); err != nil {
		return fmt.Errorf("report: writing html: %w", err)
	}
	return nil
}

// paragraphs splits prose at line breaks, dropping empty lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
