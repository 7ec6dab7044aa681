// Command sqlitecommit measures what a SQLite commit of raw-message-sized
// rows costs on this machine, with synchronous=FULL and with NORMAL plus an
// fsync of the WAL beside the writer (how store makes intake durable):
//
//	go run ./bench/sqlitecommit -per 8 -sync FULL
//	go run ./bench/sqlitecommit -per 8 -sync NORMAL -bg
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	per := flag.Int("per", 16, "rows per commit")
	size := flag.Int("size", 30000, "blob bytes")
	sync_ := flag.String("sync", "FULL", "PRAGMA synchronous")
	bg := flag.Bool("bg", false, "fsync the WAL in the background after each commit")
	n := flag.Int("n", 300, "commits")
	flag.Parse()
	dir, err := os.MkdirTemp("", "sqlitecommit-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "t.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous="+*sync_+"&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	db.SetMaxOpenConns(1)
	db.Exec(`PRAGMA wal_autocheckpoint=0`)
	db.Exec(`CREATE TABLE m (id INTEGER PRIMARY KEY, raw BLOB)`)
	blob := make([]byte, *size)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	st, _ := db.Prepare(`INSERT INTO m (raw) VALUES (?)`)
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(0, &ru0)
	t := time.Now()
	var commitWall time.Duration
	var wg sync.WaitGroup
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	syncs := 0
	go func() {
		for {
			select {
			case <-kick:
				if f, err := os.Open(path + "-wal"); err == nil {
					f.Sync()
					f.Close()
				}
				syncs++
			case <-done:
				wg.Done()
				return
			}
		}
	}()
	wg.Add(1)
	for i := 0; i < *n; i++ {
		tx, _ := db.Begin()
		s := tx.Stmt(st)
		for j := 0; j < *per; j++ {
			if _, err := s.Exec(blob); err != nil {
				panic(err)
			}
		}
		c := time.Now()
		if err := tx.Commit(); err != nil {
			panic(err)
		}
		commitWall += time.Since(c)
		if *bg {
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	}
	d := time.Since(t)
	close(done)
	wg.Wait()
	syscall.Getrusage(0, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	rows := *n * *per
	fmt.Printf("%s bg=%v %d rows/commit: %v wall/commit (commit %v), cpu %v/row, %.0f rows/s, %d bg syncs\n", *sync_, *bg, *per, d/time.Duration(*n), commitWall/time.Duration(*n), cpu/time.Duration(rows), float64(rows)/d.Seconds(), syncs)
}
