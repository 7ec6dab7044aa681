package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gongkai"
	"gongkai/report"
)

// Short names for the tables below.
const (
	np  = gongkai.NaturalPerson
	ent = gongkai.Enterprise
	res = gongkai.ResearchBody
	pub = gongkai.PublicWelfare
	law = gongkai.LegalService
	oth = gongkai.OtherOrg
)

func row(no string, t gongkai.ApplicantType, recv, ans string, r gongkai.ResultKey) report.CaseRow {
	return report.CaseRow{No: no, ApplicantType: t, ReceivedOn: gongkai.MustDate(recv), AnsweredOn: gongkai.MustDate(ans), Result: r, Counted: true}
}

// synthetic is three years of cases: carried into and out of 2024, every
// outcome row used in 2024, a message that was not a request, and appeals in
// all three groups, one of them decided only after the year.
func synthetic() *report.SliceSource {
	s := &report.SliceSource{Rows: []report.CaseRow{
		// 2023, answered in 2023: no part of the 2024 report.
		row("S23-01", np, "2023-03-01", "2023-03-20", gongkai.ResultDisclosed),
		// 2023, answered in 2024: carried in, concluded in 2024.
		row("S23-02", np, "2023-12-20", "2024-01-10", gongkai.ResultDisclosed),
		row("S23-03", ent, "2023-12-28", "2024-01-25", gongkai.ResultRepeat),
		row("S23-04", law, "2023-11-30", "2024-02-01", gongkai.ResultNoCorrection),
		row("S23-07", np, "2023-12-31", "2024-01-01", gongkai.ResultPartial),
		// 2023, answered in 2025 or still open: carried in and carried out.
		row("S23-05", res, "2023-12-15", "2025-01-20", gongkai.ResultDisclosed),
		row("S23-06", oth, "2023-10-10", "", ""),
		// 2024, answered in 2024: all 21 outcome rows.
		row("N01", np, "2024-02-01", "2024-02-20", gongkai.ResultDisclosed),
		row("N02", np, "2024-02-05", "2024-02-26", gongkai.ResultPartial),
		row("N03", ent, "2024-02-07", "2024-03-01", gongkai.ResultPartial),
		row("N04", np, "2024-03-04", "2024-03-22", gongkai.ResultStateSecret),
		row("N05", res, "2024-03-11", "2024-03-29", gongkai.ResultLawForbidden),
		row("N06", pub, "2024-03-18", "2024-04-08", gongkai.ResultSecurityStability),
		row("N07", ent, "2024-04-01", "2024-05-20", gongkai.ResultThirdParty),
		row("N08", np, "2024-04-15", "2024-05-08", gongkai.ResultInternalAffairs),
		row("N09", law, "2024-05-06", "2024-05-24", gongkai.ResultProcessInfo),
		row("N10", oth, "2024-05-13", "2024-06-03", gongkai.ResultEnforcementFile),
		row("N11", ent, "2024-06-03", "2024-06-21", gongkai.ResultInquiryMatter),
		row("N12", np, "2024-06-17", "2024-07-05", gongkai.ResultNotHeld),
		row("N13", np, "2024-07-01", "2024-07-19", gongkai.ResultNotHeld),
		row("N14", pub, "2024-07-15", "2024-08-02", gongkai.ResultNeedsCreation),
		row("N15", np, "2024-08-05", "2024-09-30", gongkai.ResultUnclearAfterCorrection),
		row("N16", np, "2024-08-19", "2024-08-30", gongkai.ResultPetition),
		row("N17", oth, "2024-09-02", "2024-09-13", gongkai.ResultRepeat),
		row("N18", np, "2024-09-09", "2024-09-20", gongkai.ResultPublication),
		row("N20", law, "2024-10-14", "2024-11-01", gongkai.ResultConfirmReissue),
		row("N21", np, "2024-10-21", "2024-12-02", gongkai.ResultNoCorrection),
		row("N22", ent, "2024-11-04", "2024-12-16", gongkai.ResultNoFee),
		row("N23", res, "2024-11-11", "2024-11-29", gongkai.ResultOther),
		row("N29", np, "2024-12-31", "2024-12-31", gongkai.ResultDisclosed),
		// 2024, answered in 2025 or open: carried out.
		row("N24", np, "2024-12-20", "2025-01-15", gongkai.ResultPartial),
		row("N25", ent, "2024-12-27", "2025-01-22", gongkai.ResultNotHeld),
		row("N26", pub, "2024-12-30", "", ""),
		// 2025.
		row("N28", np, "2025-01-03", "2025-01-20", gongkai.ResultDisclosed),
	}}
	mass := row("N19", np, "2024-10-08", "2024-11-05", gongkai.ResultMassRepeat)
	mass.ReasonAsked = true
	notRequest := row("N27", np, "2024-05-05", "", "")
	notRequest.Counted = false
	s.Rows = append(s.Rows, mass, notRequest)

	appeal := func(no string, k gongkai.AppealKind, filed string, o gongkai.AppealOutcome, decided string) gongkai.Appeal {
		return gongkai.Appeal{CaseNo: no, Kind: k, FiledOn: gongkai.MustDate(filed), Outcome: o, DecidedOn: gongkai.MustDate(decided)}
	}
	s.AppealRows = []gongkai.Appeal{
		appeal("N01", gongkai.AppealReconsideration, "2024-03-01", gongkai.OutcomeUpheld, "2024-05-01"),
		appeal("N04", gongkai.AppealReconsideration, "2024-06-01", gongkai.OutcomeCorrected, "2024-08-01"),
		appeal("N21", gongkai.AppealReconsideration, "2024-11-20", gongkai.OutcomeOther, "2025-01-10"),     // decided after Dec 31: 尚未审结
		appeal("S23-01", gongkai.AppealReconsideration, "2023-10-01", gongkai.OutcomeUpheld, "2024-01-05"), // filed 2023: 2023's report
		appeal("N07", gongkai.AppealDirectSuit, "2024-04-01", gongkai.OutcomeOther, "2024-09-01"),
		appeal("N11", gongkai.AppealDirectSuit, "2024-10-01", gongkai.OutcomePending, ""),
		appeal("N01", gongkai.AppealSuitAfterReview, "2024-07-01", gongkai.OutcomeUpheld, "2024-12-31"),
		appeal("N04", gongkai.AppealSuitAfterReview, "2024-09-15", gongkai.OutcomeCorrected, "2024-12-01"),
	}
	return s
}

