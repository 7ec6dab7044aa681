package replies

import (
	"strings"
	"testing"

	"gongkai"
)

func TestPrintHTMLGolden(t *testing.T) {
	d := SampleData()
	l := mustRender(t, Kind(gongkai.ResultPartial), d)
	page, err := PrintHTML(d.Agency, l, gongkai.MustDate("2025-04-01"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		"<!DOCTYPE html>", "@page { size: A4;", `<p class="docno">青住建公开〔2025〕第17号</p>`,
		"<h1>青山区住房和城乡建设局政府信息部分公开告知书</h1>", "<p>青山区住房和城乡建设局</p>",
		"<p>2025年4月1日</p>", `class="seal"`, "行政复议",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("print page lacks %q", want)
		}
	}
	golden(t, "print.golden.html", page)
}

func TestPrintHTMLEscapesApplicantText(t *testing.T) {
	d := SampleData()
	d.Case.Applicant.Name = `<script>alert("x")</script>`
	d.Case.Description = `<img src=x onerror=alert(1)>规划许可证`
	l := mustRender(t, Kind(gongkai.ResultNotHeld), d)
	date := gongkai.MustDate("2025-04-01")
	page, err := PrintHTML(d.Agency, l, date)
	if err != nil {
		t.Fatal(err)
	}
	html, err := l.HTML(d.Agency, date)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"print page": string(page), "mail HTML": html} {
		if strings.Contains(s, "<script>") || strings.Contains(s, "<img") {
			t.Errorf("%s carries applicant markup unescaped", name)
		}
		if !strings.Contains(s, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;：") {
			t.Errorf("%s does not show the escaped name", name)
		}
		if !strings.Contains(s, "&lt;img src=x onerror=alert(1)&gt;规划许可证") {
			t.Errorf("%s does not show the escaped description", name)
		}
	}
}

func TestLetterText(t *testing.T) {
	d := SampleData()
	l := mustRender(t, KindExtension, d)
	txt := l.Text(d.Agency, gongkai.MustDate("2025-04-01"))
	want := "青住建公开〔2025〕第17号\n\n青山区住房和城乡建设局政府信息公开申请延期答复告知书\n\n李明："
	if !strings.HasPrefix(txt, want) || !strings.HasSuffix(txt, "\n\n青山区住房和城乡建设局\n2025年4月1日\n") {
		t.Errorf("Text:\n%s", txt)
	}
}
