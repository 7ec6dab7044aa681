package testkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// multiAppendBatch is how many messages go into one MULTIAPPEND command.
const multiAppendBatch = 1000

// errNoMultiAppend means the server lacks MULTIAPPEND or LITERAL+, so the
// caller should fall back to one APPEND per message.
var errNoMultiAppend = errors.New("server lacks MULTIAPPEND or LITERAL+")

// multiAppend stores msgs with MULTIAPPEND (RFC 3502): one APPEND command
// carries a batch of messages as non-synchronising literals (RFC 7888) and
// the server saves the batch in one transaction. Dovecot spends 4-6 ms on a
// single APPEND even when pipelined (a maildir transaction each), so 10,000
// messages take a minute; in MULTIAPPEND batches they take about 5 s.
// go-imap v2 has no MULTIAPPEND, hence the few lines of raw protocol here.
func multiAppend(addr, user, password, mailbox string, msgs [][]byte) ([]imap.UID, error) {
	for _, r := range mailbox {
		if r >= 0x80 || r == '&' {
			return nil, errNoMultiAppend // would need modified UTF-7; let imapclient encode it
		}
	}
	qu, ok1 := quote(user)
	qp, ok2 := quote(password)
	if !ok1 || !ok2 {
		return nil, errNoMultiAppend // let imapclient send the odd credentials
	}
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dialing IMAP %s: %w", addr, err)
	}
	defer conn.Close()
	rc := &rawConn{conn: conn, r: bufio.NewReader(conn)}

	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := rc.line(); err != nil {
		return nil, fmt.Errorf("reading greeting: %w", err)
	}
	status, err := rc.command("l", func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "l LOGIN %s %s\r\n", qu, qp)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("logging in as %s: %w", user, err)
	}
	caps := strings.Fields(strings.ToUpper(strings.NewReplacer("[", " ", "]", " ").Replace(status)))
	if !contains(caps, "MULTIAPPEND") || !contains(caps, "LITERAL+") {
		return nil, errNoMultiAppend
	}

	uids := make([]imap.UID, 0, len(msgs))
	for start := 0; start < len(msgs); start += multiAppendBatch {
		batch := msgs[start:min(start+multiAppendBatch, len(msgs))]
		conn.SetDeadline(time.Now().Add(5 * time.Minute))
		tag := "a" + strconv.Itoa(start)
		status, err := rc.command(tag, func(w io.Writer) error {
			fmt.Fprintf(w, "%s APPEND {%d+}\r\n%s", tag, len(mailbox), mailbox)
			for _, m := range batch {
				fmt.Fprintf(w, " {%d+}\r\n", len(m))
				if _, err := w.Write(m); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, "\r\n")
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("appending messages %d-%d to %s: %w", start+1, start+len(batch), mailbox, err)
		}
		got, err := appendUIDs(status)
		if err != nil {
			return nil, fmt.Errorf("appending to %s: %w", mailbox, err)
		}
		if len(got) != len(batch) {
			return nil, fmt.Errorf("appending to %s: server reported %d UIDs for %d messages", mailbox, len(got), len(batch))
		}
		uids = append(uids, got...)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	rc.command("z", func(w io.Writer) error {
		_, err := io.WriteString(w, "z LOGOUT\r\n")
		return err
	})
	return uids, nil
}

type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func (rc *rawConn) line() (string, error) {
	s, err := rc.r.ReadString('\n')
	return strings.TrimRight(s, "\r\n"), err
}

// command writes a command (in a goroutine, so that an early answer from the
// server cannot dead-lock a long write) and reads up to its tagged
// response. It returns the text after "tag OK", or an error for NO/BAD.
func (rc *rawConn) command(tag string, write func(io.Writer) error) (string, error) {
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(rc.conn, 64<<10)
		err := write(w)
		if err == nil {
			err = w.Flush()
		}
		werr <- err
	}()
	for {
		l, err := rc.line()
		if err != nil {
			return "", fmt.Errorf("reading response: %w", err)
		}
		rest, ok := strings.CutPrefix(l, tag+" ")
		if !ok {
			continue // untagged data or continuation requests
		}
		if err := <-werr; err != nil {
			return "", fmt.Errorf("writing command: %w", err)
		}
		if status, ok := strings.CutPrefix(rest, "OK"); ok {
			return status, nil
		}
		return "", fmt.Errorf("server said %s", rest)
	}
}

// quote makes an IMAP quoted string (RFC 3501 §9); ok is false for text a
// quoted string cannot carry.
func quote(s string) (q string, ok bool) {
	for _, r := range s {
		if r >= 0x80 || r == '\r' || r == '\n' || r == 0 {
			return "", false
		}
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`, true
}

// appendUIDs parses "[APPENDUID validity uid-set] ..." (RFC 4315).
func appendUIDs(status string) ([]imap.UID, error) {
	i := strings.Index(status, "[APPENDUID ")
	if i < 0 {
		return nil, fmt.Errorf("no APPENDUID in %q", status)
	}
	f := strings.Fields(status[i+len("[APPENDUID "):])
	if len(f) < 2 {
		return nil, fmt.Errorf("bad APPENDUID in %q", status)
	}
	var uids []imap.UID
	for _, part := range strings.Split(strings.TrimSuffix(f[1], "]"), ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad APPENDUID set %q: %w", f[1], err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				return nil, fmt.Errorf("bad APPENDUID set %q: %w", f[1], err)
			}
		}
		if b < a {
			a, b = b, a
		}
		for u := a; u <= b; u++ {
			uids = append(uids, imap.UID(u))
		}
	}
	return uids, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
