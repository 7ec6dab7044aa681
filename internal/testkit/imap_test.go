package testkit_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"gongkai/internal/testkit"
)

// message builds a CRLF message; pad makes the body at least that many bytes,
// so that large messages take the synchronising-literal path of APPEND.
func message(subject string, pad int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: =?UTF-8?B?5byg5LiJ?= <zhangsan@qq.example>\r\n")
	fmt.Fprintf(&b, "To: ysqgk@zjj.xigong.example\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: Mon, 03 Mar 2025 09:00:00 +0800\r\n")
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString("申请公开本局2024年棚户区改造项目的征收补偿方案。\r\n")
	for b.Len() < pad {
		b.WriteString("政府信息公开申请测试填充行。\r\n")
	}
	return b.Bytes()
}

func TestIMAPRoundTrip(t *testing.T) {
	s := testkit.IMAP(t)
	mbox := s.TempMailbox(t)
	want := [][]byte{
		message("small", 0),
		message("large", 20000), // > 4096 bytes: a synchronising literal
		message("third", 100),
	}
	uids := s.Append(t, mbox, want...)
	if len(uids) != len(want) {
		t.Fatalf("Append returned %d UIDs, want %d", len(uids), len(want))
	}
	for i := 1; i < len(uids); i++ {
		if uids[i] <= uids[i-1] {
			t.Errorf("UIDs not increasing: %v", uids)
		}
	}
	got := s.Messages(t, mbox)
	if len(got) != len(want) {
		t.Fatalf("Messages returned %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].UID != uids[i] {
			t.Errorf("message %d: UID %d, want %d", i, got[i].UID, uids[i])
		}
		if !bytes.Equal(got[i].Raw, want[i]) {
			t.Errorf("message %d: body differs (got %d bytes, want %d)", i, len(got[i].Raw), len(want[i]))
		}
		for _, f := range got[i].Flags {
			if f == imap.FlagSeen {
				t.Errorf("message %d: Messages set \\Seen", i)
			}
		}
	}
}

func TestIMAPWrongPassword(t *testing.T) {
	s := testkit.IMAP(t)
	s.Password += "-wrong"
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	err = c.Login(s.User, s.Password).Wait()
	var imapErr *imap.Error
	if !errors.As(err, &imapErr) {
		t.Fatalf("LOGIN with a wrong password: err = %v, want an IMAP NO", err)
	}
}

func TestResetMailboxINBOX(t *testing.T) {
	s := testkit.IMAP(t)
	s.ResetMailbox(t, "INBOX")
	s.Append(t, "INBOX", message("a", 0), message("b", 0))
	if n := len(s.Messages(t, "INBOX")); n != 2 {
		t.Fatalf("INBOX has %d messages after 2 appends to an empty INBOX, want 2", n)
	}
	s.ResetMailbox(t, "INBOX") // the same test may reset again: the lock is its own
	if n := len(s.Messages(t, "INBOX")); n != 0 {
		t.Fatalf("INBOX has %d messages after ResetMailbox, want 0", n)
	}
}

func TestResetMailboxOther(t *testing.T) {
	s := testkit.IMAP(t)
	name := "testkit-reset-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	t.Cleanup(func() {
		if err := s.Dial(t).Delete(name).Wait(); err != nil {
			t.Errorf("deleting %s: %v", name, err)
		}
	})
	s.ResetMailbox(t, name) // creates it
	s.Append(t, name, message("a", 0))
	s.ResetMailbox(t, name)
	if n := len(s.Messages(t, name)); n != 0 {
		t.Fatalf("%s has %d messages after ResetMailbox, want 0", name, n)
	}
}

// TestIMAPIdle checks that the server pushes new mail to an IDLE session:
// the poller relies on it.
func TestIMAPIdle(t *testing.T) {
	s := testkit.IMAP(t)
	mbox := s.TempMailbox(t)
	exists := make(chan uint32, 16)
	c := s.DialWith(t, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					exists <- *data.NumMessages
				}
			},
		},
	})
	if _, err := c.Select(mbox, nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("IDLE: %v", err)
	}
	s.Append(t, mbox, message("pushed", 0))
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d, want 1", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no EXISTS pushed during IDLE within 30s")
	}
	if err := idle.Close(); err != nil {
		t.Fatalf("closing IDLE: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("IDLE ended with: %v", err)
	}
}

// TestAppendMany appends enough messages to cross the pipelining window
// several times and checks that all arrive in order.
func TestAppendMany(t *testing.T) {
	s := testkit.IMAP(t)
	mbox := s.TempMailbox(t)
	const n = 1000
	raw := make([][]byte, n)
	for i := range raw {
		raw[i] = message(fmt.Sprintf("msg %04d", i), 0)
	}
	uids := s.Append(t, mbox, raw...)
	if len(uids) != n {
		t.Fatalf("Append returned %d UIDs, want %d", len(uids), n)
	}
	got := s.Messages(t, mbox)
	if len(got) != n {
		t.Fatalf("mailbox has %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if !bytes.Equal(m.Raw, raw[i]) {
			t.Fatalf("message %d out of order or altered", i)
		}
	}
}

// BenchmarkAppend measures pipelined APPEND throughput: b.N messages in one
// Append call (go test -bench Append -benchtime 10000x ./internal/testkit).
func BenchmarkAppend(b *testing.B) {
	s := testkit.IMAP(b)
	mbox := s.TempMailbox(b)
	msg := message("bench", 2000)
	raw := make([][]byte, b.N)
	for i := range raw {
		raw[i] = msg
	}
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	s.Append(b, mbox, raw...)
}
