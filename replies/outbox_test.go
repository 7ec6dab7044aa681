package replies

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"gongkai/internal/testkit"
)

// ---- an in-memory Queue with the store's semantics ----

type memItem struct {
	Item
	status  string // queued, sending, sent, failed
	next    time.Time
	lastErr string
	sentAt  time.Time
}

type memQueue struct {
	mu        sync.Mutex
	items     []*memItem
	dueCalls  int
	failSents int // Sent fails this many times: a crash between hand-off and recording
}

func (q *memQueue) add(it Item, next time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	it.ID = int64(len(q.items) + 1)
	q.items = append(q.items, &memItem{Item: it, status: "queued", next: next})
}

func (q *memQueue) get(id int64) memItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.items[id-1]
}

func (q *memQueue) Due(_ context.Context, now time.Time, limit int) ([]Item, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dueCalls++
	var out []Item
	for _, it := range q.items {
		if len(out) < limit && it.status == "queued" && !it.next.After(now) {
			it.status = "sending"
			out = append(out, it.Item)
		}
	}
	return out, nil
}

func (q *memQueue) Sent(_ context.Context, id int64, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failSents > 0 {
		q.failSents--
		return errors.New("disk I/O error")
	}
	it := q.items[id-1]
	it.status, it.sentAt = "sent", at
	it.Attempts++
	return nil
}

func (q *memQueue) Retry(_ context.Context, id int64, next time.Time, errText string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	it := q.items[id-1]
	it.status, it.next, it.lastErr = "queued", next, errText
	it.Attempts++
	return nil
}

func (q *memQueue) Failed(_ context.Context, id int64, errText string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	it := q.items[id-1]
	it.status, it.lastErr = "failed", errText
	it.Attempts++
	return nil
}

// restart does what the store does on start-up: items left "sending" by a
// crash are queued again.
func (q *memQueue) restart() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		if it.status == "sending" {
			it.status = "queued"
		}
	}
}

