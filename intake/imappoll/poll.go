// Package imappoll reads the agency's existing mailbox over IMAP (go-imap
// v2 client) into gongkai. Each batch of messages is stored together with
// the mailbox cursor (UIDVALIDITY, last UID, where gongkai started, and the
// stored messages not yet confirmed flagged or moved) in one transaction,
// so that a restart at any moment loses nothing and stores nothing twice
// (STYLE.md habit 5); only then is the batch flagged \Seen or moved. A
// mailbox read for the first time is taken as imap-start says (by default
// its unread mail, not its history). It waits with IDLE where the server
// has it, else polls, and reconnects with exponential backoff.
package imappoll

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"gongkai/caseflow"
)

// Store keeps received messages and the cursor; *caseflow.Service (raw
// only) and *caseflow.Intake (filed in the same transaction) implement it.
type Store interface {
	ReceiveBatch(ctx context.Context, in []caseflow.Incoming, cur *caseflow.Cursor) ([]int64, error)
	IMAPCursor(ctx context.Context, mailbox string) (caseflow.Cursor, error)
	TakeOverIMAPCursor(ctx context.Context, from, to string, uidValidity uint32) (caseflow.Cursor, error)
}

// Preparer, when the Store has it, parses and classifies messages before
// the batch is stored (*caseflow.Intake); the poller runs it in parallel.
type Preparer interface {
	Prepare(m *caseflow.Incoming)
}

// TLS modes.
const (
	TLSImplicit = "implicit" // IMAPS, port 993
	TLSStartTLS = "starttls"
	TLSNone     = "none" // plain text: loopback only
)

// Start modes: what the poller takes from a mailbox it reads for the first
// time (no cursor for this account and folder yet).
const (
	StartUnseen = "unseen" // the unread messages there, and all that arrives after (default)
	StartAll    = "all"    // every message there, read or not
	StartNew    = "new"    // only what arrives after the first poll
)

// Poller polls one mailbox. Set the fields, then Run.
type Poller struct {
	Addr      string // host:port
	Username  string
	Password  string
	Mailbox   string // "" = INBOX
	TLS       string // TLSImplicit (default), TLSStartTLS or TLSNone
	TLSConfig *tls.Config
	// MoveTo, when set, moves stored messages to this mailbox instead of
	// flagging them \Seen.
	MoveTo string
	// Start is what the first poll of a mailbox takes: StartUnseen (""),
	// StartAll or StartNew. A mailbox that has held the agency's mail for
	// years is not read in whole, nor does every old sender get a receipt.
	Start string
	Store Store
	Wake  func() // called after each stored batch; may be nil
	Log   *slog.Logger
	// Batch is how many messages one fetch and one transaction take; 0 = 200.
	Batch int
	// BatchBytes caps the bytes of one batch (big messages make smaller
	// batches; up to three batches are in memory); 0 = 16 MiB.
	BatchBytes int64
	// MaxBytes is the largest message taken in (as the SMTP listener's);
	// a larger one stays in the mailbox, flagged, and a note for staff
	// says so. 0 = 25 MiB.
	MaxBytes int64
	// PollInterval is the wait between polls when the server has no IDLE,
	// and the longest IDLE before a re-check; 0 = 1 minute.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay; 0 = 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
	// CommandTimeout bounds the wait for the server's answer to a command
	// (a FETCH of a batch gets ten times as long); a server that stops
	// answering ends the session instead of hanging it. 0 = 2 minutes.
	CommandTimeout time.Duration

	// afterBatch, in tests, runs after each committed batch, before the
	// flagging; an error stops the poll there (a simulated crash).
	afterBatch func(stored int) error

	health struct {
		sync.Mutex
		failures int       // sessions that ended in an error since the last progress
		since    time.Time // the first of them
		lastErr  string
	}
}

// Health is how the poller is doing, for the staff pages.
type Health struct {
	Failures int       // sessions that ended in an error since mail last came in
	Since    time.Time // when the first of them ended
	LastErr  string
}

// Health reports the failures since the poller last made progress.
func (p *Poller) Health() Health {
	p.health.Lock()
	defer p.health.Unlock()
	return Health{Failures: p.health.failures, Since: p.health.since, LastErr: p.health.lastErr}
}

func (p *Poller) progressed() {
	p.health.Lock()
	p.health.failures, p.health.lastErr = 0, ""
	p.health.Unlock()
}

