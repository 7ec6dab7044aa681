package ledger

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"gongkai"
)

// headerScan is how many leading lines may precede the header (a title line
// such as "2024年政府信息公开申请台账" is common).
const headerScan = 10

// header is the column layout found in a sheet.
type header struct {
	section string
	line    int
	at      int            // index of the header record
	cols    map[string]int // field key → cell index
	notes   map[int]string // cell index → header text of an extra column
}

// canonical returns the header text of a field, as error messages name it.
func (h header) canonical(key string) string {
	for _, c := range vocab.columns[h.section] {
		if c.key == key {
			return c.header
		}
	}
	return key
}

// findHeader locates the header line: the first of the leading lines that
// has the 受理编号 column. Columns are matched by text in any order.
func findHeader(t table, section string) (header, []error) {
	h := header{section: section, cols: map[string]int{}, notes: map[int]string{}}
	first := vocab.columns[section][0]
	at := -1
	for i, rec := range t.records {
		if i >= headerScan {
			break
		}
		for _, cell := range rec.cells {
			if k, ok := vocab.lookup(section, cell); ok && k == first.key {
				at = i
				break
			}
		}
		if at >= 0 {
			break
		}
	}
	if at < 0 {
		line := 1
		if len(t.records) > 0 {
			line = t.records[0].line
		}
		return h, []error{&Error{File: t.file, Line: line, Column: first.header, Msg: fmt.Sprintf("找不到表头：前 %d 行中没有“%s”列", headerScan, first.header)}}
	}
	h.at, h.line = at, t.records[at].line
	var errs []error
	for i, cell := range t.records[at].cells {
		text := strings.TrimSpace(cell)
		if text == "" {
			continue
		}
		k, ok := vocab.lookup(section, text)
		if !ok {
			h.notes[i] = text
			continue
		}
		if j, dup := h.cols[k]; dup {
			errs = append(errs, &Error{File: t.file, Line: h.line, Column: h.canonical(k), Msg: fmt.Sprintf("列重复：第 %d 列和第 %d 列", j+1, i+1)})
			continue
		}
		h.cols[k] = i
	}
	for _, c := range vocab.columns[section] {
		if _, ok := h.cols[c.key]; c.required && !ok {
			errs = append(errs, &Error{File: t.file, Line: h.line, Column: c.header, Msg: "缺少必填列"})
		}
	}
	return h, errs
}

// line is one data record being parsed, collecting its problems.
type line struct {
	t    table
	h    header
	rec  record
	errs []error
}

func (l *line) get(key string) string {
	i, ok := l.h.cols[key]
	if !ok || i >= len(l.rec.cells) {
		return ""
	}
	return strings.TrimSpace(l.rec.cells[i])
}

func (l *line) bad(key, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.t.file, Line: l.rec.line, Column: l.h.canonical(key), Msg: fmt.Sprintf(format, args...)})
}

// required returns the field, reporting it when empty.
func (l *line) required(key string) string {
	v := l.get(key)
	if v == "" {
		l.bad(key, "不能为空")
	}
	return v
}

// date parses a date field; an empty optional field is the zero Date.
func (l *line) date(key string, required bool) gongkai.Date {
	v := l.get(key)
	if v == "" {
		if required {
			l.bad(key, "不能为空")
		}
		return gongkai.Date{}
	}
	d, err := parseDate(v, l.t.date1904)
	if err != nil {
		l.bad(key, "%v", err)
	}
	return d
}

