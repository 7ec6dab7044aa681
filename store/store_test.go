package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gongkai"
)

// TestStmtCache: every connection caches its prepared statements (the
// driver's _stmt_cache_size), and a text of several statements still runs
// whole when it is run again (a cached statement must not stand for only
// its first).
func TestStmtCache(t *testing.T) {
	for _, ro := range []bool{false, true} {
		if d := dsn("x.db", ro); !strings.Contains(d, "_stmt_cache_size=256") {
			t.Errorf("dsn(readOnly=%v) = %s, want a statement cache", ro, d)
		}
	}
	db := openTest(t)
	ctx := context.Background()
	multi := `INSERT OR REPLACE INTO settings (key, value) VALUES ('a', ?); INSERT OR REPLACE INTO settings (key, value) VALUES ('b', ?)`
	for i := range 3 {
		err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(multi, fmt.Sprint("a", i), fmt.Sprint("b", i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var a, b string
		err = db.View(ctx, func(tx *Tx) error {
			return tx.queryRow(`SELECT (SELECT value FROM settings WHERE key = 'a'), (SELECT value FROM settings WHERE key = 'b')`).Scan(&a, &b)
		})
		if err != nil || a != fmt.Sprint("a", i) || b != fmt.Sprint("b", i) {
			t.Errorf("run %d: both statements of the text must have run: a=%q b=%q err=%v", i, a, b, err)
		}
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

// TestDedupe: a message is found again by Message-ID + SHA-256 whether it
// has a Message-ID or not, and each lookup goes through the index made for
// it (migration 0003), never a scan of every message.
func TestDedupe(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	msgs := []*gongkai.Message{
		{Channel: gongkai.ChannelEmail, Raw: []byte("a"), SHA256: "sha-a", MessageID: "a@example", Kind: gongkai.KindPending},
		{Channel: gongkai.ChannelEmail, Raw: []byte("b"), SHA256: "sha-b", MessageID: "", Kind: gongkai.KindPending},
	}
	err := db.Update(ctx, func(tx *Tx) error {
		for _, m := range msgs {
			if err := tx.CreateMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		msgID, sha string
		want       int64
		index      string
	}{
		{"a@example", "sha-a", msgs[0].ID, "messages_msgid"},
		{"a@example", "sha-b", 0, "messages_msgid"}, // same Message-ID, other content
		{"", "sha-b", msgs[1].ID, "messages_sha_noid"},
		{"", "sha-a", 0, "messages_sha_noid"},
		{"b@example", "sha-b", 0, "messages_msgid"},
	}
	for _, tt := range tests {
		var got int64
		var exists bool
		var plan []string
		err := db.View(ctx, func(tx *Tx) error {
			var err error
			if got, err = tx.MessageIDFor(tt.msgID, tt.sha); err != nil {
				return err
			}
			if exists, err = tx.MessageExists(tt.msgID, tt.sha); err != nil {
				return err
			}
			plan, err = queryPlan(tx, `SELECT id FROM `+dedupeFrom(tt.msgID), tt.msgID, tt.sha)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want || exists != (tt.want != 0) {
			t.Errorf("lookup (%q, %q) = %d, exists %v; want %d", tt.msgID, tt.sha, got, exists, tt.want)
		}
		if p := strings.Join(plan, "; "); !strings.Contains(p, "INDEX "+tt.index+" ") {
			t.Errorf("lookup (%q, %q): plan %q, want it to use %s", tt.msgID, tt.sha, p, tt.index)
		}
	}
}

// TestTempStore: every connection keeps statement journals (one per
// savepoint) in memory, not in temporary files, and the write connection
// has its checkpoint interval — set on connecting, so a replaced
// connection has them too.
func TestTempStore(t *testing.T) {
	db := openTest(t)
	for name, c := range map[string]interface {
		QueryRow(string, ...any) *sql.Row
	}{"write": db.write, "read": db.read, "checkpoint": db.ckpt.conn} {
		var mode int
		if err := c.QueryRow(`PRAGMA temp_store`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != 2 {
			t.Errorf("%s connection: temp_store = %d, want 2 (MEMORY)", name, mode)
		}
	}
	// The writer checkpoints itself rarely; the checkpointer does the rest.
	var pages int
	if err := db.write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != walAutocheckpoint {
		t.Errorf("write connection: wal_autocheckpoint = %d, %v; want %d", pages, err, walAutocheckpoint)
	}
	// The writer's cache holds a whole IMAP batch without spilling.
	var cache int
	if err := db.write.QueryRow(`PRAGMA cache_size`).Scan(&cache); err != nil || cache != -writerCacheKiB {
		t.Errorf("write connection: cache_size = %d, %v; want -%d", cache, err, writerCacheKiB)
	}
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN for q.
func queryPlan(tx *Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// benchWrite runs fill in one write transaction of a fresh database, then
// each benchmark iteration's op (given its number) inside a second one, as
// intake's single writer runs them.
func benchWrite(b *testing.B, fill func(tx *Tx) error, op func(tx *Tx, i int) error) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(b.Context(), fill); err != nil {
		b.Fatal(err)
	}
	i := 0
	err = db.Update(b.Context(), func(tx *Tx) error {
		for b.Loop() {
			i++
			if err := op(tx, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDedupe is the de-duplication look-up intake makes for every
// message inside the write transaction, over 5,000 stored messages.
func BenchmarkDedupe(b *testing.B) {
	benchWrite(b, func(tx *Tx) error {
		for i := range 5000 {
			m := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: "smtp", Raw: []byte("x"), SHA256: fmt.Sprint(i),
				MessageID: fmt.Sprintf("m%d@example.org", i), Kind: gongkai.KindRequest}
			if err := tx.CreateMessage(m); err != nil {
				return err
			}
		}
		return nil
	}, func(tx *Tx, i int) error {
		_, err := tx.MessageIDFor(fmt.Sprintf("new%d@example.org", i), "sha")
		return err
	})
}

// BenchmarkPriorCases is the repeat check's look-up for an applicant with
// no earlier case (the usual one), inside the write transaction, over 5,000
// cases.
func BenchmarkPriorCases(b *testing.B) {
	benchWrite(b, func(tx *Tx) error {
		for i := range 5000 {
			c := &gongkai.Case{No: gongkai.CaseNo(2026, int64(i+1)), QueryCode: "Q", Channel: gongkai.ChannelEmail, Status: gongkai.StatusProcessing,
				Applicant: gongkai.Applicant{Name: fmt.Sprintf("申请人%d", i%300), IDNumber: fmt.Sprintf("ID%06d", i)}}
			if err := tx.CreateCase(c, ""); err != nil {
				return err
			}
		}
		return nil
	}, func(tx *Tx, i int) error {
		if cs, err := tx.PriorCases(fmt.Sprintf("NEW%06d", i), "", 50); err != nil || len(cs) != 0 {
			return fmt.Errorf("%d, %v", len(cs), err)
		}
		return nil
	})
}

// TestCaseFilterToDo: a handler's to-do list takes the 股室's unassigned
// cases too; a leader's takes what awaits a decision.
func TestCaseFilterToDo(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mk := func(no, dept, assignee string, st gongkai.Status, extPending bool) {
		t.Helper()
		if err := db.Update(t.Context(), func(tx *Tx) error {
			return tx.CreateCase(&gongkai.Case{No: no, QueryCode: "Q", Channel: gongkai.ChannelWeb, Status: st, Department: dept,
				Assignee: assignee, ExtensionPending: extPending}, "")
		}); err != nil {
			t.Fatal(err)
		}
	}
	mk("GK-2026-000001", "办公室", "h1", gongkai.StatusProcessing, false)
	mk("GK-2026-000002", "办公室", "", gongkai.StatusProcessing, false)
	mk("GK-2026-000003", "规划股", "", gongkai.StatusProcessing, false)
	mk("GK-2026-000004", "办公室", "h2", gongkai.StatusDrafted, false)
	mk("GK-2026-000005", "规划股", "h3", gongkai.StatusProcessing, true)
	nos := func(f CaseFilter) []string {
		var out []string
		db.View(t.Context(), func(tx *Tx) error {
			cs, err := tx.Cases(f)
			for _, c := range cs {
				out = append(out, c.No[len(c.No)-1:])
			}
			return err
		})
		return out
	}
	if got := nos(CaseFilter{Assignee: "h1", AssigneeOrDept: "办公室"}); strings.Join(got, ",") != "2,1" {
		t.Errorf("h1's to-do: %v, want 2,1", got)
	}
	if got := nos(CaseFilter{AwaitingApproval: true}); strings.Join(got, ",") != "5,4" {
		t.Errorf("awaiting a decision: %v, want 5,4", got)
	}
}

// TestCaseFilterSearch: the search words are taken literally (% and _ are
// not wildcards), and CountCases counts what Cases lists, past its limit.
func TestCaseFilterSearch(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, desc := range []string{"补贴50%的名单", "500户的名单", "a_b 路段", "axb 路段", `C:\x 目录`} {
		if err := db.Update(t.Context(), func(tx *Tx) error {
			return tx.CreateCase(&gongkai.Case{No: fmt.Sprintf("GK-2026-%06d", i+1), QueryCode: "Q", Channel: gongkai.ChannelWeb,
				Status: gongkai.StatusProcessing, Description: desc}, "")
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		query string
		want  int
	}{{"50%", 1}, {"a_b", 1}, {`C:\x`, 1}, {"名单", 2}, {"", 5}} {
		db.View(t.Context(), func(tx *Tx) error {
			cs, err := tx.Cases(CaseFilter{Query: tt.query, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			n, err := tx.CountCases(CaseFilter{Query: tt.query, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want || len(cs) != min(1, tt.want) {
				t.Errorf("search %q: %d counted, %d listed; want %d counted", tt.query, n, len(cs), tt.want)
			}
			return nil
		})
	}
}