func (p *Poller) failed(err error) {
	p.health.Lock()
	if p.health.failures == 0 {
		p.health.since = time.Now()
	}
	p.health.failures++
	p.health.lastErr = err.Error()
	p.health.Unlock()
}

func (p *Poller) mailbox() string {
	if p.Mailbox == "" {
		return "INBOX"
	}
	return p.Mailbox
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Poller) batch() int {
	if p.Batch <= 0 {
		return 200
	}
	return p.Batch
}

func (p *Poller) interval() time.Duration {
	if p.PollInterval <= 0 {
		return time.Minute
	}
	return p.PollInterval
}

// Run polls until ctx ends, reconnecting with exponential backoff after a
// failure. Only progress resets the delay — a batch stored, or a whole
// round without error — so that a failure that repeats after the login
// (a folder that went missing, a server that fails one message) is not
// retried every second.
func (p *Poller) Run(ctx context.Context) error {
	if p.TLS == TLSNone {
		if host, _, err := net.SplitHostPort(p.Addr); err == nil {
			if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
				return fmt.Errorf("imappoll: plain-text IMAP to %s refused: only on a loopback address", p.Addr)
			}
		}
	}
	minB, maxB := p.MinBackoff, p.MaxBackoff
	if minB <= 0 {
		minB = time.Second
	}
	if maxB <= 0 {
		maxB = 5 * time.Minute
	}
	delay := minB
	for {
		progress, err := p.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if progress {
			delay = minB
		}
		if err != nil {
			p.failed(err)
		}
		p.log().Warn("IMAP session ended; reconnecting", "addr", p.Addr, "mailbox", p.mailbox(), "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, maxB)
	}
}