func blank(rec record) bool {
	for _, c := range rec.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

var dateRE = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$`)
var serialRE = regexp.MustCompile(`^\d{5}(?:\.\d+)?$`)

// parseDate reads YYYY-MM-DD, YYYY/M/D, YYYY年M月D日 (full-width digits too,
// a trailing time of day ignored) and Excel serial day numbers.
func parseDate(s string, date1904 bool) (gongkai.Date, error) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	if serialRE.MatchString(s) {
		f, _ := strconv.ParseFloat(s, 64)
		base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
		if date1904 {
			base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		t := base.AddDate(0, 0, int(f))
		return checkYear(gongkai.NewDate(t.Year(), t.Month(), t.Day()), s)
	}
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return gongkai.Date{}, fmt.Errorf("日期格式无法识别：%q（应为 2024-03-05、2024/3/5 或 2024年3月5日）", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	date := gongkai.NewDate(y, time.Month(mo), d)
	if date.Year() != y || int(date.Month()) != mo || date.Day() != d {
		return gongkai.Date{}, fmt.Errorf("不存在的日期：%q", s)
	}
	return checkYear(date, s)
}

// checkYear rejects dates outside the era of the 条例 (typos like 2204).
func checkYear(d gongkai.Date, s string) (gongkai.Date, error) {
	if d.Year() < 2000 || d.Year() > 2100 {
		return gongkai.Date{}, fmt.Errorf("日期不合理：%q", s)
	}
	return d, nil
}

// parseCases turns the cases sheet into rows; duplicate 受理编号 are errors.
func parseCases(t table) ([]Row, []error) {
	h, errs := findHeader(t, "cases")
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []Row
	seen := map[string]int{}
	for _, rec := range t.records[h.at+1:] {
		if blank(rec) {
			continue
		}
		l := &line{t: t, h: h, rec: rec}
		r := Row{Line: rec.line}
		if r.CaseNo = norm.NFKC.String(l.required("case_no")); r.CaseNo != "" {
			if first, dup := seen[r.CaseNo]; dup {
				l.bad("case_no", "受理编号 %s 重复（与第 %d 行相同）", r.CaseNo, first)
			}
			seen[r.CaseNo] = rec.line
		}
		r.ReceivedOn = l.date("received_on", true)
		if v := l.get("channel"); v != "" {
			c, ok := vocab.lookup("channels", v)
			if !ok {
				l.bad("channel", "无法识别的渠道 %q（应为 网络、电子邮件、信函、当面 或 传真）", v)
			}
			r.Channel = gongkai.Channel(c)
		}
		if v := l.required("applicant_type"); v != "" {
			at, ok := vocab.lookup("applicant_types", v)
			if !ok {
				l.bad("applicant_type", "无法识别的申请人类型 %q（应为 自然人、商业企业、科研机构、社会公益组织、法律服务机构 或 其他）", v)
			}
			r.ApplicantType = gongkai.ApplicantType(at)
		}
		r.Applicant = l.required("applicant")
		if v := l.get("id_number"); v != "" {
			if strings.ContainsAny(v, "Ee") && strings.Contains(v, "+") {
				l.bad("id_number", "证件号码 %q 已被表格软件转成科学计数法，请把该列设为文本后重新导出", v)
			}
			r.IDNumber = gongkai.NormalizeDigits(v)
		}
		r.Phone = l.get("phone")
		if r.Email = l.get("email"); r.Email != "" && !strings.Contains(r.Email, "@") {
			l.bad("email", "电子邮箱 %q 格式不正确", r.Email)
		}
		r.Description = l.required("description")
		r.Department = l.get("department")
		if v := l.get("result"); v != "" {
			k, ok := results[normalize(v)]
			if !ok {
				l.bad("result", "无法识别的办理结果 %q（应为年度报告办理结果的名称，如“部分公开”“本机关不掌握相关政府信息”，或其代码如 result.partial）", v)
			}
			r.Result = k
			r.AnsweredOn = l.date("answered_on", true)
		} else if l.get("answered_on") != "" {
			l.bad("answered_on", "填写了答复日期但没有办理结果")
		}
		if !r.AnsweredOn.IsZero() && !r.ReceivedOn.IsZero() && r.AnsweredOn.Before(r.ReceivedOn) {
			l.bad("answered_on", "答复日期 %s 早于收到日期 %s", r.AnsweredOn, r.ReceivedOn)
		}
		for i, name := range h.notes {
			if i < len(rec.cells) && strings.TrimSpace(rec.cells[i]) != "" {
				if r.Notes == nil {
					r.Notes = map[string]string{}
				}
				r.Notes[name] = strings.TrimSpace(rec.cells[i])
			}
		}
		errs = append(errs, l.errs...)
		rows = append(rows, r)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return rows, nil
}

// parseAppeals turns the appeals sheet into rows.
func parseAppeals(t table) ([]AppealRow, []error) {
	h, errs := findHeader(t, "appeals")
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []AppealRow
	seen := map[string]int{}
	for _, rec := range t.records[h.at+1:] {
		if blank(rec) {
			continue
		}
		l := &line{t: t, h: h, rec: rec}
		a := AppealRow{Line: rec.line, CaseNo: norm.NFKC.String(l.required("case_no"))}
		if v := l.required("kind"); v != "" {
			k, ok := vocab.lookup("appeal_kinds", v)
			if !ok {
				l.bad("kind", "无法识别的类型 %q（应为 行政复议、直接起诉 或 复议后起诉）", v)
			}
			a.Kind = gongkai.AppealKind(k)
		}
		a.FiledOn = l.date("filed_on", true)
		a.Outcome = gongkai.OutcomePending
		if v := l.get("outcome"); v != "" {
			o, ok := vocab.lookup("appeal_outcomes", v)
			if !ok {
				l.bad("outcome", "无法识别的结果 %q（应为 维持、纠正、其他 或 尚未审结）", v)
			}
			a.Outcome = gongkai.AppealOutcome(o)
		}
		if a.Outcome == gongkai.OutcomePending {
			if l.get("decided_on") != "" {
				l.bad("decided_on", "尚未审结的案件不应有结果日期")
			}
		} else {
			a.DecidedOn = l.date("decided_on", true)
			if !a.DecidedOn.IsZero() && !a.FiledOn.IsZero() && a.DecidedOn.Before(a.FiledOn) {
				l.bad("decided_on", "结果日期 %s 早于提起日期 %s", a.DecidedOn, a.FiledOn)
			}
		}
		if len(l.errs) == 0 {
			key := a.CaseNo + "|" + string(a.Kind) + "|" + a.FiledOn.String()
			if first, dup := seen[key]; dup {
				l.bad("case_no", "与第 %d 行重复（同一申请、同一类型、同一提起日期）", first)
			}
			seen[key] = rec.line
		}
		errs = append(errs, l.errs...)
		rows = append(rows, a)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return rows, nil
}
