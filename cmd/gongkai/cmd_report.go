package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/ledger"
	"gongkai/report"
	"gongkai/store"
	"gongkai/workday"
)

func init() {
	commands["report"] = cmdReport
	commands["import"] = cmdImport
}

// storeSource reads report rows from the database (report.Source).
type storeSource struct{ db *store.DB }

func (s storeSource) EachCase(ctx context.Context, year int, fn func(report.CaseRow) error) error {
	return s.db.EachReportRow(ctx, year, func(r store.ReportRow) error {
		return fn(report.CaseRow{No: r.No, ApplicantType: r.ApplicantType, ReceivedOn: r.ReceivedOn, AnsweredOn: r.AnsweredOn,
			Result: r.Result, Counted: r.Counted, ReasonAsked: r.ReasonAsked})
	})
}

func (s storeSource) Appeals(ctx context.Context, year int) ([]gongkai.Appeal, error) {
	return s.db.AppealsFiled(ctx, year)
}

// reportOptions assembles the inputs of a year's report that are not cases:
// the section 二 figures and prose saved by staff (or last year's prose as a
// starting draft), the fee figures, and overrides from files.
func reportOptions(ctx context.Context, db *store.DB, year int, agency, proactiveFile, textsFile string) (report.Options, error) {
	opt := report.Options{Agency: agency}
	var proJSON, textsJSON, lastPro, lastTexts string
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		if proJSON, textsJSON, err = tx.ReportDraft(year); err != nil {
			return err
		}
		lastPro, lastTexts, err = tx.ReportDraft(year - 1)
		return err
	})
	if err != nil {
		return opt, err
	}
	if textsJSON == "" {
		textsJSON = lastTexts // pre-filled from last year's text (issue 7)
	}
	read := func(file string) (string, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usagef("%v", err)
		}
		return string(b), nil
	}
	if proactiveFile != "" {
		if proJSON, err = read(proactiveFile); err != nil {
			return opt, err
		}
	}
	if textsFile != "" {
		if textsJSON, err = read(textsFile); err != nil {
			return opt, err
		}
	}
	if err := decodeStrict(proJSON, &opt.Proactive); err != nil {
		return opt, usagef("第二部分数据（proactive）格式不正确：%v", err)
	}
	if err := decodeStrict(textsJSON, &opt.Texts); err != nil {
		return opt, usagef("正文草稿（texts）格式不正确：%v", err)
	}
	if lastPro != "" {
		var lp report.Proactive
		if decodeStrict(lastPro, &lp) == nil {
			opt.LastYearProactive = &lp
		}
	}
	notices, paid, err := db.FeeFigures(ctx, year)
	if err != nil {
		return opt, err
	}
	opt.Fees = report.Fees{Notices: notices, AmountYuan: float64(paid)}
	return opt, nil
}

func decodeStrict(s string, v any) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func cmdReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	year := fs.Int("year", 0, "报告年度")
	format := fs.String("format", "json", "json、md、html 或 xlsx")
	out := fs.String("out", "", "输出文件（默认标准输出）")
	proactive := fs.String("proactive", "", "第二部分（主动公开）数据 JSON 文件")
	texts := fs.String("texts", "", "正文（一、五、六）JSON 文件")
	agency := fs.String("agency", envOr("GONGKAI_AGENCY", "西工区住房和城乡建设局"), "机关名称")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if *year < 2000 || *year > 2200 {
		return usagef("请用 --year YYYY 给出报告年度")
	}
	render := map[string]func(*report.Report, io.Writer) error{
		"json": (*report.Report).JSON, "md": (*report.Report).Markdown, "html": (*report.Report).HTML, "xlsx": (*report.Report).XLSX,
	}[*format]
	if render == nil {
		return usagef("未知格式 %q（可选 json、md、html、xlsx）", *format)
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	opt, err := reportOptions(ctx, d, *year, *agency, *proactive, *texts)
	if err != nil {
		return err
	}
	r, err := report.Build(ctx, storeSource{d}, *year, opt)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := render(r, &buf); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			return err
		}
	} else if _, err := stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if !r.OK() {
		var b strings.Builder
		b.WriteString("报告未通过一致性校验：")
		for _, c := range r.Failed() {
			if c.Level == report.LevelError {
				fmt.Fprintf(&b, "\n  %s %s [%s] %s", c.ID, c.Rule, c.Column, c.Detail)
			}
		}
		return exitError{code: exitChecks, err: errors.New(b.String())}
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func cmdImport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	appeals := fs.String("appeals", "", "复议诉讼 CSV 文件")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("请给出一个台账文件（.csv 或 .xlsx）")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	l, errs := ledger.Read(filepath.Base(pos[0]), f)
	f.Close()
	if len(errs) == 0 && *appeals != "" {
		af, err := os.Open(*appeals)
		if err != nil {
			return usagef("%v", err)
		}
		var rows []ledger.AppealRow
		rows, errs = ledger.ReadAppealsCSV(filepath.Base(*appeals), af)
		af.Close()
		l.Appeals = append(l.Appeals, rows...)
	}
	if len(errs) > 0 {
		return importProblems(stderr, errs)
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	svc := &caseflow.Service{DB: d, Cal: workday.New()}
	res, errs := svc.Import(ctx, filepath.Base(pos[0]), l, "import")
	if len(errs) > 0 {
		return importProblems(stderr, errs)
	}
	fmt.Fprintf(stdout, "导入完成：新建 %d 件，更新 %d 件，未变 %d 件；复议诉讼 %d 条\n", res.Created, res.Updated, res.Unchanged, res.Appeals)
	return nil
}

// importProblems prints every bad row as FILE:LINE: column 列名: … and exits 2.
func importProblems(stderr io.Writer, errs []error) error {
	w := bufio.NewWriter(stderr)
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
	fmt.Fprintf(w, "台账有 %d 处错误，未导入任何数据。\n", len(errs))
	w.Flush()
	return exitError{code: exitUsage, err: errors.New("")}
}