// want2024 is section 三 of 2024, counted by hand from synthetic().
var want2024 = map[string][7]int{
	"new":                                    {13, 5, 2, 3, 2, 2, 27},
	"carried_in":                             {2, 1, 1, 0, 1, 1, 6},
	"result.disclosed":                       {3, 0, 0, 0, 0, 0, 3},
	"result.partial":                         {2, 1, 0, 0, 0, 0, 3},
	"result.withheld.state_secret":           {1, 0, 0, 0, 0, 0, 1},
	"result.withheld.law_forbidden":          {0, 0, 1, 0, 0, 0, 1},
	"result.withheld.security_stability":     {0, 0, 0, 1, 0, 0, 1},
	"result.withheld.third_party":            {0, 1, 0, 0, 0, 0, 1},
	"result.withheld.internal_affairs":       {1, 0, 0, 0, 0, 0, 1},
	"result.withheld.process_info":           {0, 0, 0, 0, 1, 0, 1},
	"result.withheld.enforcement_file":       {0, 0, 0, 0, 0, 1, 1},
	"result.withheld.inquiry_matter":         {0, 1, 0, 0, 0, 0, 1},
	"result.unable.not_held":                 {2, 0, 0, 0, 0, 0, 2},
	"result.unable.needs_creation":           {0, 0, 0, 1, 0, 0, 1},
	"result.unable.unclear_after_correction": {1, 0, 0, 0, 0, 0, 1},
	"result.rejected.petition":               {1, 0, 0, 0, 0, 0, 1},
	"result.rejected.repeat":                 {0, 1, 0, 0, 0, 1, 2},
	"result.rejected.publication":            {1, 0, 0, 0, 0, 0, 1},
	"result.rejected.mass_repeat":            {1, 0, 0, 0, 0, 0, 1},
	"result.rejected.confirm_reissue":        {0, 0, 0, 0, 1, 0, 1},
	"result.other.no_correction":             {1, 0, 0, 0, 1, 0, 2},
	"result.other.no_fee":                    {0, 1, 0, 0, 0, 0, 1},
	"result.other.other":                     {0, 0, 1, 0, 0, 0, 1},
	"result.total":                           {14, 5, 2, 2, 3, 2, 28},
	"carried_out":                            {1, 1, 1, 1, 0, 1, 5},
}

