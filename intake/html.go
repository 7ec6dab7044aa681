package intake

import (
	"strings"

	"golang.org/x/net/html"
)

// blockTags end the current line when they open or close.
var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "tr": true, "blockquote": true, "pre": true, "hr": true,
	"section": true, "article": true, "header": true, "footer": true,
	"dl": true, "dt": true, "dd": true, "form": true, "center": true,
	"address": true, "tbody": true, "thead": true, "tfoot": true, "caption": true,
	"body": true, "html": true, "title": true,
}

// skipTags have content nobody reads.
var skipTags = map[string]bool{"script": true, "style": true, "title": true, "head": false, "noscript": true, "template": true, "xml": true}

// HTMLToText turns HTML into readable text: block elements become line
// breaks, scripts and styles are dropped, entities decoded, runs of white
// space collapsed, and lines inside <blockquote> get "> " prefixes so that
// SplitQuoted can tell quoted history in an HTML-only reply. Each table row becomes one line; a two-cell row reads
// "姓名：张三" (the way a request form in an HTML table, corpus dev/006, is
// meant), longer rows join their cells with " | ".
func HTMLToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	w := &textWriter{}
	skip := 0
	pre := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			w.flushTables()
			return w.result()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if pre > 0 {
				w.pre(t)
			} else {
				w.text(t)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			if skipTags[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "td", "th":
				if end {
					w.endCell()
				} else {
					w.startCell()
				}
			case "tr":
				w.endRow()
			case "table":
				if end {
					w.endTable()
				} else {
					w.startTable()
				}
			case "pre":
				if end && pre > 0 {
					pre--
				} else if tt == html.StartTagToken {
					pre++
				}
				w.newline()
			case "blockquote":
				w.newline()
				if end && w.quote > 0 {
					w.quote--
				} else if tt == html.StartTagToken {
					w.quote++
				}
			case "br":
				w.lineBreak()
			default:
				if blockTags[tag] {
					w.newline()
				}
			}
		}
	}
}

// table collects the cells of the rows of one HTML table.
type table struct {
	cells  []string
	cell   strings.Builder
	inCell bool
}

// textWriter accumulates lines of text.
type textWriter struct {
	out    strings.Builder
	cur    strings.Builder
	blank  int // consecutive blank lines written
	quote  int // blockquote depth: lines inside get "> " prefixes
	tables []*table
}

func (w *textWriter) top() *table {
	if len(w.tables) == 0 {
		return nil
	}
	return w.tables[len(w.tables)-1]
}

// text adds inline text with white space collapsed.
func (w *textWriter) text(t string) {
	t = strings.ReplaceAll(t, "\u00a0", " ")
	var b strings.Builder
	space := false
	for _, r := range t {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	s := b.String()
	if tb := w.top(); tb != nil {
		if !tb.inCell {
			if strings.TrimSpace(s) == "" {
				return
			}
			// Text directly in a row: treat it as a cell of its own.
			tb.inCell = true
		}
		tb.cell.WriteString(s)
		return
	}
	if w.cur.Len() == 0 {
		s = strings.TrimLeft(s, " ")
	}
	w.cur.WriteString(s)
}

// pre adds preformatted text, keeping its line breaks.
func (w *textWriter) pre(t string) {
	t = strings.ReplaceAll(t, "\r\n", "\n")
	lines := strings.Split(t, "\n")
	for i, l := range lines {
		if i > 0 {
			w.lineBreak()
		}
		if tb := w.top(); tb != nil {
			tb.inCell = true
			tb.cell.WriteString(l)
		} else {
			w.cur.WriteString(l)
		}
	}
}

// newline ends the current line; inside a table cell it is a space.
func (w *textWriter) newline() {
	if tb := w.top(); tb != nil {
		if tb.inCell {
			tb.cell.WriteByte(' ')
		}
		return
	}
	line := strings.TrimRight(w.cur.String(), " ")
	w.cur.Reset()
	if line == "" {
		return // block boundaries never make blank lines by themselves
	}
	w.emit(line)
}

// lineBreak is <br>: it ends the line, and on an empty line leaves a blank
// one ("<div><br></div>" is how editors write an empty paragraph).
func (w *textWriter) lineBreak() {
	if tb := w.top(); tb != nil {
		if tb.inCell {
			tb.cell.WriteByte(' ')
		}
		return
	}
	line := strings.TrimRight(w.cur.String(), " ")
	w.cur.Reset()
	w.emit(line)
}

// emit writes one finished line, keeping at most one blank line in a row.
func (w *textWriter) emit(line string) {
	if strings.TrimSpace(line) == "" {
		if w.out.Len() == 0 {
			return
		}
		w.blank++
		return
	}
	if w.out.Len() > 0 {
		w.out.WriteByte('\n')
		if w.blank > 0 {
			w.out.WriteByte('\n')
		}
	}
	w.blank = 0
	for i := 0; i < w.quote; i++ {
		w.out.WriteString("> ")
	}
	w.out.WriteString(line)
}

func (w *textWriter) startTable() {
	if w.top() == nil {
		w.newline()
	} else {
		w.endCell()
	}
	w.tables = append(w.tables, &table{})
}

func (w *textWriter) endTable() {
	tb := w.top()
	if tb == nil {
		return
	}
	w.endRow()
	w.tables = w.tables[:len(w.tables)-1]
}

func (w *textWriter) startCell() {
	tb := w.top()
	if tb == nil {
		w.startTable()
		tb = w.top()
	}
	w.endCell()
	tb.inCell = true
}

func (w *textWriter) endCell() {
	tb := w.top()
	if tb == nil || !tb.inCell {
		return
	}
	tb.cells = append(tb.cells, strings.Join(strings.Fields(tb.cell.String()), " "))
	tb.cell.Reset()
	tb.inCell = false
}

// endRow writes the collected cells as one line (into the enclosing cell
// when tables are nested).
func (w *textWriter) endRow() {
	tb := w.top()
	if tb == nil {
		return
	}
	w.endCell()
	var cells []string
	for _, c := range tb.cells {
		if c != "" {
			cells = append(cells, c)
		}
	}
	tb.cells = tb.cells[:0]
	if len(cells) == 0 {
		return
	}
	var line string
	switch {
	case len(cells) == 2:
		k := strings.TrimRight(cells[0], " ")
		if strings.HasSuffix(k, "：") || strings.HasSuffix(k, ":") {
			line = k + cells[1]
		} else {
			line = k + "：" + cells[1]
		}
	default:
		line = strings.Join(cells, " | ")
	}
	if len(w.tables) > 1 {
		parent := w.tables[len(w.tables)-2]
		parent.inCell = true
		parent.cell.WriteString(" " + line + " ")
		return
	}
	w.emit(line)
}

func (w *textWriter) flushTables() {
	for len(w.tables) > 0 {
		w.endTable()
	}
	w.newline()
}

func (w *textWriter) result() string { return w.out.String() }
