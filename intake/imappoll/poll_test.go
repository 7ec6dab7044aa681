package imappoll

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"gongkai/caseflow"
	"gongkai/internal/testkit"
	"gongkai/store"
	"gongkai/workday"
)

// corpus reads the dev corpus raw messages and their Message-IDs.
func corpus(t testing.TB) ([][]byte, []string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(testkit.CorpusDir(t, "dev"), "*.eml"))
	sort.Strings(files)
	var raws [][]byte
	var ids []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
		ids = append(ids, caseflow.HeaderMessageID(raw))
	}
	if len(raws) < 40 {
		t.Fatalf("corpus: %d messages", len(raws))
	}
	return raws, ids
}

func newService(t testing.TB) *caseflow.Service {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &caseflow.Service{DB: db, Cal: workday.New()}
}

func newPoller(srv testkit.IMAPServer, box string, s *caseflow.Service) *Poller {
	return &Poller{Addr: srv.Addr, Username: srv.User, Password: srv.Password, Mailbox: box, TLS: TLSNone,
		Store: s, Batch: 7, PollInterval: 200 * time.Millisecond, MinBackoff: 10 * time.Millisecond}
}

// checkOnce asserts each Message-ID is stored exactly once.
func checkOnce(t testing.TB, s *caseflow.Service, ids []string) {
	t.Helper()
	s.DB.View(context.Background(), func(tx *store.Tx) error {
		copies, err := tx.MessageCopies(ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if copies[id] != 1 {
				t.Errorf("%s stored %d times, want once", id, copies[id])
			}
		}
		total, _, _ := tx.CountMessages()
		if total != len(ids) {
			t.Errorf("%d messages stored, want %d", total, len(ids))
		}
		return nil
	})
}

// TestPollInterrupted loads the corpus into a fresh mailbox, stops the
// poller right after its first batch commits (before flagging), polls again,
// and finds every message exactly once, the cursor at the last UID and
// every message \Seen.
func TestPollInterrupted(t *testing.T) {
	srv := testkit.IMAP(t)
	box := srv.TempMailbox(t)
	raws, ids := corpus(t)
	uids := srv.Append(t, box, raws...)
	s := newService(t)

	p := newPoller(srv, box, s)
	errCrash := errors.New("crash")
	batches := 0
	p.afterBatch = func(int) error { batches++; return errCrash } // after commit, before \Seen
	if _, err := p.PollOnce(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("first poll: %v, want the simulated crash", err)
	}
	if batches != 1 {
		t.Fatalf("%d batches before the stop", batches)
	}
	cur, _ := s.IMAPCursor(context.Background(), p.cursorKey())
	if want := fmt.Sprintf("%d:%d", uids[0], uids[6]); cur.LastUID != uint32(uids[6]) || cur.UIDValidity == 0 || cur.Pending != want {
		t.Errorf("cursor after one batch of 7: %+v, want last UID %d, %s pending", cur, uids[6], want)
	}

	for _, m := range srv.Messages(t, box) {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("UID %d \\Seen before any flagging", m.UID)
		}
	}

	p.afterBatch = nil
	n, err := p.PollOnce(context.Background())
	if err != nil || n != len(raws)-7 {
		t.Fatalf("second poll: %d, %v; want %d", n, err, len(raws)-7)
	}
	checkOnce(t, s, ids)
	cur, _ = s.IMAPCursor(context.Background(), p.cursorKey())
	if cur.LastUID != uint32(uids[len(uids)-1]) || cur.Pending != "" {
		t.Errorf("cursor %+v, want last UID %d, nothing pending", cur, uids[len(uids)-1])
	}
	// A third poll finds nothing new.
	if n, err := p.PollOnce(context.Background()); err != nil || n != 0 {
		t.Errorf("third poll: %d, %v", n, err)
	}
	// The first batch was stored but the stop came before \Seen; the next
	// poll caught up with it.
	for _, m := range srv.Messages(t, box) {
		if !slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("UID %d not \\Seen", m.UID)
		}
	}
}

