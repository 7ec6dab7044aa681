package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// runIMAP loads msgs into a fresh mailbox of the test Dovecot, then starts
// `gongkai serve` polling it and times until every message is stored and
// filed. Loading takes far longer than the intake, so with runs > 1 the one
// mailbox serves every run, each with a new database (the poller's cursor
// starts from nothing), taking the binaries in turn (-bin a,b: a, b, a, b…).
func runIMAP(dir string, bins []string, runs int, msgs [][]byte) error {
	addr, user, pass := os.Getenv("GONGKAI_TEST_IMAP_ADDR"), os.Getenv("GONGKAI_TEST_IMAP_USER"), os.Getenv("GONGKAI_TEST_IMAP_PASSWORD")
	if addr == "" {
		return fmt.Errorf("GONGKAI_TEST_IMAP_ADDR not set: run under scripts/test.sh --exec")
	}
	c, err := imapclient.DialInsecure(addr, &imapclient.Options{Dialer: &net.Dialer{Timeout: 10 * time.Second}, DebugWriter: debugIMAP()})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		return err
	}
	box := fmt.Sprintf("smtpload-%d", time.Now().UnixNano())
	if err := c.Create(box, nil).Wait(); err != nil {
		return err
	}
	defer func() { c.Delete(box).Wait() }()
	t0 := time.Now()
	var pending []*imapclient.AppendCommand
	for _, m := range msgs {
		cmd := c.Append(box, int64(len(m)), nil)
		cmd.Write(m)
		if err := cmd.Close(); err != nil {
			return err
		}
		pending = append(pending, cmd)
		if len(pending) == 256 {
			if _, err := pending[0].Wait(); err != nil {
				return err
			}
			pending = pending[1:]
		}
	}
	for _, cmd := range pending {
		if _, err := cmd.Wait(); err != nil {
			return err
		}
	}
	sel, err := c.Select(box, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d messages into %s in %v\n", sel.NumMessages, box, time.Since(t0).Round(time.Millisecond))
	for r := range runs {
		for i, bin := range bins {
			if len(bins) > 1 || runs > 1 {
				fmt.Printf("-- run %d, %s\n", r+1, bin)
			}
			db := filepath.Join(dir, fmt.Sprintf("imap-%d-%d.db", r, i))
			if err := pollIMAP(db, bin, box, len(msgs)); err != nil {
				return err
			}
			if r < runs-1 || i < len(bins)-1 { // the disk it takes, ~0.5 GB a run
				for _, f := range []string{db, db + "-wal", db + "-shm"} {
					os.Remove(f)
				}
			}
		}
	}
	return nil
}

// pollIMAP times one `gongkai serve` taking in mailbox box (n messages)
// into a new database at dbPath.
func pollIMAP(dbPath, bin, box string, n int) error {
	addr, user, pass := os.Getenv("GONGKAI_TEST_IMAP_ADDR"), os.Getenv("GONGKAI_TEST_IMAP_USER"), os.Getenv("GONGKAI_TEST_IMAP_PASSWORD")
	httpAddr := freeAddr()
	cmd := exec.Command(bin, "serve", "--db", dbPath, "--http", httpAddr, "--smtp", "", "--imap", addr, "--imap-mailbox", box, "--imap-tls", "none", "--imap-user", user)
	// imap-start all: a run after the first finds the mailbox read (by the
	// run before). In the environment, so that older builds (-bin) that do
	// not know it still start.
	cmd.Env = append(os.Environ(), "GONGKAI_IMAP_PASSWORD="+pass, "GONGKAI_IMAP_START=all")
	logf, _ := os.Create(strings.TrimSuffix(dbPath, ".db") + ".log")
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	idle0, all0 := machineIdle()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stopGently(cmd)
	peak := watchMemory(cmd.Process.Pid)
	// The server creates (and migrates) the database: only then is it read
	// here, so that a -bin of another version is not handed a newer schema.
	if err := waitListen(httpAddr); err != nil {
		return err
	}
	d, err := waitFiled(dbPath, n, start)
	if err != nil {
		return err
	}
	idle1, all1 := machineIdle()
	fmt.Printf("gongkai IMAP intake:       %7.0f msgs/s stored and classified (%d in %v, process start included)\n", float64(n)/d.Seconds(), n, d.Round(time.Millisecond))
	fmt.Printf("gongkai peak memory (VmHWM): %.0f MB\n", float64(peak())/1024)
	if all1 > all0 {
		fmt.Printf("machine idle meanwhile:      %.1f%% of all cores\n", 100*float64(idle1-idle0)/float64(all1-all0))
	}
	reportCosts(cmd.Process.Pid, n)
	return nil
}

func debugIMAP() io.Writer {
	if os.Getenv("SMTPLOAD_DEBUG") != "" {
		return os.Stderr
	}
	return nil
}
