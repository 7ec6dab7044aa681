// Package annual assembles a year's annual report (政府信息公开工作年度报告,
// RULES.md §2) from the database: the cases and appeals through Source, the
// staff-entered section 二 figures and prose saved in report_drafts (last
// year's prose as the starting draft), and the fee figures of section 六.
// Both `gongkai report` and the staff pages build reports through Service,
// so that the CLI and the web print the same numbers.
package annual

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gongkai"
	"gongkai/report"
	"gongkai/store"
)

// Service builds reports and keeps their staff-entered inputs.
type Service struct {
	DB     *store.DB
	Agency string // 机关名称 in the title
}

// Years a report may be asked for; wider is a typo.
const (
	MinYear = 2000
	MaxYear = 2200
)

// Source reads report rows from the database (report.Source).
type Source struct{ DB *store.DB }

// EachCase streams the rows of a year's window from the cases table.
func (s Source) EachCase(ctx context.Context, year int, fn func(report.CaseRow) error) error {
	return s.DB.EachReportRow(ctx, year, func(r store.ReportRow) error {
		return fn(report.CaseRow{No: r.No, ApplicantType: r.ApplicantType, ReceivedOn: r.ReceivedOn, AnsweredOn: r.AnsweredOn,
			Result: r.Result, Counted: r.Counted, ReasonAsked: r.ReasonAsked})
	})
}

// Appeals returns the appeals filed in year.
func (s Source) Appeals(ctx context.Context, year int) ([]gongkai.Appeal, error) {
	return s.DB.AppealsFiled(ctx, year)
}

// Build builds the report of year from the database and the saved inputs.
// The report is returned even when its checks fail (see report.Report.OK).
func (s *Service) Build(ctx context.Context, year int) (*report.Report, error) {
	return s.BuildWith(ctx, year, "", "")
}

// BuildWith is Build with the section 二 figures and/or the prose taken from
// the given JSON (contracts/annual-report.md "proactive" and "texts" objects)
// instead of the saved draft; an empty string keeps the saved input. Bad JSON
// is a gongkai.EInvalid error with a Chinese message.
func (s *Service) BuildWith(ctx context.Context, year int, proactiveJSON, textsJSON string) (*report.Report, error) {
	if err := checkYear(year); err != nil {
		return nil, err
	}
	opt, err := s.options(ctx, year, proactiveJSON, textsJSON)
	if err != nil {
		return nil, err
	}
	r, err := report.Build(ctx, Source{s.DB}, year, opt)
	if err != nil {
		return nil, fmt.Errorf("annual: building %d: %w", year, err)
	}
	return r, nil
}

// Inputs returns the staff-entered inputs of year as Build uses them: the
// saved draft, or else a starting draft: last year's prose (but （二）依申请公开,
// which is generated from this year's table) and last year's 现行有效件数
// carried into this year's (RULES.md §2.6 C8).
func (s *Service) Inputs(ctx context.Context, year int) (report.Proactive, report.Texts, error) {
	if err := checkYear(year); err != nil {
		return report.Proactive{}, report.Texts{}, err
	}
	d, err := s.drafts(ctx, year)
	if err != nil {
		return report.Proactive{}, report.Texts{}, err
	}
	p, t, _, err := d.inputs("", "")
	return p, t, err
}

// SaveInputs stores the section 二 figures and the prose of year (issue 7).
// Negative figures and fees with more than four decimals are refused with a
// gongkai.EInvalid error naming each field (RULES.md §2.6 C5; fees print as
// entered).
func (s *Service) SaveInputs(ctx context.Context, year int, p report.Proactive, t report.Texts, by string) error {
	if err := checkYear(year); err != nil {
		return err
	}
	if bad := ValidateProactive(p); len(bad) > 0 {
		e := gongkai.Invalid(bad)
		e.Message = "第二部分数据有误，未保存"
		return fmt.Errorf("annual: saving inputs of %d: %w", year, e)
	}
	t = CleanTexts(t)
	pj, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("annual: encoding proactive of %d: %w", year, err)
	}
	tj, err := marshalTexts(t)
	if err != nil {
		return fmt.Errorf("annual: encoding texts of %d: %w", year, err)
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.SaveReportDraft(year, string(pj), tj, by)
	})
}

