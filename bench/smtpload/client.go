package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"time"
)

// The load client speaks SMTP itself instead of using go-smtp's client:
// that client dot-stuffs every message byte by byte while sending, and on
// two shared cores the load generator's CPU is taken from the server it
// measures. Here each message is dot-stuffed once, before the clock
// starts, and written in one call; MAIL, RCPT and DATA go in one
// PIPELINING group (RFC 2920). Both servers are measured with this client.

// prepare readies a message for the chosen client before the clock starts:
// dot-stuffed for DATA, CRLF line ends only for BDAT.
func prepare(raw []byte) []byte {
	if useBDAT {
		return crlf(raw)
	}
	return stuff(raw)
}

// crlf returns raw with every line ending in CRLF, as BDAT sends it.
func crlf(raw []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(raw) + len(raw)/64 + 2)
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\n' && (i == 0 || raw[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(raw[i])
	}
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// stuff returns a message ready for DATA: CRLF line ends, leading dots
// doubled, ending with the <CRLF>.<CRLF> terminator.
func stuff(raw []byte) []byte {
	b := crlf(raw)
	if bytes.HasPrefix(b, []byte(".")) {
		b = append([]byte("."), b...)
	}
	b = bytes.ReplaceAll(b, []byte("\r\n."), []byte("\r\n.."))
	return append(b, ".\r\n"...)
}

// loadClient is one SMTP connection of the load.
type loadClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialLoad(addr string) (*loadClient, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c := &loadClient{conn: conn, r: bufio.NewReaderSize(conn, 4096)}
	if err := c.expect(220); err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if _, err := conn.Write([]byte("EHLO load.example\r\n")); err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.expect(250); err != nil {
		conn.Close()
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	return c, nil
}

var envelope = []byte("MAIL FROM:<sender@mail.example>\r\nRCPT TO:<ysqgk@zjj.xigong.example>\r\nDATA\r\n")

// send transfers one stuffed message and waits for the server's answer.
func (c *loadClient) send(stuffed []byte) error {
	if _, err := c.conn.Write(envelope); err != nil {
		return err
	}
	for _, code := range []int{250, 250, 354} {
		if err := c.expect(code); err != nil {
			return err
		}
	}
	if _, err := c.conn.Write(stuffed); err != nil {
		return err
	}
	return c.expect(250)
}

// sendBDAT transfers one message with CHUNKING (RFC 3030): MAIL, RCPT and
// "BDAT size LAST" with the message itself in one write, then the three
// answers; no round trip waits for 354.
func (c *loadClient) sendBDAT(msg []byte) error {
	out := make([]byte, 0, len(envelope)+len(msg)+32)
	out = append(out, envelope[:len(envelope)-len("DATA\r\n")]...)
	out = fmt.Appendf(out, "BDAT %d LAST\r\n", len(msg))
	out = append(out, msg...)
	if _, err := c.conn.Write(out); err != nil {
		return err
	}
	for _, code := range []int{250, 250, 250} {
		if err := c.expect(code); err != nil {
			return err
		}
	}
	return nil
}

func (c *loadClient) quit() {
	c.conn.Write([]byte("QUIT\r\n"))
	c.expect(221)
	c.conn.Close()
}

// expect reads one (possibly multi-line) reply and checks its code.
func (c *loadClient) expect(code int) error {
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 {
			return fmt.Errorf("short reply %q", line)
		}
		var got int
		if _, err := fmt.Sscanf(line[:3], "%d", &got); err != nil {
			return fmt.Errorf("bad reply %q", line)
		}
		if got != code {
			return fmt.Errorf("want %d, got %s", code, strings.TrimSpace(line))
		}
		if line[3] != '-' {
			return nil
		}
	}
}