// PollOnce connects, stores every new message and disconnects (the
// one-shot form of the worker, STYLE.md habit 8).
func (p *Poller) PollOnce(ctx context.Context) (int, error) {
	c, _, err := p.connect(nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	sel, err := p.selectBox(c)
	if err != nil {
		return 0, err
	}
	n, err := p.fetchNew(ctx, c, sel, p.moveTarget(c))
	c.Logout().Wait()
	return n, err
}

// selectBox selects the polled mailbox.
func (p *Poller) selectBox(c *imapclient.Client) (sel *imap.SelectData, err error) {
	err = p.await(c, 1, "SELECT", func() error {
		sel, err = c.Select(p.mailbox(), nil).Wait()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("imappoll: selecting %s: %w", p.mailbox(), err)
	}
	return sel, nil
}

// await runs fn, which waits for the server's answer to a command, and
// closes the connection if the answer takes longer than the command
// timeout (times scale): the wait then ends with an error, and the poller
// reconnects, instead of waiting for a server that stopped answering.
func (p *Poller) await(c *imapclient.Client, scale int, what string, fn func() error) error {
	d := p.CommandTimeout
	if d <= 0 {
		d = 2 * time.Minute
	}
	t := time.AfterFunc(d*time.Duration(scale), func() { c.Close() })
	err := fn()
	if !t.Stop() { // fired: the connection is closed, whatever fn said
		if err == nil {
			err = errors.New("connection closed")
		}
		return fmt.Errorf("imappoll: no answer to %s within %v: %w", what, d*time.Duration(scale), err)
	}
	return err
}

// uidSearch runs UID SEARCH crit and returns the UIDs the server names
// (await with scale).
func (p *Poller) uidSearch(c *imapclient.Client, scale int, crit *imap.SearchCriteria) ([]imap.UID, error) {
	var sd *imap.SearchData
	err := p.await(c, scale, "SEARCH", func() (err error) {
		sd, err = c.UIDSearch(crit, nil).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	return sd.AllUIDs(), nil
}

// moveTarget is where stored messages are moved this session: MoveTo when
// the folder is there and the server can move without touching other
// messages (MOVE, or COPY + UID EXPUNGE with UIDPLUS); otherwise "" — the
// messages are flagged \Seen instead, and the log says why. go-imap's own
// fallback sends COPY, STORE \Deleted and EXPUNGE back to back, so that a
// COPY that fails (a folder missing) still deleted the originals, and
// without UIDPLUS its EXPUNGE removed every message anybody had marked
// deleted.
func (p *Poller) moveTarget(c *imapclient.Client) string {
	if p.MoveTo == "" {
		return ""
	}
	caps := c.Caps()
	if !caps.Has(imap.CapMove) && !caps.Has(imap.CapUIDPlus) {
		p.log().Error("IMAP server can neither MOVE nor UID EXPUNGE: stored messages are flagged \\Seen instead of moved", "addr", p.Addr, "move_to", p.MoveTo)
		return ""
	}
	err := p.await(c, 1, "STATUS", func() error {
		_, err := c.Status(p.MoveTo, &imap.StatusOptions{NumMessages: true}).Wait()
		return err
	})
	if err != nil {
		p.log().Error("IMAP folder to move stored messages to is missing or not usable: they are flagged \\Seen instead; create it (or fix imap-move-to)", "addr", p.Addr, "move_to", p.MoveTo, "err", err)
		return ""
	}
	return p.MoveTo
}

// connect dials, logs in and returns the client and a channel that fires
// when the server reports new messages.
func (p *Poller) connect(newMail chan struct{}) (*imapclient.Client, chan struct{}, error) {
	if newMail == nil {
		newMail = make(chan struct{}, 1)
	}
	opts := &imapclient.Options{
		TLSConfig: p.TLSConfig,
		Dialer:    &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var c *imapclient.Client
	var err error
	switch p.TLS {
	case TLSNone:
		c, err = imapclient.DialInsecure(p.Addr, opts)
	case TLSStartTLS:
		c, err = imapclient.DialStartTLS(p.Addr, opts)
	case "", TLSImplicit:
		c, err = imapclient.DialTLS(p.Addr, opts)
	default:
		return nil, nil, fmt.Errorf("imappoll: unknown TLS mode %q (implicit, starttls or none)", p.TLS)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("imappoll: connecting to %s: %w", p.Addr, err)
	}
	if err := p.await(c, 1, "LOGIN", func() error { return c.Login(p.Username, p.Password).Wait() }); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("imappoll: logging in to %s as %s: %w", p.Addr, p.Username, err)
	}
	return c, newMail, nil
}

// session runs one connection: select, fetch what is new, wait, repeat.
// progress reports that it stored a batch or finished a round.
func (p *Poller) session(ctx context.Context) (progress bool, err error) {
	c, newMail, err := p.connect(nil)
	if err != nil {
		return false, err
	}
	var once sync.Once
	closeC := func() { once.Do(func() { c.Close() }) }
	defer closeC()
	stop := context.AfterFunc(ctx, closeC) // unblock reads when ctx ends
	defer stop()

	sel, err := p.selectBox(c)
	if err != nil {
		return false, err
	}
	move := p.moveTarget(c)
	idle := c.Caps().Has(imap.CapIdle)
	for {
		n, err := p.fetchNew(ctx, c, sel, move)
		if n > 0 {
			progress = true
			p.progressed()
		}
		if err != nil {
			return progress, err
		}
		progress = true
		p.progressed()
		if err := p.wait(ctx, c, idle, newMail); err != nil {
			return progress, err
		}
	}
}

// wait blocks until new mail is announced, the poll interval passes, or ctx ends.
func (p *Poller) wait(ctx context.Context, c *imapclient.Client, idle bool, newMail chan struct{}) error {
	timer := time.NewTimer(p.interval())
	defer timer.Stop()
	if !idle {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		if err := p.await(c, 1, "NOOP", func() error { return c.Noop().Wait() }); err != nil {
			return fmt.Errorf("imappoll: NOOP: %w", err)
		}
		return nil
	}
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("imappoll: IDLE: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-newMail:
	case <-timer.C:
	case <-c.Closed():
	}
	err = p.await(c, 1, "DONE", func() error {
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("ending IDLE: %w", err)
		}
		return cmd.Wait()
	})
	if err != nil {
		return fmt.Errorf("imappoll: IDLE: %w", err)
	}
	return ctx.Err()
}

// cursorKey names the polled mailbox in the cursor table: the account, the
// server's host and the folder, so that pointing gongkai at another
// mailbox is a first contact (imap-start), not a renumbering of the old one.
// The port is left out: the same server reached with another TLS mode is
// the same mailbox.
func (p *Poller) cursorKey() string {
	host, _, err := net.SplitHostPort(p.Addr)
	if err != nil {
		host = p.Addr
	}
	return "imap://" + p.Username + "@" + host + "/" + p.mailbox()
}

// cursor reads the stored cursor of the polled mailbox. A cursor stored
// under the folder name alone (before cursors named the account) is taken
// over — renamed — when it is of the mailbox's UIDVALIDITY.
func (p *Poller) cursor(ctx context.Context, uidValidity uint32) (caseflow.Cursor, error) {
	cur, err := p.Store.IMAPCursor(ctx, p.cursorKey())
	if err != nil || cur.UIDValidity != 0 {
		return cur, err
	}
	return p.Store.TakeOverIMAPCursor(ctx, p.mailbox(), p.cursorKey(), uidValidity)
}

// firstCursor is the cursor of a mailbox read for the first time (renumbered
// is false) or renumbered by the server, per Start. After a renumbering the
// old UIDs mean nothing: imap-start all reads the whole mailbox again (the
// Message-ID + SHA-256 check keeps what is stored once); unseen and new both
// take the unread messages and what comes after, so that mail that arrived
// unseen since the last poll is not passed by.
func (p *Poller) firstCursor(c *imapclient.Client, sel *imap.SelectData, renumbered bool) (caseflow.Cursor, error) {
	cur := caseflow.Cursor{Mailbox: p.cursorKey(), UIDValidity: sel.UIDValidity}
	mode := p.Start
	if mode == "" {
		mode = StartUnseen
	}
	if mode == StartAll {
		return cur, nil
	}
	top := uint32(0)
	if sel.UIDNext > 0 {
		top = uint32(sel.UIDNext) - 1
	} else if sel.NumMessages > 0 {
		// No UIDNEXT in the SELECT answer: the highest UID there.
		all, err := p.uidSearch(c, 1, &imap.SearchCriteria{})
		if err != nil {
			return cur, fmt.Errorf("imappoll: finding the last message in %s: %w", p.mailbox(), err)
		}
		for _, u := range all {
			top = max(top, uint32(u))
		}
	}
	cur.StartUID = top
	if mode == StartNew && !renumbered {
		cur.LastUID = top
	}
	return cur, nil
}

// newUIDs lists, in order, the UIDs above the cursor that it takes: every
// one above StartUID, and at or below it only the unread ones.
func (p *Poller) newUIDs(c *imapclient.Client, cur caseflow.Cursor) ([]imap.UID, error) {
	var unseen []imap.UID
	from := cur.LastUID + 1
	if cur.StartUID >= from {
		var old imap.UIDSet
		old.AddRange(imap.UID(from), imap.UID(cur.StartUID))
		var err error
		if unseen, err = p.uidSearch(c, 1, &imap.SearchCriteria{UID: []imap.UIDSet{old}, NotFlag: []imap.Flag{imap.FlagSeen}}); err != nil {
			return nil, err
		}
		from = cur.StartUID + 1
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(from), 0)
	above, err := p.uidSearch(c, 1, &imap.SearchCriteria{UID: []imap.UIDSet{set}})
	if err != nil {
		return nil, err
	}
	uids := slices.Concat(unseen, above)
	// "n:*" always includes the highest UID, even below n: a read message
	// at or below StartUID, or one stored before.
	uids = slices.DeleteFunc(uids, func(u imap.UID) bool {
		return uint32(u) <= cur.LastUID || uint32(u) < from && !slices.Contains(unseen, u)
	})
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetchNew first flags or moves what a stop left pending, then stores every
// message above the cursor that it takes (at or below StartUID only the
// unread ones), batch by batch: fetch, store + move the cursor in one
// transaction, then flag or move (the server's answer awaited once the next
// batch is stored).
func (p *Poller) fetchNew(ctx context.Context, c *imapclient.Client, sel *imap.SelectData, move string) (stored int, err error) {
	box, uidValidity := p.mailbox(), sel.UIDValidity
	cur, err := p.cursor(ctx, uidValidity)
	if err != nil {
		return 0, err
	}
	// carry: stored messages still to be flagged or moved from before (a
	// stop between a commit and the server's answer). They stay listed in
	// the cursor until the server confirms them.
	var carry []imap.UID
	if cur.UIDValidity == uidValidity {
		carry = parseUIDs(cur.Pending)
	}
	if len(carry) > 0 {
		// Each round while any is left: what the server refused stays
		// listed for the next; the rest is written off the list. Its
		// failure is no reason not to take new mail.
		left, err := p.catchUp(c, carry, move)
		if err != nil {
			p.log().Warn("IMAP: flagging or moving mail stored before failed", "mailbox", box, "left", len(left), "err", err)
		}
		if len(left) < len(carry) {
			carry, cur.Pending = left, formatUIDs(left)
			if _, err := p.Store.ReceiveBatch(ctx, nil, &cur); err != nil {
				return 0, fmt.Errorf("imappoll: recording the flagging of %s: %w", box, err)
			}
		}
	}
	if cur.UIDValidity != uidValidity {
		renumbered := cur.UIDValidity != 0
		if renumbered {
			p.log().Warn("IMAP UIDVALIDITY changed; reading the mailbox again", "mailbox", box, "old", cur.UIDValidity, "new", uidValidity, "start", p.Start)
		}
		if cur, err = p.firstCursor(c, sel, renumbered); err != nil {
			return 0, err
		}
		// Recorded at once, before any message: where gongkai started must
		// not move with the mail that arrives before the first is stored,
		// and an empty mailbox is not read again every round.
		if _, err := p.Store.ReceiveBatch(ctx, nil, &cur); err != nil {
			return 0, fmt.Errorf("imappoll: recording the cursor of %s: %w", box, err)
		}
		p.log().Info("IMAP mailbox read from a new start", "mailbox", box, "start", p.Start, "start_uid", cur.StartUID, "last_uid", cur.LastUID)
	}
	uids, err := p.newUIDs(c, cur)
	if err != nil {
		return 0, fmt.Errorf("imappoll: searching %s: %w", box, err)
	}
	sizes, err := p.sizes(c, uids)
	if err != nil {
		return 0, fmt.Errorf("imappoll: sizes of the new messages in %s: %w", box, err)
	}
	// A fetcher goroutine reads (and prepares) the next batch while this one
	// is committed and flagged: IMAP transfer, parsing and the SQLite
	// commit overlap.
	batches := make(chan fetched)
	fctx, fcancel := context.WithCancel(ctx)
	fdone := make(chan struct{})
	go func() {
		defer close(fdone)
		defer close(batches)
		p.fetcher(fctx, c, box, uidValidity, uids, sizes, batches)
	}()
	defer func() { fcancel(); <-fdone }()
	// Flagging (or moving) a stored batch is sent at once and awaited only
	// after the next batch is stored: the server answers it behind the
	// fetch of the batch after, and the writer need not wait for that.
	// Each batch's transaction lists in the cursor the stored messages the
	// server has not yet confirmed flagged or moved — the batch before,
	// while its answer is awaited, and this one — for the catch-up after a
	// stop; once the last is confirmed the list is written again without
	// them.
	var marking func() error
	var unconfirmed []imap.UID // the batch being flagged or moved
	defer func() {
		if marking == nil {
			return
		}
		if merr := marking(); merr != nil {
			if err == nil {
				err = merr
			}
			return
		}
		if err == nil {
			cur.Pending = formatUIDs(carry)
			if _, err = p.Store.ReceiveBatch(ctx, nil, &cur); err != nil {
				err = fmt.Errorf("imappoll: recording the flagging of %s: %w", box, err)
			}
		}
	}()
	for f := range batches {
		if f.err != nil {
			return stored, f.err
		}
		if err := ctx.Err(); err != nil {
			return stored, err
		}
		if len(f.unreadable) > 0 {
			// Left where they are, unread, flagged for staff (the stored
			// note in 来信 says so), before the commit. They are never in
			// the pending list; the flag is for the staff member looking
			// in the mailbox, so a server that refuses it (NO) does not
			// hold up the intake.
			if err := p.flagUnreadable(c, f.unreadable); err != nil {
				var refused *imap.Error
				if !errors.As(err, &refused) {
					return stored, err
				}
				p.log().Warn("IMAP server refuses to flag a message it would not give", "mailbox", box, "uids", formatUIDs(f.unreadable), "err", err)
			}
		}
		done := f.done()
		cur.LastUID = uint32(f.chunk[len(f.chunk)-1])
		cur.Pending = formatUIDs(slices.Concat(carry, unconfirmed, done))
		if _, err := p.Store.ReceiveBatch(ctx, f.in, &cur); err != nil {
			return stored, err
		}
		stored += len(f.in)
		if p.Wake != nil {
			p.Wake()
		}
		if p.afterBatch != nil {
			if err := p.afterBatch(len(f.in)); err != nil {
				return stored, err
			}
		}
		if marking != nil {
			m := marking
			marking = nil
			if err := m(); err != nil {
				return stored, err
			}
		}
		marking, unconfirmed = p.startMarking(c, done, move), done
	}
	return stored, ctx.Err()
}

// fetched is one fetched batch: its UIDs and messages, and the UIDs of
// messages that are there but the server would not give (a note for staff
// stands in for each in the batch).
type fetched struct {
	chunk      []imap.UID
	in         []caseflow.Incoming
	unreadable []imap.UID
	err        error
}

// done is the UIDs of the batch to flag or move once stored.
func (f fetched) done() []imap.UID {
	return slices.DeleteFunc(slices.Clone(f.chunk), func(u imap.UID) bool { return slices.Contains(f.unreadable, u) })
}

// flagUnreadable flags \Flagged the messages the server would not give.
func (p *Poller) flagUnreadable(c *imapclient.Client, uids []imap.UID) error {
	return p.await(c, 10, "STORE", func() error {
		err := c.Store(imap.UIDSetNum(uids...), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close()
		if err != nil {
			return fmt.Errorf("imappoll: flagging messages the server would not give: %w", err)
		}
		return nil
	})
}

// unreadableNote stands in for a message the server has but would not
// give: stored like mail, it shows staff in 来信 where the message is.
func unreadableNote(box string, uidValidity uint32, uid imap.UID, why string) caseflow.Incoming {
	subject := mime.BEncoding.Encode("utf-8", fmt.Sprintf("邮件服务器未能提供一封来信（%s，UID %d）", box, uid))
	body := fmt.Sprintf("gongkai 未能从邮件服务器读取邮箱“%s”中的一封邮件（UIDVALIDITY %d，UID %d）：%s。\r\n"+
		"这封邮件仍在邮箱中，未标记已读，已加星标（\\Flagged）。请在邮件客户端中找到并查看它；如是政府信息公开申请，请人工登记。\r\n",
		box, uidValidity, uid, why)
	raw := "From: gongkai <imap-poller@gongkai.invalid>\r\n" +
		"Subject: " + subject + "\r\n" +
		fmt.Sprintf("Message-ID: <imap-unreadable-%d-%d@gongkai.invalid>\r\n", uidValidity, uid) +
		"Auto-Submitted: auto-generated\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n"
	return caseflow.Incoming{Raw: []byte(raw), Source: "imap:" + box, Arrived: time.Now()}
}

// fetcher fetches uids batch by batch with BODY.PEEK[] (no \Seen until
// stored) and hands each batch to a preparer goroutine, so that fetching the
// next batch, preparing this one and committing the last overlap; it stops
// when done or ctx ends.
func (p *Poller) fetcher(ctx context.Context, c *imapclient.Client, box string, uidValidity uint32, uids []imap.UID, sizes map[imap.UID]int64, out chan<- fetched) {
	raw := make(chan fetched) // unbuffered: at most three batches in memory
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range raw {
			if f.err == nil {
				p.prepare(f.in)
			}
			select {
			case out <- f:
			case <-ctx.Done():
				for range raw {
				}
				return
			}
		}
	}()
	defer func() { close(raw); <-done }()
	maxBytes, batchBytes := p.MaxBytes, p.BatchBytes
	if maxBytes <= 0 {
		maxBytes = 25 << 20
	}
	if batchBytes <= 0 {
		batchBytes = 16 << 20
	}
	for len(uids) > 0 && ctx.Err() == nil {
		var f fetched
		if size := sizes[uids[0]]; size > maxBytes {
			// Too large: not fetched, a note for staff stands in for it.
			u := uids[0]
			uids = uids[1:]
			p.log().Warn("IMAP message larger than the limit left in the mailbox", "mailbox", box, "uid", u, "bytes", size, "max", maxBytes)
			f = fetched{chunk: []imap.UID{u}, unreadable: []imap.UID{u},
				in: []caseflow.Incoming{unreadableNote(box, uidValidity, u, fmt.Sprintf("邮件大小 %.1f MB，超过收取上限 %.0f MB", float64(size)/(1<<20), float64(maxBytes)/(1<<20)))}}
		} else {
			// A batch ends at Batch messages or BatchBytes, or before a
			// message too large to take.
			n, bytes := 0, int64(0)
			for n < len(uids) && n < p.batch() && sizes[uids[n]] <= maxBytes && (n == 0 || bytes+sizes[uids[n]] <= batchBytes) {
				bytes += sizes[uids[n]]
				n++
			}
			chunk := uids[:n]
			uids = uids[n:]
			f = p.fetchChunk(c, box, uidValidity, chunk)
		}
		select {
		case raw <- f:
		case <-ctx.Done():
			return
		}
		if f.err != nil {
			return
		}
	}
}

// sizes asks the server the size of each message (RFC822.SIZE), so that
// batches are cut by bytes and a message over the limit is not fetched.
func (p *Poller) sizes(c *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	out := make(map[imap.UID]int64, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	// One range, not the list: a long list of scattered UIDs can pass a
	// server's line limit; the sizes of UIDs in between are not used.
	var set imap.UIDSet
	set.AddRange(uids[0], uids[len(uids)-1])
	var ms []*imapclient.FetchMessageBuffer
	err := p.await(c, 10, "FETCH RFC822.SIZE", func() (err error) {
		ms, err = c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
		return err
	})
	var refused *imap.Error
	if errors.As(err, &refused) && refused.Type == imap.StatusResponseTypeNo {
		// Sizes unknown: batches by count, and what cannot be fetched is
		// found message by message (fetchChunk).
		p.log().Warn("IMAP server refuses the sizes of the new messages", "err", err)
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[m.UID] = m.RFC822Size
	}
	return out, nil
}

// fetchChunk fetches one batch. A UID the server answers without its body
// is looked up again: gone (expunged meanwhile), it is passed by; still
// there, a note for staff stands in for it. A batch the server refuses
// (NO) is fetched again one message at a time, so that one message it
// cannot give does not hold up the others.
func (p *Poller) fetchChunk(c *imapclient.Client, box string, uidValidity uint32, chunk []imap.UID) fetched {
	section := &imap.FetchItemBodySection{Peek: true}
	f := fetched{chunk: chunk}
	var msgs []*imapclient.FetchMessageBuffer
	err := p.await(c, 10, "FETCH", func() (err error) {
		msgs, err = c.Fetch(imap.UIDSetNum(chunk...), &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		return err
	})
	var refused *imap.Error
	if errors.As(err, &refused) && refused.Type == imap.StatusResponseTypeNo {
		if len(chunk) > 1 {
			for _, u := range chunk {
				one := p.fetchChunk(c, box, uidValidity, []imap.UID{u})
				if one.err != nil {
					f.err = one.err
					return f
				}
				f.in = append(f.in, one.in...)
				f.unreadable = append(f.unreadable, one.unreadable...)
			}
			return f
		}
		p.log().Error("IMAP server refuses one message: a note for staff stands in for it", "mailbox", box, "uid", chunk[0], "err", err)
		f.in = append(f.in, unreadableNote(box, uidValidity, chunk[0], "服务器拒绝提供（"+refused.Text+"）"))
		f.unreadable = append(f.unreadable, chunk[0])
		return f
	}
	if err != nil {
		f.err = fmt.Errorf("imappoll: fetching from %s: %w", box, err)
		return f
	}
	slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	got := map[imap.UID]bool{}
	for _, m := range msgs {
		if body := m.FindBodySection(section); body != nil {
			got[m.UID] = true
			f.in = append(f.in, caseflow.Incoming{Raw: body, Source: "imap:" + box, Arrived: m.InternalDate})
		}
	}
	missing := slices.DeleteFunc(slices.Clone(chunk), func(u imap.UID) bool { return got[u] })
	if len(missing) == 0 {
		return f
	}
	there, err := p.uidSearch(c, 10, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(missing...)}})
	if err != nil {
		f.err = fmt.Errorf("imappoll: looking up messages %s gave without a body: %w", box, err)
		return f
	}
	for _, u := range there {
		if !slices.Contains(missing, u) {
			continue
		}
		p.log().Error("IMAP server gives no body for a message that is there: a note for staff stands in for it", "mailbox", box, "uid", u)
		f.in = append(f.in, unreadableNote(box, uidValidity, u, "服务器返回的邮件没有内容"))
		f.unreadable = append(f.unreadable, u)
	}
	return f
}

// catchUpChunk is how many UIDs one catch-up command names at most: a
// scattered pending list could otherwise pass a server's line limit
// (Dovecot refuses a UID set of 64 KB).
const catchUpChunk = 500

// catchUp flags (or moves) the stored messages whose flagging or moving a
// stop left unconfirmed: exactly those the cursor lists, never a message
// gongkai did not store, in chunks. A chunk the server refuses (NO) is
// tried in halves down to single messages, so that one message it will not
// flag or move does not hold back the others. It returns what is left — the
// refused messages, and all not yet tried when the connection failed.
// Without MOVE, originals already flagged \Deleted were copied before the
// stop: they are only expunged, not copied again.
func (p *Poller) catchUp(c *imapclient.Client, uids []imap.UID, move string) (left []imap.UID, err error) {
	var mark func(us []imap.UID) error
	mark = func(us []imap.UID) error {
		err := p.markNow(c, us, move)
		var refused *imap.Error
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &refused):
			return err
		case len(us) == 1:
			p.log().Warn("IMAP server refuses to flag or move a stored message; it stays listed", "uid", us[0], "err", err)
			left = append(left, us[0])
			return nil
		}
		if err := mark(us[:len(us)/2]); err != nil {
			return err
		}
		return mark(us[len(us)/2:])
	}
	for i := 0; i < len(uids); i += catchUpChunk {
		if err := mark(uids[i:min(i+catchUpChunk, len(uids))]); err != nil {
			return append(left, uids[i:]...), err
		}
	}
	return left, nil
}

// markNow flags or moves uids and waits for the server's answer; without
// MOVE, the originals already marked deleted are only expunged.
func (p *Poller) markNow(c *imapclient.Client, uids []imap.UID, move string) error {
	if move != "" && !c.Caps().Has(imap.CapMove) {
		copied, err := p.uidSearch(c, 1, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}, Flag: []imap.Flag{imap.FlagDeleted}})
		if err != nil {
			return fmt.Errorf("imappoll: searching moved messages: %w", err)
		}
		if len(copied) > 0 {
			err := p.await(c, 10, "EXPUNGE", func() error { return c.UIDExpunge(imap.UIDSetNum(copied...)).Close() })
			if err != nil {
				return fmt.Errorf("imappoll: expunging moved messages: %w", err)
			}
			uids = slices.DeleteFunc(slices.Clone(uids), func(u imap.UID) bool { return slices.Contains(copied, u) })
		}
	}
	return p.startMarking(c, uids, move)()
}

