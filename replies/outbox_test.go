package replies

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
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

// ---- a real go-smtp server on loopback that records what it receives ----

type received struct {
	from string
	to   []string
	raw  []byte
	tls  bool
	user string
}

type backend struct {
	mu       sync.Mutex
	msgs     []received
	got      chan struct{}
	user     string // when set, AUTH PLAIN with user/pass is required
	pass     string
	rejectTo map[string]*smtp.SMTPError // RCPT replies by address
	dataErr  *smtp.SMTPError            // DATA reply for every message, when set
}

func newBackend() *backend { return &backend{got: make(chan struct{}, 16)} }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, tls: isTLS}, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.msgs)
}

type session struct {
	b    *backend
	tls  bool
	user string
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from, tls: s.tls, user: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.b.rejectTo[to]; e != nil {
		return e
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.raw = raw
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	s.b.got <- struct{}{}
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

// startServer serves be on addr ("127.0.0.1:0" for any port), with STARTTLS
// when tlsCfg is set, and returns the address.
func startServer(t *testing.T, be *backend, tlsCfg *tls.Config, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	s := smtp.NewServer(be)
	s.Domain = "relay.test"
	s.TLSConfig = tlsCfg
	s.AllowInsecureAuth = tlsCfg == nil
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay.test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
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
	serverTLS, clientTLS := selfSigned(t)
	be := newBackend()
	be.user, be.pass = "gongkai", "s3cret"
	addr := startServer(t, be, serverTLS, "127.0.0.1:0")

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
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("relay got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.tls || got.user != "gongkai" {
		t.Errorf("relay session: tls %v user %q, want STARTTLS and AUTH", got.tls, got.user)
	}
	if got.from != "gongkai@zjj.qingshan.gov.cn" || len(got.to) != 1 || got.to[0] != "liming@example.com" {
		t.Errorf("envelope = %s → %v", got.from, got.to)
	}

	// What arrived reads back as what was written: Chinese text, subject,
	// attachment names and contents, threading headers.
	p := parseMail(t, got.raw)
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
	be := newBackend()
	startServer(t, be, nil, addr)
	clk.advance(testBackoff(2))
	if sent, _, _ := flush(t, s); sent != 1 {
		t.Fatalf("relay up: not sent; last error %q", q.get(1).lastErr)
	}
	clk.advance(24 * time.Hour)
	if sent, retried, failed := flush(t, s); sent+retried+failed != 0 {
		t.Fatalf("a further pass did something: %d %d %d", sent, retried, failed)
	}
	if n := len(be.messages()); n != 1 {
		t.Fatalf("relay got %d copies, want exactly 1", n)
	}
	if it := q.get(1); it.status != "sent" || it.Attempts != 3 {
		t.Errorf("item = %s after %d attempts", it.status, it.Attempts)
	}
}

func TestSenderFailures(t *testing.T) {
	be := newBackend()
	be.rejectTo = map[string]*smtp.SMTPError{
		"nobody@example.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"},
		"full@example.com":   {Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"},
	}
	addr := startServer(t, be, nil, "127.0.0.1:0")
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
	if msgs := be.messages(); len(msgs) != 1 || msgs[0].to[0] != "liming@example.com" {
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
	be := newBackend()
	be.dataErr = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Content rejected"}
	be.user, be.pass = "gongkai", "right"
	addr := startServer(t, be, nil, "127.0.0.1:0")
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
	be := newBackend()
	addr := startServer(t, be, nil, "127.0.0.1:0")
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
	msgs := be.messages()
	if len(msgs) != 2 {
		t.Fatalf("relay got %d copies, want 2", len(msgs))
	}
	for _, r := range msgs {
		if id := parseMail(t, r.raw).messageID; id != m.MessageID {
			t.Errorf("copy has Message-ID %q, want %q", id, m.MessageID)
		}
	}
	if st := q.get(1).status; st != "sent" {
		t.Errorf("status = %s, want sent", st)
	}
}

func TestSenderRun(t *testing.T) {
	be := newBackend()
	addr := startServer(t, be, nil, "127.0.0.1:0")
	q := &memQueue{}
	s := &Sender{Queue: q, Relay: addr, Logger: quietLogger(), Poll: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	// Queued after start: Wake makes the worker look before the next poll.
	queueLetter(t, q, "liming@example.com", time.Now().Add(-time.Second))
	s.Wake()
	select {
	case <-be.got:
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
