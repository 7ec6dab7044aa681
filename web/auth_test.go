package web

import (
	"testing"
	"time"

	"gongkai"
)

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/staff/cases/GK-2025-000001", "/staff/cases/GK-2025-000001"},
		{"/staff?q=mine", "/staff?q=mine"},
		{"", "/staff"},
		{"https://evil.example/staff", "/staff"},
		{"//evil.example/staff", "/staff"},
		{"/staff\\..\\x", "/staff"},
		{"/api/v1/requests", "/staff"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(2, time.Minute)
	t0 := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true}, {"a", time.Second, true}, {"a", 2 * time.Second, false}, // third in the window
		{"b", 3 * time.Second, true},           // another address has its own count
		{"a", time.Minute + time.Second, true}, // a new window
	}
	for i, s := range steps {
		if got := l.allow(s.key, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s at %v): allow = %v, want %v", i, s.key, s.at, got, s.want)
		}
	}
	if !newRateLimiter(0, time.Minute).allow("x", t0) {
		t.Error("limit 0 must mean no limit")
	}
}

func TestPublicHistoryHidesInternalSteps(t *testing.T) {
	evs := []gongkai.Event{
		{Kind: "registered", At: time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)},
		{Kind: "assigned"}, {Kind: "pii_viewed"}, {Kind: "due_changed"},
		{Kind: "extension_approved", At: time.Date(2025, 3, 20, 2, 0, 0, 0, time.UTC)},
	}
	got := publicHistory(evs)
	if len(got) != 2 || got[0].Label != "申请已收到并登记" || got[1].Label != "答复期限已依法延长" {
		t.Errorf("publicHistory = %+v", got)
	}
	if got[0].At != "2025-03-01 09:00" {
		t.Errorf("time shown as %q, want Beijing time 2025-03-01 09:00", got[0].At)
	}
}
