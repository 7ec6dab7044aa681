package smtpd

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gongkai/caseflow"
)

// committer is the group commit: sessions hand their message over and wait;
// one goroutine takes everything queued, stores it in one transaction and
// answers each waiter. While one commit runs the next batch gathers. When
// other sessions are still reading or parsing a message, it lingers a little
// (at most linger) for them, so that a batch is not cut short just because
// the sessions fell out of step with the commits; with a StreamReceiver the
// transaction is already open then, and each message is filed as it comes.
type committer struct {
	store Receiver
	max   int
	wake  func()
	log   *slog.Logger
	in    chan pending
	// stopped is closed when run ends; later submits fail at once.
	stopped chan struct{}
	// reading counts sessions inside DATA that have not handed their
	// message over yet (reading or parsing it); sessions waiting for an
	// earlier batch to reach the disk do not count.
	reading atomic.Int64
	linger  time.Duration
	// syncing counts committed batches waiting for the disk.
	syncing sync.WaitGroup
}

// defaultLinger bounds the wait for sessions still reading their message.
const defaultLinger = 2 * time.Millisecond

type pending struct {
	msg  caseflow.Incoming
	done chan result
}

type result struct {
	id  int64
	err error
}

var errStopped = errors.New("smtpd: intake stopped")

func newCommitter(s Receiver, max int, wake func(), log *slog.Logger) *committer {
	if max <= 0 {
		max = 256
	}
	return &committer{store: s, max: max, wake: wake, log: log, in: make(chan pending, max), stopped: make(chan struct{}), linger: defaultLinger}
}

// submit stores m with the next batch and returns its id once committed.
// The caller counted itself in c.reading; submit counts it out.
func (c *committer) submit(m caseflow.Incoming) (int64, error) {
	p := pending{msg: m, done: make(chan result, 1)}
	select {
	case c.in <- p:
		c.reading.Add(-1) // after the hand-over, so the batch can count it
	case <-c.stopped:
		c.reading.Add(-1)
		return 0, errStopped
	}
	select {
	case r := <-p.done:
		return r.id, r.err
	case <-c.stopped:
		select {
		case r := <-p.done: // committed in the last batch
			return r.id, r.err
		default:
			return 0, errStopped
		}
	}
}

// run commits batches until ctx ends; then it fails what is still queued
// (those sessions answer 451 and the client retries).
func (c *committer) run(ctx context.Context) {
	batch := make([]pending, 0, c.max)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			c.syncing.Wait() // answer the batches already committed first
			close(c.stopped)
			c.drain()
			return
		case p := <-c.in:
			batch = append(batch, p)
		}
		ids, durable, err := c.receive(&batch)
		if err != nil {
			answer(batch, nil, err)
			continue
		}
		// The sessions hear 250 once the batch is on disk; the writer
		// goes on with the next one meanwhile.
		waiters := slices.Clone(batch)
		c.syncing.Add(1)
		go func() {
			defer c.syncing.Done()
			if err := durable(); err != nil {
				answer(waiters, nil, err)
				return
			}
			answer(waiters, ids, nil)
			if c.wake != nil {
				c.wake()
			}
		}()
	}
}

// more adds to batch what is queued, or what arrives within the linger
// while sessions are still reading a message, and reports whether it
// added one.
func (c *committer) more(batch *[]pending, deadline time.Time) bool {
	if len(*batch) >= c.max {
		return false
	}
	select {
	case p := <-c.in:
		*batch = append(*batch, p)
		return true
	default:
	}
	wait := time.Until(deadline)
	if c.reading.Load() == 0 || wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case p := <-c.in:
		*batch = append(*batch, p)
		return true
	case <-t.C:
		return false
	}
}

// receive commits the batch (one message so far) and what more adds to it;
// durable waits until they are on disk. With a StreamReceiver each message
// is filed as soon as it is taken, so that the lingering overlaps with the
// writing.
func (c *committer) receive(batch *[]pending) (ids []int64, durable func() error, err error) {
	// The commit uses its own context: a message a client is waiting for
	// is either stored or refused, never left half-done by shutdown.
	ctx := context.Background()
	deadline := time.Now().Add(c.linger)
	if s, ok := c.store.(StreamReceiver); ok {
		i := 0
		return s.ReceiveStream(ctx, func() (*caseflow.Incoming, bool) {
			if i == len(*batch) && !c.more(batch, deadline) {
				return nil, false
			}
			i++
			return &(*batch)[i-1].msg, true
		})
	}
	for c.more(batch, deadline) {
	}
	msgs := make([]caseflow.Incoming, len(*batch))
	for i, p := range *batch {
		msgs[i] = p.msg
	}
	if d, ok := c.store.(DeferredReceiver); ok {
		return d.ReceiveBatchDeferred(ctx, msgs, nil)
	}
	ids, err = c.store.ReceiveBatch(ctx, msgs, nil)
	return ids, func() error { return nil }, err
}

func answer(batch []pending, ids []int64, err error) {
	for i, p := range batch {
		if err != nil {
			p.done <- result{err: err}
		} else {
			p.done <- result{id: ids[i]}
		}
	}
}

func (c *committer) drain() {
	for {
		select {
		case p := <-c.in:
			p.done <- result{err: errStopped}
		default:
			return
		}
	}
}
