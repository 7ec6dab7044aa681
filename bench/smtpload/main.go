// Command smtpload measures e-mail intake speed: it sends a mixed corpus
// (mostly small UTF-8 and GBK letters, about one in ten with a 200 KB
// attachment, ~30 KB on average) over SMTP with 16 connections
//
//  1. to a bare go-smtp server that discards mail (the ceiling), and
//  2. to a real `gongkai serve` (built from this tree, temp database),
//
// and reports messages per second accepted (250 after the durable commit)
// and end to end (parsed, classified and filed), and gongkai's peak memory.
// With -imap it instead loads the messages into an IMAP mailbox and times a
// `gongkai serve` polling it (GONGKAI_TEST_IMAP_* from scripts/test.sh).
//
//	go run ./bench/smtpload [-n 20000] [-conns 16]
//	bash scripts/test.sh --exec go run ./bench/smtpload -imap -n 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"gongkai/bench/mailgen"
	"gongkai/store"
)

func main() {
	n := flag.Int("n", 20000, "messages to send")
	conns := flag.Int("conns", 16, "SMTP connections")
	imapMode := flag.Bool("imap", false, "measure IMAP intake instead (needs GONGKAI_TEST_IMAP_*)")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	if err := run(*n, *conns, *imapMode, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "smtpload:", err)
		os.Exit(1)
	}
}

func run(n, conns int, imapMode, keep bool) error {
	dir, err := os.MkdirTemp("", "smtpload-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("generating %d messages… ", n)
	msgs, total := mailgen.Corpus(n)
	fmt.Printf("%.1f MB, %.1f KB average\n", float64(total)/1e6, float64(total)/float64(n)/1e3)

	bin := filepath.Join(dir, "gongkai")
	if out, err := exec.Command("go", "build", "-o", bin, "gongkai/cmd/gongkai").CombinedOutput(); err != nil {
		return fmt.Errorf("building gongkai: %v\n%s", err, out)
	}
	if imapMode {
		return runIMAP(dir, bin, msgs)
	}

	// 1. The ceiling: a bare go-smtp server that reads and discards.
	bare, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return discard{}, nil }))
	srv.Domain, srv.MaxMessageBytes = "localhost", 32<<20
	go srv.Serve(bare)
	bareRate, _, err := blast(bare.Addr().String(), msgs, conns)
	srv.Close()
	if err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	fmt.Printf("bare go-smtp (discard):   %7.0f msgs/s accepted\n", bareRate)

	// 2. gongkai serve.
	dbPath := filepath.Join(dir, "gongkai.db")
	smtpAddr := freeAddr()
	cmd := exec.Command(bin, "serve", "--db", dbPath, "--http", freeAddr(), "--smtp", smtpAddr)
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stopGently(cmd)
	if err := waitListen(smtpAddr); err != nil {
		return err
	}
	peak := watchMemory(cmd.Process.Pid)
	start := time.Now()
	rate, acceptDur, err := blast(smtpAddr, msgs, conns)
	if err != nil {
		return fmt.Errorf("gongkai: %w", err)
	}
	endToEnd, err := waitFiled(dbPath, len(msgs), start)
	if err != nil {
		return err
	}
	fmt.Printf("gongkai accepted (durable):%7.0f msgs/s (%.1f%% of bare), %v for %d\n", rate, 100*rate/bareRate, acceptDur.Round(time.Millisecond), len(msgs))
	fmt.Printf("gongkai end to end:        %7.0f msgs/s (parsed, classified, filed, receipts rendered), %v\n", float64(len(msgs))/endToEnd.Seconds(), endToEnd.Round(time.Millisecond))
	fmt.Printf("gongkai peak memory (VmHWM): %.0f MB\n", float64(peak())/1024)
	return nil
}

// blast sends every message over conns connections and returns the rate.
func blast(addr string, msgs [][]byte, conns int) (float64, time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, conns)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(msgs) {
					c.Quit()
					return
				}
				if err := sendOne(c, msgs[i]); err != nil {
					errc <- fmt.Errorf("message %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return 0, d, err
	}
	return float64(len(msgs)) / d.Seconds(), d, nil
}

func sendOne(c *smtp.Client, raw []byte) error {
	if err := c.Mail("sender@mail.example", nil); err != nil {
		return err
	}
	if err := c.Rcpt("ysqgk@zjj.xigong.example", nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	return w.Close()
}

type discard struct{}

func (discard) Reset()                               {}
func (discard) Logout() error                        { return nil }
func (discard) Mail(string, *smtp.MailOptions) error { return nil }
func (discard) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discard) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// waitFiled polls the database until want messages are stored and processed.
func waitFiled(dbPath string, want int, start time.Time) (time.Duration, error) {
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var total, pending, receipts int
		err := db.View(context.Background(), func(tx *store.Tx) error {
			var err error
			if total, pending, err = tx.CountMessages(); err != nil {
				return err
			}
			receipts, err = tx.CountToRender()
			return err
		})
		if err != nil {
			return 0, err
		}
		if total >= want && pending == 0 && receipts == 0 {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("after 10 min: %d stored, %d pending, %d receipts not rendered", total, pending, receipts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchMemory samples the peak resident memory of pid (kB) until read.
func watchMemory(pid int) func() int {
	var peak atomic.Int64
	read := func() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				f := strings.Fields(l)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					peak.Store(kb)
				}
			}
		}
	}
	return func() int { read(); return int(peak.Load()) }
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListen(addr string) error {
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("nothing listening on %s", addr)
}

// stopGently sends SIGTERM (so that serve shuts down cleanly and writes its
// GONGKAI_CPUPROFILE), and kills it after 15 s.
func stopGently(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
