package imappoll

// Faults of real servers, played by go-imap's in-memory server behind a
// session that misbehaves on purpose: no MOVE (and no UIDPLUS), a folder
// missing, a message the server has but will not give, one it refuses,
// a server that stops answering, a failure that repeats after the login.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"gongkai/caseflow"
	"gongkai/store"
)

// faultyServer is an in-memory IMAP server with user u / p.
type faultyServer struct {
	addr   string
	user   *imapmemserver.User
	logins atomic.Int64
	// omit: FETCH answers without this UID; refuse: a FETCH that holds it
	// is answered NO; hangSearch: SEARCH is never answered; failSearch:
	// SEARCH is answered NO.
	omit, refuse           imap.UID
	hangSearch, failSearch atomic.Bool
	// refuseStore: a STORE whose set holds one of these UIDs is answered NO.
	refuseStore atomic.Pointer[[]imap.UID]
	// maxStore is the most UIDs one STORE named.
	maxStore atomic.Int64
}

func (fs faultySession) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, o *imap.StoreOptions) error {
	if set, ok := numSet.(imap.UIDSet); ok {
		if uids, ok := set.Nums(); ok && int64(len(uids)) > fs.s.maxStore.Load() {
			fs.s.maxStore.Store(int64(len(uids)))
		}
		if us := fs.s.refuseStore.Load(); us != nil && slices.ContainsFunc(*us, set.Contains) {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Cannot store flags"}
		}
	}
	return fs.Session.Store(w, numSet, flags, o)
}

type faultySession struct {
	imapserver.Session
	s *faultyServer
}

func (fs faultySession) Login(u, p string) error {
	fs.s.logins.Add(1)
	return fs.Session.Login(u, p)
}

func (fs faultySession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, o *imap.FetchOptions) error {
	if set, ok := numSet.(imap.UIDSet); ok {
		if fs.s.refuse != 0 && set.Contains(fs.s.refuse) {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "The requested message could not be converted to an RFC-822 compatible format."}
		}
		if fs.s.omit != 0 && set.Contains(fs.s.omit) {
			var rest imap.UIDSet
			for _, r := range set {
				for u := r.Start; u <= r.Stop && u != 0; u++ {
					if u != fs.s.omit {
						rest.AddNum(u)
					}
				}
			}
			if len(rest) == 0 {
				return nil
			}
			numSet = rest
		}
	}
	return fs.Session.Fetch(w, numSet, o)
}

func (fs faultySession) Search(k imapserver.NumKind, c *imap.SearchCriteria, o *imap.SearchOptions) (*imap.SearchData, error) {
	if fs.s.hangSearch.Load() {
		select {}
	}
	if fs.s.failSearch.Load() {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "search failed"}
	}
	return fs.Session.Search(k, c, o)
}

// faultyMover is a faultySession that has MOVE.
type faultyMover struct{ faultySession }

func (fm faultyMover) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return fm.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

var (
	capsMove        = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapIdle: {}, imap.CapMove: {}}
	capsUIDPlusOnly = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapIdle: {}}
	capsBare        = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}}
)

