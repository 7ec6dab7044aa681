package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-message/mail"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/classifier"
	"gongkai/intake"
	"gongkai/intake/imappoll"
	"gongkai/intake/smtpd"
	"gongkai/replies"
	"gongkai/store"
)

// E-mail intake wiring (issue 4): the processor always runs (it first
// finishes what a crash left pending); the SMTP listener when smtp is set;
// the IMAP poller when imap is set.

func init() { appHooks = append(appHooks, wireIntake) }

// wireIntake adds the intake workers to a.
func wireIntake(a *App) error {
	cfg := a.Config
	wake := make(chan struct{}, 1)
	wakeFn := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	cls, err := newClassifier(a)
	if err != nil {
		return err
	}
	in := &caseflow.Intake{Cases: a.Cases, Classifier: cls, Receipt: receiptBuilder(cfg, func() *caseflow.Letters {
		if rp := repliesOf(a); rp != nil { // wired after intake
			return rp.letters
		}
		return nil
	}), ReceiptEnvelope: receiptEnvelope(cfg), Log: a.Log}
	a.Cases.RegisterHeld = in.RegisterHeld

	if addr := cfg["smtp"]; addr != "" {
		srv := &smtpd.Server{Addr: addr, Domain: cfg["smtp-domain"], MaxBytes: int64(cfg.Int("smtp-max-bytes")),
			MaxConns:   cfg.Int("smtp-max-conns"),
			Recipients: splitList(cfg["smtp-recipients"]), Store: in, Wake: wakeFn, Log: a.Log.With("worker", "smtp")}
		if cert, key := cfg["smtp-tls-cert"], cfg["smtp-tls-key"]; cert != "" || key != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return fmt.Errorf("smtp: loading the STARTTLS certificate: %w", err)
			}
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		}
		if err := srv.Listen(); err != nil {
			return err
		}
		a.SMTPAddr = srv.ListenAddr()
		a.closers = append(a.closers, func() error { srv.CloseListener(); return nil })
		a.workers = append(a.workers, worker{name: "smtp", run: srv.Run})
	}
	if cfg["imap"] != "" {
		p, err := newIMAPPoller(a, in, wakeFn)
		if err != nil {
			return err
		}
		a.workers = append(a.workers, worker{name: "imap", run: p.Run})
		a.Web.Alerts = append(a.Web.Alerts, func() string { return imapAlert(p.Health(), p.Addr, time.Now()) })
	}
	a.workers = append(a.workers, worker{name: "intake", run: func(ctx context.Context) error { return in.RunProcessor(ctx, wake) }})
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		out = append(out, f)
	}
	return out
}

// receiptEnvelope is the Message-ID and envelope sender receiptBuilder
// gives a case's receipt, known before it is rendered (intake renders
// receipts after the filing commit).
func receiptEnvelope(cfg Config) caseflow.ReceiptEnvelopeFunc {
	agency := defaultAgency(cfg)
	domain := mailDomain(agency.Email)
	if domain == "" {
		domain = "localhost"
	}
	from := agency.Email
	if a, err := mail.ParseAddress(agency.Email); err == nil {
		from = a.Address
	}
	return func(c *gongkai.Case) (string, string) { return "receipt-" + c.No + "@" + domain, from }
}

// receiptBuilder renders the 登记回执 and builds its mail: Auto-Submitted:
// auto-replied (RFC 3834), threaded on the request, the Message-ID
// receiptEnvelope gives, so that replies find the case. The template and
// the agency's contact details are those in effect on the letter desk
// (an edited receipt template, the settings an admin saved); letters
// gives the desk, and nil (no desk wired) means the shipped template and
// the configured agency.
func receiptBuilder(cfg Config, letters func() *caseflow.Letters) caseflow.ReceiptFunc {
	configured := defaultAgency(cfg)
	envelope := receiptEnvelope(cfg)
	return func(c *gongkai.Case, req *gongkai.Email, rcpt string) ([]byte, error) {
		set, agency := replies.Defaults(), configured
		if l := letters(); l != nil {
			if s, a, err := l.Effective(context.Background()); err == nil {
				set, agency = s, a
			} else {
				// A receipt with the shipped text rather than none: the
				// applicant needs the 受理编号 and 查询码.
				slog.Warn("receipt: templates and agency settings unreadable; shipped template used", "case", c.No, "err", err)
			}
			// Settings saved without a name or e-mail address still leave the
			// receipt a sender.
			if agency.Name == "" {
				agency.Name = configured.Name
			}
			if agency.Email == "" {
				agency.Email = configured.Email
			}
		}
		now := time.Now()
		l, err := set.Render(replies.KindReceipt, replies.LetterData{Agency: agency, Case: *c, Today: gongkai.DateOf(now)})
		if err != nil {
			return nil, err
		}
		msgID, _ := envelope(c)
		// Plain text only: a receipt needs no layout, and intake renders
		// thousands an hour.
		m := replies.Mail{
			From:      (&mail.Address{Name: agency.Name, Address: agency.Email}).String(),
			To:        rcpt,
			Subject:   fmt.Sprintf("%s（受理编号：%s，查询码：%s）", l.Title, c.No, c.QueryCode),
			Text:      l.Text(agency, gongkai.DateOf(now)),
			MessageID: msgID,
			Date:      now,
		}
		m.AutoSubmitted = "auto-replied"
		if req.MessageID != "" {
			m.InReplyTo = req.MessageID
			m.References = append(append([]string{}, req.References...), req.MessageID)
		}
		return replies.BuildMail(m)
	}
}

