package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	gosmtp "github.com/emersion/go-smtp"

	"gongkai"
	"gongkai/bench/mailgen"
	"gongkai/caseflow"
	"gongkai/intake"
	"gongkai/intake/imappoll"
	"gongkai/internal/testkit"
	"gongkai/store"
	"gongkai/workday"
)

// corpusMail is one corpus message with its label.
type corpusMail struct {
	file  string
	raw   []byte
	msgID string
	date  time.Time
	label struct {
		Malformed     bool   `json:"malformed"`
		IsRequest     bool   `json:"is_request"`
		Nature        string `json:"nature"`
		CaseRef       string `json:"case_ref"`
		DuplicateOf   string `json:"duplicate_of"`
		ApplicantType string `json:"applicant_type"`
		Email         string `json:"email"`
	}
}

// readCorpus reads shared/corpus/dev in Date-header order (numbers are not
// arrival order; followups and duplicates refer to earlier mail).
func readCorpus(t testing.TB) []corpusMail {
	t.Helper()
	dir := testkit.CorpusDir(t, "dev")
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var out []corpusMail
	for _, f := range files {
		m := corpusMail{file: filepath.Base(f)}
		var err error
		if m.raw, err = os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
		lb, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(lb, &m.label); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		em, _ := intake.Parse(m.raw)
		m.msgID, m.date = em.MessageID, em.Date
		out = append(out, m)
	}
	if len(out) < 40 {
		t.Fatalf("corpus has %d messages", len(out))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].date.Before(out[j].date) })
	return out
}

// sendMail delivers raw over SMTP to addr, as an MTA would.
func sendMail(t testing.TB, addr string, raw []byte) {
	t.Helper()
	if err := smtp.SendMail(addr, nil, "sender@mail.example", []string{"ysqgk@zjj.xigong.example"}, raw); err != nil {
		t.Fatalf("SMTP send: %v", err)
	}
}

// waitProcessed waits until want messages are stored and none is pending.
func waitProcessed(t testing.TB, db *store.DB, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var total, pending, receipts int
		db.View(context.Background(), func(tx *store.Tx) error {
			var err error
			if total, pending, err = tx.CountMessages(); err != nil {
				return err
			}
			receipts, err = tx.CountToRender()
			return err
		})
		if total >= want && pending == 0 && receipts == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: %d messages stored (want %d), %d pending, %d receipts not rendered", total, want, pending, receipts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seededApplicants are the applicants of the earlier cases the corpus
// refers to (its follow-ups come from them).
var seededApplicants = map[string]gongkai.Applicant{
	"GK-2025-000047": {Type: gongkai.NaturalPerson, Name: "马红梅", Email: "mhm881127@163.example"},
	"GK-2025-000052": {Type: gongkai.NaturalPerson, Name: "吕文博", Email: "lvwenbo@tom.example"},
}

// seedEmailCase files a case with a fixed number, as if registered before
// the corpus mail arrived; correction puts it in 补正.
func seedEmailCase(t testing.TB, a *App, no string, correction bool) *gongkai.Case {
	t.Helper()
	var c *gongkai.Case
	err := a.DB.Update(context.Background(), func(tx *store.Tx) error {
		who, ok := seededApplicants[no]
		if !ok {
			who = gongkai.Applicant{Type: gongkai.NaturalPerson, Name: "种子"}
		}
		c = &gongkai.Case{No: no, QueryCode: caseflow.NewQueryCode(), Channel: gongkai.ChannelEmail, Nature: "request",
			Applicant: who, Description: "种子案件"}
		arrived := time.Date(2025, 2, 20, 10, 0, 0, 0, gongkai.Beijing)
		if err := caseflow.Register(c, arrived, a.Cal); err != nil {
			return err
		}
		if correction {
			u := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
			if _, err := caseflow.Apply(c, caseflow.Input{Action: caseflow.ActRequestCorrection, Actor: u, Now: arrived, On: c.ReceivedOn}, a.Cal); err != nil {
				return err
			}
		}
		if err := tx.CreateCase(c, ""); err != nil {
			return err
		}
		return tx.EnsureCaseSeq(2025, 100)
	})
	if err != nil {
		t.Fatalf("seeding %s: %v", no, err)
	}
	return c
}

// TestSMTPCorpus sends the whole dev corpus over a real SMTP conversation to
// a real gongkai and checks what each message became against its label.
func TestSMTPCorpus(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "gongkai.db"))
	cfg["mail-from"] = "ysqgk@zjj.xigong.example"
	ta := startApp(t, cfg)
	if ta.SMTPAddr == "" {
		t.Fatal("App.SMTPAddr not set")
	}
	seeded := map[string]*gongkai.Case{}
	for _, no := range []string{"GK-2025-000031", "GK-2025-000038", "GK-2025-000047", "GK-2025-000052"} {
		seeded[no] = seedEmailCase(t, ta.App, no, no == "GK-2025-000047")
	}
	mails := readCorpus(t)
	for _, m := range mails {
		sendMail(t, ta.SMTPAddr, m.raw)
	}
	// Every peer fixture too (real-world MIME from other projects' test
	// suites, some malformed): whatever it is, it is stored once and processed.
	peers := peerFixtures(t)
	for _, raw := range peers {
		sendMail(t, ta.SMTPAddr, raw)
	}
	waitProcessed(t, ta.DB, len(mails)+len(peers))
	checkCorpus(t, ta.DB, mails, len(peers), seeded)
}

