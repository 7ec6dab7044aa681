package annual

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/ledger"
	"gongkai/report"
	"gongkai/store"
	"gongkai/workday"
)

const seedDir = "../report/testdata/"

// seeded returns a Service over a fresh database holding the seed's ten 2024
// applications, imported from the ledger as `gongkai import` does.
func seeded(t testing.TB) *Service {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := os.Open(seedDir + "seed2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, errs := ledger.Read("seed2024.csv", f)
	if len(errs) > 0 {
		t.Fatalf("ledger: %v", errs)
	}
	cs := &caseflow.Service{DB: db, Cal: workday.New()}
	if res, errs := cs.Import(ctx, "seed2024.csv", l, "test"); len(errs) > 0 || res.Created != 10 {
		t.Fatalf("import: %+v %v", res, errs)
	}
	return &Service{DB: db, Agency: "西工区住房和城乡建设局"}
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(seedDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildSeed(t *testing.T) {
	s := seeded(t)
	r, err := s.Build(context.Background(), 2024)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{report.KeyNew: 10, "result.partial": 4, "result.unable.not_held": 6, report.KeyResultTotal: 10, report.KeyCarriedOut: 0} {
		row, ok := r.Row(key)
		if !ok || row.Cells[6] != want {
			t.Errorf("%s 总计 = %v, want %d", key, row.Cells, want)
		}
	}
	if !r.OK() {
		t.Errorf("checks failed: %+v", r.Failed())
	}
	if got := r.Cases("result.partial", 6); len(got) != 4 {
		t.Errorf("drill-down of 部分公开: %v, want 4 cases", got)
	}
	if r.Agency != s.Agency || r.Year != 2024 {
		t.Errorf("report of %q %d", r.Agency, r.Year)
	}
}

// TestBuildWithReproducesSeed: the overrides from files give the golden
// reproduction of the published seed report, as `gongkai report` must.
func TestBuildWithReproducesSeed(t *testing.T) {
	s := seeded(t)
	r, err := s.BuildWith(context.Background(), 2024, readFile(t, "seed2024-proactive.json"), readFile(t, "seed2024-texts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if md.String() != readFile(t, "seed2024.md") {
		t.Errorf("markdown differs from %sseed2024.md", seedDir)
	}
}

func TestBuildWithBadJSON(t *testing.T) {
	s := seeded(t)
	tests := []struct {
		name, pro, texts, want string
	}{
		{"syntax", `{"rules": `, "", "proactive"},
		{"unknown field", `{"rulez": {}}`, "", "proactive"},
		{"wrong type", `{"penalties": "三"}`, "", "proactive"},
		{"texts unknown field", "", `{"intro": "x", "summary": "y"}`, "texts"},
		{"trailing object", `{} {}`, "", "proactive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.BuildWith(context.Background(), 2024, tc.pro, tc.texts)
			if gongkai.ErrorKind(err) != gongkai.EInvalid || !strings.Contains(gongkai.ErrorMessage(err), tc.want) {
				t.Errorf("err = %v, want EInvalid naming %s", err, tc.want)
			}
		})
	}
}

func TestYearOutOfRange(t *testing.T) {
	s := seeded(t)
	ctx := context.Background()
	for _, y := range []int{0, 1999, 2201} {
		if _, err := s.Build(ctx, y); gongkai.ErrorKind(err) != gongkai.EInvalid {
			t.Errorf("Build(%d): %v, want EInvalid", y, err)
		}
		if err := s.SaveInputs(ctx, y, report.Proactive{}, report.Texts{}, "reg"); gongkai.ErrorKind(err) != gongkai.EInvalid {
			t.Errorf("SaveInputs(%d): %v, want EInvalid", y, err)
		}
	}
}

// TestInputsRoundTripAndCarryOver: saved inputs come back as saved (CRLF
// cleaned) and shape the report; the next year starts from them.
func TestInputsRoundTripAndCarryOver(t *testing.T) {
	s := seeded(t)
	ctx := context.Background()
	p, txt, err := s.Inputs(ctx, 2024)
	if err != nil || p != (report.Proactive{}) || txt != (report.Texts{}) {
		t.Fatalf("Inputs before any save: %+v %+v %v, want zero", p, txt, err)
	}
	p = report.Proactive{Rules: report.Counts{Issued: 1, InForce: 3}, NormativeDocuments: report.Counts{Issued: 2, Repealed: 1, InForce: 7}, LicensingDecisions: 4, FeesWanYuan: 1.2345}
	txt = report.Texts{Intro: "  2024 年，我局认真贯彻条例。\r\n第二段。 ", Overview: [5]string{"主动公开情况。", "收到申请 10 件，手写。", "", "", "监督保障。"}, Problems: "问题。", Other: "无"}
	if err := s.SaveInputs(ctx, 2024, p, txt, "reg"); err != nil {
		t.Fatal(err)
	}
	gotP, gotT, err := s.Inputs(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	want := txt
	want.Intro = "2024 年，我局认真贯彻条例。\n第二段。"
	if gotP != p || gotT != want {
		t.Errorf("Inputs after save:\n got %+v %+v\nwant %+v %+v", gotP, gotT, p, want)
	}
	r, err := s.Build(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	if r.Proactive != p || r.Texts.Intro != want.Intro || r.Texts.Overview[1] != want.Overview[1] || r.Texts.Other != "无" {
		t.Errorf("report does not use the saved inputs: %+v %+v", r.Proactive, r.Texts)
	}

	// 2025 has no draft: last year's prose without （二）, last year's
	// 现行有效件数; C8 then holds.
	p25, t25, err := s.Inputs(ctx, 2025)
	if err != nil {
		t.Fatal(err)
	}
	wantP := report.Proactive{Rules: report.Counts{InForce: 3}, NormativeDocuments: report.Counts{InForce: 7}}
	want25 := want
	want25.Overview[1] = ""
	if p25 != wantP || t25 != want25 {
		t.Errorf("Inputs(2025):\n got %+v %+v\nwant %+v %+v", p25, t25, wantP, want25)
	}
	r25, err := s.Build(ctx, 2025)
	if err != nil {
		t.Fatal(err)
	}
	c8 := 0
	for _, c := range r25.Checks {
		if c.ID == "C8" {
			c8++
			if !c.OK || c.Skipped {
				t.Errorf("C8 of 2025: %+v", c)
			}
		}
	}
	if c8 != 2 {
		t.Errorf("2025 has %d C8 checks, want 2 (规章, 行政规范性文件)", c8)
	}
	if !strings.Contains(r25.Texts.Overview[1], "2025") {
		t.Errorf("（二） of 2025 not generated: %q", r25.Texts.Overview[1])
	}
	// An override wins over the saved draft, field by field from zero.
	r, err = s.BuildWith(ctx, 2024, `{"penalties": 2}`, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Proactive != (report.Proactive{Penalties: 2}) || r.Texts.Intro != want.Intro {
		t.Errorf("override: %+v, intro %q", r.Proactive, r.Texts.Intro)
	}
}

func TestSaveInputsRefusesBadFigures(t *testing.T) {
	s := seeded(t)
	ctx := context.Background()
	good := report.Proactive{LicensingDecisions: 4}
	if err := s.SaveInputs(ctx, 2024, good, report.Texts{Other: "无"}, "reg"); err != nil {
		t.Fatal(err)
	}
	bad := report.Proactive{Rules: report.Counts{Repealed: -1}, Penalties: -2, FeesWanYuan: 0.12345}
	err := s.SaveInputs(ctx, 2024, bad, report.Texts{Other: "改了"}, "reg")
	var e *gongkai.Error
	if !errors.As(err, &e) || e.Kind != gongkai.EInvalid {
		t.Fatalf("err = %v, want EInvalid", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"rules.repealed", "penalties", "fees_wan_yuan"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("bad fields %v, want %v", fields, want)
	}
	p, txt, err := s.Inputs(ctx, 2024)
	if err != nil || p != good || txt.Other != "无" {
		t.Errorf("after a refused save: %+v %+v %v, want the earlier draft", p, txt, err)
	}
}

func TestValidateProactive(t *testing.T) {
	tests := []struct {
		fees float64
		ok   bool
	}{{0, true}, {1, true}, {0.0001, true}, {12.3456, true}, {0.00001, false}, {-0.5, false}, {1.23456, false}}
	for _, tc := range tests {
		bad := ValidateProactive(report.Proactive{FeesWanYuan: tc.fees})
		if (len(bad) == 0) != tc.ok {
			t.Errorf("fees %v: %v, want ok=%v", tc.fees, bad, tc.ok)
		}
	}
}

func TestParseFees(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{{"", 0, true}, {" 1.25 ", 1.25, true}, {"0", 0, true}, {"一万", 0, false}, {"NaN", 0, false}, {"1e400", 0, false}}
	for _, tc := range tests {
		got, err := ParseFees(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseFees(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func BenchmarkBuildSeed(b *testing.B) {
	s := seeded(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Build(ctx, 2024); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPublish: a published report is kept as it was, and next year's report
// checks its 二 against it (C7): skipped before publication, passing when
// the figures agree, a warning naming both figures when they do not. A
// report with an error in its checks cannot be published.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	s := seeded(t)
	c7 := func(year int) []report.Check {
		t.Helper()
		r, err := s.Build(ctx, year)
		if err != nil {
			t.Fatal(err)
		}
		var out []report.Check
		for _, c := range r.Checks {
			if c.ID == "C7" {
				out = append(out, c)
			}
		}
		return out
	}
	if cs := c7(2025); len(cs) != 1 || !cs[0].Skipped {
		t.Fatalf("C7 before 2024 was published: %+v, want one skipped check", cs)
	}
	if p, err := s.Published(ctx, 2024); p != nil || err != nil {
		t.Fatalf("published 2024 before publishing: %v, %v", p, err)
	}
	r, err := s.Publish(ctx, 2024, "ap")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Published(ctx, 2024)
	if err != nil || p == nil || p.By != "ap" || p.At.IsZero() {
		t.Fatalf("published 2024: %+v, %v", p, err)
	}
	var want bytes.Buffer
	if err := r.JSON(&want); err != nil {
		t.Fatal(err)
	}
	if p.JSON != want.String() {
		t.Errorf("the published JSON is not the report's JSON")
	}
	// The same figures rebuilt do not differ, whatever the checks say; a
	// changed figure does.
	again, err := s.Build(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	again.Checks[0].Detail += "（上年报告后来定稿）"
	if d, err := p.Differs(again); d || err != nil {
		t.Errorf("rebuilt report differs from the published one: %v, %v", d, err)
	}
	again.Table3[0].Cells[0]++
	if d, err := p.Differs(again); !d || err != nil {
		t.Errorf("a changed figure is not noticed: %v, %v", d, err)
	}
	cs := c7(2025)
	if len(cs) != 7 {
		t.Fatalf("C7 after publication: %+v, want one check per column", cs)
	}
	for _, c := range cs {
		if !c.OK || c.Skipped {
			t.Errorf("C7 %s: %+v, want it to pass (0 carried out of 2024, 0 carried into 2025)", c.Column, c)
		}
	}

	// The printed 2024 report said something else (published elsewhere,
	// or the cases were changed after publication): C7 warns.
	var doc map[string]any
	if err := json.Unmarshal([]byte(p.JSON), &doc); err != nil {
		t.Fatal(err)
	}
	for _, row := range doc["table3"].([]any) {
		if row := row.(map[string]any); row["key"] == report.KeyCarriedOut {
			row["cells"] = []int{2, 0, 0, 0, 0, 0, 2}
		}
	}
	edited, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	printed := string(edited)
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.PublishReport(2024, printed, "ap") }); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, c := range c7(2025) {
		if !c.OK {
			bad++
			if c.Level != report.LevelWarning || !strings.Contains(c.Detail, "上年报告四 2") {
				t.Errorf("C7 %s: %+v", c.Column, c)
			}
		}
	}
	if bad != 2 {
		t.Errorf("%d C7 warnings, want 2 (自然人 and 总计)", bad)
	}

	// A report with an error is refused.
	if err := s.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateCase(&gongkai.Case{No: "GK-2023-000001", QueryCode: "X", Channel: gongkai.ChannelPost, Status: gongkai.StatusClosed,
			ReceivedOn: gongkai.MustDate("2023-03-01"), Result: gongkai.ResultDisclosed, AnsweredOn: gongkai.MustDate("2023-03-10"),
			Applicant: gongkai.Applicant{Type: "无效类型", Name: "某"}, ClockState: gongkai.ClockStopped}, "")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, 2023, "ap"); gongkai.ErrorKind(err) != gongkai.EConflict || !strings.Contains(err.Error(), "勾稽关系错误") {
		t.Errorf("publishing a report with errors: %v, want a conflict", err)
	}
	if p, _ := s.Published(ctx, 2023); p != nil {
		t.Errorf("a report with errors was published")
	}
}