// startTLSRelay starts a recording relay that offers STARTTLS with cfg.
func startTLSRelay(t *testing.T, be *testkit.Relay, cfg *tls.Config, addr string) string {
	be.TLS = cfg
	return testkit.StartRelay(t, be, addr)
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time             { return c.t }
func (c *clock) advance(d time.Duration)    { c.t = c.t.Add(d) }
func testBackoff(attempt int) time.Duration { return time.Duration(attempt) * 10 * time.Minute }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// queueLetter builds the sample letter mail and queues it.
func queueLetter(t *testing.T, q *memQueue, to string, at time.Time) Mail {
	t.Helper()
	m, _ := sampleMail(t)
	m.To = to
	raw, err := BuildMail(m)
	if err != nil {
		t.Fatal(err)
	}
	from, rcpt, err := Envelope(m)
	if err != nil {
		t.Fatal(err)
	}
	q.add(Item{MessageID: m.MessageID, From: from, To: rcpt, Raw: raw}, at)
	return m
}

func flush(t *testing.T, s *Sender) (sent, retried, failed int) {
	t.Helper()
	sent, retried, failed, err := s.Flush(context.Background())
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return sent, retried, failed
}

// ---- tests ----

func TestSenderRoundTripSTARTTLSAuth(t *testing.T) {
	serverTLS, clientTLS := testkit.SelfSignedTLS(t)
	be := &testkit.Relay{}
	be.User, be.Pass = "gongkai", "s3cret"
	addr := startTLSRelay(t, be, serverTLS, "127.0.0.1:0")

	clk := &clock{time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)}
	q := &memQueue{}
	m := queueLetter(t, q, "李明 <liming@example.com>", clk.now())
	s := &Sender{Queue: q, Relay: addr, Username: "gongkai", Password: "s3cret", TLSConfig: clientTLS,
		Logger: quietLogger(), Now: clk.now, Backoff: testBackoff}

	if sent, retried, failed := flush(t, s); sent != 1 || retried != 0 || failed != 0 {
		t.Fatalf("Flush = %d sent, %d retried, %d failed; last error %q", sent, retried, failed, q.get(1).lastErr)
	}
	if it := q.get(1); it.status != "sent" || !it.sentAt.Equal(clk.now()) {
		t.Errorf("item = %s at %v", it.status, it.sentAt)
	}
	msgs := be.Messages()
	if len(msgs) != 1 {
		t.Fatalf("relay got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.TLS || got.User != "gongkai" {
		t.Errorf("relay session: tls %v user %q, want STARTTLS and AUTH", got.TLS, got.User)
	}
	if got.From != "gongkai@zjj.qingshan.gov.cn" || len(got.To) != 1 || got.To[0] != "liming@example.com" {
		t.Errorf("envelope = %s → %v", got.From, got.To)
	}

	// What arrived reads back as what was written: Chinese text, subject,
	// attachment names and contents, threading headers.
	p := parseMail(t, got.Raw)
	if p.subject != m.Subject {
		t.Errorf("subject = %q, want %q", p.subject, m.Subject)
	}
	if p.text != m.Text || p.html != m.HTML {
		t.Errorf("body parts changed in transit:\n%s", p.text)
	}
	if p.messageID != m.MessageID || len(p.inReplyTo) != 1 || p.inReplyTo[0] != "CAF=abc123@mail.example.com" {
		t.Errorf("Message-ID %q In-Reply-To %q", p.messageID, p.inReplyTo)
	}
	for _, a := range m.Attachments {
		if b, ok := p.attachments[a.Name]; !ok || string(b) != string(a.Data) {
			t.Errorf("attachment %q lost or changed", a.Name)
		}
	}
}

func TestSenderRelayDownThenUp(t *testing.T) {
	// Reserve a port with nothing listening on it: the relay is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	clk := &clock{time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)}
	q := &memQueue{}
	queueLetter(t, q, "liming@example.com", clk.now())
	s := &Sender{Queue: q, Relay: addr, Logger: quietLogger(), Now: clk.now, Backoff: testBackoff}

	start := clk.now()
	if sent, retried, failed := flush(t, s); sent != 0 || retried != 1 || failed != 0 {
		t.Fatalf("relay down: %d sent, %d retried, %d failed", sent, retried, failed)
	}
	it := q.get(1)
	if it.status != "queued" || it.Attempts != 1 || !it.next.Equal(start.Add(testBackoff(1))) {
		t.Fatalf("after 1st failure: %s, %d attempts, next %v", it.status, it.Attempts, it.next)
	}
	if !strings.Contains(it.lastErr, "无法连接邮件中继服务器") {
		t.Errorf("last error = %q", it.lastErr)
	}

	// Before the backoff has passed nothing is due.
	clk.advance(testBackoff(1) - time.Second)
	if sent, retried, failed := flush(t, s); sent+retried+failed != 0 {
		t.Fatalf("item retried before its backoff: %d %d %d", sent, retried, failed)
	}
	// Second attempt, still down: the wait grows.
	clk.advance(time.Second)
	second := clk.now()
	if _, retried, _ := flush(t, s); retried != 1 {
		t.Fatal("second attempt not retried")
	}
	if it := q.get(1); it.Attempts != 2 || !it.next.Equal(second.Add(testBackoff(2))) {
		t.Fatalf("after 2nd failure: %d attempts, next %v", it.Attempts, it.next)
	}

	// The relay comes up on the same address; the letter goes exactly once.
	be := &testkit.Relay{}
	testkit.StartRelay(t, be, addr)
	clk.advance(testBackoff(2))
	if sent, _, _ := flush(t, s); sent != 1 {
		t.Fatalf("relay up: not sent; last error %q", q.get(1).lastErr)
	}
	clk.advance(24 * time.Hour)
	if sent, retried, failed := flush(t, s); sent+retried+failed != 0 {
		t.Fatalf("a further pass did something: %d %d %d", sent, retried, failed)
	}
	if n := len(be.Messages()); n != 1 {
		t.Fatalf("relay got %d copies, want exactly 1", n)
	}
	if it := q.get(1); it.status != "sent" || it.Attempts != 3 {
		t.Errorf("item = %s after %d attempts", it.status, it.Attempts)
	}
}

func TestSenderFailures(t *testing.T) {
	be := &testkit.Relay{}
	be.RejectTo = map[string]*smtp.SMTPError{
		"nobody@example.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"},
		"full@example.com":   {Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"},
	}
	addr := testkit.StartRelay(t, be, "127.0.0.1:0")
	clk := &clock{time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)}
	q := &memQueue{}
	queueLetter(t, q, "nobody@example.com", clk.now())
	queueLetter(t, q, "full@example.com", clk.now())
	queueLetter(t, q, "liming@example.com", clk.now())
	s := &Sender{Queue: q, Relay: addr, Logger: quietLogger(), Now: clk.now, Backoff: testBackoff}

	sent, retried, failed := flush(t, s)
	if sent != 1 || retried != 1 || failed != 1 {
		t.Fatalf("Flush = %d sent, %d retried, %d failed, want 1 each", sent, retried, failed)
	}
	tests := []struct {
		id      int64
		status  string
		errPart string
	}{
		{1, "failed", "550 5.1.1 No such user"},
		{2, "queued", "452 4.2.2 Mailbox full"},
		{3, "sent", ""},
	}
	for _, tt := range tests {
		it := q.get(tt.id)
		if it.status != tt.status || !strings.Contains(it.lastErr, tt.errPart) {
			t.Errorf("item %d: %s %q, want %s with %q", tt.id, it.status, it.lastErr, tt.status, tt.errPart)
		}
	}
	if it := q.get(1); !strings.Contains(it.lastErr, "永久失败") {
		t.Errorf("permanent failure not said so: %q", it.lastErr)
	}
	if it := q.get(2); !it.next.Equal(clk.now().Add(testBackoff(1))) {
		t.Errorf("4xx retry at %v", it.next)
	}
	if msgs := be.Messages(); len(msgs) != 1 || msgs[0].To[0] != "liming@example.com" {
		t.Errorf("relay got %v", msgs)
	}

	// A temporary failure that persists becomes permanent at MaxAttempts.
	s.MaxAttempts = 2
	clk.advance(time.Hour)
	if _, _, failed := flush(t, s); failed != 1 {
		t.Fatal("item not given up at MaxAttempts")
	}
	if it := q.get(2); it.status != "failed" || !strings.Contains(it.lastErr, "重试2次后仍无法投递") {
		t.Errorf("given-up item: %s %q", it.status, it.lastErr)
	}
}

