package smtpd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/emersion/go-smtp"

	"gongkai/caseflow"
	"gongkai/internal/testkit"
	"gongkai/store"
	"gongkai/workday"
)

// fakeStore records batches; gate, when set, holds each commit until it is
// read from (to see that DATA waits for the commit).
type fakeStore struct {
	mu      sync.Mutex
	batches [][]caseflow.Incoming
	gate    chan struct{}
	entered chan int // batch sizes as commits begin, when not nil
	fail    error
}

func (f *fakeStore) ReceiveBatch(ctx context.Context, in []caseflow.Incoming, cur *caseflow.Cursor) ([]int64, error) {
	if f.entered != nil {
		f.entered <- len(in)
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.batches = append(f.batches, in)
	ids := make([]int64, len(in))
	for i := range ids {
		ids[i] = int64(len(f.batches)*1000 + i)
	}
	return ids, nil
}

func (f *fakeStore) count() (msgs, batches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		msgs += len(b)
	}
	return msgs, len(f.batches)
}

// start runs s on 127.0.0.1:0 until the test ends.
func start(t testing.TB, s *Server) string {
	t.Helper()
	s.Addr = "127.0.0.1:0"
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s.ListenAddr()
}

func message(id string, size int) []byte {
	return []byte(fmt.Sprintf("Message-ID: <%s>\r\nSubject: test\r\n\r\n%s\r\n", id, strings.Repeat("x", size)))
}

// send runs one SMTP transaction with go-smtp's client and returns the error
// of the step that failed.
func send(addr, rcpt string, raw []byte, opts *smtp.MailOptions) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("a@example.org", opts); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
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

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	if err != nil {
		return -1
	}
	return 250
}

func TestRecipients(t *testing.T) {
	tests := []struct {
		name       string
		recipients []string
		rcpt       string
		want       int
	}{
		{"none configured accepts all", nil, "anyone@anywhere.example", 250},
		{"listed", []string{"ysqgk@zjj.example"}, "ysqgk@zjj.example", 250},
		{"listed, other case", []string{"ysqgk@zjj.example"}, "YSQGK@ZJJ.example", 250},
		{"not listed", []string{"ysqgk@zjj.example"}, "boss@zjj.example", 550},
		{"domain entry", []string{"@zjj.example"}, "any@zjj.example", 250},
		{"domain entry, other domain", []string{"@zjj.example"}, "any@zjj.example.evil", 550},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &fakeStore{}
			addr := start(t, &Server{Store: fs, Recipients: tt.recipients})
			err := send(addr, tt.rcpt, message("r@x", 10), nil)
			if got := code(err); got != tt.want {
				t.Errorf("code %d (%v), want %d", got, err, tt.want)
			}
			if n, _ := fs.count(); (n == 1) != (tt.want == 250) {
				t.Errorf("%d messages stored", n)
			}
		})
	}
}

func TestOversize(t *testing.T) {
	fs := &fakeStore{}
	addr := start(t, &Server{Store: fs, MaxBytes: 10_000})
	tests := []struct {
		name string
		size int
		opts *smtp.MailOptions
		want int
	}{
		{"fits", 5_000, nil, 250},
		{"too large, SIZE not declared: refused after DATA", 20_000, nil, 552},
		{"too large, SIZE declared: refused at MAIL", 20_000, &smtp.MailOptions{Size: 20_100}, 552},
		{"fits after a refusal", 5_000, nil, 250},
	}
	for _, tt := range tests {
		err := send(addr, "a@b.example", message("o-"+tt.name+"@x", tt.size), tt.opts)
		if got := code(err); got != tt.want {
			t.Errorf("%s: code %d (%v), want %d", tt.name, got, err, tt.want)
		}
	}
	if n, _ := fs.count(); n != 2 {
		t.Errorf("%d messages stored, want 2", n)
	}
}

func TestDataWaitsForCommit(t *testing.T) {
	fs := &fakeStore{gate: make(chan struct{})}
	woke := make(chan struct{}, 10)
	addr := start(t, &Server{Store: fs, Wake: func() { woke <- struct{}{} }})
	done := make(chan error, 1)
	go func() { done <- send(addr, "a@b.example", message("w@x", 10), nil) }()
	select {
	case err := <-done:
		t.Fatalf("DATA answered (%v) before the commit", err)
	case <-time.After(200 * time.Millisecond):
	}
	fs.gate <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("after commit: %v", err)
	}
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Error("processor not woken after the commit")
	}
}

func TestStoreFailureIs451(t *testing.T) {
	fs := &fakeStore{fail: errors.New("disk full")}
	addr := start(t, &Server{Store: fs})
	if got := code(send(addr, "a@b.example", message("f@x", 10), nil)); got != 451 {
		t.Errorf("code %d, want 451 (temporary: the client keeps the message and retries)", got)
	}
}

