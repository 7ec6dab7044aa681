package testkit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockWait bounds how long a test waits for another test's mailbox lock.
const lockWait = 10 * time.Minute

var (
	heldMu sync.Mutex
	held   = map[string]string{} // lock path → name of the test holding it in this process
)

// lockMailbox takes an exclusive lock named by key, shared by every test
// process on this machine (flock on a file in the temp dir), and releases it
// when t ends. Taking a lock that t or a parent of t holds is a no-op.
func lockMailbox(t testing.TB, key string) {
	t.Helper()
	sum := sha256.Sum256([]byte(key))
	dir := filepath.Join(os.TempDir(), "gongkai-testkit-locks")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("testkit: creating lock dir: %v", err)
	}
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+".lock")

	heldMu.Lock()
	if h, ok := held[path]; ok && (h == t.Name() || strings.HasPrefix(t.Name(), h+"/")) {
		heldMu.Unlock()
		return
	}
	heldMu.Unlock()

	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("testkit: opening lock %s: %v", path, err)
	}
	deadline := time.Now().Add(lockWait)
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			t.Fatalf("testkit: locking %s: %v", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			t.Fatalf("testkit: mailbox %q still locked by another test after %v", key, lockWait)
		}
		if !logged {
			t.Logf("testkit: waiting for another test using the same mailbox")
			logged = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	heldMu.Lock()
	held[path] = t.Name()
	heldMu.Unlock()
	t.Cleanup(func() {
		heldMu.Lock()
		delete(held, path)
		heldMu.Unlock()
		f.Close() // closing the last descriptor releases the flock
	})
}

// safeName turns a test name into something usable in a mailbox or file name.
func safeName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
	if len(name) > 60 {
		name = name[:60]
	}
	return name
}

// randomSuffix returns 8 random hex digits.
func randomSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
