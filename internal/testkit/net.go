package testkit

import (
	"net"
	"testing"
)

// FreeAddr returns a 127.0.0.1:port that was free a moment ago. Another
// process may take it before the caller listens; prefer listening on
// 127.0.0.1:0 where the code under test allows it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: finding a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("testkit: releasing %s: %v", addr, err)
	}
	return addr
}
