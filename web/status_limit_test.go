package web

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestLookupLimiterInFlight sends many lookups at once: no more than the
// limit may be checked, and a good one gives its slot back.
func TestLookupLimiterInFlight(t *testing.T) {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	l := newLookupLimiter(10, 10, 15*time.Minute, 100, func() time.Time { return now })
	var (
		mu      sync.Mutex
		granted []*lookupTicket
		wg      sync.WaitGroup
	)
	for range 50 {
		wg.Go(func() {
			if tk, _ := l.acquire("ip:192.0.2.1", "no:GK-2025-000001"); tk != nil {
				mu.Lock()
				granted = append(granted, tk)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(granted) != 10 {
		t.Fatalf("%d of 50 lookups at once checked, want 10", len(granted))
	}
	for _, tk := range granted[:3] {
		l.done(tk, false)
	}
	if tk, _ := l.acquire("ip:192.0.2.1"); tk == nil {
		t.Error("a good lookup did not give its slot back")
	}
}

// TestLookupLimiterEvictsOldest fills the limiter: the oldest window goes.
func TestLookupLimiterEvictsOldest(t *testing.T) {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	l := newLookupLimiter(2, 2, 15*time.Minute, 3, func() time.Time { return now })
	for _, k := range []string{"a", "b", "c", "d"} {
		tk, _ := l.acquire(k)
		l.done(tk, true)
		now = now.Add(time.Second)
	}
	var keys []string
	for k := range l.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"b", "c", "d"}) || l.order.Len() != 3 {
		t.Errorf("keys %v (list %d), want [b c d]", keys, l.order.Len())
	}
}

func TestAddressKey(t *testing.T) {
	for _, tt := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:1::1", "2001:db8:1:1::/64"},
		{"2001:db8:1:1:ffff::9", "2001:db8:1:1::/64"},
		{"not an address", "not an address"},
	} {
		if got := addressKey(tt.ip); got != tt.want {
			t.Errorf("addressKey(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}
