package caseflow

import (
	"context"
	"testing"
)

// TestContentHash: the content hash leaves out what the mail system adds
// on the way (and only that).
func TestContentHash(t *testing.T) {
	base := "Message-ID: <m@x>\r\nFrom: a@x\r\nSubject: 申请\r\n\r\n申请公开\r\n"
	same := []string{
		"Received: from mx.example by mx2.example;\r\n\tFri, 27 Nov 2026 10:00:00 +0800\r\n" + base,
		"Return-Path: <a@x>\r\nDelivered-To: ysqgk@x\r\n" + base,
		"Message-ID: <m@x>\r\nX-Spam-Status: No, score=0.1\r\nFrom: a@x\r\nAuthentication-Results: mx; spf=pass\r\nSubject: 申请\r\n\r\n申请公开\r\n",
	}
	for _, s := range same {
		if sha([]byte(s)) != sha([]byte(base)) {
			t.Errorf("trace fields changed the hash:\n%s", s)
		}
	}
	differ := []string{
		"Message-ID: <m@x>\r\nFrom: a@x\r\nSubject: 申请２\r\n\r\n申请公开\r\n",
		"Message-ID: <m@x>\r\nFrom: a@x\r\nSubject: 申请\r\n\r\n申请公开。\r\n",
		// A "Received:" line in the body is the body's.
		"Message-ID: <m@x>\r\nFrom: a@x\r\nSubject: 申请\r\n\r\nReceived: x\r\n申请公开\r\n",
		"Message-ID: <m@x>\r\nFrom: a@x\r\nSubject: 申请\r\n\r\n",
	}
	for _, s := range differ {
		if sha([]byte(s)) == sha([]byte(base)) {
			t.Errorf("a different message has the same hash:\n%s", s)
		}
	}
}

// TestDeliveredTwice: the same letter arriving twice with different trace
// fields (by the SMTP listener and the polled mailbox) is stored once.
func TestDeliveredTwice(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	s := newIntake(t, db, labelClassifier{}).Cases
	raw := "Message-ID: <twice@x>\r\nFrom: a@x\r\nSubject: 申请\r\n\r\n申请公开\r\n"
	first, err := s.ReceiveBatch(ctx, []Incoming{{Raw: []byte("Received: by mx1\r\n" + raw)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.ReceiveBatch(ctx, []Incoming{{Raw: []byte("Received: by mx2\r\nReceived: by mx1\r\n" + raw)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first[0] != second[0] {
		t.Errorf("stored twice: ids %d and %d", first[0], second[0])
	}
}