func TestGroupCommit(t *testing.T) {
	fs := &fakeStore{gate: make(chan struct{}), entered: make(chan int, 100)}
	srv := &Server{Store: fs}
	addr := start(t, srv)
	var once sync.Once
	release := func() { once.Do(func() { close(fs.gate) }) }
	t.Cleanup(release) // runs before the server stops
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- send(addr, "a@b.example", message(fmt.Sprintf("g%d@x", i), 100), nil)
		}()
	}
	// The first commit takes what has arrived (lingering briefly for
	// sessions still reading); the rest queue behind it.
	first := <-fs.entered
	for deadline := time.Now().Add(10 * time.Second); len(srv.batch.in) < n-first; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("first commit took %d; only %d sessions queued behind it", first, len(srv.batch.in))
		}
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	msgs, batches := fs.count()
	want := 2
	if first == n {
		want = 1
	}
	if msgs != n || batches != want {
		t.Errorf("%d messages in %d commits; want %d in %d (the first batch of %d, then the rest together)", msgs, batches, n, want, first)
	}
}

func TestSTARTTLS(t *testing.T) {
	fs := &fakeStore{}
	serverTLS, clientTLS := testkit.SelfSignedTLS(t)
	addr := start(t, &Server{Store: fs, TLS: serverTLS})
	c, err := smtp.DialStartTLS(addr, clientTLS)
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("no TLS after STARTTLS")
	}
	if err := c.SendMail("a@example.org", []string{"b@example.org"}, bytes.NewReader(message("t@x", 10))); err != nil {
		t.Fatal(err)
	}
	if n, _ := fs.count(); n != 1 {
		t.Errorf("%d messages stored", n)
	}
	// Without a certificate, STARTTLS is not offered.
	addr2 := start(t, &Server{Store: &fakeStore{}})
	tc, err := textproto.Dial("tcp", addr2)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.ReadResponse(220)
	tc.PrintfLine("EHLO test")
	_, msg, err := tc.ReadResponse(250)
	if err != nil || strings.Contains(msg, "STARTTLS") {
		t.Errorf("EHLO without a certificate: %q, %v", msg, err)
	}
}

// TestRealStore runs the listener on a real SQLite store: what got 250 is
// there once, and a resend of the same message is not stored again.
func TestRealStore(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &caseflow.Service{DB: db, Cal: workday.New()}
	addr := start(t, &Server{Store: svc})
	for range 2 {
		if err := send(addr, "a@b.example", message("real@x", 100), nil); err != nil {
			t.Fatal(err)
		}
	}
	db.View(context.Background(), func(tx *store.Tx) error {
		copies, err := tx.MessageCopies([]string{"real@x"})
		if err != nil || copies["real@x"] != 1 {
			t.Errorf("stored %v times, %v; want once", copies, err)
		}
		return nil
	})
}

// TestChunking: Postfix and Exchange send with BDAT (RFC 3030) to a server
// that offers CHUNKING, as go-smtp does. A message in one or several
// chunks is stored byte for byte, pipelined with its envelope; one over
// the size limit gets 552 and is not stored, and the session goes on.
func TestChunking(t *testing.T) {
	fs := &fakeStore{}
	addr := start(t, &Server{Store: fs, MaxBytes: 10_000})
	tc, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, _, err := tc.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	tc.PrintfLine("EHLO mta.example")
	if _, msg, err := tc.ReadResponse(250); err != nil || !strings.Contains(msg, "CHUNKING") {
		t.Fatalf("EHLO: %q, %v; want CHUNKING offered", msg, err)
	}
	small := message("bdat-1@x", 3_000)
	big := message("bdat-2@x", 20_000)
	tests := []struct {
		name   string
		chunks [][]byte
		want   []int // replies to MAIL, RCPT and each BDAT
	}{
		{"one chunk, pipelined with the envelope", [][]byte{small}, []int{250, 250, 250}},
		{"two chunks", [][]byte{small[:1000], small[1000:]}, []int{250, 250, 250, 250}},
		{"over the limit", [][]byte{big}, []int{250, 250, 552}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		out.WriteString("MAIL FROM:<a@mta.example>\r\nRCPT TO:<ysqgk@b.example>\r\n")
		for i, c := range tt.chunks {
			last := ""
			if i == len(tt.chunks)-1 {
				last = " LAST"
			}
			fmt.Fprintf(&out, "BDAT %d%s\r\n%s", len(c), last, c)
		}
		if _, err := tc.W.Write(out.Bytes()); err != nil {
			t.Fatal(err)
		}
		tc.W.Flush()
		for i, want := range tt.want {
			if got, msg, err := tc.ReadResponse(want); err != nil {
				t.Fatalf("%s: reply %d: %d %q, %v; want %d", tt.name, i, got, msg, err, want)
			}
		}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var stored [][]byte
	for _, b := range fs.batches {
		for _, m := range b {
			stored = append(stored, m.Raw)
		}
	}
	if len(stored) != 2 || !bytes.Equal(stored[0], small) || !bytes.Equal(stored[1], small) {
		t.Errorf("stored %d messages (sizes %v); want the 3 KB message twice, byte for byte", len(stored), sizes(stored))
	}
}

func sizes(ms [][]byte) []int {
	var n []int
	for _, m := range ms {
		n = append(n, len(m))
	}
	return n
}

// TestReadMessage: readMessage returns exactly what the reader gave, of
// any size and in any pieces, never sharing memory with its scratch
// buffer (a later message must not change an earlier one), and passes
// a read error on.
func TestReadMessage(t *testing.T) {
	var kept [][]byte
	var want [][]byte
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 2 << 20} {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r },
			"bytes": iotest.OneByteReader,
			"half":  iotest.HalfReader,
		} {
			if name == "bytes" && size > 1<<17 {
				continue
			}
			msg := bytes.Repeat([]byte{byte(size), byte(len(kept))}, size/2+1)[:size]
			got, err := readMessage(wrap(bytes.NewReader(msg)))
			if err != nil || !bytes.Equal(got, msg) {
				t.Errorf("%d bytes, %s: got %d bytes, %v", size, name, len(got), err)
			}
			kept, want = append(kept, got), append(want, msg)
		}
	}
	for i := range kept {
		if !bytes.Equal(kept[i], want[i]) {
			t.Errorf("message %d changed after later reads", i)
		}
	}
	boom := errors.New("connection reset")
	if _, err := readMessage(io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom))); !errors.Is(err, boom) {
		t.Errorf("read error: %v, want %v", err, boom)
	}
}

