package caseflow

import (
	"testing"
	"time"
)

// TestCPUGate: every processor while nothing is written, one fewer (at
// least one) while a write runs; holders already inside keep their place,
// and the end of a write lets a waiter in.
func TestCPUGate(t *testing.T) {
	for _, tt := range []struct{ procs, idle, writing int }{{1, 1, 1}, {2, 2, 1}, {4, 4, 3}} {
		g := newCPUGate(tt.procs)
		if got := g.limit(); got != tt.idle {
			t.Errorf("%d procs, no writer: limit %d, want %d", tt.procs, got, tt.idle)
		}
		g.writing(true)
		if got := g.limit(); got != tt.writing {
			t.Errorf("%d procs, writing: limit %d, want %d", tt.procs, got, tt.writing)
		}
		g.writing(false)
	}

	g := newCPUGate(2)
	g.acquire()
	g.acquire() // both processors while nothing is written
	g.writing(true)
	g.release() // one holder left: at the writing limit
	entered := make(chan struct{})
	go func() { g.acquire(); close(entered) }()
	select {
	case <-entered:
		t.Fatal("a second holder entered while a write runs")
	case <-time.After(50 * time.Millisecond):
	}
	g.writing(false)
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the end of the write did not let the waiter in")
	}
	if g.busy != 2 {
		t.Errorf("busy %d, want 2", g.busy)
	}
}