// checkCorpus checks what each corpus message became against its label, and
// that extra (peer) messages were all stored once and processed.
func checkCorpus(t testing.TB, db *store.DB, mails []corpusMail, extra int, seeded map[string]*gongkai.Case) {
	t.Helper()
	peers := make([]struct{}, extra)
	ctx := context.Background()
	err := db.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Messages()
		if err != nil {
			return err
		}
		caseOf := map[string]*gongkai.Case{} // by corpus number NNN
		byID := map[string][]*gongkai.Message{}
		for _, m := range all {
			byID[m.MessageID] = append(byID[m.MessageID], m)
		}
		for _, cm := range mails {
			got := byID[cm.msgID]
			if len(got) != 1 {
				t.Errorf("%s: stored %d times", cm.file, len(got))
				continue
			}
			m, lb := got[0], cm.label
			if m.Malformed != lb.Malformed {
				t.Errorf("%s: malformed %v, want %v", cm.file, m.Malformed, lb.Malformed)
			}
			if string(m.Kind) != lb.Nature {
				t.Errorf("%s: kind %q, want %q", cm.file, m.Kind, lb.Nature)
			}
			switch {
			case lb.IsRequest:
				if m.CaseID == 0 {
					t.Errorf("%s: a request, but no case", cm.file)
					continue
				}
				c, err := tx.CaseByID(m.CaseID)
				if err != nil {
					return err
				}
				if string(c.Applicant.Type) != lb.ApplicantType || c.Channel != gongkai.ChannelEmail || c.No == "" || c.QueryCode == "" {
					t.Errorf("%s: case %s type %q channel %q; want %q via email", cm.file, c.No, c.Applicant.Type, c.Channel, lb.ApplicantType)
				}
				checkReceipt(t, tx, cm, c)
				caseOf[strings.TrimSuffix(cm.file, ".eml")] = c
			case lb.Nature == "followup":
				if sc := seeded[lb.CaseRef]; sc != nil && m.CaseID != sc.ID {
					t.Errorf("%s: followup linked to case %d, want %s", cm.file, m.CaseID, lb.CaseRef)
				}
			case lb.Nature == "auto_reply", lb.Nature == "bounce":
				if sc := seeded[lb.CaseRef]; sc != nil && m.CaseID != sc.ID {
					t.Errorf("%s: %s linked to case %d, want %s", cm.file, lb.Nature, m.CaseID, lb.CaseRef)
				}
			default: // spam, consultation, plain complaints: no case
				if m.CaseID != 0 {
					t.Errorf("%s: %s linked to case %d", cm.file, lb.Nature, m.CaseID)
				}
			}
		}
		// A repeated request (RULES.md §7) names the case it repeats, found
		// in the filing transaction; no other request names one.
		for _, cm := range mails {
			c := caseOf[strings.TrimSuffix(cm.file, ".eml")]
			if c == nil {
				continue
			}
			want := ""
			if cm.label.DuplicateOf != "" {
				if orig := caseOf[cm.label.DuplicateOf]; orig != nil {
					want = orig.No
				} else {
					t.Errorf("%s: repeats %s, which became no case", cm.file, cm.label.DuplicateOf)
				}
			}
			if c.DuplicateOf != want {
				t.Errorf("%s: case %s duplicate_of %q, want %q", cm.file, c.No, c.DuplicateOf, want)
			}
		}
		if len(all) != len(mails)+len(peers) {
			t.Errorf("%d messages stored, want %d corpus + %d peer", len(all), len(mails), len(peers))
		}
		malformed := 0
		for _, m := range all {
			if m.Kind == gongkai.KindPending {
				t.Errorf("message %d (%s) not processed", m.ID, m.Subject)
			}
			if m.Malformed {
				malformed++
			}
		}
		if want := 2 + min(extra, 2); malformed < want {
			t.Errorf("only %d messages shown as malformed, want at least %d", malformed, want)
		}
		// The 补正 reply restarted the clock; the bounce is on its case.
		c, err := tx.CaseByNo("GK-2025-000047")
		if err != nil {
			return err
		}
		if c.Status != gongkai.StatusProcessing || c.ClockState != gongkai.ClockRunning {
			t.Errorf("GK-2025-000047 after the 补正 reply: status %s clock %s", c.Status, c.ClockState)
		}
		evs, err := tx.Events(seeded["GK-2025-000038"].ID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(evs, func(e gongkai.Event) bool { return e.Kind == "letter_bounced" }) {
			t.Errorf("GK-2025-000038: no letter_bounced event")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkReceipt checks the 登记回执 of a case filed from cm.
func checkReceipt(t testing.TB, tx *store.Tx, cm corpusMail, c *gongkai.Case) {
	t.Helper()
	out, err := tx.OutboxForCase(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cm.label.Email == "" {
		return
	}
	if len(out) != 1 {
		t.Errorf("%s: %d outbox items for %s, want one receipt", cm.file, len(out), c.No)
		return
	}
	r := out[0]
	em, err := intake.Parse(r.Raw)
	if err != nil {
		t.Errorf("%s: receipt does not parse: %v", cm.file, err)
		return
	}
	want := "receipt-" + c.No + "@zjj.xigong.example"
	if r.MessageID != want || em.MessageID != want {
		t.Errorf("%s: receipt Message-ID %q / %q, want %q", cm.file, r.MessageID, em.MessageID, want)
	}
	if len(r.Rcpt) != 1 || r.Rcpt[0] != cm.label.Email {
		t.Errorf("%s: receipt to %v, want %s", cm.file, r.Rcpt, cm.label.Email)
	}
	if got := em.Header["Auto-Submitted"]; len(got) != 1 || got[0] != "auto-replied" {
		t.Errorf("%s: receipt Auto-Submitted %v", cm.file, got)
	}
	if len(em.InReplyTo) != 1 || em.InReplyTo[0] != cm.msgID || !contains(em.References, cm.msgID) {
		t.Errorf("%s: receipt In-Reply-To %v References %v, want %s", cm.file, em.InReplyTo, em.References, cm.msgID)
	}
	for _, s := range []string{c.No, c.QueryCode} {
		if !strings.Contains(em.Subject, s) || !strings.Contains(em.Text, s) {
			t.Errorf("%s: receipt subject %q or body lacks %s", cm.file, em.Subject, s)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// peerFixtures reads shared/corpus/peer: every message file, not the
// licences and notes beside them.
func peerFixtures(t testing.TB) [][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(testkit.CorpusDir(t, "peer"), "*", "*", "*"))
	var out [][]byte
	for _, f := range files {
		base := strings.ToLower(filepath.Base(f))
		if strings.Contains(base, "license") || strings.Contains(base, "agpl") || strings.HasSuffix(base, ".md") {
			continue
		}
		if fi, err := os.Stat(f); err != nil || fi.IsDir() {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	if len(out) < 25 {
		t.Fatalf("only %d peer fixtures found", len(out))
	}
	return out
}

// TestCrashSMTP builds gongkai, serves SMTP from a child process, kills it
// with SIGKILL while several clients send, restarts it, and checks that
// every message that got 250 is stored exactly once and gets processed.
func TestCrashSMTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gongkai")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "gongkai.db")
	smtpAddr := testkit.FreeAddr(t)
	serve := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--db", dbPath, "--http", testkit.FreeAddr(t), "--smtp", smtpAddr)
		cmd.Env = append(os.Environ(), "GONGKAI_ADMIN_PASSWORD=")
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		})
		for i := 0; ; i++ {
			if c, err := net.Dial("tcp", smtpAddr); err == nil {
				c.Close()
				return cmd
			}
			if i > 300 {
				t.Fatalf("gongkai serve not listening on %s", smtpAddr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	mails := readCorpus(t)
	var mu sync.Mutex
	var acked []string
	send := func(stop <-chan struct{}, worker int) {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("crash-%d-%d@test.example", worker, i)
			raw := append([]byte("Message-ID: <"+id+">\r\n"), stripMessageID(mails[(worker*7+i)%len(mails)].raw)...)
			if smtp.SendMail(smtpAddr, nil, "a@mail.example", []string{"ysqgk@zjj.xigong.example"}, raw) == nil {
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}
	}

	started := time.Now()
	first := serve()
	t.Logf("server up after %v", time.Since(started))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); send(stop, w) }()
	}
	// Kill once a good number of messages has been acknowledged.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages accepted in 60s", n)
		}
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	close(stop)
	wg.Wait()
	t.Logf("%d messages acknowledged before SIGKILL at %v", len(acked), time.Since(started))

	serve() // restart: the processor finishes what the crash left pending
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitProcessed(t, db, len(acked))
	t.Logf("all processed after restart at %v", time.Since(started))
	db.View(context.Background(), func(tx *store.Tx) error {
		copies, err := tx.MessageCopies(acked)
		if err != nil {
			t.Fatal(err)
		}
		missing, twice := 0, 0
		for _, id := range acked {
			switch n := copies[id]; {
			case n == 0:
				missing++
			case n > 1:
				twice++
			}
		}
		if missing > 0 || twice > 0 {
			t.Errorf("of %d acknowledged messages, %d missing and %d stored more than once", len(acked), missing, twice)
		}
		return nil
	})
}

// stripMessageID removes the Message-ID header line of a corpus message.
func stripMessageID(raw []byte) []byte {
	lines := bytes.SplitAfter(raw, []byte("\n"))
	var out []byte
	for _, l := range lines {
		if bytes.HasPrefix(bytes.ToLower(l), []byte("message-id:")) {
			continue
		}
		out = append(out, l...)
	}
	return out
}

// BenchmarkSMTPIntake sends b.N generated letters (bench/mailgen: ~30 KB
// average) over 16 SMTP connections to a real App and waits until all are
// filed: messages per second accepted, parsed, classified and durable.
func BenchmarkSMTPIntake(b *testing.B) {
	msgs, total := mailgen.Corpus(b.N)
	ta := startApp(b, testConfig(filepath.Join(b.TempDir(), "gongkai.db")))
	b.SetBytes(int64(total / len(msgs)))
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := gosmtp.Dial(ta.SMTPAddr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for i := int(next.Add(1)) - 1; i < len(msgs); i = int(next.Add(1)) - 1 {
				if err := c.SendMail("a@mail.example", []string{"ysqgk@zjj.xigong.example"}, bytes.NewReader(msgs[i])); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitProcessed(b, ta.DB, len(msgs))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestIMAPCorpus polls a real IMAP mailbox (Dovecot from scripts/test.sh)
// holding the dev corpus with a real App, stops the App part-way, starts a
// new one on the same database, and checks every message once, filed as
// its label says.
func TestIMAPCorpus(t *testing.T) {
	srv := testkit.IMAP(t)
	box := srv.TempMailbox(t)
	mails := readCorpus(t)
	raws := make([][]byte, len(mails))
	for i, m := range mails {
		raws[i] = m.raw // Date order = UID order
	}
	srv.Append(t, box, raws...)

	cfg := testConfig(filepath.Join(t.TempDir(), "gongkai.db"))
	cfg["mail-from"] = "ysqgk@zjj.xigong.example"
	cfg["smtp"] = ""
	cfg["imap"], cfg["imap-user"], cfg["imap-password"] = srv.Addr, srv.User, srv.Password
	cfg["imap-mailbox"], cfg["imap-tls"] = box, "none"
	// The cases the followups and bounces refer to exist before polling.
	pre, err := NewApp(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	seeded := map[string]*gongkai.Case{}
	for _, no := range []string{"GK-2025-000031", "GK-2025-000038", "GK-2025-000047", "GK-2025-000052"} {
		seeded[no] = seedEmailCase(t, pre, no, no == "GK-2025-000047")
	}
	pre.Close()

	first := startApp(t, cfg)
	// Stop as soon as something is stored.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var total int
		first.DB.View(context.Background(), func(tx *store.Tx) error { total, _, _ = tx.CountMessages(); return nil })
		if total > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing polled in 30s")
		}
	}
	first.stop()

	second := startApp(t, cfg)
	waitProcessed(t, second.DB, len(mails))
	checkCorpus(t, second.DB, mails, 0, seeded)
	// Flagging follows the commit; give the poller a moment.
	time.Sleep(200 * time.Millisecond)
	for _, m := range srv.Messages(t, box) {
		if !slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("UID %d not flagged \\Seen after it was stored", m.UID)
		}
	}
}

func TestParseAndEvalCommands(t *testing.T) {
	dir := testkit.CorpusDir(t, "dev")
	files := []string{filepath.Join(dir, "001.eml"), filepath.Join(dir, "010.eml"), filepath.Join(dir, "033.eml")}
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"parse", "--json"}, files...), nil, &out, &errb); code != exitOK {
		t.Fatalf("parse --json: exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(files) {
		t.Fatalf("parse --json printed %d lines for %d files:\n%s", len(lines), len(files), out.String())
	}
	for i, l := range lines {
		var got, want map[string]any
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		lb, _ := os.ReadFile(strings.TrimSuffix(files[i], ".eml") + ".json")
		json.Unmarshal(lb, &want)
		for _, k := range []string{"file", "subject", "from_addr", "date", "is_request", "nature", "case_ref", "applicant_type"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
				t.Errorf("%s: %s = %v, want %v", filepath.Base(files[i]), k, got[k], want[k])
			}
		}
		if _, ok := got["description_keywords"]; ok {
			t.Errorf("parse output carries the label-only field description_keywords")
		}
	}
	// 033 repeats 001: given after it, parse finds the duplicate.
	if !strings.Contains(lines[2], `"duplicate_of":"001"`) {
		t.Errorf("033 after 001: %s", lines[2])
	}

	out.Reset()
	if code := run(context.Background(), []string{"parse", files[0]}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "类型") {
		t.Errorf("parse (text): exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"eval", dir}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "accuracy") || !strings.Contains(out.String(), "nature") {
		t.Errorf("eval: exit %d\n%s", code, out.String())
	}
	for _, args := range [][]string{{"parse"}, {"eval"}, {"eval", files[0]}} {
		if code := run(context.Background(), args, nil, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestMailHistoryMasked: the case history and the verdict page quote the
// letter (the classifier's evidence); until a registrar or the case's
// handler asks for the full data (logged), its ID and phone numbers are
// masked there as in the applicant block.
func TestMailHistoryMasked(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	raw, err := os.ReadFile(filepath.Join(testkit.CorpusDir(t, "dev"), "003.eml"))
	if err != nil {
		t.Fatal(err)
	}
	sendMail(t, ta.SMTPAddr, raw) // 410305198307142152, 0379-63218857
	waitProcessed(t, ta.DB, 1)
	var no string
	ta.DB.View(context.Background(), func(tx *store.Tx) error {
		cs, err := tx.Cases(store.CaseFilter{})
		if len(cs) == 1 {
			no = cs[0].No
		}
		return err
	})
	if no == "" {
		t.Fatal("the request became no case")
	}
	const id, phone = "410305198307142152", "0379-63218857"
	for _, who := range []string{"hand", "reg"} {
		c := login(t, ta, who)
		for _, page := range []string{"/staff/cases/" + no, "/staff/cases/" + no + "/verdict"} {
			status, body := get(t, c, ta.URL+page)
			if status != http.StatusOK {
				t.Fatalf("%s %s: %d", who, page, status)
			}
			if strings.Contains(body, id) || strings.Contains(body, phone) {
				t.Errorf("%s %s shows the ID or phone number in full before any reveal", who, page)
			}
		}
	}
	// Revealed (and logged), the registrar reads the history in full.
	reg := login(t, ta, "reg")
	_, page := get(t, reg, ta.URL+"/staff/cases/"+no)
	status, body, _ := postForm(t, reg, ta.URL+"/staff/cases/"+no+"/reveal", hidden(t, page))
	if status != http.StatusOK || !strings.Contains(body, id) {
		t.Errorf("reveal: status %d, full ID not shown", status)
	}
}

// TestCaseMessageReading: the case's handler reads the applicant's letter
// on the case (text and .eml), and the reading is in the history; another
// handler may not, and a message of another case is not reachable through
// this case's address.
func TestCaseMessageReading(t *testing.T) {
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "hand", gongkai.RoleHandler)
	ta.addUser(t, "other", gongkai.RoleHandler)
	for _, f := range []string{"003.eml", "001.eml"} {
		raw, err := os.ReadFile(filepath.Join(testkit.CorpusDir(t, "dev"), f))
		if err != nil {
			t.Fatal(err)
		}
		sendMail(t, ta.SMTPAddr, raw)
	}
	waitProcessed(t, ta.DB, 2)
	ctx := context.Background()
	var cs []*gongkai.Case
	var msgs []*gongkai.Message
	ta.DB.View(ctx, func(tx *store.Tx) error {
		cs, _ = tx.Cases(store.CaseFilter{})
		msgs, _ = tx.Messages()
		return nil
	})
	if len(cs) != 2 || len(msgs) != 2 {
		t.Fatalf("%d cases, %d messages; want 2 and 2", len(cs), len(msgs))
	}
	c := cs[0]
	var mine, theirs int64
	for _, m := range msgs {
		if m.CaseID == c.ID {
			mine = m.ID
		} else {
			theirs = m.ID
		}
	}
	reg := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	for _, in := range []caseflow.Input{{Action: caseflow.ActRegister}, {Action: caseflow.ActAssign, Department: "办公室", Assignee: "hand"}} {
		in.Actor = reg
		if _, err := ta.Cases.Act(ctx, c.No, in); err != nil {
			t.Fatalf("%s: %v", in.Action, err)
		}
	}
	base := fmt.Sprintf("%s/staff/cases/%s/messages/", ta.URL, c.No)
	hand := login(t, ta, "hand")
	if _, page := get(t, hand, ta.URL+"/staff/cases/"+c.No); !strings.Contains(page, fmt.Sprintf("/staff/cases/%s/messages/%d", c.No, mine)) {
		t.Errorf("the case page offers its handler no way to read the letter")
	}
	status, page := get(t, hand, base+fmt.Sprint(mine))
	if status != http.StatusOK || !strings.Contains(page, `id="mail-text"`) || !strings.Contains(page, "/raw") {
		t.Fatalf("handler reading the letter: %d\n%.500s", status, page)
	}
	if status, raw := get(t, hand, base+fmt.Sprint(mine)+"/raw"); status != http.StatusOK || !strings.Contains(raw, "Message-ID") {
		t.Errorf("handler downloading the letter: %d", status)
	}
	if status, _ := get(t, hand, base+fmt.Sprint(theirs)); status != http.StatusNotFound {
		t.Errorf("another case's message through this case: %d, want 404", status)
	}
	if status, _ := get(t, login(t, ta, "other"), base+fmt.Sprint(mine)); status != http.StatusForbidden {
		t.Errorf("a handler of no case reading the letter: %d, want 403", status)
	}
	var evs []gongkai.Event
	ta.DB.View(ctx, func(tx *store.Tx) error { evs, _ = tx.Events(c.ID); return nil })
	n := 0
	for _, e := range evs {
		if e.Kind == "pii_viewed" && e.Actor == "hand" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d readings by hand in the history, want 2 (the text and the download)", n)
	}
}

// TestIMAPAlert: when the mailbox poll keeps failing, registrars and admins
// see it on every staff page (handlers do not); it says since when and why.
func TestIMAPAlert(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, gongkai.Beijing)
	for _, tc := range []struct {
		h    imappoll.Health
		want bool
	}{
		{imappoll.Health{}, false},
		{imappoll.Health{Failures: 2, Since: now.Add(-time.Minute), LastErr: "x"}, false},
		{imappoll.Health{Failures: 3, Since: now.Add(-time.Minute), LastErr: "x"}, true},
		{imappoll.Health{Failures: 1, Since: now.Add(-11 * time.Minute), LastErr: "x"}, true},
	} {
		if got := imapAlert(tc.h, "mail.example:993", now); (got != "") != tc.want {
			t.Errorf("%+v: %q, want alert %v", tc.h, got, tc.want)
		}
	}
	ta := startApp(t, testConfig(filepath.Join(t.TempDir(), "g.db")))
	ta.addUser(t, "reg", gongkai.RoleRegistrar)
	ta.addUser(t, "hand", gongkai.RoleHandler)
	ta.Web.Alerts = append(ta.Web.Alerts, func() string {
		return imapAlert(imappoll.Health{Failures: 5, Since: now, LastErr: "logging in: <b>NO</b>"}, "mail.example:993", now)
	})
	if _, page := get(t, login(t, ta, "reg"), ta.URL+"/staff"); !strings.Contains(page, `role="alert"`) || !strings.Contains(page, "邮箱收取异常") || !strings.Contains(page, "&lt;b&gt;NO") {
		t.Errorf("the registrar's page lacks the escaped alert:\n%.600s", page)
	}
	if _, page := get(t, login(t, ta, "hand"), ta.URL+"/staff"); strings.Contains(page, "邮箱收取异常") {
		t.Errorf("a handler sees the intake alert")
	}
}

// TestIMAPOwnCA: a mailbox server whose certificate the agency's own CA
// signed is polled over implicit TLS once imap-ca names that CA, and
// refused (unknown authority) without it.
func TestIMAPOwnCA(t *testing.T) {
	serverTLS, _ := testkit.SelfSignedTLS(t)
	ms := imapmemserver.New()
	u := imapmemserver.NewUser("u", "p")
	u.Create("INBOX", nil)
	raw := []byte("Message-ID: <ca@x>\r\nFrom: a@x\r\nSubject: x\r\n\r\nx\r\n")
	u.Append("INBOX", bytesLiteral{bytes.NewReader(raw)}, &imap.AppendOptions{})
	ms.AddUser(u)
	srv := imapserver.New(&imapserver.Options{NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
		return ms.NewSession(), nil, nil
	}, Caps: imap.CapSet{imap.CapIMAP4rev1: {}}, TLSConfig: serverTLS})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &caseflow.Service{DB: db, Cal: workday.New()}
	for _, ca := range []string{"", caFile} {
		cfg := testConfig("")
		cfg["imap"], cfg["imap-user"], cfg["imap-password"], cfg["imap-ca"] = ln.Addr().String(), "u", "p", ca
		a := &App{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		p, err := newIMAPPoller(a, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Store = s
		n, err := p.PollOnce(context.Background())
		if ca == "" && (err == nil || !strings.Contains(err.Error(), "certificate")) {
			t.Errorf("without imap-ca: %d, %v; want a certificate error", n, err)
		}
		if ca != "" && (err != nil || n != 1) {
			t.Errorf("with imap-ca: %d, %v; want 1 stored", n, err)
		}
	}
	cfg := testConfig("")
	cfg["imap"], cfg["imap-ca"] = ln.Addr().String(), filepath.Join(t.TempDir(), "none.pem")
	if _, err := newIMAPPoller(&App{Config: cfg}, nil, nil); err == nil || !strings.Contains(err.Error(), "imap-ca") {
		t.Errorf("a missing CA file: %v", err)
	}
}

type bytesLiteral struct{ *bytes.Reader }

func (l bytesLiteral) Size() int64 { return int64(l.Len()) }