// newClassifier wires the classifier package, with the cases table as the
// history of earlier requests (duplicates) and the agency's mail domain as
// the bureau's (replies to its letters are followups).
func newClassifier(a *App) (caseflow.Classifier, error) {
	d := &dbClassifier{domain: mailDomain(a.Config["mail-from"]), log: a.Log}
	rules, err := a.Cases.RoutingRules(context.Background())
	if err != nil {
		return nil, err
	}
	if err := d.reload(rules); err != nil {
		return nil, err
	}
	// Admin edits of the routing rules take effect without a restart, and the
	// web form and chat-bot get the same department suggestion as e-mail.
	a.Cases.RulesChanged = d.reload
	a.Cases.Suggest = func(subject, text string) gongkai.Verdict {
		return d.c.Load().ClassifyText(subject, text, nil)
	}
	return d, nil
}

// dbClassifier classifies with the admin's routing rules and, in the
// filing transaction, the stored cases as history (MarkRepeat); reload
// swaps in a classifier built with new rules.
type dbClassifier struct {
	c      atomic.Pointer[classifier.Classifier]
	domain string
	log    *slog.Logger
}

func (d *dbClassifier) reload(rules []store.RoutingRule) error {
	var opts []classifier.Option
	if d.domain != "" {
		opts = append(opts, classifier.WithBureauDomains(d.domain))
	}
	if len(rules) > 0 {
		rs := make([]classifier.RoutingRule, len(rules))
		for i, r := range rules {
			rs[i] = classifier.RoutingRule{ID: r.ID, Department: r.Department, Pattern: r.Pattern, IsRegex: r.IsRegex, Priority: r.Priority, Enabled: r.Enabled}
		}
		opts = append(opts, classifier.WithRoutingRules(rs))
	}
	c, err := classifier.New(opts...)
	if err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	d.c.Store(c)
	return nil
}

// Classify classifies without the case history: intake looks for repeated
// requests in its filing transaction (MarkRepeat).
func (d *dbClassifier) Classify(e *gongkai.Email) gongkai.Verdict {
	return d.c.Load().Classify(e, nil)
}

// MarkRepeat implements caseflow.RepeatChecker.
func (d *dbClassifier) MarkRepeat(tx *store.Tx, v *gongkai.Verdict) {
	d.c.Load().MarkDuplicate(v, txHistory{tx, d.log})
}

// txHistory is classifier.History from the cases table, read in tx.
type txHistory struct {
	tx  *store.Tx
	log *slog.Logger
}

// priorWindow is how many of an applicant's latest cases the duplicate
// check compares with.
const priorWindow = 50

// PriorRequests implements classifier.History.
func (h txHistory) PriorRequests(k classifier.ApplicantKey) []classifier.Prior {
	cs, err := h.tx.PriorCases(k.IDNumber, k.Name, priorWindow)
	if err != nil {
		h.log.Warn("classifier: reading earlier requests for the duplicate check", "err", err)
		return nil
	}
	out := make([]classifier.Prior, len(cs))
	for i, c := range cs {
		out[i] = classifier.Prior{Ref: c.No, Description: c.Description, Answered: !c.Status.Open(), At: c.ArrivedAt}
	}
	return out
}

func mailDomain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.Trim(addr[i+1:], "> "))
	}
	return ""
}

// imapAlert is the staff pages' warning when the mailbox poll keeps
// failing: three sessions in a row, or one failure older than ten minutes,
// with no mail taken in since.
func imapAlert(h imappoll.Health, addr string, now time.Time) string {
	if h.Failures == 0 || h.Failures < 3 && now.Sub(h.Since) < 10*time.Minute {
		return ""
	}
	return fmt.Sprintf("邮箱收取异常：自 %s 起连接 %s 收取邮件失败 %d 次，新邮件可能未进入系统。最近一次错误：%s。请检查邮箱设置、密码和网络，或联系系统管理员。",
		h.Since.In(gongkai.Beijing).Format("2006-01-02 15:04"), addr, h.Failures, h.LastErr)
}

