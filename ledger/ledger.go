// Package ledger parses a disclosure office's case ledger (台账) — a .csv in
// UTF-8, UTF-16 or GB18030, or an .xlsx — into rows, per
// contracts/ledger-import.md. It is pure: storing the rows is the caller's job.
//
// Parsing is all or nothing: Read returns every problem of the file at once,
// each as "FILE:LINE: column 列名: what is wrong".
package ledger

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gongkai"
)

// Row is one case of the ledger.
type Row struct {
	Line          int
	CaseNo        string
	ReceivedOn    gongkai.Date
	Channel       gongkai.Channel // "" when the column is absent or empty
	ApplicantType gongkai.ApplicantType
	Applicant     string
	IDNumber      string // normalised (gongkai.NormalizeDigits)
	Phone         string
	Email         string
	Description   string
	Department    string
	Result        gongkai.ResultKey // "" while open
	AnsweredOn    gongkai.Date      // set exactly when Result is
	Notes         map[string]string // extra columns: header → value (non-empty only)
}

// AppealRow is one 行政复议 or 行政诉讼 of the appeals sheet.
type AppealRow struct {
	Line      int
	CaseNo    string
	Kind      gongkai.AppealKind
	FiledOn   gongkai.Date
	Outcome   gongkai.AppealOutcome // 尚未审结 when the column is empty
	DecidedOn gongkai.Date
}

// Ledger is a parsed ledger file.
type Ledger struct {
	Cases   []Row
	Appeals []AppealRow
}

// Error is one problem of a ledger file.
type Error struct {
	File   string
	Line   int
	Column string // canonical header, "" for problems of a whole line
	Msg    string // Chinese, for staff
}

// Error formats the problem as FILE:LINE: column 列名: what is wrong.
func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: column %s: %s", e.File, e.Line, e.Column, e.Msg)
}

// AppealsSheet is the name of the .xlsx sheet holding appeals.
const AppealsSheet = "复议诉讼"

// Read parses a ledger. The format is chosen by the file name (.xlsx/.xlsm,
// else CSV) or, failing that, by content. In an .xlsx the first sheet holds
// the cases and a sheet named 复议诉讼 the appeals; errors in that sheet name
// the file as FILE#复议诉讼. A nil error slice means the whole file is good.
func Read(name string, r io.Reader) (*Ledger, []error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []error{&Error{File: name, Line: 0, Msg: "读取文件失败：" + err.Error()}}
	}
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".xlsx" || ext == ".xlsm" || (ext != ".csv" && bytes.HasPrefix(data, []byte("PK\x03\x04"))) {
		return readXLSX(name, data)
	}
	t, errs := csvTable(name, data)
	if len(errs) > 0 {
		return nil, errs
	}
	cases, errs := parseCases(t)
	if len(errs) > 0 {
		return nil, errs
	}
	return &Ledger{Cases: cases}, nil
}

// ReadAppealsCSV parses an appeals file given separately (`gongkai import
// --appeals FILE.csv`). Whether each 受理编号 exists is for the caller to
// check against its store, with CheckAppealCases.
func ReadAppealsCSV(name string, r io.Reader) ([]AppealRow, []error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []error{&Error{File: name, Msg: "读取文件失败：" + err.Error()}}
	}
	t, errs := csvTable(name, data)
	if len(errs) > 0 {
		return nil, errs
	}
	return parseAppeals(t)
}

// CheckAppealCases reports the appeals whose 受理编号 is not a known case
// ("must exist", contracts/ledger-import.md). known usually combines the
// cases of the same file with those already stored.
func CheckAppealCases(name string, appeals []AppealRow, known func(caseNo string) bool) []error {
	var errs []error
	for _, a := range appeals {
		if !known(a.CaseNo) {
			errs = append(errs, &Error{File: name, Line: a.Line, Column: "受理编号", Msg: fmt.Sprintf("找不到受理编号为 %s 的申请", a.CaseNo)})
		}
	}
	return errs
}

// CaseNos returns a set of the ledger's case numbers, for CheckAppealCases.
func (l *Ledger) CaseNos() map[string]bool {
	m := make(map[string]bool, len(l.Cases))
	for _, c := range l.Cases {
		m[c.CaseNo] = true
	}
	return m
}
