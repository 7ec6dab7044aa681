// Package smtpd is gongkai's SMTP intake: a go-smtp listener that accepts
// mail for the disclosure mailbox and answers 250 to DATA only once the raw
// message is durably committed (STYLE.md habit 5). Each session parses and
// classifies its message first (caseflow's Prepare, when the receiver has
// it); concurrent sessions then share one transaction (group commit) that
// stores the raw message and files it — case, follow-up, bounce… A message
// that was not prepared, or could not be filed, is stored raw in that
// transaction all the same, and caseflow's processor files it later.
package smtpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"gongkai/caseflow"
)

// DefaultAddr is where the listener runs unless configured (issue 4).
const DefaultAddr = "127.0.0.1:2525"

// maxLine is the longest line accepted, commands and message alike.
const maxLine = 1 << 20

// Receiver stores raw messages durably; *caseflow.Service (raw only) and
// *caseflow.Intake (filed in the same write) implement it.
type Receiver interface {
	ReceiveBatch(ctx context.Context, in []caseflow.Incoming, cur *caseflow.Cursor) ([]int64, error)
}

// DeferredReceiver, when the Receiver has it, commits a batch without
// waiting for the disk and returns the wait (*caseflow.Intake): the
// committer starts the next batch while the last one is fsynced, and
// answers its sessions only once durable returns nil.
type DeferredReceiver interface {
	ReceiveBatchDeferred(ctx context.Context, in []caseflow.Incoming, cur *caseflow.Cursor) ([]int64, func() error, error)
}

// StreamReceiver, when the Receiver has it, is a DeferredReceiver that
// takes the batch one message at a time inside the transaction
// (*caseflow.Intake): the committer files the messages already there while
// it lingers for sessions still reading theirs.
type StreamReceiver interface {
	ReceiveStream(ctx context.Context, next func() (*caseflow.Incoming, bool)) ([]int64, func() error, error)
}

// Preparer, when the Receiver has it, parses and classifies a message in
// the session's goroutine before the commit (*caseflow.Intake).
type Preparer interface {
	Prepare(m *caseflow.Incoming)
}

// Server is the SMTP listener. Set the fields, then Listen and Run.
type Server struct {
	Addr     string // host:port; "" = DefaultAddr
	Domain   string // greeting name; "" = localhost
	MaxBytes int64  // largest message accepted; larger ones get 552. 0 = 25 MiB
	// Recipients are the accepted RCPT TO addresses (case-insensitive); an
	// entry "@domain" accepts the whole domain. None = accept every recipient,
	// as a local intake behind the agency's own MTA does.
	Recipients []string
	TLS        *tls.Config // non-nil: offer STARTTLS with this certificate
	Store      Receiver
	Wake       func() // called after each commit (wakes the processor); may be nil
	Log        *slog.Logger
	// MaxBatch caps how many messages one commit takes; 0 = 256.
	MaxBatch int
	// MaxConns caps the connections served at once; one more is answered
	// 421 and closed (connlimit.go). 0 = DefaultMaxConns.
	MaxConns int

	ln    net.Listener
	srv   *smtp.Server
	batch *committer
}

// Listen opens the listening socket, so that the real address (for
// 127.0.0.1:0) is known before Run. Set the fields before calling it.
func (s *Server) Listen() error {
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("smtpd: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.batch = newCommitter(s.Store, s.MaxBatch, s.Wake, s.log())
	return nil
}

// ListenAddr is the address the listener is bound to ("" before Listen).
func (s *Server) ListenAddr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Run serves until ctx ends, then stops accepting, lets sessions in DATA
// finish their commit (up to 10 s) and returns.
func (s *Server) Run(ctx context.Context) error {
	if s.Store == nil {
		return errors.New("smtpd: no store")
	}
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	max := s.MaxBytes
	if max <= 0 {
		max = 25 << 20
	}
	bctx, bcancel := context.WithCancel(context.Background())
	bdone := make(chan struct{})
	go func() { s.batch.run(bctx); close(bdone) }()

	srv := smtp.NewServer(s)
	srv.Domain = s.Domain
	if srv.Domain == "" {
		srv.Domain = "localhost"
	}
	srv.MaxMessageBytes = max
	srv.MaxRecipients = 100
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.TLSConfig = s.TLS
	srv.EnableSMTPUTF8 = true
	// Tolerate over-long lines (RFC 5321 allows 1000): mail is never
	// refused for its shape, but a line is bounded (linelimit.go).
	maxConns := s.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	var ln net.Listener = newCapListener(s.ln, maxConns, srv.Domain, s.log())
	if s.TLS == nil {
		srv.MaxLineLength = 0
		ln = limitListener{Listener: ln, max: maxLine}
	} else {
		srv.MaxLineLength = maxLine
	}
	srv.ErrorLog = slog.NewLogLogger(s.log().Handler(), slog.LevelWarn)
	s.srv = srv

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if serr := srv.Shutdown(sctx); serr != nil && !errors.Is(serr, smtp.ErrServerClosed) {
		srv.Close()
	}
	cancel()
	bcancel()
	<-bdone
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("smtpd: serve: %w", err)
	}
	return nil
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, remote: c.Conn().RemoteAddr().String()}, nil
}

// accepts reports whether rcpt is one of the configured recipients.
func (s *Server) accepts(rcpt string) bool {
	if len(s.Recipients) == 0 {
		return true
	}
	rcpt = strings.ToLower(strings.TrimSpace(rcpt))
	for _, r := range s.Recipients {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == rcpt || (strings.HasPrefix(r, "@") && strings.HasSuffix(rcpt, r)) {
			return true
		}
	}
	return false
}

type session struct {
	s      *Server
	remote string
	from   string
	rcpts  []string
}

func (ss *session) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

var errNoMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.s.accepts(to) {
		return errNoMailbox
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

var errTooLongLine = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0}, Message: "Too long line, closing connection"}

var errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Message not stored, try again later"}

// Data reads the message (go-smtp's reader stops at MaxMessageBytes with
// 552) and returns only when it is committed.
func (ss *session) Data(r io.Reader) error {
	ss.s.batch.reading.Add(1)
	submitted := false
	defer func() {
		if !submitted {
			ss.s.batch.reading.Add(-1)
		}
	}()
	raw, err := readMessage(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			return errTooLongLine // the connection closes after it
		}
		return fmt.Errorf("smtpd: reading message: %w", err)
	}
	m := caseflow.Incoming{Raw: raw, Source: "smtp", Arrived: time.Now()}
	if p, ok := ss.s.Store.(Preparer); ok {
		p.Prepare(&m)
	}
	submitted = true // submit counts the session out of reading
	if _, err := ss.s.batch.submit(m); err != nil {
		ss.s.log().Error("storing received mail", "remote", ss.remote, "from", ss.from, "err", err)
		return errTemporary
	}
	return nil
}

// CloseListener closes the listening socket of a server that Listen opened
// but Run never served (Run closes it itself).
func (s *Server) CloseListener() {
	if s.ln != nil && s.srv == nil {
		s.ln.Close()
	}
}

// readBufs holds scratch buffers for reading messages: io.ReadAll starts at
// 512 bytes and grows by copying, some ten times for a 30 KB letter.
var readBufs = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

// readMessage reads r to the end into a scratch buffer and returns an
// exact-size copy (the scratch goes back to the pool; one that grew past
// 1 MiB for a large message is left to the collector).
func readMessage(r io.Reader) ([]byte, error) {
	buf := readBufs.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(r)
	out := bytes.Clone(buf.Bytes())
	if buf.Cap() <= 1<<20 {
		readBufs.Put(buf)
	}
	return out, err
}
