// Package imappoll reads the agency's existing mailbox over IMAP (go-imap
// v2 client) into gongkai. Each batch of messages is stored together with
// the mailbox cursor (UIDVALIDITY + last UID) in one transaction, so that a
// restart at any moment loses nothing and stores nothing twice (STYLE.md
// habit 5); only then is the batch flagged \Seen or moved. It waits with
// IDLE where the server has it, else polls, and reconnects with exponential
// backoff.
package imappoll

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
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
	Store  Store
	Wake   func() // called after each stored batch; may be nil
	Log    *slog.Logger
	// Batch is how many messages one fetch and one transaction take; 0 = 200.
	Batch int
	// PollInterval is the wait between polls when the server has no IDLE,
	// and the longest IDLE before a re-check; 0 = 1 minute.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay; 0 = 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration

	// afterBatch, in tests, runs after each committed batch, before the
	// flagging; an error stops the poll there (a simulated crash).
	afterBatch func(stored int) error
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
// failure (a successful session resets the delay).
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
		worked, err := p.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if worked {
			delay = minB
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
	sel, err := c.Select(p.mailbox(), nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("imappoll: selecting %s: %w", p.mailbox(), err)
	}
	n, err := p.fetchNew(ctx, c, sel.UIDValidity)
	c.Logout().Wait()
	return n, err
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
	if err := c.Login(p.Username, p.Password).Wait(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("imappoll: logging in to %s as %s: %w", p.Addr, p.Username, err)
	}
	return c, newMail, nil
}