func startFaulty(t *testing.T, caps imap.CapSet, set func(*faultyServer), boxes ...string) *faultyServer {
	t.Helper()
	fs := &faultyServer{user: imapmemserver.NewUser("u", "p")}
	if set != nil {
		set(fs)
	}
	ms := imapmemserver.New()
	for _, b := range append([]string{"INBOX"}, boxes...) {
		if err := fs.user.Create(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	ms.AddUser(fs.user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			s := faultySession{Session: ms.NewSession(), s: fs}
			if caps.Has(imap.CapMove) {
				return faultyMover{s}, nil, nil
			}
			return s, nil, nil
		},
		Caps: caps, InsecureAuth: true, Logger: quietLog{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	fs.addr = ln.Addr().String()
	return fs
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return int64(l.Len()) }

func faultMsg(i int) []byte {
	return []byte(fmt.Sprintf("From: a%d@example.org\r\nTo: b@example.org\r\nSubject: test %d\r\nMessage-ID: <fault-%d@example.org>\r\n\r\nbody %d\r\n", i, i, i, i))
}

func (fs *faultyServer) add(t *testing.T, box string, from, to int, flags ...imap.Flag) {
	t.Helper()
	for i := from; i <= to; i++ {
		if _, err := fs.user.Append(box, literal{bytes.NewReader(faultMsg(i))}, &imap.AppendOptions{Flags: flags}); err != nil {
			t.Fatal(err)
		}
	}
}

// flags lists "uid:flags" of a mailbox, or nil when it does not exist.
func (fs *faultyServer) flags(t *testing.T, box string) []string {
	t.Helper()
	c, err := imapclient.DialInsecure(fs.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "p").Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(box, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil || sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	ms, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		fl := make([]string, len(m.Flags))
		for i, f := range m.Flags {
			fl[i] = string(f)
		}
		slices.Sort(fl)
		out = append(out, fmt.Sprintf("%d:%s", m.UID, strings.Join(fl, ",")))
	}
	return out
}

func faultyPoller(fs *faultyServer, s *caseflow.Service) *Poller {
	return &Poller{Addr: fs.addr, Username: "u", Password: "p", TLS: TLSNone, Store: s,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func storedCount(t *testing.T, s *caseflow.Service) int {
	t.Helper()
	var n int
	s.DB.View(context.Background(), func(tx *store.Tx) error { n, _, _ = tx.CountMessages(); return nil })
	return n
}

// TestMoveSafely: the stored messages are moved with MOVE, or without it
// by COPY and, once the copy is confirmed, UID EXPUNGE of exactly them. A
// folder that is missing, or a server without MOVE and UIDPLUS (whose
// EXPUNGE would remove every message anybody marked deleted), deletes
// nothing: the messages are stored and flagged \Seen instead.
func TestMoveSafely(t *testing.T) {
	seen := []string{"1:\\Seen", "2:\\Seen", "3:\\Seen", "4:\\Deleted,\\Seen"}
	for _, tc := range []struct {
		name   string
		caps   imap.CapSet
		folder bool
		inbox  []string // nil: all four moved
	}{
		{"MOVE", capsMove, true, nil},
		{"COPY and UID EXPUNGE", capsUIDPlusOnly, true, nil},
		{"folder missing, MOVE", capsMove, false, seen},
		{"folder missing, COPY", capsUIDPlusOnly, false, seen},
		{"neither MOVE nor UIDPLUS", capsBare, true, seen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var boxes []string
			if tc.folder {
				boxes = []string{"已处理"}
			}
			fs := startFaulty(t, tc.caps, nil, boxes...)
			fs.add(t, "INBOX", 1, 3)
			s := newService(t)
			p := faultyPoller(fs, s)
			p.MoveTo = "已处理"
			if _, err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			// A message somebody marked deleted (not yet expunged) arrives:
			// whatever gongkai does, it stays.
			fs.add(t, "INBOX", 4, 4, imap.FlagDeleted)
			if _, err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := storedCount(t, s); n != 4 {
				t.Errorf("%d stored, want 4", n)
			}
			inbox, done := fs.flags(t, "INBOX"), fs.flags(t, "已处理")
			moved := 0
			if tc.inbox == nil {
				moved = 4
			}
			if !slices.Equal(inbox, tc.inbox) || len(done) != moved {
				t.Errorf("INBOX %v, 已处理 %v; want INBOX %v and %d moved", inbox, done, tc.inbox, moved)
			}
		})
	}
}

// TestUnreadableMessage: a message the server has but answers without its
// body, or refuses (NO), holds up neither the others nor the cursor, and
// is not lost without a word: a note for staff stands in for it, and it
// stays in the mailbox unread and flagged. A message expunged meanwhile
// (gone on a second look) is passed by.
func TestUnreadableMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*faultyServer)
	}{
		{"no body", func(fs *faultyServer) { fs.omit = 2 }},
		{"refused", func(fs *faultyServer) { fs.refuse = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := startFaulty(t, capsMove, tc.set)
			fs.add(t, "INBOX", 1, 3)
			s := newService(t)
			p := faultyPoller(fs, s)
			n, err := p.PollOnce(context.Background())
			if err != nil || n != 3 {
				t.Fatalf("PollOnce: %d, %v; want 3 stored (two messages and a note)", n, err)
			}
			if got, want := fs.flags(t, "INBOX"), []string{"1:\\Seen", "2:\\Flagged", "3:\\Seen"}; !slices.Equal(got, want) {
				t.Errorf("INBOX %v, want %v", got, want)
			}
			var subjects []string
			s.DB.View(context.Background(), func(tx *store.Tx) error {
				ms, _ := tx.Messages()
				for _, m := range ms {
					subjects = append(subjects, m.MessageID)
				}
				return nil
			})
			if !slices.ContainsFunc(subjects, func(id string) bool {
				return strings.HasPrefix(id, "imap-unreadable-") && strings.HasSuffix(id, "-2@gongkai.invalid")
			}) {
				t.Errorf("no note for UID 2 among %v", subjects)
			}
			// The cursor is past it; the next round stores nothing again and
			// leaves it flagged and unread.
			if n, err := p.PollOnce(context.Background()); err != nil || n != 0 {
				t.Errorf("second poll: %d, %v; want 0", n, err)
			}
			if got := fs.flags(t, "INBOX"); !slices.Contains(got, "2:\\Flagged") {
				t.Errorf("after the catch-up: %v", got)
			}
		})
	}
}

// TestServerStopsAnswering: a command the server never answers ends the
// session after the command timeout, instead of hanging the poller.
func TestServerStopsAnswering(t *testing.T) {
	fs := startFaulty(t, capsMove, nil)
	fs.hangSearch.Store(true)
	p := faultyPoller(fs, newService(t))
	p.CommandTimeout = 200 * time.Millisecond
	done := make(chan error, 1)
	go func() { _, err := p.PollOnce(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no answer to SEARCH") {
			t.Errorf("PollOnce: %v, want no answer to SEARCH", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("PollOnce still waiting after 10 s for a server that does not answer")
	}
}

// TestBackoffAfterLogin: a failure that repeats after the login (the
// mailbox can be selected, the search fails) is retried with a growing
// delay, not every MinBackoff.
func TestBackoffAfterLogin(t *testing.T) {
	fs := startFaulty(t, capsMove, nil)
	fs.failSearch.Store(true)
	p := faultyPoller(fs, newService(t))
	p.MinBackoff, p.MaxBackoff = 50*time.Millisecond, time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 1600*time.Millisecond)
	defer cancel()
	p.Run(ctx)
	// 50+100+200+400+800 ms: about 5 logins in 1.6 s; with the delay reset
	// after every login it was 1.6 s / 50 ms = 32.
	if n := fs.logins.Load(); n > 8 {
		t.Errorf("%d logins in 1.6 s with a 50 ms minimum back-off: the delay does not grow", n)
	}
	// The staff pages learn of it (Health), until mail comes in again.
	h := p.Health()
	if h.Failures < 3 || !strings.Contains(h.LastErr, "search failed") || h.Since.IsZero() {
		t.Errorf("health %+v, want the failures and the last error", h)
	}
	fs.failSearch.Store(false)
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		for p.Health().Failures != 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	go func() { time.Sleep(5 * time.Second); cancel() }()
	p.Run(ctx)
	if h := p.Health(); h.Failures != 0 {
		t.Errorf("health %+v after a good round, want no failures", h)
	}
}

// TestUnreadStaysUnread: a stored message that a staff member marks unread
// again in the mailbox stays so while the poller runs: the catch-up (for a
// stop between storing and flagging) runs once a session, not each round.
func TestUnreadStaysUnread(t *testing.T) {
	fs := startFaulty(t, capsMove, nil)
	fs.add(t, "INBOX", 1, 1)
	s := newService(t)
	p := faultyPoller(fs, s)
	p.PollInterval = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after 5 s: %s", what)
			}
		}
	}
	waitFor("message 1 stored and flagged", func() bool { return slices.Equal(fs.flags(t, "INBOX"), []string{"1:\\Seen"}) })
	c, err := imapclient.DialInsecure(fs.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Login("u", "p").Wait()
	c.Select("INBOX", nil).Wait()
	if err := c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	fs.add(t, "INBOX", 2, 2) // a new round takes this one
	waitFor("message 2 stored", func() bool { return storedCount(t, s) == 2 })
	time.Sleep(200 * time.Millisecond) // a few more rounds
	if got := fs.flags(t, "INBOX"); !slices.Equal(got, []string{"1:", "2:\\Seen"}) {
		t.Errorf("INBOX %v; want message 1 left unread", got)
	}
}

