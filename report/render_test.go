package report_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"gongkai"
	"gongkai/report"
)

func TestSeedHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := seedReport(t).HTML(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "seed2024.html", b.Bytes())
}

// attr returns an attribute of n.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestHTML(t *testing.T) {
	r := build(t, synthetic(), 2024, report.Options{Agency: "测试局"})
	var b bytes.Buffer
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{} // href → text
	spans := map[string]string{} // th text → rowspan/colspan
	var walk func(*html.Node, string)
	walk = func(n *html.Node, table string) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "table":
				table = attr(n, "class")
			case "a":
				if table == "t3" {
					links[attr(n, "href")] = text(n)
				}
			case "th":
				spans[text(n)] = attr(n, "rowspan") + "/" + attr(n, "colspan")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, table)
		}
	}
	walk(doc, "")

	// Every figure of section 三 links to its drill-down, with the right number.
	if len(links) != 25*7 {
		t.Errorf("%d drill-down links in section 三, want 175", len(links))
	}
	for _, row := range r.Table3 {
		for j, v := range row.Cells {
			href := fmt.Sprintf("/staff/report/2024/cases?row=%s&col=%d", row.Key, j)
			if got, ok := links[href]; !ok || got != strconv.Itoa(v) {
				t.Errorf("link %s = %q (present %v), want %d", href, got, ok, v)
			}
		}
	}
	// Merged header cells as in the official table.
	for label, want := range map[string]string{
		"（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）": "3/3",
		"申请人情况":            "/6",
		"法人或其他组织":          "/5",
		"三、本年度办理结果":        "22/",
		"（三）不予公开":          "8/",
		"（四）无法提供":          "3/",
		"（五）不予处理":          "5/",
		"（六）其他处理":          "3/",
		"一、本年新收政府信息公开申请数量": "/3",
		"（七）总计":            "/2",
		"行政复议":             "/5",
		"行政诉讼":             "/10",
		"未经复议直接起诉":         "/5",
		"第二十条第（八）项":        "/4",
	} {
		if got, ok := spans[label]; !ok || got != want {
			t.Errorf("th %s: rowspan/colspan = %q (present %v), want %q", label, got, ok, want)
		}
	}
	for _, ri := range gongkai.Results {
		if _, ok := spans[ri.Label]; !ok {
			t.Errorf("no row label %s", ri.Label)
		}
	}
}

func TestXLSX(t *testing.T) {
	r := build(t, synthetic(), 2024, report.Options{Agency: "测试局", Proactive: report.Proactive{LicensingDecisions: 7, FeesWanYuan: 0.125}})
	var b bytes.Buffer
	if err := r.XLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	// Find each section 三 row by its label and compare the seven figures.
	labelRow := map[string]int{}
	for i, row := range rows {
		for _, c := range row[:min(3, len(row))] {
			if c != "" {
				labelRow[c] = i
			}
		}
	}
	for _, row := range r.Table3 {
		i, ok := labelRow[row.Label]
		if !ok {
			t.Errorf("no row labelled %s", row.Label)
			continue
		}
		var got [7]int
		for j := range got {
			if 3+j < len(rows[i]) {
				got[j], _ = strconv.Atoi(rows[i][3+j])
			}
		}
		if got != row.Cells {
			t.Errorf("%s = %v, want %v", row.Key, got, row.Cells)
		}
	}
	if i, ok := labelRow["行政许可"]; !ok || rows[i][1] != "7" {
		t.Errorf("行政许可 row = %v", rows[labelRow["行政许可"]])
	}
	if i, ok := labelRow["行政事业性收费"]; !ok || rows[i][1] != "0.125" {
		t.Errorf("行政事业性收费 row = %v", rows[labelRow["行政事业性收费"]])
	}
	merges, err := f.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	spans := map[string]string{}
	for _, m := range merges {
		spans[m.GetCellValue()] = m.GetStartAxis() + ":" + m.GetEndAxis()
	}
	note := labelRow["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] + 1
	for label, want := range map[string]string{
		"（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）": fmt.Sprintf("A%d:C%d", note, note+2),
		"申请人情况":     fmt.Sprintf("D%d:I%d", note, note),
		"三、本年度办理结果": fmt.Sprintf("A%d:A%d", note+5, note+26),
		"（三）不予公开":   fmt.Sprintf("B%d:B%d", note+7, note+14),
	} {
		if spans[label] != want {
			t.Errorf("merge of %s = %q, want %q", label, spans[label], want)
		}
	}
	if spans["行政诉讼"] == "" || !strings.HasPrefix(spans["行政诉讼"], "F") || !strings.Contains(spans["行政诉讼"], ":O") {
		t.Errorf("merge of 行政诉讼 = %q, want F…:O…", spans["行政诉讼"])
	}
}
