package caseflow

import "sync"

// cpuGate bounds the CPU work done beside the single SQLite writer
// (Prepare, rendering receipts). While a write transaction runs, one
// processor is left for it: when SQLite hands control back to Go, the
// writer must find a processor free, or it waits for the scheduler to
// preempt a parser — up to 10 ms each time — and every session waits with
// it. While nothing is being written, the work may use every processor.
type cpuGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	busy    int // holders
	procs   int // processors
	writers int // write transactions running
}

func newCPUGate(procs int) *cpuGate {
	g := &cpuGate{procs: max(1, procs)}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// limit is how many may hold the gate now.
func (g *cpuGate) limit() int {
	if g.writers > 0 {
		return max(1, g.procs-1)
	}
	return g.procs
}

// acquire waits for a place; release gives it back.
func (g *cpuGate) acquire() {
	g.mu.Lock()
	for g.busy >= g.limit() {
		g.cond.Wait()
	}
	g.busy++
	g.mu.Unlock()
}

func (g *cpuGate) release() {
	g.mu.Lock()
	g.busy--
	g.mu.Unlock()
	g.cond.Signal()
}

// writing marks a write transaction running (on) or ended. Holders already
// inside keep their place; no new one enters beyond the lower limit.
func (g *cpuGate) writing(on bool) {
	g.mu.Lock()
	if on {
		g.writers++
	} else {
		g.writers--
	}
	g.mu.Unlock()
	if !on {
		g.cond.Broadcast()
	}
}
