package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Durability with a shared fsync (group commit). The write connection runs
// with synchronous=NORMAL: COMMIT writes the transaction's frames to the
// WAL and returns without waiting for the disk. durability then fsyncs the
// WAL file itself, once for every commit made before the fsync began, and
// only then does a write count as durable: Update returns after it, and
// UpdateDeferred hands the wait to its caller, so that the single writer
// can start the next transaction while the disk takes the last one — the
// SMTP listener answers 250 only after that wait (issue 4).
//
// This is as safe as synchronous=FULL: a commit is on disk when its WAL
// frames are; checkpoints (their own connection, synchronous=FULL) sync the
// WAL before copying it into the database and the database after; and a
// crash before the fsync loses only writes that nobody was told were
// stored — SQLite's WAL checksums drop a torn tail on recovery.
type durability struct {
	wal string // the WAL file, fsynced by path (SQLite opens and keeps its own)

	mu        sync.Mutex
	cond      *sync.Cond
	committed uint64 // commits made
	synced    uint64 // commits known to be on disk
	syncing   bool
	dirSynced bool
}

func newDurability(dbPath string) *durability {
	d := &durability{wal: dbPath + "-wal"}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// commit records that a write transaction committed and returns its number.
func (d *durability) commit() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.committed++
	return d.committed
}

// wait returns once commit seq is on disk, fsyncing the WAL if no other
// caller is doing so already; one fsync covers every commit before it.
func (d *durability) wait(seq uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.synced < seq {
		if d.syncing {
			d.cond.Wait()
			continue
		}
		d.syncing = true
		target := d.committed
		syncDir := !d.dirSynced
		d.mu.Unlock()
		err := fsyncPath(d.wal)
		if err == nil && syncDir {
			// The WAL's directory entry, once: a new file must survive too.
			err = fsyncPath(filepath.Dir(d.wal))
		}
		d.mu.Lock()
		d.syncing = false
		d.cond.Broadcast()
		if err != nil {
			return fmt.Errorf("store: making the commit durable: %w", err)
		}
		d.dirSynced = true
		if target > d.synced {
			d.synced = target
		}
	}
	return nil
}

func fsyncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// UpdateDeferred is Update that returns as soon as the transaction has
// committed, before it is on disk: durable waits until it is (and must be
// called before anyone is told the write is stored). Meanwhile the writer
// is free for the next transaction.
func (db *DB) UpdateDeferred(ctx context.Context, fn func(tx *Tx) error) (durable func() error, err error) {
	seq, err := db.update(ctx, fn)
	if err != nil {
		return nil, err
	}
	return func() error { return db.dur.wait(seq) }, nil
}
