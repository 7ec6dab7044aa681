package ledger_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"gongkai"
	"gongkai/ledger"
)

func d(s string) gongkai.Date { return gongkai.MustDate(s) }

// wantGood is testdata/good.csv parsed.
var wantGood = []ledger.Row{
	{Line: 3, CaseNo: "GK-2024-000001", ReceivedOn: d("2024-01-15"), Channel: gongkai.ChannelWeb, ApplicantType: gongkai.NaturalPerson, Applicant: "李明远",
		IDNumber: "41030319900307001X", Phone: "13900001001", Description: "老旧小区改造项目实施方案", Department: "城建股", Result: gongkai.ResultPartial, AnsweredOn: d("2024-02-04")},
	{Line: 4, CaseNo: "GK-2024-000002", ReceivedOn: d("2024-02-06"), Channel: gongkai.ChannelPost, ApplicantType: gongkai.Enterprise, Applicant: "洛阳某建设有限公司",
		Description: "某项目施工许可证", Department: "建管股", Result: gongkai.ResultThirdParty, AnsweredOn: d("2024-02-29"), Notes: map[string]string{"备注": "已征求第三方意见"}},
	{Line: 5, CaseNo: "GK-2024-000003", ReceivedOn: d("2024-03-11"), Channel: gongkai.ChannelEmail, ApplicantType: gongkai.LegalService, Applicant: "某律师事务所",
		Email: "lawyer@example.cn", Description: "征收补偿方案", Department: "征收办", Result: gongkai.ResultSecurityStability, AnsweredOn: d("2024-03-29")},
	{Line: 6, CaseNo: "GK-2024-000004", ReceivedOn: d("2024-12-20"), Channel: gongkai.ChannelInPerson, ApplicantType: gongkai.NaturalPerson, Applicant: "王秀芳",
		Description: "维修资金使用明细", Department: "物业股"},
	{Line: 8, CaseNo: "GK-2024-000005", ReceivedOn: d("2024-12-27"), Channel: gongkai.ChannelFax, ApplicantType: gongkai.OtherOrg, Applicant: "某村民委员会",
		Description: "棚户区改造补偿标准", Department: "征收办", Result: gongkai.ResultNotHeld, AnsweredOn: d("2025-01-10")},
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkGood(t *testing.T, l *ledger.Ledger, errs []error) {
	t.Helper()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(l.Cases) != len(wantGood) {
		t.Fatalf("%d rows, want %d", len(l.Cases), len(wantGood))
	}
	for i, want := range wantGood {
		if got := l.Cases[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("row %d:\n got  %+v\n want %+v", i, got, want)
		}
	}
}

// The header may follow a title line, columns come in any order, "申请人 类型"
// has a stray space, a blank line is skipped, dates come in three spellings,
// a full-width case number is folded, outcomes are spelt by leaf, by group
// and row label, and with ASCII quotes.
func TestReadCSV(t *testing.T) {
	l, errs := ledger.Read("good.csv", bytes.NewReader(readFile(t, "good.csv")))
	checkGood(t, l, errs)
}

func TestReadEncodings(t *testing.T) {
	utf8 := readFile(t, "good.csv")
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf8)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gb, utf8) {
		t.Fatal("GB18030 encoding changed nothing")
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(strings.ReplaceAll(string(utf8), ",", "\t")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"utf8-bom.csv", append([]byte{0xEF, 0xBB, 0xBF}, utf8...)},
		{"gb18030.csv", gb},
		{"utf16-tab.txt", u16},
		{"crlf.csv", []byte(strings.ReplaceAll(string(utf8), "\n", "\r\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, errs := ledger.Read(tt.name, bytes.NewReader(tt.data))
			checkGood(t, l, errs)
		})
	}
}

