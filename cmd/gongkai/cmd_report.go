package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gongkai/annual"
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

// readInput reads an override file of `gongkai report`; an empty file
// stands for an empty object (all figures zero, all prose generated or empty).
func readInput(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", usagef("%v", err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return "{}", nil
	}
	return string(b), nil
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
	publish := fs.String("publish", "", "定稿：以此姓名保存本报告为发布的年度报告（下一年度据此核对上年结转，C7）；报告有错误时不保存")
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
	proJSON, err := readInput(*proactive)
	if err != nil {
		return err
	}
	textsJSON, err := readInput(*texts)
	if err != nil {
		return err
	}
	svc := &annual.Service{DB: d, Agency: *agency}
	r, err := svc.BuildWith(ctx, *year, proJSON, textsJSON)
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
	if *publish != "" && r.OK() {
		if err := svc.PublishBuilt(ctx, r, *publish); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d年度报告已定稿（%s）\n", *year, *publish)
	}
	if !r.OK() {
		var b strings.Builder
		if *publish != "" {
			b.WriteString("未定稿。")
		}
		b.WriteString("报告未通过一致性校验：")
		for _, c := range r.Errors() {
			fmt.Fprintf(&b, "\n  %s %s [%s] %s", c.ID, c.Rule, c.Column, c.Detail)
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