// TestMaxConns: with MaxConns connections open, one more is answered 421
// and closed; once one of them closes, a new connection is served again,
// and the connections already open deliver as before. A connection that
// switched to TLS gives its place back when it ends too.
func TestMaxConns(t *testing.T) {
	serverTLS, clientTLS := testkit.SelfSignedTLS(t)
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plain", false}, {"starttls offered", true}} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeStore{}
			s := &Server{Store: fs, MaxConns: 2}
			if tc.tls {
				s.TLS = serverTLS
			}
			addr := start(t, s)
			greet := func() (*textproto.Conn, int, string) {
				t.Helper()
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				nc.SetDeadline(time.Now().Add(10 * time.Second)) // a failure, not a hang
				c := textproto.NewConn(nc)
				code, msg, err := c.ReadResponse(0)
				if err != nil && code == 0 {
					t.Fatalf("greeting: %v", err)
				}
				return c, code, msg
			}
			a, codeA, _ := greet()
			defer a.Close()
			if codeA != 220 {
				t.Fatalf("first connection greeted %d; want 220", codeA)
			}
			// The second connection: plain, or switched to TLS.
			var quitB func()
			if tc.tls {
				b, err := smtp.DialStartTLS(addr, clientTLS)
				if err != nil {
					t.Fatalf("second connection, STARTTLS: %v", err)
				}
				quitB = func() { b.Quit() }
			} else {
				b, codeB, _ := greet()
				if codeB != 220 {
					t.Fatalf("second connection greeted %d; want 220", codeB)
				}
				quitB = func() {
					b.PrintfLine("QUIT")
					b.ReadResponse(221)
					b.Close()
				}
			}
			c, codeC, msg := greet()
			if codeC != 421 || !strings.Contains(msg, "Too many connections") {
				t.Errorf("third connection: %d %q; want 421 Too many connections", codeC, msg)
			}
			if _, err := c.ReadLine(); err == nil {
				t.Error("the refused connection stays open")
			}
			c.Close()

			// A connection already served still delivers.
			for _, step := range []struct {
				cmd  string
				code int
			}{{"HELO test", 250}, {"MAIL FROM:<a@example.org>", 250}, {"RCPT TO:<b@example.org>", 250}, {"DATA", 354}} {
				a.PrintfLine("%s", step.cmd)
				if _, _, err := a.ReadResponse(step.code); err != nil {
					t.Fatalf("%s: %v", step.cmd, err)
				}
			}
			a.PrintfLine("Subject: x\r\n\r\nhello\r\n.")
			if _, _, err := a.ReadResponse(250); err != nil {
				t.Fatalf("DATA on a served connection: %v", err)
			}
			if n, _ := fs.count(); n != 1 {
				t.Errorf("%d messages stored, want 1", n)
			}

			// Once b has gone, a new connection is served (the server
			// notices the close after a moment).
			quitB()
			deadline := time.Now().Add(5 * time.Second)
			for {
				d, code, _ := greet()
				d.Close()
				if code == 220 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a connection after one closed: still %d", code)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
