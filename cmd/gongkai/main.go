// Command gongkai runs the 依申请公开 desk: `gongkai serve` and the
// subcommands of contracts/cli.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"gongkai"
)

// Exit codes (contracts/cli.md).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitChecks  = 3
)

// usageError is bad input from the command line: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit code (e.g. 3 for failed report checks).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

const usage = `gongkai — 政府信息公开依申请办理系统

用法:
  gongkai serve [--config FILE] [--http ADDR] [--smtp ADDR] [--relay HOST:PORT] [--db PATH]
  gongkai cases [--json] [--year YYYY] [--db PATH]
  gongkai user add NAME --role ROLE[,ROLE] [--department 股室] [--db PATH]   (密码从标准输入读取)
  gongkai due --received YYYY-MM-DD [--channel web|email|post|in_person|fax] [--extended]
  gongkai parse [--json] FILE.eml...
  gongkai eval DIR
  gongkai import FILE [--appeals FILE] [--db PATH]
  gongkai report --year YYYY [--format json|md|html|xlsx] [--out FILE] [--proactive FILE.json] [--db PATH]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// commands maps subcommand names to their functions; other parts register theirs.
var commands = map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error{}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gongkai: 未知命令 %q\n\n%s", args[0], usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdin, stdout, stderr)
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ee exitError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gongkai %s: %s\n", args[0], ue.msg)
		return exitUsage
	case errors.As(err, &ee):
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "gongkai %s: %v\n", args[0], ee.err)
		}
		return ee.code
	case gongkai.ErrorKind(err) == gongkai.EInvalid:
		fmt.Fprintf(stderr, "gongkai %s: %s\n", args[0], gongkai.ErrorMessage(err))
		return exitUsage
	}
	fmt.Fprintf(stderr, "gongkai %s: %v\n", args[0], err)
	return exitFailure
}