// formatUIDs writes UIDs for the cursor's pending list, in IMAP's
// notation: "a:b" for a run, comma-separated, ascending.
func formatUIDs(uids []imap.UID) string {
	return imap.UIDSetNum(uids...).String()
}

// parseUIDs reads a pending list formatUIDs wrote; what does not parse is
// left out (nothing is flagged or moved on a guess).
func parseUIDs(s string) []imap.UID {
	var out []imap.UID
	for _, part := range strings.Split(s, ",") {
		lo, hi, ok := strings.Cut(part, ":")
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b, err2 := a, error(nil)
		if ok {
			b, err2 = strconv.ParseUint(hi, 10, 32)
		}
		if err1 != nil || err2 != nil || a == 0 || b < a || b-a > 1<<20 {
			continue
		}
		for u := a; u <= b; u++ {
			out = append(out, imap.UID(u))
		}
	}
	return out
}

// startMarking sends the command that flags stored messages \Seen, or
// moves them to move, and returns a function that waits for the server's
// answer. Without MOVE, the move is COPY, and only once the copy is
// confirmed, \Deleted and UID EXPUNGE of exactly these messages
// (moveTarget makes sure of UIDPLUS).
func (p *Poller) startMarking(c *imapclient.Client, uids []imap.UID, move string) func() error {
	if len(uids) == 0 {
		return func() error { return nil }
	}
	set := imap.UIDSetNum(uids...)
	if move != "" && c.Caps().Has(imap.CapMove) {
		cmd := c.Move(set, move)
		return func() error {
			return p.await(c, 10, "MOVE", func() error {
				if _, err := cmd.Wait(); err != nil {
					return fmt.Errorf("imappoll: moving stored messages to %s: %w", move, err)
				}
				return nil
			})
		}
	}
	if move != "" {
		cmd := c.Copy(set, move)
		return func() error {
			return p.await(c, 10, "COPY", func() error {
				if _, err := cmd.Wait(); err != nil {
					return fmt.Errorf("imappoll: copying stored messages to %s (nothing deleted): %w", move, err)
				}
				if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
					return fmt.Errorf("imappoll: marking moved messages deleted: %w", err)
				}
				if err := c.UIDExpunge(set).Close(); err != nil {
					return fmt.Errorf("imappoll: expunging moved messages: %w", err)
				}
				return nil
			})
		}
	}
	cmd := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil)
	return func() error {
		return p.await(c, 10, "STORE", func() error {
			if err := cmd.Close(); err != nil {
				return fmt.Errorf("imappoll: flagging stored messages \\Seen: %w", err)
			}
			return nil
		})
	}
}

// prepare parses and classifies a batch on every CPU when the store can.
func (p *Poller) prepare(in []caseflow.Incoming) {
	pr, ok := p.Store.(Preparer)
	if !ok {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(in)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(in); i = int(next.Add(1)) - 1 {
				pr.Prepare(&in[i])
			}
		}()
	}
	wg.Wait()
}
