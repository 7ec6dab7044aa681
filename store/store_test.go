package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestStmtCache: a text run once is prepared after its transaction and
// reused by later ones; a text of several statements is never cached (a
// prepared statement would run only its first).
func TestStmtCache(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const q = `SELECT COUNT(*) FROM cases WHERE status = ?`
	multi := `INSERT INTO settings (key, value) VALUES ('a', '1'); INSERT INTO settings (key, value) VALUES ('b', '2')`
	for i := range 3 {
		err := db.Update(ctx, func(tx *Tx) error {
			var n int
			if err := tx.queryRow(q, "new").Scan(&n); err != nil {
				return err
			}
			if i == 0 {
				_, err := tx.exec(multi)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if db.writeStmts.lookup(q) == nil {
		t.Errorf("%q not cached after three transactions", q)
	}
	if db.writeStmts.lookup(multi) != nil {
		t.Errorf("a text of two statements was cached")
	}
	var a, b string
	err := db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(`SELECT (SELECT value FROM settings WHERE key = 'a'), (SELECT value FROM settings WHERE key = 'b')`).Scan(&a, &b)
	})
	if err != nil || a != "1" || b != "2" {
		t.Errorf("both statements of the text must have run: a=%q b=%q err=%v", a, b, err)
	}
}

// TestStmtCacheConcurrent: transactions that meet texts for the first time
// while others finish and prepare theirs must not wait on each other (the
// preparer once held the cache lock while waiting for the connection that a
// transaction looking up its statements held). A deadlock shows as the test
// binary's timeout.
func TestStmtCacheConcurrent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				q := fmt.Sprintf(`SELECT %d + ?`, (g*60+i)%90) // repeats, so some are cached, some new
				run := db.Update
				if i%3 == 0 {
					run = db.View
				}
				err := run(ctx, func(tx *Tx) error {
					var n int
					if err := tx.queryRow(q, 1).Scan(&n); err != nil {
						return err
					}
					return tx.queryRow(`SELECT 1`).Scan(&n)
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// TestDurability: every Update is followed by a WAL fsync before it returns;
// concurrent ones share fsyncs; UpdateDeferred leaves the wait to its
// caller, and the wait is satisfied by any later fsync.
func TestDurability(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	put := func(tx *Tx, k string) error {
		_, err := tx.exec(`INSERT INTO settings (key, value) VALUES (?, 'v')`, k)
		return err
	}
	before := db.dur.synced
	if err := db.Update(ctx, func(tx *Tx) error { return put(tx, "a") }); err != nil {
		t.Fatal(err)
	}
	if db.dur.synced != db.dur.committed || db.dur.synced != before+1 {
		t.Errorf("after Update: committed %d, synced %d (was %d)", db.dur.committed, db.dur.synced, before)
	}
	wait, err := db.UpdateDeferred(ctx, func(tx *Tx) error { return put(tx, "b") })
	if err != nil {
		t.Fatal(err)
	}
	if db.dur.synced >= db.dur.committed {
		t.Errorf("UpdateDeferred waited for the disk: committed %d, synced %d", db.dur.committed, db.dur.synced)
	}
	if err := wait(); err != nil || db.dur.synced != db.dur.committed {
		t.Errorf("wait: %v; committed %d, synced %d", err, db.dur.committed, db.dur.synced)
	}
	// A failed transaction commits nothing and needs no fsync.
	c := db.dur.committed
	if err := db.Update(ctx, func(tx *Tx) error { return put(tx, "a") }); err == nil {
		t.Error("duplicate key committed")
	}
	if db.dur.committed != c {
		t.Errorf("a rolled-back transaction counted as a commit")
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.Update(ctx, func(tx *Tx) error { return put(tx, fmt.Sprint("k", i)) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if db.dur.synced != db.dur.committed {
		t.Errorf("after concurrent updates: committed %d, synced %d", db.dur.committed, db.dur.synced)
	}
	// The write connection leaves syncing to us; readers and the
	// checkpointer keep FULL.
	var mode int
	if err := db.write.QueryRow(`PRAGMA synchronous`).Scan(&mode); err != nil || mode != 1 {
		t.Errorf("writer synchronous = %d, %v; want 1 (NORMAL)", mode, err)
	}
	if err := db.ckpt.conn.QueryRow(`PRAGMA synchronous`).Scan(&mode); err != nil || mode != 2 {
		t.Errorf("checkpointer synchronous = %d, %v; want 2 (FULL)", mode, err)
	}
}