// ValidateProactive lists the figures of section 二 that cannot be printed:
// negative counts, negative fees, fees with more than four decimals.
func ValidateProactive(p report.Proactive) []gongkai.FieldError {
	var bad []gongkai.FieldError
	neg := func(field, label string, v int) {
		if v < 0 {
			bad = append(bad, gongkai.FieldError{Field: field, Message: label + "不能为负数"})
		}
	}
	for _, c := range []struct {
		field, label string
		c            report.Counts
	}{{"rules", "规章", p.Rules}, {"normative_documents", "行政规范性文件", p.NormativeDocuments}} {
		neg(c.field+".issued", c.label+"本年制发件数", c.c.Issued)
		neg(c.field+".repealed", c.label+"本年废止件数", c.c.Repealed)
		neg(c.field+".in_force", c.label+"现行有效件数", c.c.InForce)
	}
	neg("licensing_decisions", "行政许可处理决定数量", p.LicensingDecisions)
	neg("penalties", "行政处罚处理决定数量", p.Penalties)
	neg("coercive_measures", "行政强制处理决定数量", p.CoerciveMeasures)
	switch f := p.FeesWanYuan; {
	case math.IsNaN(f) || math.IsInf(f, 0) || f < 0:
		bad = append(bad, gongkai.FieldError{Field: "fees_wan_yuan", Message: "行政事业性收费金额不能为负数"})
	case math.Abs(f*1e4-math.Round(f*1e4)) > 1e-6:
		bad = append(bad, gongkai.FieldError{Field: "fees_wan_yuan", Message: "行政事业性收费金额以万元为单位，最多保留四位小数"})
	}
	return bad
}

// CleanTexts normalises prose typed in a browser: CRLF to LF, surrounding
// blanks trimmed.
func CleanTexts(t report.Texts) report.Texts {
	clean := func(s string) string {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		return strings.TrimSpace(strings.ReplaceAll(s, "\r", "\n"))
	}
	t.Intro, t.Problems, t.Other = clean(t.Intro), clean(t.Problems), clean(t.Other)
	for i := range t.Overview {
		t.Overview[i] = clean(t.Overview[i])
	}
	return t
}

// ParseFees reads the 万元 amount of 行政事业性收费 as typed ("", "0", "1.25").
func ParseFees(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, gongkai.Errorf(gongkai.EInvalid, "收费金额应为数字（单位：万元）：%q", s)
	}
	return v, nil
}

func checkYear(year int) error {
	if year < MinYear || year > MaxYear {
		return gongkai.Errorf(gongkai.EInvalid, "报告年度应在%d–%d之间：%d", MinYear, MaxYear, year)
	}
	return nil
}

// marshalTexts encodes prose without HTML escaping, so that the stored draft
// reads as typed.
func marshalTexts(t report.Texts) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// drafts are the saved inputs of a year and of the year before.
type drafts struct {
	pro, texts, lastPro, lastTexts string
}

func (s *Service) drafts(ctx context.Context, year int) (drafts, error) {
	var d drafts
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if d.pro, d.texts, err = tx.ReportDraft(year); err != nil {
			return err
		}
		d.lastPro, d.lastTexts, err = tx.ReportDraft(year - 1)
		return err
	})
	if err != nil {
		return d, fmt.Errorf("annual: reading report drafts of %d: %w", year, err)
	}
	return d, nil
}

// inputs decodes the drafts, the overrides taking precedence. It returns
// last year's figures too when they were saved (for C8).
func (d drafts) inputs(proOverride, textsOverride string) (report.Proactive, report.Texts, *report.Proactive, error) {
	var (
		p    report.Proactive
		t    report.Texts
		last *report.Proactive
	)
	if d.lastPro != "" {
		var lp report.Proactive
		if decodeStrict(d.lastPro, &lp) == nil {
			last = &lp
		}
	}
	proJSON, textsJSON := d.pro, d.texts
	if proOverride != "" {
		proJSON = proOverride
	}
	if textsOverride != "" {
		textsJSON = textsOverride
	}
	fromLastYear := false
	if textsJSON == "" && d.lastTexts != "" {
		textsJSON, fromLastYear = d.lastTexts, true // pre-filled from last year's text (issue 7)
	}
	if proJSON == "" && last != nil {
		// What was in force on Dec 31 last year still is until repealed.
		p.Rules.InForce, p.NormativeDocuments.InForce = last.Rules.InForce, last.NormativeDocuments.InForce
	}
	if err := decodeStrict(proJSON, &p); err != nil {
		return p, t, last, &gongkai.Error{Kind: gongkai.EInvalid, Message: "第二部分数据（proactive）格式不正确：" + err.Error(), Err: err}
	}
	if err := decodeStrict(textsJSON, &t); err != nil {
		return p, t, last, &gongkai.Error{Kind: gongkai.EInvalid, Message: "正文草稿（texts）格式不正确：" + err.Error(), Err: err}
	}
	if fromLastYear {
		// （二）依申请公开 quotes last year's numbers; left empty, it is
		// generated from this year's table (RULES.md §2.2, C9).
		t.Overview[1] = ""
	}
	return p, t, last, nil
}