// TestRenumberedEmptyMailbox: after the server renumbered an empty
// mailbox, the cursor takes the new UIDVALIDITY (else every round would
// warn and read the mailbox again).
func TestRenumberedEmptyMailbox(t *testing.T) {
	fs := startFaulty(t, capsMove, nil)
	s := newService(t)
	p := faultyPoller(fs, s)
	if _, err := s.ReceiveBatch(context.Background(), nil, &caseflow.Cursor{Mailbox: p.cursorKey(), UIDValidity: 12345, LastUID: 99}); err != nil {
		t.Fatal(err)
	}
	if n, err := p.PollOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("PollOnce: %d, %v", n, err)
	}
	cur, _ := s.IMAPCursor(context.Background(), p.cursorKey())
	if cur.UIDValidity == 12345 || cur.LastUID != 0 {
		t.Errorf("cursor %+v, want the server's UIDVALIDITY from UID 0", cur)
	}
}

// stopAfterFirstBatch polls once and stops right after the first batch is
// committed, before the server is asked to flag or move it.
func stopAfterFirstBatch(t *testing.T, p *Poller) {
	t.Helper()
	errStop := errors.New("stop")
	p.afterBatch = func(int) error { return errStop }
	if _, err := p.PollOnce(context.Background()); !errors.Is(err, errStop) {
		t.Fatalf("first poll: %v, want the stop after the first batch", err)
	}
	p.afterBatch = nil
}

