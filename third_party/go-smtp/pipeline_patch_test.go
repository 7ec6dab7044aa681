package smtp_test

// Tests of the gongkai patch that groups the replies to a PIPELINING group
// (PATCHES.md): replies leave in one write while the group's commands are
// already read, and never wait while the server waits for the client.

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// countingConn counts the server's writes to one connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

// pipelineServer starts a server on loopback and returns a client
// connection past EHLO, its reader, and the server's write counter.
func pipelineServer(t *testing.T) (net.Conn, *bufio.Reader, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	writes := new(atomic.Int64)
	s := smtp.NewServer(new(backend))
	s.Domain = "localhost"
	go s.Serve(countingListener{l, writes})
	t.Cleanup(func() { s.Close() })

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	expectReplies(t, r, "220 ")
	io.WriteString(c, "EHLO localhost\r\n")
	for {
		line := readReply(t, r)
		if strings.HasPrefix(line, "250 ") {
			break
		}
		if !strings.HasPrefix(line, "250-") {
			t.Fatalf("EHLO: %q", line)
		}
	}
	return c, r, writes
}

func readReply(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a reply: %v (got %q)", err, line)
	}
	return strings.TrimRight(line, "\r\n")
}

// expectReplies reads one reply per prefix.
func expectReplies(t *testing.T, r *bufio.Reader, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		if line := readReply(t, r); !strings.HasPrefix(line, p) {
			t.Fatalf("reply %q, want %q…", line, p)
		}
	}
}

func TestPipelinedRepliesOneWrite(t *testing.T) {
	c, r, writes := pipelineServer(t)
	before := writes.Load()
	io.WriteString(c, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
	expectReplies(t, r, "250 2.0.0", "250 2.0.0", "354 ")
	if n := writes.Load() - before; n != 1 {
		t.Errorf("the replies to MAIL, RCPT and DATA took %d writes, want 1", n)
	}
	io.WriteString(c, "Subject: x\r\n\r\nhello\r\n.\r\n")
	expectReplies(t, r, "250 2.0.0")
	if n := writes.Load() - before; n != 2 {
		t.Errorf("the whole transaction took %d writes, want 2", n)
	}

	// Not pipelined: every reply goes at once.
	before = writes.Load()
	io.WriteString(c, "MAIL FROM:<a@example.org>\r\n")
	expectReplies(t, r, "250 ")
	io.WriteString(c, "RCPT TO:<b@example.org>\r\n")
	expectReplies(t, r, "250 ")
	if n := writes.Load() - before; n != 2 {
		t.Errorf("two commands one at a time took %d writes, want 2", n)
	}
}

// A reply is not held back while the rest of the next command is still on
// its way: the server sends it before it waits to read.
func TestPipelinedReplyNotHeldOnPartialLine(t *testing.T) {
	c, r, _ := pipelineServer(t)
	io.WriteString(c, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@exa")
	expectReplies(t, r, "250 ")
	io.WriteString(c, "mple.org>\r\n")
	expectReplies(t, r, "250 ")
}

// Replies held back are still sent when the connection ends: after QUIT,
// and when the server closes it for too many errors.
func TestPipelinedRepliesBeforeClose(t *testing.T) {
	t.Run("quit", func(t *testing.T) {
		c, r, _ := pipelineServer(t)
		io.WriteString(c, "RSET\r\nNOOP\r\nQUIT\r\n")
		expectReplies(t, r, "250 ", "250 ", "221 ")
		if _, err := r.ReadString('\n'); err != io.EOF {
			t.Errorf("after QUIT: %v, want EOF", err)
		}
	})
	t.Run("too many errors", func(t *testing.T) {
		c, r, _ := pipelineServer(t)
		io.WriteString(c, "XYZW\r\nXYZW\r\nXYZW\r\nXYZW\r\nXYZW\r\n")
		expectReplies(t, r, "500 ", "500 ", "500 ", "500 ", "500 5.5.1 Too many errors")
		if _, err := r.ReadString('\n'); err != io.EOF {
			t.Errorf("after too many errors: %v, want EOF", err)
		}
	})
}