func TestReadGB18030File(t *testing.T) {
	// testdata/gb18030.csv was written by the Windows Excel of a district office.
	l, errs := ledger.Read("gb18030.csv", bytes.NewReader(readFile(t, "gb18030.csv")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(l.Cases) != 2 || l.Cases[1].Applicant != "张卫东" || l.Cases[1].Result != gongkai.ResultNotHeld {
		t.Errorf("rows = %+v", l.Cases)
	}
}

const header = "受理编号,收到日期,渠道,申请人类型,申请人,证件号码,电子邮箱,申请内容,办理结果,答复日期\n"

func TestBadRows(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"missing required", ",2024-01-02,网络,自然人,,,,,,\n",
			[]string{"x.csv:2: column 受理编号: 不能为空", "x.csv:2: column 申请人: 不能为空", "x.csv:2: column 申请内容: 不能为空"}},
		{"bad date", "A1,2024-02-30,网络,自然人,甲,,,内容,,\nA2,2024.13.1x,网络,自然人,甲,,,内容,,\nA3,3024-01-01,网络,自然人,甲,,,内容,,\n",
			[]string{`x.csv:2: column 收到日期: 不存在的日期："2024-02-30"`,
				`x.csv:3: column 收到日期: 日期格式无法识别："2024.13.1x"（应为 2024-03-05、2024/3/5 或 2024年3月5日）`,
				`x.csv:4: column 收到日期: 日期不合理："3024-01-01"`}},
		{"unknown values", "A1,2024-01-02,微信,个体户,甲,,a.example.cn,内容,部分答复,2024-01-10\n",
			[]string{`x.csv:2: column 渠道: 无法识别的渠道 "微信"（应为 网络、电子邮件、信函、当面 或 传真）`,
				`x.csv:2: column 申请人类型: 无法识别的申请人类型 "个体户"（应为 自然人、商业企业、科研机构、社会公益组织、法律服务机构 或 其他）`,
				`x.csv:2: column 电子邮箱: 电子邮箱 "a.example.cn" 格式不正确`,
				`x.csv:2: column 办理结果: 无法识别的办理结果 "部分答复"（应为年度报告办理结果的名称，如“部分公开”“本机关不掌握相关政府信息”，或其代码如 result.partial）`}},
		{"result without answer date, and the reverse", "A1,2024-01-02,网络,自然人,甲,,,内容,予以公开,\nA2,2024-01-02,网络,自然人,甲,,,内容,,2024-01-05\n",
			[]string{"x.csv:2: column 答复日期: 不能为空", "x.csv:3: column 答复日期: 填写了答复日期但没有办理结果"}},
		{"answer before receipt", "A1,2024-03-02,网络,自然人,甲,,,内容,予以公开,2024-03-01\n",
			[]string{"x.csv:2: column 答复日期: 答复日期 2024-03-01 早于收到日期 2024-03-02"}},
		{"duplicate case number", "A1,2024-01-02,网络,自然人,甲,,,内容,,\nA2,2024-01-02,网络,自然人,乙,,,内容,,\nA1,2024-01-03,网络,自然人,丙,,,内容,,\n",
			[]string{"x.csv:4: column 受理编号: 受理编号 A1 重复（与第 2 行相同）"}},
		{"id number mangled by Excel", "A1,2024-01-02,网络,自然人,甲,4.10303E+17,,内容,,\n",
			[]string{`x.csv:2: column 证件号码: 证件号码 "4.10303E+17" 已被表格软件转成科学计数法，请把该列设为文本后重新导出`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, errs := ledger.Read("x.csv", strings.NewReader(header+tt.body))
			if l != nil {
				t.Errorf("got a ledger with %d rows; a bad file must import nothing", len(l.Cases))
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestBadHeader(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
	}{
		{"no header", "编号,日期\n1,2\n", []string{"x.csv:1: column 受理编号: 找不到表头：前 10 行中没有“受理编号”列"}},
		{"missing and duplicate columns", "受理编号,收到日期,申请人,申请人,申请内容\n", []string{
			"x.csv:1: column 申请人: 列重复：第 3 列和第 4 列", "x.csv:1: column 申请人类型: 缺少必填列"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := ledger.Read("x.csv", strings.NewReader(tt.data))
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

// Every spelling of every outcome the contract allows resolves to its key.
func TestResultSpellings(t *testing.T) {
	for _, r := range gongkai.Results {
		spellings := []string{string(r.Key), r.Leaf, r.Label, r.Key.Label(), " " + r.Leaf + " "}
		if r.Group != "" {
			spellings = append(spellings, r.Group+" "+r.Label)
		}
		for _, s := range spellings {
			l, errs := ledger.Read("x.csv", strings.NewReader(header+"A1,2024-01-02,网络,自然人,甲,,,内容,\""+strings.ReplaceAll(s, `"`, `""`)+"\",2024-01-05\n"))
			if len(errs) > 0 || l.Cases[0].Result != r.Key {
				t.Errorf("%q: errs %v, want %s", s, errs, r.Key)
			}
		}
	}
	// The seed's PDF spellings: ASCII brackets, commas and spaces.
	for s, want := range map[string]gongkai.ResultKey{
		"(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)": gongkai.ResultPartial,
		`3. 危及"三安全一稳定"`:  gongkai.ResultSecurityStability,
		"危及三安全一稳定":       gongkai.ResultSecurityStability,
		"(六) 其他处理 3. 其他": gongkai.ResultOther,
	} {
		l, errs := ledger.Read("x.csv", strings.NewReader(header+"A1,2024-01-02,网络,自然人,甲,,,内容,\""+strings.ReplaceAll(s, `"`, `""`)+"\",2024-01-05\n"))
		if len(errs) > 0 || l.Cases[0].Result != want {
			t.Errorf("%q: errs %v, want %s", s, errs, want)
		}
	}
}

// newXLSX writes a workbook with a cases sheet (dates as real Excel dates and
// as text) and the 复议诉讼 sheet.
func newXLSX(t *testing.T, appeals [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "2024年台账"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"受理编号", "申请人类型", "申请人", "收到日期", "申请内容", "办理结果", "答复日期", "经办人"},
		{"GK-2024-000001", "自然人", "李明远", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), "改造方案", "部分公开", time.Date(2024, 3, 22, 0, 0, 0, 0, time.UTC), "张三"},
		{"GK-2024-000002", "科研机构", "某研究院", "2024/4/1", "统计数据", "", "", ""},
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yy: shows 3/5/24, stores a serial
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("2024年台账", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetCellStyle("2024年台账", "D2", "D2", dateStyle); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("2024年台账", "G2", "G2", dateStyle); err != nil {
		t.Fatal(err)
	}
	if appeals != nil {
		if _, err := f.NewSheet("复议诉讼"); err != nil {
			t.Fatal(err)
		}
		for i, r := range appeals {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("复议诉讼", cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadXLSX(t *testing.T) {
	data := newXLSX(t, [][]any{
		{"受理编号", "类型", "提起日期", "结果", "结果日期"},
		{"GK-2024-000001", "行政复议", "2024-04-10", "维持", "2024-06-01"},
		{"GK-2024-000001", "复议后起诉", "2024-06-20", "", ""},
		{"GK-2024-000002", "行政诉讼（未经复议直接起诉）", "2024年5月6日", "结果纠正", "2024/9/30"},
	})
	l, errs := ledger.Read("台账.xlsx", bytes.NewReader(data))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	wantCases := []ledger.Row{
		{Line: 2, CaseNo: "GK-2024-000001", ApplicantType: gongkai.NaturalPerson, Applicant: "李明远", ReceivedOn: d("2024-03-05"), Description: "改造方案",
			Result: gongkai.ResultPartial, AnsweredOn: d("2024-03-22"), Notes: map[string]string{"经办人": "张三"}},
		{Line: 3, CaseNo: "GK-2024-000002", ApplicantType: gongkai.ResearchBody, Applicant: "某研究院", ReceivedOn: d("2024-04-01"), Description: "统计数据"},
	}
	if !reflect.DeepEqual(l.Cases, wantCases) {
		t.Errorf("cases:\n got  %+v\n want %+v", l.Cases, wantCases)
	}
	wantAppeals := []ledger.AppealRow{
		{Line: 2, CaseNo: "GK-2024-000001", Kind: gongkai.AppealReconsideration, FiledOn: d("2024-04-10"), Outcome: gongkai.OutcomeUpheld, DecidedOn: d("2024-06-01")},
		{Line: 3, CaseNo: "GK-2024-000001", Kind: gongkai.AppealSuitAfterReview, FiledOn: d("2024-06-20"), Outcome: gongkai.OutcomePending},
		{Line: 4, CaseNo: "GK-2024-000002", Kind: gongkai.AppealDirectSuit, FiledOn: d("2024-05-06"), Outcome: gongkai.OutcomeCorrected, DecidedOn: d("2024-09-30")},
	}
	if !reflect.DeepEqual(l.Appeals, wantAppeals) {
		t.Errorf("appeals:\n got  %+v\n want %+v", l.Appeals, wantAppeals)
	}
}

func TestReadXLSXBadAppeals(t *testing.T) {
	data := newXLSX(t, [][]any{
		{"受理编号", "类型", "提起日期", "结果", "结果日期"},
		{"GK-2024-000001", "信访", "2024-04-10", "维持", ""},
		{"GK-2024-000001", "行政复议", "2024-04-10", "", "2024-05-01"},
	})
	_, errs := ledger.Read("台账.xlsx", bytes.NewReader(data))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`台账.xlsx#复议诉讼:2: column 类型: 无法识别的类型 "信访"（应为 行政复议、直接起诉 或 复议后起诉）`,
		"台账.xlsx#复议诉讼:2: column 结果日期: 不能为空",
		"台账.xlsx#复议诉讼:3: column 结果日期: 尚未审结的案件不应有结果日期",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got  %q\n want %q", got, want)
	}
}

func TestReadAppealsCSV(t *testing.T) {
	csv := "受理编号,类型,提起日期,结果,结果日期\nGK-2024-000001,直接起诉,2024-07-01,其他,2024-08-01\nGK-2023-000009,行政复议,2024-01-05,,\n"
	as, errs := ledger.ReadAppealsCSV("appeals.csv", strings.NewReader(csv))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(as) != 2 || as[0].Outcome != gongkai.OutcomeOther || as[1].Outcome != gongkai.OutcomePending {
		t.Errorf("appeals = %+v", as)
	}
	known := map[string]bool{"GK-2024-000001": true}
	errs = ledger.CheckAppealCases("appeals.csv", as, func(no string) bool { return known[no] })
	if len(errs) != 1 || errs[0].Error() != "appeals.csv:3: column 受理编号: 找不到受理编号为 GK-2023-000009 的申请" {
		t.Errorf("CheckAppealCases = %v", errs)
	}
}