// newIMAPPoller builds the poller of the agency's mailbox from the imap-* settings.
func newIMAPPoller(a *App, in *caseflow.Intake, wake func()) (*imappoll.Poller, error) {
	cfg := a.Config
	mode := cfg["imap-tls"]
	switch mode {
	case imappoll.TLSImplicit, imappoll.TLSStartTLS, imappoll.TLSNone:
	case "":
		mode = imappoll.TLSImplicit
	default:
		return nil, fmt.Errorf("imap-tls: %q 不是 implicit、starttls 或 none", mode)
	}
	start := cfg["imap-start"]
	switch start {
	case imappoll.StartUnseen, imappoll.StartAll, imappoll.StartNew, "":
	default:
		return nil, fmt.Errorf("imap-start: %q 不是 unseen、all 或 new", start)
	}
	var tlsConfig *tls.Config
	if f := cfg["imap-ca"]; f != "" {
		// A mail server with a certificate of the agency's own CA.
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("imap-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("imap-ca: %s 中没有 PEM 格式的证书", f)
		}
		tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &imappoll.Poller{Addr: cfg["imap"], Username: cfg["imap-user"], Password: cfg["imap-password"], TLSConfig: tlsConfig,
		Mailbox: cfg["imap-mailbox"], TLS: mode, MoveTo: cfg["imap-move-to"], Start: start, Store: in, Wake: wake, Log: a.Log.With("worker", "imap")}, nil
}

func init() {
	commands["parse"] = cmdParse
	commands["eval"] = cmdEval
}

// memHistory is the history of `gongkai parse`: the requests among the files
// given before, in order (nothing is stored).
type memHistory struct{ priors []memPrior }

type memPrior struct {
	key   classifier.ApplicantKey
	prior classifier.Prior
}

func (h *memHistory) PriorRequests(k classifier.ApplicantKey) []classifier.Prior {
	var out []classifier.Prior
	for _, p := range h.priors {
		if (k.IDNumber != "" && p.key.IDNumber == k.IDNumber) || (k.IDNumber == "" && k.Name != "" && p.key.Name == k.Name) {
			out = append(out, p.prior)
		}
	}
	return out
}

// cmdParse is `gongkai parse [--json] FILE...`: parse and classify as intake
// would, store nothing (contracts/cli.md).
func cmdParse(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "每个文件输出一行 JSON（语料标注格式）")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("请给出至少一个 .eml 文件")
	}
	c, err := classifier.New()
	if err != nil {
		return err
	}
	hist := &memHistory{}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "gongkai parse: %v\n", err)
			failed++
			continue
		}
		em, perr := intake.Parse(raw)
		var v gongkai.Verdict
		if perr != nil {
			v = gongkai.Verdict{Nature: gongkai.KindUnparsed}
			em = nil
		} else {
			v = c.Classify(em, hist)
			if v.IsRequest {
				hist.priors = append(hist.priors, memPrior{
					key:   classifier.ApplicantKey{IDNumber: v.IDNumber, Name: v.Name},
					prior: classifier.Prior{Ref: strings.TrimSuffix(filepath.Base(f), ".eml"), Description: v.Description, At: em.Date},
				})
			}
		}
		l := classifier.MakeLabel(filepath.Base(f), em, v)
		if *asJSON {
			if err := enc.Encode(l); err != nil {
				return err
			}
			continue
		}
		printLabel(stdout, l, v, perr)
	}
	if failed > 0 {
		return fmt.Errorf("%d 个文件无法读取", failed)
	}
	return nil
}

func printLabel(w io.Writer, l classifier.Label, v gongkai.Verdict, perr error) {
	fmt.Fprintf(w, "== %s\n", l.File)
	if perr != nil {
		fmt.Fprintf(w, "  无法解析：%v\n", perr)
		return
	}
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-8s %s\n", k, v)
		}
	}
	row("主题", l.Subject)
	row("发件人", strings.TrimSpace(l.FromName+" <"+l.FromAddr+">"))
	row("日期", l.Date)
	row("类型", gongkai.MessageKind(l.Nature).Label()+map[bool]string{true: "（登记为申请）", false: ""}[l.IsRequest])
	row("受理编号", l.CaseRef)
	row("申请人", strings.TrimSpace(l.ApplicantType+" "+l.Name+" "+l.OrgName))
	row("证件号码", l.IDNumber)
	row("电话", l.Phone)
	row("邮箱", l.Email)
	row("地址", l.Address)
	row("所需信息", l.Description)
	row("获取方式", l.Delivery)
	row("股室", l.Department)
	if len(l.MissingFields) > 0 {
		names := make([]string, len(l.MissingFields))
		for i, f := range l.MissingFields {
			names[i] = gongkai.MissingLabel(f)
		}
		row("需补正", strings.Join(names, "、"))
	}
	if l.Malformed {
		row("格式问题", strings.Join(l.Defects, ", "))
	}
	for _, r := range v.Reasons {
		row("依据", r.Field+"："+r.Rule+" "+r.Evidence)
	}
}

// cmdEval is `gongkai eval DIR`: parse DIR/*.eml and compare with the
// labels; exit 0 whatever the score (contracts/cli.md).
func cmdEval(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dirs, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) != 1 {
		return usagef("请给出一个语料目录")
	}
	if fi, err := os.Stat(dirs[0]); err != nil || !fi.IsDir() {
		return usagef("%s 不是目录", dirs[0])
	}
	_, err = classifier.Eval(dirs[0], stdout)
	return err
}
