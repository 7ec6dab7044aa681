package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigration4 upgrades a database of schema 3 holding a case with a
// pending extension and a drafted answer: who asked for each is taken from
// the history, so that they cannot approve them after the upgrade either.
func TestMigration4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open(driverName, dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
	for _, m := range ms {
		if m.version <= 3 {
			exec(m.sql)
			exec(`INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00Z')`, m.version, m.name)
		}
	}
	cases := []struct {
		no, status string
		pending    int
	}{{"GK-2026-000001", "processing", 1}, {"GK-2026-000002", "drafted", 0}, {"GK-2026-000003", "processing", 0}}
	for i, c := range cases {
		exec(`INSERT INTO cases (id, case_no, query_code, channel, arrived_at, received_on, status, extension_pending, created_at, updated_at)
			VALUES (?, ?, 'q', 'email', '', '2026-11-02', ?, ?, '', '')`, i+1, c.no, c.status, c.pending)
	}
	events := [][3]any{
		{1, "hd", "extension_requested"}, {1, "ap", "extension_refused"}, {1, "hd2", "extension_requested"},
		{2, "hd", "answer_drafted"}, {2, "ap", "answer_returned"}, {2, "hap", "answer_drafted"},
		{3, "hd", "extension_requested"}, // refused long ago: nothing pending
	}
	for _, e := range events {
		exec(`INSERT INTO events (case_id, at, actor, kind) VALUES (?, '', ?, ?)`, e[0], e[1], e[2])
	}
	old.Close()

	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[int64][2]string{1: {"hd2", ""}, 2: {"", "hap"}, 3: {"", ""}}
	for id, w := range want {
		err := db.View(context.Background(), func(tx *Tx) error {
			c, err := tx.CaseByID(id)
			if err != nil {
				return err
			}
			if c.ExtensionBy != w[0] || c.DraftedBy != w[1] {
				t.Errorf("case %d after migration: extension by %q, drafted by %q; want %q, %q", id, c.ExtensionBy, c.DraftedBy, w[0], w[1])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
