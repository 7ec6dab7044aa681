package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gongkai"
	"gongkai/store"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestSeedReportFromLedger: the seed's ten 2024 applications imported from a
// ledger reproduce the seed's tables through SQLite, with every check passing.
func TestSeedReportFromLedger(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	td := "../../report/testdata/"
	if code, out, errs := runCLI(t, "import", td+"seed2024.csv", "--db", db); code != 0 || !strings.Contains(out, "新建 10 件") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "import", td+"seed2024.csv", "--db", db); code != 0 || !strings.Contains(out, "未变 10 件") {
		t.Fatalf("re-import is not idempotent: %d %s", code, out)
	}
	code, md, errs := runCLI(t, "report", "--year", "2024", "--format", "md", "--db", db,
		"--proactive", td+"seed2024-proactive.json", "--texts", td+"seed2024-texts.json")
	if code != 0 {
		t.Fatalf("report md: exit %d: %s", code, errs)
	}
	want, err := os.ReadFile(td + "seed2024.md")
	if err != nil {
		t.Fatal(err)
	}
	if md != string(want) {
		t.Errorf("report md differs from the golden seed reproduction %sseed2024.md", td)
	}
	code, js, _ := runCLI(t, "report", "--year", "2024", "--format", "json", "--db", db, "--proactive", td+"seed2024-proactive.json")
	if code != 0 {
		t.Fatalf("report json: exit %d", code)
	}
	var rep struct {
		Table3 []struct {
			Key   string
			Cells []int
		}
		Checks []struct {
			Rule, Column string
			OK           bool
		}
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Table3) != 25 || len(rep.Checks) == 0 {
		t.Fatalf("table3 has %d rows, %d checks", len(rep.Table3), len(rep.Checks))
	}
	cells := map[string][]int{}
	for _, r := range rep.Table3 {
		cells[r.Key] = r.Cells
	}
	for key, want := range map[string]int{"new": 10, "carried_in": 0, "result.partial": 4, "result.unable.not_held": 6, "result.total": 10, "carried_out": 0} {
		if cells[key][0] != want || cells[key][6] != want {
			t.Errorf("%s = %v, want %d for 自然人 and 总计", key, cells[key], want)
		}
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("check %s [%s] failed", c.Rule, c.Column)
		}
	}
	for _, f := range []string{"html", "xlsx"} {
		out := filepath.Join(t.TempDir(), "r."+f)
		if code, _, errs := runCLI(t, "report", "--year", "2024", "--format", f, "--out", out, "--db", db); code != 0 {
			t.Errorf("report %s: %d %s", f, code, errs)
		}
		if fi, err := os.Stat(out); err != nil || fi.Size() < 1000 {
			t.Errorf("report %s: output missing or tiny", f)
		}
	}
}

func TestImportBadRowsNameTheirLine(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	csv := "受理编号,收到日期,申请人类型,申请人,申请内容,办理结果,答复日期\n" +
		"GK-2024-000001,2024-03-01,自然人,张三,某小区预售许可证,予以公开,2024-03-20\n" +
		"GK-2024-000002,2024-13-01,自然人,李四,某项目施工许可证,,\n" +
		"GK-2024-000003,2024-03-05,外星人,王五,某文件,予以公开,\n"
	file := filepath.Join(dir, "bad.csv")
	os.WriteFile(file, []byte(csv), 0o644)
	code, _, errs := runCLI(t, "import", file, "--db", db)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"bad.csv:3: column 收到日期", "bad.csv:4: column 申请人类型", "bad.csv:4: column 答复日期"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	d, _ := store.Open(context.Background(), db)
	defer d.Close()
	var n int
	d.View(context.Background(), func(tx *store.Tx) error { n, _ = tx.CountCases(store.CaseFilter{}); return nil })
	if n != 0 {
		t.Errorf("%d cases stored from a bad ledger, want 0 (all or nothing)", n)
	}
}

func TestReportFailingCheckExits3(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	// A closed case with an outcome but no applicant column breaks the table's
	// arithmetic: it is counted in 本年新收 总计 but in no column.
	err = d.Update(context.Background(), func(tx *store.Tx) error {
		c := &gongkai.Case{No: "GK-2024-000001", QueryCode: "X", Channel: gongkai.ChannelPost, Status: gongkai.StatusClosed,
			ReceivedOn: gongkai.MustDate("2024-03-01"), Result: gongkai.ResultDisclosed, AnsweredOn: gongkai.MustDate("2024-03-10"),
			Applicant: gongkai.Applicant{Type: "无效类型", Name: "某"}, ClockState: gongkai.ClockStopped}
		return tx.CreateCase(c, "")
	})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "report", "--year", "2024", "--db", db)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (stderr %s)", code, errs)
	}
	if !strings.Contains(out, `"ok": false`) && !strings.Contains(out, `"ok":false`) {
		t.Errorf("JSON does not carry the failed check")
	}
	if !strings.Contains(errs, "C") {
		t.Errorf("stderr does not name the rule: %s", errs)
	}
	// --publish does not publish it.
	if code, _, errs := runCLI(t, "report", "--year", "2024", "--db", db, "--publish", "张主任"); code != 3 || !strings.Contains(errs, "未定稿") {
		t.Errorf("--publish of a failing report: exit %d, stderr %s", code, errs)
	}
	if _, out, _ := runCLI(t, "report", "--year", "2025", "--db", db); !strings.Contains(out, "上年度报告未在本系统定稿") {
		t.Errorf("a failing 2024 report was published")
	}
}

// TestReportPublishCLI: `gongkai report --publish NAME` keeps the report as
// published, and the next year's report checks its carry-over against it.
func TestReportPublishCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	if code, out, errs := runCLI(t, "import", "../../report/testdata/seed2024.csv", "--db", db); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	if _, out, _ := runCLI(t, "report", "--year", "2025", "--db", db); !strings.Contains(out, "上年度报告未在本系统定稿") {
		t.Errorf("C7 not skipped before publication")
	}
	code, _, errs := runCLI(t, "report", "--year", "2024", "--db", db, "--format", "md", "--publish", "张主任")
	if code != 0 || !strings.Contains(errs, "2024年度报告已定稿（张主任）") {
		t.Fatalf("--publish: exit %d, stderr %s", code, errs)
	}
	if code, out, _ := runCLI(t, "report", "--year", "2025", "--db", db); code != 0 || strings.Contains(out, "上年度报告未在本系统定稿") || !strings.Contains(out, "上年报告四 0") {
		t.Errorf("2025 after publishing 2024: exit %d\n%.400s", code, out)
	}
}