// TestCatchUpAfterStop: a stop between a batch's commit and the server's
// answer leaves exactly the stored messages for the next session's
// catch-up: the message the server would not give stays unread and
// flagged (it was flagged before the commit), and without MOVE an original
// already copied and marked deleted is only expunged, not copied again.
func TestCatchUpAfterStop(t *testing.T) {
	t.Run("unreadable", func(t *testing.T) {
		fs := startFaulty(t, capsMove, func(fs *faultyServer) { fs.refuse = 2 })
		fs.add(t, "INBOX", 1, 3)
		s := newService(t)
		p := faultyPoller(fs, s)
		stopAfterFirstBatch(t, p)
		if _, err := p.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := fs.flags(t, "INBOX"), []string{"1:\\Seen", "2:\\Flagged", "3:\\Seen"}; !slices.Equal(got, want) {
			t.Errorf("INBOX %v, want %v", got, want)
		}
	})
	t.Run("copied before the stop", func(t *testing.T) {
		fs := startFaulty(t, capsUIDPlusOnly, nil, "已处理")
		fs.add(t, "INBOX", 1, 2)
		s := newService(t)
		p := faultyPoller(fs, s)
		p.MoveTo = "已处理"
		errStop := errors.New("stop")
		p.afterBatch = func(int) error { return errStop }
		if _, err := p.PollOnce(context.Background()); !errors.Is(err, errStop) {
			t.Fatalf("first poll: %v", err)
		}
		// The stop came after COPY and \Deleted of message 1, before EXPUNGE.
		c, err := imapclient.DialInsecure(fs.addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Login("u", "p").Wait()
		c.Select("INBOX", nil).Wait()
		if _, err := c.Copy(imap.UIDSetNum(1), "已处理").Wait(); err != nil {
			t.Fatal(err)
		}
		if err := c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		p.afterBatch = nil
		if _, err := p.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if inbox, done := fs.flags(t, "INBOX"), fs.flags(t, "已处理"); len(inbox) != 0 || len(done) != 2 {
			t.Errorf("INBOX %v, 已处理 %v; want both moved, once", inbox, done)
		}
		cur, _ := s.IMAPCursor(context.Background(), p.cursorKey())
		if cur.Pending != "" {
			t.Errorf("pending after the catch-up: %q", cur.Pending)
		}
	})
}

// TestCatchUpRefused: a message the server will not flag stays listed
// (and is tried again each round), the other pending messages are flagged
// and written off the list; a message it will not give, whose \Flagged it
// also refuses, does not hold up the intake.
func TestCatchUpRefused(t *testing.T) {
	fs := startFaulty(t, capsMove, func(fs *faultyServer) { fs.refuse = 7 })
	fs.add(t, "INBOX", 1, 5)
	s := newService(t)
	p := faultyPoller(fs, s)
	stopAfterFirstBatch(t, p)
	fs.refuseStore.Store(&[]imap.UID{3, 7})
	fs.add(t, "INBOX", 6, 7)
	if _, err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := fs.flags(t, "INBOX"), []string{"1:\\Seen", "2:\\Seen", "3:", "4:\\Seen", "5:\\Seen", "6:\\Seen", "7:"}; !slices.Equal(got, want) {
		t.Errorf("INBOX %v, want %v", got, want)
	}
	if n := storedCount(t, s); n != 7 {
		t.Errorf("%d stored, want 7 (six messages and the note for 7)", n)
	}
	cur, _ := s.IMAPCursor(context.Background(), p.cursorKey())
	if cur.Pending != "3" {
		t.Errorf("pending %q, want 3 only", cur.Pending)
	}
	fs.refuseStore.Store(nil)
	if _, err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.IMAPCursor(context.Background(), p.cursorKey()); cur.Pending != "" || !slices.Contains(fs.flags(t, "INBOX"), "3:\\Seen") {
		t.Errorf("once the server agrees: pending %q, INBOX %v", cur.Pending, fs.flags(t, "INBOX"))
	}
}

// TestCatchUpChunks: a pending list of a thousand is flagged in several
// commands, none naming more than 500 messages (Dovecot refuses a UID set
// of 64 KB).
func TestCatchUpChunks(t *testing.T) {
	fs := startFaulty(t, capsMove, nil)
	n := 1003
	fs.add(t, "INBOX", 1, n)
	s := newService(t)
	p := faultyPoller(fs, s)
	p.Batch = n
	stopAfterFirstBatch(t, p)
	if _, err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs.flags(t, "INBOX") {
		if !strings.HasSuffix(f, "\\Seen") {
			t.Fatalf("not flagged after the catch-up: %s", f)
		}
	}
	if m := fs.maxStore.Load(); m > 500 {
		t.Errorf("one STORE named %d messages, want at most 500", m)
	}
}
