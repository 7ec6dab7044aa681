package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Relay is a real go-smtp server on loopback standing in for the agency's
// outgoing mail relay: it records every message it accepts. Set the
// fields before StartRelay.
type Relay struct {
	User, Pass string                     // when set, AUTH PLAIN with these is required
	RejectTo   map[string]*smtp.SMTPError // RCPT replies by address
	DataErr    *smtp.SMTPError            // DATA reply for every message, when set
	TLS        *tls.Config                // STARTTLS offered when set (else AUTH is allowed in clear, loopback only)

	// Got receives a value for each message accepted (buffered; a test
	// that does not read it does not block the relay).
	Got chan struct{}

	mu   sync.Mutex
	msgs []RelayMsg
}

// RelayMsg is one message the relay accepted.
type RelayMsg struct {
	From string
	To   []string
	Raw  []byte
	TLS  bool   // sent over STARTTLS
	User string // the authenticated user
}

// StartRelay serves r on addr ("127.0.0.1:0" for any free port) until the
// test ends and returns the address it listens on.
func StartRelay(t testing.TB, r *Relay, addr string) string {
	t.Helper()
	if r.Got == nil {
		r.Got = make(chan struct{}, 64)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("testkit: relay listening on %s: %v", addr, err)
	}
	s := smtp.NewServer(r)
	s.Domain = "relay.test"
	s.TLSConfig = r.TLS
	s.AllowInsecureAuth = r.TLS == nil
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// Messages returns what the relay accepted so far.
func (r *Relay) Messages() []RelayMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// Wait returns the messages once there are at least n, failing the test
// after 30 s.
func (r *Relay) Wait(t testing.TB, n int) []RelayMsg {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if ms := r.Messages(); len(ms) >= n {
			return ms
		}
		select {
		case <-r.Got:
		case <-deadline:
			t.Fatalf("testkit: relay received %d messages after 30s, want %d", len(r.Messages()), n)
		}
	}
}

// NewSession implements smtp.Backend.
func (r *Relay) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &relaySession{r: r, tls: isTLS}, nil
}

type relaySession struct {
	r    *Relay
	tls  bool
	user string
	cur  RelayMsg
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.r.User || pass != s.r.Pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.User != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = RelayMsg{From: from, TLS: s.tls, User: s.user}
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.r.RejectTo[to]; e != nil {
		return e
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *relaySession) Data(rd io.Reader) error {
	raw, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	if s.r.DataErr != nil {
		return s.r.DataErr
	}
	s.cur.Raw = raw
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, s.cur)
	s.r.mu.Unlock()
	select {
	case s.r.Got <- struct{}{}:
	default:
	}
	return nil
}

func (s *relaySession) Reset()        { s.cur = RelayMsg{} }
func (s *relaySession) Logout() error { return nil }

// SelfSignedTLS returns a server TLS configuration for 127.0.0.1 and a
// client configuration that trusts it.
func SelfSignedTLS(t testing.TB) (server, client *tls.Config) {
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
