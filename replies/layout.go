package replies

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"

	"gongkai"
)

//go:embed layout/*.html
var layoutFS embed.FS

// layouts are the HTML shells of a letter: the A4 print page and the HTML
// part of the e-mail. html/template escapes everything taken from the letter,
// which carries applicant-supplied text (names, descriptions).
var layouts = template.Must(template.New("").ParseFS(layoutFS, "layout/*.html"))

type layoutData struct {
	Agency     Agency
	Letter     Letter
	Date       string
	Paragraphs [][]string
}

// paragraphs splits a body into paragraphs (blank-line separated) of lines.
func paragraphs(body string) [][]string {
	var out [][]string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		p = strings.Trim(p, "\n")
		if p == "" {
			continue
		}
		out = append(out, strings.Split(p, "\n"))
	}
	return out
}

func renderLayout(name string, a Agency, l Letter, date gongkai.Date) ([]byte, error) {
	var buf bytes.Buffer
	d := layoutData{Agency: a, Letter: l, Date: date.Chinese(), Paragraphs: paragraphs(l.Body)}
	if err := layouts.ExecuteTemplate(&buf, name, d); err != nil {
		return nil, fmt.Errorf("replies: rendering %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// PrintHTML is the letter as a full HTML document laid out as an official
// letter on A4 (文号, title, body, agency and date, seal area), for printing
// and posting (issue 6). Applicant text is escaped.
func PrintHTML(a Agency, l Letter, date gongkai.Date) ([]byte, error) {
	return renderLayout("print.html", a, l, date)
}

// HTML is the letter as the HTML part of its e-mail.
func (l Letter) HTML(a Agency, date gongkai.Date) (string, error) {
	b, err := renderLayout("mail.html", a, l, date)
	return string(b), err
}

// Text is the letter as the plain-text part of its e-mail: 文号, title, body,
// agency and date.
func (l Letter) Text(a Agency, date gongkai.Date) string {
	var b strings.Builder
	b.Grow(len(l.DocNo) + len(l.Title) + len(l.Body) + len(a.Name) + 64)
	if l.DocNo != "" {
		b.WriteString(l.DocNo + "\n\n")
	}
	b.WriteString(l.Title + "\n\n")
	b.WriteString(l.Body + "\n\n")
	b.WriteString(a.Name + "\n")
	b.WriteString(date.Chinese() + "\n")
	return b.String()
}
