package testkit

import (
	"bytes"
	"fmt"
	"testing"
)

// TestAppendPipelined covers the fallback path Append takes on servers
// without MULTIAPPEND (the test Dovecot has it, so Append alone never runs it).
func TestAppendPipelined(t *testing.T) {
	s := IMAP(t)
	mbox := s.TempMailbox(t)
	raw := make([][]byte, appendWindow+10) // crosses the window once
	for i := range raw {
		raw[i] = []byte(fmt.Sprintf("Subject: %d\r\n\r\n正文 %d\r\n", i, i))
	}
	raw[3] = append(bytes.Repeat([]byte("x"), 5000), "\r\n"...) // synchronising literal
	uids, err := s.appendPipelined(mbox, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(uids) != len(raw) {
		t.Fatalf("%d UIDs, want %d", len(uids), len(raw))
	}
	got := s.Messages(t, mbox)
	if len(got) != len(raw) {
		t.Fatalf("%d messages, want %d", len(got), len(raw))
	}
	for i := range raw {
		if got[i].UID != uids[i] || !bytes.Equal(got[i].Raw, raw[i]) {
			t.Fatalf("message %d: UID %d body %q; want UID %d body %q", i, got[i].UID, got[i].Raw, uids[i], raw[i])
		}
	}
}

func TestMultiAppendNonASCIIMailbox(t *testing.T) {
	if _, err := multiAppend("127.0.0.1:1", "u", "p", "收件箱", [][]byte{[]byte("x")}); err != errNoMultiAppend {
		t.Fatalf("multiAppend to a non-ASCII mailbox: err = %v, want errNoMultiAppend", err)
	}
}
