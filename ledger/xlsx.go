package ledger

import (
	"bytes"

	"github.com/xuri/excelize/v2"
)

// readXLSX parses a workbook: the first sheet other than 复议诉讼 holds the
// cases, the sheet named 复议诉讼 (if any) the appeals. Cell values are read
// raw, so a date-formatted cell arrives as its serial day number whatever
// display format the office chose, and parseDate converts it.
func readXLSX(name string, data []byte) (*Ledger, []error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, []error{&Error{File: name, Line: 0, Msg: "无法打开 Excel 文件：" + err.Error()}}
	}
	defer f.Close()
	date1904 := false
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		date1904 = *p.Date1904
	}
	var casesSheet, appealsSheet string
	for _, s := range f.GetSheetList() {
		switch {
		case normalize(s) == normalize(AppealsSheet):
			appealsSheet = s
		case casesSheet == "":
			casesSheet = s
		}
	}
	if casesSheet == "" {
		return nil, []error{&Error{File: name, Line: 0, Msg: "没有登记申请的工作表"}}
	}
	sheet := func(s, file string) (table, []error) {
		rows, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			return table{}, []error{&Error{File: file, Line: 0, Msg: "无法读取工作表 " + s + "：" + err.Error()}}
		}
		t := table{file: file, date1904: date1904}
		for i, r := range rows {
			t.records = append(t.records, record{line: i + 1, cells: r})
		}
		return t, nil
	}
	t, errs := sheet(casesSheet, name)
	if len(errs) > 0 {
		return nil, errs
	}
	l := &Ledger{}
	l.Cases, errs = parseCases(t)
	if appealsSheet != "" {
		at, aerrs := sheet(appealsSheet, name+"#"+AppealsSheet)
		if len(aerrs) == 0 {
			l.Appeals, aerrs = parseAppeals(at)
		}
		errs = append(errs, aerrs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return l, nil
}
