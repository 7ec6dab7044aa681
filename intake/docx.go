package intake

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// maxDocXML bounds the uncompressed word/document.xml read from a .docx, so
// that a zip bomb costs nothing.
const maxDocXML = 16 << 20

// docxText extracts the text of a .docx (dev/034: the request is only in
// the attached form). Runs (w:t) are joined, paragraphs (w:p) end lines,
// w:tab and w:br are kept, and each table row becomes one line the way
// HTMLToText writes rows ("姓名：白雪" for two cells).
func docxText(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("intake: reading docx: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("intake: opening word/document.xml: %w", err)
		}
		defer rc.Close()
		return documentXMLText(io.LimitReader(rc, maxDocXML))
	}
	return "", fmt.Errorf("intake: reading docx: no word/document.xml")
}

func documentXMLText(r io.Reader) (string, error) {
	dec := xml.NewDecoder(r)
	w := &textWriter{}
	var para strings.Builder
	inText := false
	depthTable := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Keep what was read before the damage.
			w.text(para.String())
			w.flushTables()
			return w.result(), fmt.Errorf("intake: parsing word/document.xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				para.WriteString("\t")
			case "br", "cr":
				para.WriteString("\n")
			case "tbl":
				depthTable++
				w.startTable()
			case "tc":
				w.startCell()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				writePara(w, para.String(), depthTable > 0)
				para.Reset()
			case "tc":
				w.endCell()
			case "tr":
				w.endRow()
			case "tbl":
				if depthTable > 0 {
					depthTable--
				}
				w.endTable()
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		}
	}
	w.text(para.String())
	w.flushTables()
	return w.result(), nil
}

// writePara writes one paragraph; inside a table cell it is a space-joined
// part of the cell.
func writePara(w *textWriter, p string, inTable bool) {
	if inTable {
		w.text(p + " ")
		return
	}
	for i, l := range strings.Split(p, "\n") {
		if i > 0 {
			w.lineBreak()
		}
		w.cur.WriteString(strings.TrimRight(l, " "))
	}
	w.lineBreak()
}
