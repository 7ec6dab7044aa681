// Package store is gongkai's SQLite storage: embedded numbered migrations,
// transactions, and every SQL query of the product. Nothing outside store/
// uses database/sql, so that another backend (PostgreSQL for a city- or
// province-wide deployment) can replace this package alone.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"gongkai"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// The drivers are mattn/go-sqlite3 with the connection settings the DSN
// cannot carry, run on every new connection — so that a connection the pool
// replaces has them too.
const (
	driverName       = "sqlite3_gongkai"
	writerDriverName = "sqlite3_gongkai_writer"
)

func init() {
	// Savepoints (one per message filed in a batch) keep the pages they
	// change in a statement journal; on disk, that journal wrote about twice
	// the message's own size to a temporary file per message taken in. In
	// memory it is a copy of a few pages.
	const tempStore = `PRAGMA temp_store = MEMORY`
	register(driverName, tempStore)
	if err := registerWalBuf(); err != nil {
		panic(err)
	}
	// A checkpoint inside a commit stalls every writer behind it: a
	// connection of its own copies the WAL back into the database after
	// commits (checkpointer), beside the writer, which checkpoints the
	// little left only every ~16 MiB (and so restarts the WAL).
	register(writerDriverName, tempStore, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, walAutocheckpoint),
		fmt.Sprintf(`PRAGMA cache_size = -%d`, writerCacheKiB))
}

// writerCacheKiB is the write connection's page cache. An IMAP batch of
// 200 messages dirties ~8 MiB of pages; with SQLite's default 2 MiB the
// cache spilled them into the WAL in the middle of the transaction, one
// system call per page, inside the single writer (IMAP intake 1,840–2,030
// msgs/s; with 16 MiB 2,370–2,560 at 146 MB peak RSS; 32 MiB was no faster
// and used more).
const writerCacheKiB = 16 << 10

func register(name string, pragmas ...string) {
	sql.Register(name, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range pragmas {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("store: %s: %w", p, err)
			}
		}
		return nil
	}})
}

// DB is an open gongkai database. Writes go through one connection (SQLite has
// one writer; IMMEDIATE transactions avoid upgrade deadlocks), reads through a
// small pool that WAL lets run beside the writer.
type DB struct {
	Path  string
	write *sql.DB
	read  *sql.DB
	ckpt  *checkpointer
	dur   *durability
	// Now is the clock every transaction carries; tests replace it.
	Now func() time.Time
}

// dsn builds the connection string: every pooled connection gets WAL, the busy
// timeout, foreign keys, immediate write transactions and FULL sync. The
// write connection alone runs NORMAL: its commits are made durable by one
// shared fsync of the WAL before Update returns (durable.go; STYLE.md
// habit 4).
func dsn(path string, readOnly bool) string {
	return dsnSync(path, readOnly, "FULL")
}

func dsnSync(path string, readOnly bool, sync string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", sync)
	q.Set("_txlock", "immediate")
	// Each connection keeps its prepared statements: parsing a statement
	// costs more than running most of ours (a 42-column INSERT especially).
	q.Set("_stmt_cache_size", "256")
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_txlock", "deferred")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and applies pending
// migrations. It refuses a database whose schema is newer than this binary.
func Open(ctx context.Context, path string) (*DB, error) {
	// The writer's WAL writes go through the shim that gathers them (walbuf.go).
	w, err := sql.Open(writerDriverName, dsnSync(path, false, "NORMAL")+"&vfs="+walBufVFS)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{Path: path, write: w, Now: time.Now, dur: newDurability(path)}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.dur.wait(db.dur.commit()); err != nil { // the migrations, on disk
		w.Close()
		return nil, err
	}
	// The checkpointer writes pages through the shim that gathers them and
	// reads the WAL with read-ahead (walbuf.go).
	ck, err := sql.Open(driverName, dsn(path, false)+"&vfs="+ckptVFS)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for checkpoints: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	db.ckpt = newCheckpointer(ck)
	r, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		db.ckpt.close()
		w.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db.read = r
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.ckpt != nil {
		db.ckpt.close()
	}
	err := db.write.Close()
	if db.read != nil {
		if e := db.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and _", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{v, e.Name(), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// SchemaVersion is the newest migration this binary knows.
func SchemaVersion() int {
	ms, _ := migrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate applies each pending migration in its own transaction and records it
// (STYLE.md habit 3).
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	var have int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	if latest := SchemaVersion(); have > latest {
		return fmt.Errorf("store: database %s has schema version %d, newer than this gongkai (%d); upgrade gongkai instead of running an older binary", db.Path, have, latest)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: begin migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: apply migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, ts(time.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit migration %s: %w", m.name, err)
		}
	}
	return nil
}

// Tx is one transaction. Now is the moment the transaction started, from the
// DB's clock, so that every row written by one service call carries one time.
type Tx struct {
	tx  *sql.Tx
	ctx context.Context
	Now time.Time
	db  *DB
}

// Update runs fn in a write transaction (BEGIN IMMEDIATE) and commits if fn
// returns nil. One service call = one Update.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	seq, err := db.update(ctx, fn)
	if err != nil {
		return err
	}
	return db.dur.wait(seq)
}

// update runs a write transaction and returns its commit number, not yet
// waited for (durable.go).
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) (seq uint64, err error) {
	return db.run(ctx, db.write, fn)
}

// View runs fn in a read-only transaction on the read pool.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	_, err := db.run(ctx, db.read, fn)
	return err
}

// run runs fn in a transaction of pool; a commit on the write pool gets
// its number for durability.wait.
func (db *DB) run(ctx context.Context, pool *sql.DB, fn func(tx *Tx) error) (seq uint64, err error) {
	stx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: begin: %w", err)
	}
	sctx := ctx
	if pool == db.write {
		// Statements in a write transaction run to the end once begun:
		// with a context that can be cancelled, go-sqlite3 runs every
		// statement on a goroutine of its own and waits for it, a hand-off
		// between threads per statement, a dozen per message filed, in the
		// single writer. The transaction still begins under ctx, and a
		// statement takes microseconds.
		sctx = context.WithoutCancel(ctx)
	}
	tx := &Tx{tx: stx, ctx: sctx, Now: db.Now().UTC(), db: db}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		stx.Rollback()
		return 0, err
	}
	if err := stx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit: %w", err)
	}
	if pool != db.write {
		return 0, nil
	}
	if db.ckpt != nil {
		db.ckpt.kick()
	}
	return db.dur.commit(), nil
}

func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, q, args...)
}

func (tx *Tx) query(q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, q, args...)
}

func (tx *Tx) queryRow(q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, q, args...)
}

// ts formats a timestamp for storage (RFC 3339, UTC, nanoseconds).
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseDate(s string) gongkai.Date {
	d, _ := gongkai.ParseDate(s)
	return d
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// notFound maps sql.ErrNoRows to the domain sentinel.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &gongkai.Error{Kind: gongkai.ENotFound, Message: "未找到" + what, Err: err}
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// Setting returns a settings value, or def when unset.
func (tx *Tx) Setting(key, def string) (string, error) {
	var v string
	err := tx.queryRow(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a settings value.
func (tx *Tx) SetSetting(key, value string) error {
	_, err := tx.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store: set %s: %w", key, err)
	}
	return nil
}

// ForceSchemaVersion records a schema version without applying anything; it
// exists for tests of the newer-schema refusal.
func (tx *Tx) ForceSchemaVersion(v int) error {
	_, err := tx.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'forced', ?)`, v, ts(tx.Now))
	return err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