// TestUIDValidityChange: a cursor from another UIDVALIDITY is reset; the
// mailbox is read again and nothing is stored twice.
func TestUIDValidityChange(t *testing.T) {
	srv := testkit.IMAP(t)
	box := srv.TempMailbox(t)
	raws, ids := corpus(t)
	srv.Append(t, box, raws[:10]...)
	s := newService(t)
	p := newPoller(srv, box, s)
	if n, err := p.PollOnce(context.Background()); err != nil || n != 10 {
		t.Fatalf("first poll: %d, %v", n, err)
	}
	// Pretend the server renumbered: an old UIDVALIDITY with a high cursor.
	if _, err := s.ReceiveBatch(context.Background(), nil, &caseflow.Cursor{Mailbox: p.cursorKey(), UIDValidity: 1, LastUID: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	srv.Append(t, box, raws[10:]...)
	if _, err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, s, ids)
}

// markSeen flags messages \Seen, as a staff member reading them in a
// mail client does.
func markSeen(t testing.TB, srv testkit.IMAPServer, box string, uids ...imap.UID) {
	t.Helper()
	c := srv.Dial(t)
	defer c.Close()
	if _, err := c.Select(box, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(uids...), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFirstPollStart: the first poll of a mailbox that already holds mail
// takes what imap-start says — the unread messages, all, or none (the
// newest message there is a read one: "n:*" names it whatever n) — and
// every message that arrives after it, read or not. A stop part-way
// through the unread ones resumes with the unread ones only, and moving
// never takes the read history along.
func TestFirstPollStart(t *testing.T) {
	srv := testkit.IMAP(t)
	raws, ids := corpus(t)
	for _, tc := range []struct {
		start string
		move  bool
		want  []int // indexes of raws[:8] stored by the first poll
	}{
		{StartUnseen, false, []int{1, 3, 5, 6}},
		{StartUnseen, true, []int{1, 3, 5, 6}},
		{"", false, []int{1, 3, 5, 6}}, // the default
		{StartAll, false, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{StartNew, false, nil},
	} {
		t.Run(fmt.Sprintf("%s/move=%v", tc.start, tc.move), func(t *testing.T) {
			box := srv.TempMailbox(t)
			uids := srv.Append(t, box, raws[:8]...)
			markSeen(t, srv, box, uids[0], uids[2], uids[4], uids[7]) // read in a mail client before gongkai
			s := newService(t)
			p := newPoller(srv, box, s)
			p.Start, p.Batch = tc.start, 2
			if tc.move {
				p.MoveTo = srv.TempMailbox(t)
			}
			// Stop after the first batch, then poll again: the resumed
			// poll takes the unread rest, not the read history.
			errCrash := errors.New("crash")
			p.afterBatch = func(int) error { return errCrash }
			// With imap-start new nothing is taken, so nothing stops it.
			if _, err := p.PollOnce(context.Background()); !errors.Is(err, errCrash) && (tc.start != StartNew || err != nil) {
				t.Fatalf("first poll: %v, want the stop after the first batch", err)
			}
			p.afterBatch = nil
			if _, err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range tc.want {
				want = append(want, ids[i])
			}
			checkOnce(t, s, want)
			if tc.move {
				// The read ones stay; the batch stored before the stop was
				// moved by the catch-up.
				var left []imap.UID
				for _, m := range srv.Messages(t, box) {
					left = append(left, m.UID)
				}
				if want := []imap.UID{uids[0], uids[2], uids[4], uids[7]}; !slices.Equal(left, want) {
					t.Errorf("left in the mailbox: %v, want %v", left, want)
				}
			}
			// Mail that arrives afterwards is taken, read or not.
			later := srv.Append(t, box, raws[8:10]...)
			markSeen(t, srv, box, later[0])
			if _, err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkOnce(t, s, append(want, ids[8:10]...))
		})
	}
}

// TestCatchUpLeavesOldMail: mail read before gongkai's first poll and later
// marked unread again is neither stored nor moved by the next session's
// catch-up.
func TestCatchUpLeavesOldMail(t *testing.T) {
	srv := testkit.IMAP(t)
	raws, ids := corpus(t)
	box, done := srv.TempMailbox(t), srv.TempMailbox(t)
	uids := srv.Append(t, box, raws[:2]...)
	markSeen(t, srv, box, uids[0])
	s := newService(t)
	p := newPoller(srv, box, s)
	p.MoveTo = done
	if n, err := p.PollOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("first poll: %d, %v; want the unread one", n, err)
	}
	c := srv.Dial(t)
	if _, err := c.Select(box, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(uids[0]), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, s, ids[1:2])
	if left := srv.Messages(t, box); len(left) != 1 || left[0].UID != uids[0] {
		t.Errorf("left in the mailbox: %+v, want the old message only", left)
	}
}

// TestCursorTakeOver: a cursor stored under the folder name alone (before
// cursors named the account) is taken over when it is of the mailbox's
// UIDVALIDITY — the poll goes on above it — and not when it is of another.
func TestCursorTakeOver(t *testing.T) {
	srv := testkit.IMAP(t)
	raws, ids := corpus(t)
	for _, same := range []bool{true, false} {
		t.Run(fmt.Sprintf("same=%v", same), func(t *testing.T) {
			box := srv.TempMailbox(t)
			uids := srv.Append(t, box, raws[:3]...)
			c := srv.Dial(t)
			sel, err := c.Select(box, &imap.SelectOptions{ReadOnly: true}).Wait()
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			s := newService(t)
			v := sel.UIDValidity
			if !same {
				v++
			}
			if _, err := s.ReceiveBatch(context.Background(), nil, &caseflow.Cursor{Mailbox: box, UIDValidity: v, LastUID: uint32(uids[1])}); err != nil {
				t.Fatal(err)
			}
			p := newPoller(srv, box, s)
			p.Start = StartAll
			if _, err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := ids[:3] // another mailbox's cursor: a first contact
			if same {
				want = ids[2:3]
			}
			checkOnce(t, s, want)
			old, _ := s.IMAPCursor(context.Background(), box)
			if same != (old.UIDValidity == 0) {
				t.Errorf("cursor under the folder name after the poll: %+v (taken over: %v)", old, same)
			}
		})
	}
}

// TestRunIdleAndMove runs the worker: messages appended while it waits in
// IDLE arrive, and with MoveTo they leave the mailbox once stored.
func TestRunIdleAndMove(t *testing.T) {
	srv := testkit.IMAP(t)
	box := srv.TempMailbox(t)
	done := srv.TempMailbox(t)
	raws, ids := corpus(t)
	s := newService(t)
	p := newPoller(srv, box, s)
	p.PollInterval = time.Hour // only IDLE can bring the mail in time
	p.MoveTo = done
	woke := make(chan struct{}, 100)
	p.Wake = func() { woke <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	srv.Append(t, box, raws[:3]...)
	deadline := time.After(30 * time.Second)
	for stored := 0; stored < 3; {
		select {
		case <-woke:
			s.DB.View(ctx, func(tx *store.Tx) error { stored, _, _ = tx.CountMessages(); return nil })
		case <-deadline:
			t.Fatal("messages appended during IDLE not stored within 30s")
		}
	}
	// Moving comes right after the commit; give it a moment.
	for i := 0; len(srv.Messages(t, box)) > 0; i++ {
		if i > 100 {
			t.Fatalf("%d messages left in %s after MoveTo", len(srv.Messages(t, box)), box)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := len(srv.Messages(t, done)); got != 3 {
		t.Errorf("%d messages in %s, want 3", got, done)
	}
	checkOnce(t, s, ids[:3])
}

func TestPlainRefusedOffLoopback(t *testing.T) {
	p := &Poller{Addr: "192.0.2.1:143", TLS: TLSNone, Store: newService(t)}
	if err := p.Run(context.Background()); err == nil {
		t.Fatal("plain IMAP to a non-loopback address was allowed")
	}
}

// BenchmarkPoll measures IMAP intake: b.N corpus-like messages loaded into
// Dovecot, then polled and stored (not classified; see bench/).
func BenchmarkPoll(b *testing.B) {
	srv := testkit.IMAP(b)
	box := srv.TempMailbox(b)
	raws, _ := corpus(b)
	msgs := make([][]byte, b.N)
	for i := range msgs {
		r := raws[i%len(raws)]
		msgs[i] = append([]byte("Message-ID: <bench-"+time.Now().Format("150405.000000000")+"-"+string(rune('a'+i%26))+">\r\n"), r...)
	}
	srv.Append(b, box, msgs...)
	s := newService(b)
	p := newPoller(srv, box, s)
	p.Batch = 500
	b.ResetTimer()
	n, err := p.PollOnce(context.Background())
	if err != nil || n != b.N {
		b.Fatalf("poll: %d, %v", n, err)
	}
}

func TestPendingUIDs(t *testing.T) {
	for _, tt := range []struct {
		uids []imap.UID
		want string
	}{
		{nil, ""},
		{[]imap.UID{5}, "5"},
		{[]imap.UID{7, 5, 6, 6, 9, 11, 12}, "5:7,9,11:12"},
	} {
		got := formatUIDs(tt.uids)
		if got != tt.want {
			t.Errorf("formatUIDs(%v) = %q, want %q", tt.uids, got, tt.want)
		}
		back := parseUIDs(got)
		want := slices.Compact(slices.Sorted(slices.Values(tt.uids)))
		if !slices.Equal(back, want) {
			t.Errorf("parseUIDs(%q) = %v, want %v", got, back, want)
		}
	}
	if got := parseUIDs("x,3:1,0,4:5"); !slices.Equal(got, []imap.UID{4, 5}) {
		t.Errorf("parseUIDs of a damaged list: %v, want only 4:5", got)
	}
}
