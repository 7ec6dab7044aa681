package store

import (
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// checkpointer copies committed WAL frames back into the database file on a
// connection of its own (PRAGMA wal_checkpoint(PASSIVE)), a little after
// each burst of commits, beside the writer: PASSIVE never waits for the
// writer or readers. The write connection still checkpoints itself every
// walAutocheckpoint pages; by then little is left to copy, and a checkpoint
// the writer completes lets its next transaction start the WAL from the
// beginning again. A WAL that only grows costs much more per write (new
// file blocks, zeroed by the file system, as frames are not block-aligned)
// than one reused, and a RESTART from here would hold the writer back (its
// busy handler sleeps in steps of milliseconds).
type checkpointer struct {
	conn  *sql.DB
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	pause time.Duration // at least this long between checkpoints
}

func newCheckpointer(conn *sql.DB) *checkpointer {
	c := &checkpointer{conn: conn, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		pause: 25 * time.Millisecond}
	go c.run()
	return c
}

// kick tells the checkpointer that something was committed.
func (c *checkpointer) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		// Let a burst of commits gather first.
		select {
		case <-c.stop:
			return
		case <-time.After(c.pause):
		}
		if _, err := c.checkpoint(); err != nil {
			slog.Warn("store: WAL checkpoint failed; it is tried again after the next commit", "err", err)
		}
	}
}

// walAutocheckpoint is the WAL length (4 KiB pages, ~16 MiB) at which the
// write connection checkpoints itself.
const walAutocheckpoint = 4096

// checkpoint copies what it can without waiting for anyone, and reports
// whether that was the whole WAL.
func (c *checkpointer) checkpoint() (all bool, err error) {
	var busy, frames, copied int
	ckptBegin()
	if err := c.conn.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return false, fmt.Errorf("store: wal_checkpoint(PASSIVE): %w", err)
	}
	return busy == 0 && frames == copied, nil
}

// close stops the checkpointer; the last connection to close checkpoints
// the rest.
func (c *checkpointer) close() {
	close(c.stop)
	<-c.done
	c.conn.Close()
}