func TestSenderDataRefusedAndBadLogin(t *testing.T) {
	be := &testkit.Relay{}
	be.DataErr = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Content rejected"}
	be.User, be.Pass = "gongkai", "right"
	addr := testkit.StartRelay(t, be, "127.0.0.1:0")
	clk := &clock{time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)}
	q := &memQueue{}
	queueLetter(t, q, "liming@example.com", clk.now())
	s := &Sender{Queue: q, Relay: addr, Username: "gongkai", Password: "wrong", Logger: quietLogger(), Now: clk.now, Backoff: testBackoff}

	// Wrong credentials are our problem, not the letter's: it waits.
	if _, retried, failed := flush(t, s); retried != 1 || failed != 0 {
		t.Fatalf("bad login: %d retried %d failed", retried, failed)
	}
	if it := q.get(1); !strings.Contains(it.lastErr, "登录中继服务器失败") {
		t.Errorf("last error = %q", it.lastErr)
	}
	// With the right password, a 5xx to DATA fails the letter for good.
	s.Password = "right"
	clk.advance(time.Hour)
	if _, _, failed := flush(t, s); failed != 1 {
		t.Fatalf("DATA 554 not a permanent failure; last error %q", q.get(1).lastErr)
	}
	if it := q.get(1); !strings.Contains(it.lastErr, "554 5.6.0 Content rejected") {
		t.Errorf("last error = %q", it.lastErr)
	}
}

func TestSenderNoRelay(t *testing.T) {
	clk := &clock{time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)}
	q := &memQueue{}
	queueLetter(t, q, "liming@example.com", clk.now())
	s := &Sender{Queue: q, Logger: quietLogger(), Now: clk.now}
	if sent, retried, failed := flush(t, s); sent+retried+failed != 0 {
		t.Fatal("Flush without relay did something")
	}
	if q.dueCalls != 0 || q.get(1).status != "queued" {
		t.Errorf("without relay the item must stay queued and untouched: %d Due calls, status %s", q.dueCalls, q.get(1).status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestSenderCrashBetweenHandoffAndRecord(t *testing.T) {
	be := &testkit.Relay{}
	addr := testkit.StartRelay(t, be, "127.0.0.1:0")
	clk := &clock{time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)}
	q := &memQueue{failSents: 1}
	m := queueLetter(t, q, "liming@example.com", clk.now())
	s := &Sender{Queue: q, Relay: addr, Logger: quietLogger(), Now: clk.now, Backoff: testBackoff}

	// The relay accepted the letter but recording it failed: the pass reports
	// the error and the item stays visible as "sending".
	if _, _, _, err := s.Flush(context.Background()); err == nil {
		t.Fatal("Flush hid the failure to record the hand-off")
	}
	if st := q.get(1).status; st != "sending" {
		t.Fatalf("status after the crash = %s, want sending", st)
	}
	// Restart: the item is queued again and sent again (at least once) …
	q.restart()
	if sent, _, _ := flush(t, s); sent != 1 {
		t.Fatal("not resent after restart")
	}
	// … with the same Message-ID, by which the receiving side de-duplicates.
	msgs := be.Messages()
	if len(msgs) != 2 {
		t.Fatalf("relay got %d copies, want 2", len(msgs))
	}
	for _, r := range msgs {
		if id := parseMail(t, r.Raw).messageID; id != m.MessageID {
			t.Errorf("copy has Message-ID %q, want %q", id, m.MessageID)
		}
	}
	if st := q.get(1).status; st != "sent" {
		t.Errorf("status = %s, want sent", st)
	}
}

func TestSenderRun(t *testing.T) {
	be := &testkit.Relay{}
	addr := testkit.StartRelay(t, be, "127.0.0.1:0")
	q := &memQueue{}
	s := &Sender{Queue: q, Relay: addr, Logger: quietLogger(), Poll: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	// Queued after start: Wake makes the worker look before the next poll.
	queueLetter(t, q, "liming@example.com", time.Now().Add(-time.Second))
	s.Wake()
	select {
	case <-be.Got:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not deliver the queued letter")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{{0, time.Minute}, {1, time.Minute}, {2, 2 * time.Minute}, {5, 16 * time.Minute}, {9, 4 * time.Hour}, {40, 4 * time.Hour}}
	for _, tt := range tests {
		if got := DefaultBackoff(tt.attempt); got != tt.want {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	var total time.Duration
	for a := 1; a < DefaultMaxAttempts; a++ {
		total += DefaultBackoff(a)
	}
	if total < 24*time.Hour || total > 5*24*time.Hour {
		t.Errorf("default schedule gives up after %v; want between 1 and 5 days", total)
	}
}
