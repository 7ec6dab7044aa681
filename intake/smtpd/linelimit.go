package smtpd

import (
	"bytes"
	"net"

	"github.com/emersion/go-smtp"
)

// go-smtp bounds line length (so that a client cannot fill memory with an
// endless command line) by looking at every byte received, one at a time;
// under load that took ~5% of the server's CPU. Without STARTTLS the
// listener does the same check on the connection with bytes.IndexByte and
// go-smtp's own limit is off; it fails with smtp.ErrTooLongLine, so go-smtp
// answers exactly as it would (500, connection closed). With STARTTLS the
// check must see the decrypted stream, so go-smtp keeps doing it.

// limitListener wraps each accepted connection in a lineLimitConn.
type limitListener struct {
	net.Listener
	max int
}

func (l limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lineLimitConn{Conn: c, max: l.max}, nil
}

// lineLimitConn fails a read once a line (bytes between two LFs) is longer
// than max.
type lineLimitConn struct {
	net.Conn
	max int
	cur int // bytes of the current line so far
}

func (c *lineLimitConn) Read(b []byte) (int, error) {
	if c.cur > c.max {
		return 0, smtp.ErrTooLongLine
	}
	n, err := c.Conn.Read(b)
	p := b[:n]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.cur += len(p)
			break
		}
		if c.cur+i > c.max {
			c.cur += i
			return 0, smtp.ErrTooLongLine
		}
		c.cur = 0
		p = p[i+1:]
	}
	if c.cur > c.max {
		return 0, smtp.ErrTooLongLine
	}
	return n, err
}