// session runs one connection: select, fetch what is new, wait, repeat.
// worked reports that it got as far as selecting the mailbox.
func (p *Poller) session(ctx context.Context) (worked bool, err error) {
	c, newMail, err := p.connect(nil)
	if err != nil {
		return false, err
	}
	var once sync.Once
	closeC := func() { once.Do(func() { c.Close() }) }
	defer closeC()
	stop := context.AfterFunc(ctx, closeC) // unblock reads when ctx ends
	defer stop()

	sel, err := c.Select(p.mailbox(), nil).Wait()
	if err != nil {
		return false, fmt.Errorf("imappoll: selecting %s: %w", p.mailbox(), err)
	}
	idle := c.Caps().Has(imap.CapIdle)
	for {
		if _, err := p.fetchNew(ctx, c, sel.UIDValidity); err != nil {
			return true, err
		}
		if err := p.wait(ctx, c, idle, newMail); err != nil {
			return true, err
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
		if err := c.Noop().Wait(); err != nil {
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
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("imappoll: ending IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("imappoll: IDLE: %w", err)
	}
	return ctx.Err()
}

// fetchNew stores every message above the cursor, batch by batch: fetch,
// store + move the cursor in one transaction, then flag or move (the
// server's answer awaited once the next batch is stored).
func (p *Poller) fetchNew(ctx context.Context, c *imapclient.Client, uidValidity uint32) (stored int, err error) {
	box := p.mailbox()
	cur, err := p.Store.IMAPCursor(ctx, box)
	if err != nil {
		return 0, err
	}
	if cur.UIDValidity == uidValidity && cur.LastUID > 0 {
		if err := p.catchUp(c, cur.LastUID); err != nil {
			return 0, err
		}
	}
	if cur.UIDValidity != uidValidity {
		if cur.UIDValidity != 0 {
			// The server renumbered the mailbox: read it again from the
			// start; the Message-ID + SHA-256 check keeps what is stored once.
			p.log().Warn("IMAP UIDVALIDITY changed; reading the mailbox again", "mailbox", box, "old", cur.UIDValidity, "new", uidValidity)
		}
		cur = caseflow.Cursor{Mailbox: box, UIDValidity: uidValidity}
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(cur.LastUID+1), 0)
	sd, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("imappoll: searching %s: %w", box, err)
	}
	// "n:*" always includes the highest UID, even below n.
	uids := slices.DeleteFunc(sd.AllUIDs(), func(u imap.UID) bool { return uint32(u) <= cur.LastUID })
	slices.Sort(uids)
	// A fetcher goroutine reads (and prepares) the next batch while this one
	// is committed and flagged: IMAP transfer, parsing and the SQLite
	// commit overlap.
	batches := make(chan fetched)
	fctx, fcancel := context.WithCancel(ctx)
	fdone := make(chan struct{})
	go func() {
		defer close(fdone)
		defer close(batches)
		p.fetcher(fctx, c, box, uids, batches)
	}()
	defer func() { fcancel(); <-fdone }()
	// Flagging (or moving) a stored batch is sent at once and awaited only
	// after the next batch is stored: the server answers it behind the
	// fetch of the batch after, and the writer need not wait for that.
	var marking func() error
	defer func() {
		if marking != nil {
			if merr := marking(); merr != nil && err == nil {
				err = merr
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
		cur.LastUID = uint32(f.chunk[len(f.chunk)-1])
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
		marking = p.startMarking(c, f.chunk)
	}
	return stored, ctx.Err()
}

// fetched is one fetched batch: its UIDs and messages.
type fetched struct {
	chunk []imap.UID
	in    []caseflow.Incoming
	err   error
}

// fetcher fetches uids batch by batch with BODY.PEEK[] (no \Seen until
// stored) and hands each batch to a preparer goroutine, so that fetching the
// next batch, preparing this one and committing the last overlap; it stops
// when done or ctx ends.
func (p *Poller) fetcher(ctx context.Context, c *imapclient.Client, box string, uids []imap.UID, out chan<- fetched) {
	section := &imap.FetchItemBodySection{Peek: true}
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
	for len(uids) > 0 && ctx.Err() == nil {
		chunk := uids[:min(len(uids), p.batch())]
		uids = uids[len(chunk):]
		f := fetched{chunk: chunk}
		msgs, err := c.Fetch(imap.UIDSetNum(chunk...), &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			f.err = fmt.Errorf("imappoll: fetching from %s: %w", box, err)
		} else {
			slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
			for _, m := range msgs {
				body := m.FindBodySection(section)
				if body == nil {
					continue // expunged meanwhile
				}
				f.in = append(f.in, caseflow.Incoming{Raw: body, Source: "imap:" + box, Arrived: m.InternalDate})
			}
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

// catchUp flags (or moves) stored messages that a stop between the commit
// and the flagging left behind: unseen (or, with MoveTo, any) messages at or
// below the cursor.
func (p *Poller) catchUp(c *imapclient.Client, lastUID uint32) error {
	var set imap.UIDSet
	set.AddRange(1, imap.UID(lastUID))
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{set}}
	if p.MoveTo == "" {
		crit.NotFlag = []imap.Flag{imap.FlagSeen}
	}
	sd, err := c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return fmt.Errorf("imappoll: searching stored messages: %w", err)
	}
	uids := slices.DeleteFunc(sd.AllUIDs(), func(u imap.UID) bool { return uint32(u) > lastUID })
	if len(uids) == 0 {
		return nil
	}
	return p.markDone(c, uids)
}

// markDone flags stored messages \Seen, or moves them (MoveTo).
func (p *Poller) markDone(c *imapclient.Client, uids []imap.UID) error {
	return p.startMarking(c, uids)()
}

// startMarking sends the command that flags (or moves) stored messages and
// returns a function that waits for the server's answer.
func (p *Poller) startMarking(c *imapclient.Client, uids []imap.UID) func() error {
	set := imap.UIDSetNum(uids...)
	if p.MoveTo != "" {
		cmd := c.Move(set, p.MoveTo)
		return func() error {
			if _, err := cmd.Wait(); err != nil {
				return fmt.Errorf("imappoll: moving stored messages to %s: %w", p.MoveTo, err)
			}
			return nil
		}
	}
	cmd := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil)
	return func() error {
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("imappoll: flagging stored messages \\Seen: %w", err)
		}
		return nil
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