// want2024T4: 行政复议 维持 1, 纠正 1, 尚未审结 1 (decided in 2025);
// 直接起诉 其他 1, 尚未审结 1; 复议后起诉 维持 1 (decided on Dec 31), 纠正 1.
var want2024T4 = [15]int{1, 1, 0, 1, 3, 0, 0, 1, 1, 2, 1, 1, 0, 0, 2}

func build(t *testing.T, src report.Source, year int, opt report.Options) *report.Report {
	t.Helper()
	r, err := report.Build(context.Background(), src, year, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSyntheticYears(t *testing.T) {
	src := synthetic()
	r23 := build(t, src, 2023, report.Options{})
	out23 := r23.Table3[len(r23.Table3)-1].Cells
	r := build(t, src, 2024, report.Options{Agency: "测试局", Fees: report.Fees{Notices: 1}, LastYearCarriedOut: &out23})

	if len(r.Table3) != len(want2024) {
		t.Fatalf("table3 has %d rows, want %d", len(r.Table3), len(want2024))
	}
	for _, row := range r.Table3 {
		if want, ok := want2024[row.Key]; !ok || row.Cells != want {
			t.Errorf("%s = %v, want %v", row.Key, row.Cells, want)
		}
	}
	// Every outcome row is non-zero somewhere: the data exercise them all.
	for _, ri := range gongkai.Results {
		if row, _ := r.Row(string(ri.Key)); row.Cells[6] == 0 {
			t.Errorf("%s is zero: the data set misses it", ri.Key)
		}
	}
	if r.Table4.Cells != want2024T4 {
		t.Errorf("table4 = %v, want %v", r.Table4.Cells, want2024T4)
	}
	for _, c := range r.Checks {
		if !c.OK {
			t.Errorf("check %s %q (%s %s) failed: %s", c.ID, c.Rule, c.Column, c.Row, c.Detail)
		}
	}
	if c := find(r, "C7", "自然人"); c == nil || c.Skipped {
		t.Errorf("C7 was not evaluated: %+v", c)
	}
	wantText := "2024 年我局共收到政府信息公开申请 27 件，上年结转 6 件，本年度办结 28 件，结转下年度继续办理 5 件。本年度发生政府信息公开行政复议 3 件、行政诉讼 4 件。"
	if got := r.Texts.Overview[1]; got != wantText {
		t.Errorf("（二）依申请公开 =\n %s\nwant\n %s", got, wantText)
	}
	if n := count(r, "C9"); n != 6 {
		t.Errorf("C9 checked %d quoted numbers, want 6 (收到, 上年结转, 办结, 结转下年度, 行政复议, 行政诉讼)", n)
	}
	if got, want := r.Texts.Other, "本年度共发出信息处理费收费通知 1 件，收取信息处理费 0 元。"; got != want {
		t.Errorf("六 = %q, want %q", got, want)
	}

	// 2023 and 2025 agree with 2024 on what was carried (K6, K7).
	if in := r.Table3[1].Cells; in != out23 {
		t.Errorf("2024 carried_in %v != 2023 carried_out %v", in, out23)
	}
	r25 := build(t, src, 2025, report.Options{})
	if in25, out24 := r25.Table3[1].Cells, r.Table3[len(r.Table3)-1].Cells; in25 != out24 {
		t.Errorf("2025 carried_in %v != 2024 carried_out %v", in25, out24)
	}
	if want := [15]int{0, 0, 0, 1, 1}; r23.Table4.Cells != want {
		t.Errorf("2023 table4 = %v, want %v (filed 2023, decided 2024: 尚未审结)", r23.Table4.Cells, want)
	}
}

func TestDrillDown(t *testing.T) {
	r := build(t, synthetic(), 2024, report.Options{})
	tests := []struct {
		row  string
		col  int
		want string
	}{
		{"result.partial", 0, "N02 S23-07"},
		{"result.partial", 6, "N02 N03 S23-07"},
		{"carried_in", 6, "S23-02 S23-03 S23-04 S23-05 S23-06 S23-07"},
		{"carried_out", 6, "N24 N25 N26 S23-05 S23-06"},
		{"new", 1, "N03 N07 N11 N22 N25"},
		{"result.rejected.repeat", 5, "N17"},
		{"result.total", 4, "N09 N20 S23-04"},
		{"result.withheld.state_secret", 1, ""},
		{"no.such.row", 0, ""},
		{"new", 7, ""},
	}
	for _, tt := range tests {
		got := strings.Join(r.Cases(tt.row, tt.col), " ")
		if got != tt.want {
			t.Errorf("Cases(%q, %d) = %q, want %q", tt.row, tt.col, got, tt.want)
		}
	}
	// Every number of the table is the length of its drill-down list.
	for _, row := range r.Table3 {
		for j, v := range row.Cells {
			if n := len(r.Cases(row.Key, j)); n != v {
				t.Errorf("%s[%d] = %d but drill-down lists %d cases", row.Key, j, v, n)
			}
		}
	}
	if got := strings.Join(r.AppealCases(4), " "); got != "N01 N04 N21" {
		t.Errorf("AppealCases(4) = %q", got)
	}
}

func TestBrokenData(t *testing.T) {
	base := func() *report.SliceSource { return synthetic() }
	tests := []struct {
		name   string
		modify func(*report.SliceSource, *report.Options)
		id     string // the check that must fail
		column string
		row    string
		level  string
	}{
		{"invalid applicant type", func(s *report.SliceSource, _ *report.Options) {
			s.Rows = append(s.Rows, row("BAD-1", "个人", "2024-03-03", "2024-03-20", gongkai.ResultDisclosed))
		}, "C3", "总计", "new", report.LevelError},
		{"invalid outcome", func(s *report.SliceSource, _ *report.Options) {
			s.Rows = append(s.Rows, row("BAD-2", np, "2024-04-01", "2024-04-20", "result.withheld.secret"))
		}, "C1", "自然人", "", report.LevelError},
		{"invalid outcome is C4", func(s *report.SliceSource, _ *report.Options) {
			s.Rows = append(s.Rows, row("BAD-2", np, "2024-04-01", "2024-04-20", ""))
		}, "C4", "", "", report.LevelError},
		{"answer before receipt", func(s *report.SliceSource, _ *report.Options) {
			s.Rows = append(s.Rows, row("BAD-3", ent, "2024-06-01", "2024-05-01", gongkai.ResultDisclosed))
		}, "K5", "", "", report.LevelError},
		{"no receipt date", func(s *report.SliceSource, _ *report.Options) {
			s.Rows = append(s.Rows, report.CaseRow{No: "BAD-4", ApplicantType: np, Counted: true})
		}, "K4", "", "", report.LevelError},
		{"unknown appeal kind", func(s *report.SliceSource, _ *report.Options) {
			s.AppealRows = append(s.AppealRows, gongkai.Appeal{CaseNo: "N02", Kind: "信访", FiledOn: gongkai.MustDate("2024-05-01")})
		}, "K14", "", "", report.LevelError},
		{"negative staff figure", func(_ *report.SliceSource, o *report.Options) {
			o.Proactive.Penalties = -1
		}, "C5", "", "", report.LevelError},
		{"last year's report disagrees", func(_ *report.SliceSource, o *report.Options) {
			o.LastYearCarriedOut = &[7]int{2, 1, 1, 0, 1, 0, 5}
		}, "C7", "其他", "", report.LevelWarning},
		{"in-force count does not carry", func(_ *report.SliceSource, o *report.Options) {
			o.Proactive.NormativeDocuments = report.Counts{Issued: 2, Repealed: 1, InForce: 10}
			o.LastYearProactive = &report.Proactive{NormativeDocuments: report.Counts{InForce: 8}}
		}, "C8", "行政规范性文件", "", report.LevelWarning},
		{"hand-written prose quotes a wrong number", func(_ *report.SliceSource, o *report.Options) {
			o.Texts.Overview[1] = "2024 年共收到政府信息公开申请 30 件。"
		}, "C9", "收到申请", "", report.LevelWarning},
		{"suits after review without reviews", func(s *report.SliceSource, _ *report.Options) {
			for i := 0; i < 3; i++ {
				s.AppealRows = append(s.AppealRows, gongkai.Appeal{CaseNo: "N08", Kind: gongkai.AppealSuitAfterReview, FiledOn: gongkai.MustDate("2024-12-01"), Outcome: gongkai.OutcomePending})
			}
		}, "C10", "复议后起诉", "", report.LevelWarning},
		{"mass repeat without Art. 35 request", func(s *report.SliceSource, _ *report.Options) {
			s.Rows = append(s.Rows, row("N30", np, "2024-10-08", "2024-11-05", gongkai.ResultMassRepeat))
		}, "C11", "", "result.rejected.mass_repeat", report.LevelWarning},
		{"fee lapse without fee notices", func(*report.SliceSource, *report.Options) {}, "C11", "", "result.other.no_fee", report.LevelWarning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, opt := base(), report.Options{}
			tt.modify(src, &opt)
			r := build(t, src, 2024, opt)
			var hit *report.Check
			for i, c := range r.Checks {
				if !c.OK && c.ID == tt.id && c.Column == tt.column && c.Row == tt.row {
					hit = &r.Checks[i]
				}
			}
			if hit == nil {
				t.Fatalf("no failed check %s column %q row %q; failed: %+v", tt.id, tt.column, tt.row, r.Failed())
			}
			if hit.Level != tt.level || hit.Rule == "" || hit.Detail == "" {
				t.Errorf("check = %+v, want level %s with rule and detail", *hit, tt.level)
			}
			if got, want := r.OK(), tt.level != report.LevelError; got != want {
				t.Errorf("OK() = %v, want %v", got, want)
			}
			var b bytes.Buffer
			if err := r.JSON(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), `"ok": false`) {
				t.Error(`JSON has no "ok": false`)
			}
		})
	}
}

// The invalid applicant type breaks C3 exactly where the case was counted and
// names the case.
func TestInvalidTypeDetail(t *testing.T) {
	src := synthetic()
	src.Rows = append(src.Rows, row("BAD-1", "个人", "2024-03-03", "2024-03-20", gongkai.ResultDisclosed))
	r := build(t, src, 2024, report.Options{Fees: report.Fees{Notices: 1}})
	var rows []string
	for _, c := range r.Failed() {
		rows = append(rows, c.ID+":"+c.Row)
		if !strings.Contains(c.Detail, "BAD-1") {
			t.Errorf("%s detail %q does not name the case", c.ID, c.Detail)
		}
	}
	if got, want := strings.Join(rows, " "), "C3:new C3:result.disclosed C3:result.total"; got != want {
		t.Errorf("failed checks = %s, want %s", got, want)
	}
}

func find(r *report.Report, id, column string) *report.Check {
	for i, c := range r.Checks {
		if c.ID == id && c.Column == column {
			return &r.Checks[i]
		}
	}
	return nil
}

func count(r *report.Report, id string) int {
	n := 0
	for _, c := range r.Checks {
		if c.ID == id {
			n++
		}
	}
	return n
}
