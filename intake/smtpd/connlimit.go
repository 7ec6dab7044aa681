package smtpd

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxConns is how many connections the listener serves at once
// unless configured (Postfix's smtpd runs at most 100 by default too).
const DefaultMaxConns = 100

// capListener serves at most max connections at once. One more is told
// "421" (RFC 5321 §3.8: the server may refuse a connection this way, and
// the sending MTA queues the mail and retries later) and closed at once,
// so that a flood of clients cannot take the memory of the messages they
// hold or the descriptors the rest need.
type capListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	greet   []byte
	log     *slog.Logger
	refused atomic.Int64
	lastLog atomic.Int64 // unix seconds of the last refusal logged
}

func newCapListener(ln net.Listener, max int, domain string, log *slog.Logger) *capListener {
	return &capListener{Listener: ln, max: int64(max), log: log,
		greet: []byte("421 4.7.0 " + domain + " Too many connections, try again later\r\n")}
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &countedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.refuse(c)
	}
}

// refuse answers c 421 and closes it, off the accept loop: a client that
// does not read cannot hold the listener up.
func (l *capListener) refuse(c net.Conn) {
	n := l.refused.Add(1)
	if now := time.Now().Unix(); l.lastLog.Load() < now-60 {
		l.lastLog.Store(now)
		l.log.Warn("too many SMTP connections: refusing with 421", "max", l.max, "refused_so_far", n, "remote", c.RemoteAddr().String())
	}
	go func() {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.Write(l.greet)
		c.Close()
	}()
}

// countedConn gives its place back when closed, once.
type countedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}
