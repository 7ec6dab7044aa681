package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gongkai"
)

// TestWalBuf: with the write connection's WAL writes gathered (walbuf.go),
// every commit is in the files on disk the moment it returns — another
// connection (plain unix VFS) reads it, and a copy of the database and
// WAL files taken right then, as a crash would leave them, holds it too —
// for transactions smaller and larger than the buffer.
func TestWalBuf(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		sizes []int // raw sizes of the messages stored in one transaction
	}{
		{"one small message", []int{300}},
		{"one message larger than the buffer", []int{300_000}},
		{"small and large mixed", []int{40, 5_000, 130_000, 70, 126_976, 9_000}},
		{"many messages", repeat(2_500, 200)},
	}
	var want [][]byte
	var ids []int64
	for ti, tt := range tests {
		before := walBufFlushes()
		err := db.Update(ctx, func(tx *Tx) error {
			for i, n := range tt.sizes {
				raw := bytes.Repeat([]byte(fmt.Sprintf("%d.%d ", ti, i)), n/4+1)[:n]
				m := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: "smtp", Raw: raw,
					SHA256: fmt.Sprintf("%d-%d", ti, i), Kind: gongkai.KindPending}
				if err := tx.CreateMessage(m); err != nil {
					return err
				}
				want, ids = append(want, raw), append(ids, m.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if walBufFlushes() == before {
			t.Errorf("%s: the write connection's WAL writes did not go through the shim", tt.name)
		}
		// Another connection, on its own file handles, reads the commit.
		check(t, tt.name+", read pool", db, ids, want)
		// So does a copy of the files as they are on disk now.
		dir := t.TempDir()
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(db.Path + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "copy.db"+suffix), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cp, err := Open(ctx, filepath.Join(dir, "copy.db"))
		if err != nil {
			t.Fatalf("%s: opening the copy: %v", tt.name, err)
		}
		check(t, tt.name+", copy of the files", cp, ids, want)
		cp.Close()
	}
}

func repeat(n, times int) []int {
	s := make([]int, times)
	for i := range s {
		s[i] = n
	}
	return s
}

func check(t *testing.T, what string, db *DB, ids []int64, want [][]byte) {
	t.Helper()
	err := db.View(context.Background(), func(tx *Tx) error {
		for i, id := range ids {
			raw, _, err := tx.MessageRaw(id)
			if err != nil {
				return fmt.Errorf("message %d: %w", id, err)
			}
			if !bytes.Equal(raw, want[i]) {
				return fmt.Errorf("message %d: %d bytes read, want the %d stored", id, len(raw), len(want[i]))
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// TestCheckpointShim: the checkpointer, which writes pages through the
// shim and reads the WAL with read-ahead, leaves in the database file
// exactly what was committed — also once the writer has restarted the WAL
// from its beginning, so that new frames sit where the read-ahead saw old
// ones. Each round commits new contents for the same messages, copies the
// WAL back and checks a copy of the database file alone.
func TestCheckpointShim(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
	}{
		// A WAL smaller than the read-ahead window: each checkpoint reads
		// the same offsets as the one before.
		{"small transactions", []int{300, 2_000, 700}},
		{"large transactions", []int{300, 9_000, 40_000, 130_000, 2_000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkpointRounds(t, tt.sizes) })
	}
}

func checkpointRounds(t *testing.T, sizes []int) {
	hits := readAheadHits()
	defer func() {
		if readAheadHits() == hits {
			t.Error("no WAL read was served from the read-ahead window")
		}
	}()
	db := openTest(t)
	ctx := context.Background()
	var ids []int64
	for round := range 30 {
		want := make([][]byte, len(sizes))
		err := db.Update(ctx, func(tx *Tx) error {
			for i, n := range sizes {
				n += round * 4099 * (i + 1) % 6000 // the layout shifts from round to round
				want[i] = bytes.Repeat([]byte(fmt.Sprintf("r%d.%d ", round, i)), n/5+1)[:n]
				if round == 0 {
					m := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: "smtp", Raw: want[i],
						SHA256: fmt.Sprint(i), Kind: gongkai.KindPending}
					if err := tx.CreateMessage(m); err != nil {
						return err
					}
					ids = append(ids, m.ID)
					continue
				}
				if _, err := tx.exec(`UPDATE messages SET raw = ? WHERE id = ?`, want[i], ids[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkpointAll(db); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		dir := t.TempDir()
		b, err := os.ReadFile(db.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copy.db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		cp, err := Open(ctx, filepath.Join(dir, "copy.db"))
		if err != nil {
			t.Fatalf("round %d: opening the copy: %v", round, err)
		}
		check(t, fmt.Sprintf("round %d, database file alone", round), cp, ids, want)
		cp.Close()
	}
}

// checkpointAll runs the checkpointer until the whole WAL is in the
// database file.
func checkpointAll(db *DB) error {
	for range 100 {
		all, err := db.ckpt.checkpoint()
		if err != nil || all {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("the WAL was never copied completely")
}
