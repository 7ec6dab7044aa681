package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"gongkai"
	"gongkai/store"
)

func init() {
	commands["cases"] = cmdCases
	commands["user"] = cmdUser
	commands["due"] = cmdDue
}

// parseArgs parses flags that may come before or after positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func dbFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("GONGKAI_DB")
	if def == "" {
		def = "./gongkai.db"
	}
	return fs.String("db", def, "数据库文件")
}

// caseJSON is one line of `gongkai cases --json` (contracts/cli.md).
type caseJSON struct {
	CaseNo        string `json:"case_no"`
	ReceivedOn    string `json:"received_on"`
	Channel       string `json:"channel"`
	ApplicantType string `json:"applicant_type"`
	Applicant     string `json:"applicant"`
	Status        string `json:"status"`
	Result        string `json:"result"`
	DueOn         string `json:"due_on"`
	AnsweredOn    string `json:"answered_on"`
	Department    string `json:"department"`
	Assignee      string `json:"assignee"`
	Description   string `json:"description"`
}

func cmdCases(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cases", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "每行输出一个 JSON 对象")
	year := fs.Int("year", 0, "只列出该年收到的申请")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	var cases []*gongkai.Case
	err = d.View(ctx, func(tx *store.Tx) error {
		cases, err = tx.Cases(store.CaseFilter{Year: *year})
		return err
	})
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, c := range cases {
			enc.Encode(caseJSON{c.No, c.ReceivedOn.String(), string(c.Channel), string(c.Applicant.Type), c.Applicant.DisplayName(),
				string(c.Status), string(c.Result), c.DueOn.String(), c.AnsweredOn.String(), c.Department, c.Assignee, c.Description})
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "受理编号\t收到日期\t渠道\t申请人类型\t状态\t答复期限\t结果")
	for _, c := range cases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.No, c.ReceivedOn, c.Channel.Label(), c.Applicant.Type, c.Status.Label(), c.DueOn, resultLabel(c.Result))
	}
	return tw.Flush()
}

func resultLabel(k gongkai.ResultKey) string {
	if k == "" {
		return ""
	}
	return k.Label()
}

func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usagef("用法：gongkai user add NAME --role ROLE[,ROLE]（密码从标准输入读取）")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs)
	role := fs.String("role", "", "角色：registrar、handler、approver、admin（可用逗号分隔多个）")
	dept := fs.String("department", "", "所属股室")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("请给出一个用户名")
	}
	var roles []gongkai.Role
	for _, r := range strings.Split(*role, ",") {
		r = strings.TrimSpace(r)
		if !gongkai.Role(r).Valid() {
			return usagef("未知角色 %q（可选 registrar、handler、approver、admin）", r)
		}
		roles = append(roles, gongkai.Role(r))
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := staffService(d).AddUser(ctx, pos[0], pw, roles, *dept)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已创建用户 %s（%s）\n", u.Username, gongkai.RolesString(u.Roles))
	return nil
}

func cmdDue(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("due", flag.ContinueOnError)
	fs.SetOutput(stderr)
	received := fs.String("received", "", "收到日期 YYYY-MM-DD")
	channel := fs.String("channel", "in_person", "渠道：web、email、post、in_person、fax")
	extended := fs.Bool("extended", false, "经批准延长答复期限（再加20个工作日）")
	calFile := fs.String("calendar", os.Getenv("GONGKAI_CALENDAR"), "补充的节假日安排文件")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if *received == "" {
		return usagef("请用 --received YYYY-MM-DD 给出收到日期")
	}
	d, err := gongkai.ParseDate(*received)
	if err != nil {
		return usagef("%v", err)
	}
	ch := gongkai.Channel(*channel)
	if !ch.Valid() {
		return usagef("未知渠道 %q（可选 web、email、post、in_person、fax）", *channel)
	}
	cal, err := calendarFromFile(*calFile)
	if err != nil {
		return err
	}
	due, err := cal.Due(d, ch, *extended)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintln(stdout, due.String())
	return nil
}