// options assembles report.Options from the drafts, the overrides and the
// fee figures of the year.
func (s *Service) options(ctx context.Context, year int, proOverride, textsOverride string) (report.Options, error) {
	opt := report.Options{Agency: s.Agency}
	d, err := s.drafts(ctx, year)
	if err != nil {
		return opt, err
	}
	if opt.Proactive, opt.Texts, opt.LastYearProactive, err = d.inputs(proOverride, textsOverride); err != nil {
		return opt, fmt.Errorf("annual: inputs of %d: %w", year, err)
	}
	if opt.LastYearCarriedOut, err = s.carriedOut(ctx, year-1); err != nil {
		return opt, err
	}
	notices, paid, err := s.DB.FeeFigures(ctx, year)
	if err != nil {
		return opt, fmt.Errorf("annual: fee figures of %d: %w", year, err)
	}
	opt.Fees = report.Fees{Notices: notices, AmountYuan: float64(paid)}
	return opt, nil
}

// Publish freezes the report of year as published (定稿) by by: its JSON is
// kept, shown on the report page, and the next year's report checks its
// 二（上年结转）against this one's 四（RULES.md §2.6 C7). A report whose
// checks find an error is refused; publishing again replaces it.
func (s *Service) Publish(ctx context.Context, year int, by string) (*report.Report, error) {
	r, err := s.Build(ctx, year)
	if err != nil {
		return nil, err
	}
	return r, s.PublishBuilt(ctx, r, by)
}

// PublishBuilt publishes r as built (`gongkai report --publish` builds it
// with its --proactive and --texts files); Publish has the rules.
func (s *Service) PublishBuilt(ctx context.Context, r *report.Report, by string) error {
	if !r.OK() {
		return &gongkai.Error{Kind: gongkai.EConflict, Message: fmt.Sprintf("%d年度报告有 %d 项勾稽关系错误，更正后才能定稿", r.Year, len(r.Errors()))}
	}
	var buf bytes.Buffer
	if err := r.JSON(&buf); err != nil {
		return err
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.PublishReport(r.Year, buf.String(), by) })
	if err != nil {
		return fmt.Errorf("annual: publishing %d: %w", r.Year, err)
	}
	return nil
}

// Published returns the report of year as it was published, or nil when
// it was not.
func (s *Service) Published(ctx context.Context, year int) (*report.Published, error) {
	var p *store.PublishedReport
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.PublishedReport(year)
		return err
	})
	if gongkai.ErrorKind(err) == gongkai.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("annual: published report of %d: %w", year, err)
	}
	return &report.Published{Year: p.Year, JSON: p.JSON, By: p.By, At: p.At}, nil
}

// carriedOut reads row 四（结转下年度）of the published report of year, or
// nil when that report was not published here.
func (s *Service) carriedOut(ctx context.Context, year int) (*[7]int, error) {
	p, err := s.Published(ctx, year)
	if err != nil || p == nil {
		return nil, err
	}
	pub, err := p.Report()
	if err != nil {
		return nil, fmt.Errorf("annual: %w", err)
	}
	row, ok := pub.Row(report.KeyCarriedOut)
	if !ok {
		return nil, fmt.Errorf("annual: the published report of %d has no row %s", year, report.KeyCarriedOut)
	}
	return &row.Cells, nil
}

// decodeStrict decodes one JSON object, refusing unknown fields and trailing
// data; blank input leaves v as it is.
func decodeStrict(s string, v any) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("JSON 对象之后还有多余内容")
	}
	return nil
}
