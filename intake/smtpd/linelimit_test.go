package smtpd

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// chunkConn serves data in reads of at most chunk bytes.
type chunkConn struct {
	net.Conn
	data  string
	chunk int
}

func (c *chunkConn) Read(b []byte) (int, error) {
	if c.data == "" {
		return 0, io.EOF
	}
	n := min(len(b), c.chunk, len(c.data))
	copy(b, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// TestLineLimitConn: lines up to max bytes pass in any chunking; a longer
// one fails with smtp.ErrTooLongLine whether it ends inside one read or
// spans several, and the failure sticks.
func TestLineLimitConn(t *testing.T) {
	const max = 16
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{"short lines", "HELO x\r\nMAIL FROM:<>\r\n", true},
		{"exactly max", strings.Repeat("a", max) + "\n" + strings.Repeat("b", max), true},
		{"one over, ended", strings.Repeat("a", max+1) + "\nok\n", false},
		{"one over, open", "ok\n" + strings.Repeat("a", max+1), false},
		{"long after many short", strings.Repeat("abc\r\n", 50) + strings.Repeat("z", 3*max) + "\r\n", false},
		{"empty", "", true},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 7, 64} {
			c := &lineLimitConn{Conn: &chunkConn{data: tt.data, chunk: chunk}, max: max}
			got, err := io.ReadAll(c)
			if tt.ok {
				if err != nil || string(got) != tt.data {
					t.Errorf("%s (chunk %d): %q, %v; want all data", tt.name, chunk, got, err)
				}
				continue
			}
			if !errors.Is(err, smtp.ErrTooLongLine) {
				t.Errorf("%s (chunk %d): err %v, want ErrTooLongLine", tt.name, chunk, err)
			}
			if _, err := c.Read(make([]byte, 8)); !errors.Is(err, smtp.ErrTooLongLine) {
				t.Errorf("%s (chunk %d): read after the failure: %v", tt.name, chunk, err)
			}
		}
	}
}

// TestTooLongLine: over a real connection, a command line or a message
// line longer than maxLine gets go-smtp's 500 and the connection closes;
// nothing is stored.
func TestTooLongLine(t *testing.T) {
	for _, inData := range []bool{false, true} {
		st := &fakeStore{}
		addr := start(t, &Server{Store: st})
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		r := textproto.NewReader(bufio.NewReader(conn))
		expect := func(code int) string {
			t.Helper()
			_, msg, err := r.ReadResponse(code)
			if err != nil {
				t.Fatalf("in data %v: want %d: %v", inData, code, err)
			}
			return msg
		}
		expect(220)
		if inData {
			io.WriteString(conn, "HELO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n")
			expect(250)
			expect(250)
			expect(250)
			expect(354)
			io.WriteString(conn, "Subject: x\r\n\r\n")
		}
		long := strings.Repeat("a", maxLine+100)
		go io.WriteString(conn, long+"\r\n.\r\n")
		if msg := expect(500); !strings.Contains(msg, "Too long line") {
			t.Errorf("in data %v: 500 %q", inData, msg)
		}
		// go-smtp may say it once more as it closes; then EOF.
		for {
			line, err := r.ReadLine()
			if err != nil {
				break
			}
			if !strings.HasPrefix(line, "500 ") {
				t.Errorf("in data %v: then %q", inData, line)
			}
		}
		conn.Close()
		if n, _ := st.count(); n != 0 {
			t.Errorf("in data %v: %d messages stored", inData, n)
		}
	}
}
