package smtpd

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gongkai/caseflow"
)

// streamStore is a StreamReceiver that reports each message as the
// transaction takes it, and fails the transaction when fail is set.
type streamStore struct {
	fakeStore
	taken chan string // Source of each message taken
	fail  error

	mu   sync.Mutex
	txns [][]string
}

func (s *streamStore) ReceiveStream(ctx context.Context, next func() (*caseflow.Incoming, bool)) ([]int64, func() error, error) {
	var got []string
	var ids []int64
	for m, ok := next(); ok; m, ok = next() {
		got = append(got, m.Source)
		ids = append(ids, int64(len(got)))
		s.taken <- m.Source
	}
	if s.fail != nil {
		return nil, nil, s.fail
	}
	s.mu.Lock()
	s.txns = append(s.txns, got)
	s.mu.Unlock()
	return ids, func() error { return nil }, nil
}

// next returns the next message the transaction took.
func (s *streamStore) next(t *testing.T) string {
	t.Helper()
	select {
	case got := <-s.taken:
		return got
	case <-time.After(5 * time.Second):
		t.Fatal("no message taken into a transaction within 5 s")
		return ""
	}
}

// submitAsync submits m as a session does (counted as reading first) and
// returns where its answer arrives.
func submitAsync(c *committer, source string) <-chan result {
	out := make(chan result, 1)
	go func() {
		id, err := c.submit(caseflow.Incoming{Raw: []byte("x"), Source: source})
		out <- result{id, err}
	}()
	return out
}

// TestStreamCommit: the writer takes a message into the open transaction
// as soon as it is handed over, and while another session is still reading
// its message it keeps the transaction open for it (up to the linger),
// rather than waiting for the whole batch before writing anything.
func TestStreamCommit(t *testing.T) {
	tests := []struct {
		name string
		fail error
	}{
		{"commit", nil},
		{"failure answers every message of the transaction", errors.New("disk full")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &streamStore{taken: make(chan string, 10), fail: tt.fail}
			c := newCommitter(s, 0, nil, slog.Default())
			// Long enough that only the sessions decide when the batch
			// ends, short enough for the race that the last message can
			// still be counted as being read when it is taken (the writer
			// then lingers in vain): a minute made the test take one.
			c.linger = 5 * time.Second
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { c.run(ctx); close(done) }()
			defer func() { cancel(); <-done }()

			c.reading.Add(2) // two sessions inside DATA
			a := submitAsync(c, "a")
			if got := s.next(t); got != "a" {
				t.Fatalf("took %q first", got)
			}
			// a is in the transaction while b is still being read.
			select {
			case r := <-a:
				t.Fatalf("a answered (%v) before its transaction ended", r)
			case <-time.After(20 * time.Millisecond):
			}
			b := submitAsync(c, "b")
			if got := s.next(t); got != "b" {
				t.Fatalf("took %q second", got)
			}
			ra, rb := <-a, <-b
			if tt.fail != nil {
				if !errors.Is(ra.err, tt.fail) || !errors.Is(rb.err, tt.fail) {
					t.Errorf("answers %v, %v; want %v for both", ra.err, rb.err, tt.fail)
				}
				return
			}
			if ra.err != nil || rb.err != nil || ra.id != 1 || rb.id != 2 {
				t.Errorf("answers %+v, %+v; want ids 1 and 2", ra, rb)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.txns) != 1 || len(s.txns[0]) != 2 {
				t.Errorf("transactions %v; want [[a b]]", s.txns)
			}
		})
	}
}
