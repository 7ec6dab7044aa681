package ledger

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// table is a sheet as text: every record with its line (row) number.
type table struct {
	file     string
	records  []record
	date1904 bool // xlsx serial dates count from 1904
}

type record struct {
	line  int
	cells []string
}

// csvTable decodes a CSV ledger: UTF-8 with or without BOM, UTF-16 with BOM
// (Excel's "Unicode text"), else GB18030 (what Excel on a Chinese Windows
// writes); the delimiter is a comma, tab or semicolon, whichever the first
// line uses most.
func csvTable(name string, data []byte) (table, []error) {
	text, err := decodeText(data)
	if err != nil {
		return table{}, []error{&Error{File: name, Line: 1, Msg: err.Error()}}
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.Comma = sniffComma(text)
	t := table{file: name}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return table{}, []error{&Error{File: name, Line: line, Msg: "CSV 格式错误：" + err.Error()}}
		}
		line, _ := cr.FieldPos(0)
		t.records = append(t.records, record{line: line, cells: rec})
	}
	return t, nil
}

// decodeText returns the file as UTF-8 text without a byte-order mark.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", fmt.Errorf("无法按 UTF-16 读取文件：%v", err)
		}
		return string(out), nil
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) {
		return "", errors.New("无法识别文件编码（应为 UTF-8 或 GB18030）")
	}
	return string(out), nil
}

// sniffComma picks the delimiter of the first line.
func sniffComma(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, c := range []rune{'\t', ';'} {
		if k := strings.Count(first, string(c)); k > n {
			best, n = c, k
		}
	}
	return best
}
