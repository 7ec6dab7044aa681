package caseflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gongkai"
	"gongkai/intake"
	"gongkai/store"
)

// E-mail intake (issue 4). Receiving and processing are two steps:
//
//   - Receive/ReceiveBatch store the raw bytes durably (one transaction,
//     fsync'd WAL) and nothing else, so that the SMTP listener can answer 250
//     and the IMAP poller can move its cursor the moment the message is safe
//     (STYLE.md habit 5).
//   - Process/ProcessPending read stored, unprocessed messages, parse and
//     classify them, and in one transaction per batch turn each into a new
//     case, a follow-up, a bounce or auto-reply, spam, a non-request, or an
//     unparsable message for staff. What is pending lives in SQLite
//     (messages.processed = 0), so a restart resumes where it stopped.

// Incoming is one raw message handed to ReceiveBatch.
type Incoming struct {
	Raw     []byte
	Source  string    // "smtp", "imap:INBOX"
	Arrived time.Time // when the agency's mail system got it (SMTP: now; IMAP: INTERNALDATE)

	prep *parsed // set by Intake.Prepare
}

// Cursor is an IMAP mailbox position stored with the messages it covers
// (store.IMAPState).
type Cursor = store.IMAPState

// Receive stores one raw message durably and returns its id. A message
// already stored (same Message-ID and SHA-256) is not stored again: its
// first id is returned.
func (s *Service) Receive(ctx context.Context, raw []byte, source string, arrived time.Time) (int64, error) {
	ids, err := s.ReceiveBatch(ctx, []Incoming{{Raw: raw, Source: source, Arrived: arrived}}, nil)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// ReceiveBatch stores many raw messages in one transaction (group commit)
// and, when cur is not nil, moves the IMAP cursor in the same transaction.
// ids[i] is the id of in[i] (the earlier copy for a duplicate).
func (s *Service) ReceiveBatch(ctx context.Context, in []Incoming, cur *Cursor) ([]int64, error) {
	ids := make([]int64, len(in))
	keys := make([][2]string, len(in))
	for i, m := range in {
		keys[i] = [2]string{HeaderMessageID(m.Raw), sha(m.Raw)}
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		for i, m := range in {
			id, err := tx.MessageIDFor(keys[i][0], keys[i][1])
			if err != nil {
				return err
			}
			if id != 0 {
				ids[i] = id
				continue
			}
			arrived := m.Arrived
			if arrived.IsZero() {
				arrived = tx.Now
			}
			msg := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: m.Source, ArrivedAt: arrived,
				Raw: m.Raw, SHA256: keys[i][1], MessageID: keys[i][0], Kind: gongkai.KindPending}
			if err := tx.CreateMessage(msg); err != nil {
				return err
			}
			ids[i] = msg.ID
		}
		if cur != nil {
			return tx.SetIMAPCursor(*cur)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("caseflow: storing %d received messages: %w", len(in), err)
	}
	return ids, nil
}

// IMAPCursor returns the stored cursor of an IMAP mailbox (zero values when
// it was never polled).
func (s *Service) IMAPCursor(ctx context.Context, mailbox string) (Cursor, error) {
	var c Cursor
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.IMAPCursor(mailbox)
		return err
	})
	return c, err
}

// TakeOverIMAPCursor renames the cursor stored under from (a name of
// before, such as the folder alone) to to, when to has none yet and from's
// is of this UIDVALIDITY (the same mailbox), and returns to's cursor (zero
// values when there is none).
func (s *Service) TakeOverIMAPCursor(ctx context.Context, from, to string, uidValidity uint32) (Cursor, error) {
	var c Cursor
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.RenameIMAPCursor(from, to, uidValidity); err != nil {
			return err
		}
		var err error
		c, err = tx.IMAPCursor(to)
		return err
	})
	return c, err
}

// HeaderMessageID reads the Message-ID of a raw message without parsing the
// rest (the de-duplication key at receive time), without angle brackets;
// "" when there is none.
func HeaderMessageID(raw []byte) string {
	end := bytes.Index(raw, []byte("\n\n"))
	if e2 := bytes.Index(raw, []byte("\r\n\r\n")); e2 >= 0 && (end < 0 || e2 < end) {
		end = e2
	}
	if end < 0 {
		end = len(raw)
	}
	hdr := raw[:end]
	for len(hdr) > 0 {
		line := hdr
		if i := bytes.IndexByte(hdr, '\n'); i >= 0 {
			line, hdr = hdr[:i], hdr[i+1:]
		} else {
			hdr = nil
		}
		if len(line) < 11 || !bytes.EqualFold(line[:11], []byte("message-id:")) {
			continue
		}
		v := string(line[11:])
		// Unfold continuation lines.
		for len(hdr) > 0 && (hdr[0] == ' ' || hdr[0] == '\t') {
			next := hdr
			if i := bytes.IndexByte(hdr, '\n'); i >= 0 {
				next, hdr = hdr[:i], hdr[i+1:]
			} else {
				hdr = nil
			}
			v += string(next)
		}
		v = strings.TrimSpace(v)
		if i := strings.IndexByte(v, '<'); i >= 0 {
			if j := strings.IndexByte(v[i:], '>'); j > 0 {
				return strings.TrimSpace(v[i+1 : i+j])
			}
		}
		return strings.Trim(v, "<> \t\r")
	}
	return ""
}

// Prepare parses and classifies m before it is stored, outside any
// transaction, so that Intake.ReceiveBatch can store and file it with one
// write. Listeners call it in their own goroutines (parallel parsing).
//
// Preparing and rendering receipts leave a processor to the single writer
// while it writes, and use every processor while it does not (cpuGate).
func (in *Intake) Prepare(m *Incoming) {
	in.initReceipts()
	in.cpu.acquire()
	defer in.cpu.release()
	arrived := m.Arrived
	if arrived.IsZero() {
		arrived = time.Now()
		m.Arrived = arrived
	}
	p := &parsed{PendingRaw: store.PendingRaw{Raw: m.Raw, Source: m.Source}, arrived: arrived}
	p.MessageID, p.sha = HeaderMessageID(m.Raw), sha(m.Raw)
	in.parseOne(p)
	m.prep = p
}

// ReceiveBatch stores many messages in one transaction (group commit), and
// moves the IMAP cursor in it when cur is not nil. Messages that went
// through Prepare are filed in the same transaction (case, follow-up,
// bounce…), so that one commit makes them durable and processed; the others
// are stored raw for the processor. ids[i] is the id of in[i] (the earlier
// copy for a duplicate: Message-ID + SHA-256).
func (in *Intake) ReceiveBatch(ctx context.Context, msgs []Incoming, cur *Cursor) ([]int64, error) {
	ids, durable, err := in.ReceiveBatchDeferred(ctx, msgs, cur)
	if err != nil {
		return nil, err
	}
	if err := durable(); err != nil {
		return nil, fmt.Errorf("caseflow: storing %d received messages: %w", len(msgs), err)
	}
	return ids, nil
}

// ReceiveBatchDeferred is ReceiveBatch that returns once the batch has
// committed, before it is on disk: durable waits for that, and must return
// nil before anyone is told the messages are stored. The writer is free for
// the next batch meanwhile (store.UpdateDeferred).
func (in *Intake) ReceiveBatchDeferred(ctx context.Context, msgs []Incoming, cur *Cursor) (ids []int64, durable func() error, err error) {
	i := 0
	ids, durable, err = in.receive(ctx, func() (*Incoming, bool) {
		if i == len(msgs) {
			return nil, false
		}
		i++
		return &msgs[i-1], true
	}, cur)
	if err != nil {
		return nil, nil, fmt.Errorf("caseflow: storing %d received messages: %w", len(msgs), err)
	}
	return ids, durable, nil
}

// ReceiveStream is ReceiveBatchDeferred for messages that are still
// arriving: next hands over one message at a time, each stored and filed
// as it comes, and false ends the transaction, which then commits. The
// SMTP committer (intake/smtpd) uses it so that the writer files the
// messages that have arrived while it waits for the sessions still reading
// theirs, instead of idling until the whole batch is there. next runs
// inside the write transaction: it must not wait long. ids[i] is the id of
// the i-th message next returned.
func (in *Intake) ReceiveStream(ctx context.Context, next func() (*Incoming, bool)) (ids []int64, durable func() error, err error) {
	ids, durable, err = in.receive(ctx, func() (*Incoming, bool) {
		// While next waits for a session, the writer is not working: the
		// sessions may parse on every processor meanwhile (cpuGate).
		in.cpu.writing(false)
		defer in.cpu.writing(true)
		return next()
	}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("caseflow: storing %d received messages: %w", len(ids), err)
	}
	return ids, durable, nil
}

// receive stores (and, when prepared, files) what next returns in one
// write transaction, moving the IMAP cursor in it when cur is not nil.
//
// The messages are filed without a savepoint each: a savepoint copies
// every page a message changes that the batch had changed before (index
// and table pages, a dozen per message) into its statement journal
// (BenchmarkReceiveFiledDeferred, five runs taken in turn: 210 µs a
// message on average with savepoints, 192 without). Should one fail, the
// transaction is rolled back and the same messages filed again, each under
// a savepoint of its own, so that the one that fails is stored raw for the
// processor and the others are filed as usual; the rest of the batch
// follows them.
func (in *Intake) receive(ctx context.Context, next func() (*Incoming, bool), cur *Cursor) (ids []int64, durable func() error, err error) {
	var taken []*Incoming
	ids, durable, err = in.receiveTx(ctx, func() (*Incoming, bool) {
		m, ok := next()
		if ok {
			taken = append(taken, m)
		}
		return m, ok
	}, cur, false)
	if !errors.Is(err, errFileAlone) {
		return ids, durable, err
	}
	in.log().Warn("a message of the batch could not be filed: filing each on its own", "messages", len(taken), "err", err)
	i := 0
	return in.receiveTx(ctx, func() (*Incoming, bool) {
		if i == len(taken) {
			return next() // the rest of the batch, not taken before the failure
		}
		i++
		return taken[i-1], true
	}, cur, true)
}

// errFileAlone ends a batch filed without savepoints in which a message
// could not be filed; receive files the batch again, message by message.
var errFileAlone = errors.New("caseflow: a message could not be filed with its batch")

// receiveTx is one attempt of receive; isolate files each message under a
// savepoint of its own.
func (in *Intake) receiveTx(ctx context.Context, next func() (*Incoming, bool), cur *Cursor, isolate bool) (ids []int64, durable func() error, err error) {
	var ps []*parsed
	err = in.filingTx(&ps, func(fn func(*store.Tx) error) (err error) {
		durable, err = in.Cases.DB.UpdateDeferred(ctx, fn)
		return err
	}, func(tx *store.Tx) error {
		ids = ids[:0]
		for m, ok := next(); ok; m, ok = next() {
			id, err := in.storeOne(tx, m, &ps, isolate)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if cur != nil {
			return tx.SetIMAPCursor(*cur)
		}
		return nil
	})
	return ids, durable, err
}

// storeOne stores m in tx unless it is stored already (same Message-ID
// and SHA-256: the earlier id is returned). A prepared message is filed at
// once (and added to ps). With isolate, one whose filing fails is stored
// raw for the processor, as is one that was not prepared; without, its
// failure is errFileAlone, for the whole transaction.
func (in *Intake) storeOne(tx *store.Tx, m *Incoming, ps *[]*parsed, isolate bool) (int64, error) {
	var msgID, hash string
	if m.prep != nil {
		msgID, hash = m.prep.MessageID, m.prep.sha // computed by Prepare, off the writer
	} else {
		msgID, hash = HeaderMessageID(m.Raw), sha(m.Raw)
	}
	id, err := tx.MessageIDFor(msgID, hash)
	if err != nil || id != 0 {
		return id, err
	}
	if p := m.prep; p != nil {
		p.ID = 0 // finish inserts it (an attempt rolled back may have left an id)
		*ps = append(*ps, p)
		if !isolate {
			if err := in.file(tx, p); err != nil {
				return 0, fmt.Errorf("%w: %w", errFileAlone, err)
			}
			return p.ID, nil
		}
		err := in.fileOne(tx, p)
		if err == nil {
			return p.ID, nil
		}
		in.log().Error("filing received mail; stored for the processor", "err", err)
	}
	arrived := m.Arrived
	if arrived.IsZero() {
		arrived = tx.Now
	}
	raw := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: m.Source, ArrivedAt: arrived,
		Raw: m.Raw, SHA256: hash, MessageID: msgID, Kind: gongkai.KindPending}
	if err := tx.CreateMessage(raw); err != nil {
		return 0, err
	}
	return raw.ID, nil
}

// IMAPCursor returns the stored cursor of an IMAP mailbox.
func (in *Intake) IMAPCursor(ctx context.Context, mailbox string) (Cursor, error) {
	return in.Cases.IMAPCursor(ctx, mailbox)
}

// TakeOverIMAPCursor is Service.TakeOverIMAPCursor.
func (in *Intake) TakeOverIMAPCursor(ctx context.Context, from, to string, uidValidity uint32) (Cursor, error) {
	return in.Cases.TakeOverIMAPCursor(ctx, from, to, uidValidity)
}

// Classifier proposes a verdict for a parsed e-mail; cmd/gongkai wires the
// classifier package (with the case history it needs for duplicates) in.
type Classifier interface {
	Classify(e *gongkai.Email) gongkai.Verdict
}

// RepeatChecker is a Classifier that looks for an earlier request the
// message repeats inside the filing transaction rather than in Classify:
// the writer's page cache is warm where a read transaction after every
// commit starts cold, and the transaction sees the cases filed earlier in
// the same batch (two copies of one letter sent a second apart).
type RepeatChecker interface {
	MarkRepeat(tx *store.Tx, v *gongkai.Verdict)
}

// ReceiptFunc builds the 登记回执 of a new case registered from req, for the
// address rcpt. It runs after the filing commit; an error marks the
// receipt failed and says so in the case history.
// It returns the whole message; its Message-ID and sender must be those
// ReceiptEnvelope gave the case.
type ReceiptFunc func(c *gongkai.Case, req *gongkai.Email, rcpt string) ([]byte, error)

// Intake processes stored e-mail into cases.
type Intake struct {
	Cases      *Service
	Classifier Classifier
	// Receipt renders the 登记回执 after the filing commit, ReceiptEnvelope
	// gives its Message-ID and sender inside it (receipts.go); either nil =
	// no receipts.
	Receipt         ReceiptFunc
	ReceiptEnvelope ReceiptEnvelopeFunc
	Log             *slog.Logger
	// Workers parse and classify in parallel; 0 = GOMAXPROCS.
	Workers int
	// Batch is how many messages one transaction files; 0 = 128.
	Batch int

	mu sync.Mutex // one processing pass at a time

	// Receipts rendered after the commit (receipts.go).
	receiptsOnce sync.Once
	cpu          *cpuGate // Prepare and rendering beside the writer
	receiptsWake chan struct{}
	inflight     atomic.Int64 // batches being rendered
	rmu          sync.Mutex
	rendered     []renderedReceipt // waiting for the next write
}

// SystemActor is the actor of history rows intake writes on its own.
const SystemActor = "system"

var systemUser = &gongkai.User{Username: SystemActor, DisplayName: "系统", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}

var reCaseNo = regexp.MustCompile(`GK-\d{4}-\d{6}`)

// parsed is a message after parsing and classification, before filing.
type parsed struct {
	store.PendingRaw
	email    *gongkai.Email
	verdict  gongkai.Verdict
	parseErr string
	arrived  time.Time
	sha      string
	receipt  *receiptJob // queued by the filing transaction, rendered after it
	// The verdict as stored: JSON for the message row, the reasons for the
	// history, made by Prepare off the writer (encode).
	verdictJSON, reasons string
}

// encode renders the verdict's stored forms. Prepare calls it; whoever
// changes p.verdict afterwards calls it again.
func (p *parsed) encode() error {
	b, err := json.Marshal(p.verdict)
	if err != nil {
		return fmt.Errorf("caseflow: encoding verdict: %w", err)
	}
	p.verdictJSON, p.reasons = string(b), reasonsText(p.verdict.Reasons)
	return nil
}

// markRepeat runs the repeat check on p's verdict inside tx (RepeatChecker)
// and encodes the verdict again when the check marks it, or when it was
// never encoded.
func (in *Intake) markRepeat(tx *store.Tx, p *parsed) error {
	if rc, ok := in.Classifier.(RepeatChecker); ok {
		v := p.verdict
		rc.MarkRepeat(tx, &v)
		if v.DuplicateOf != p.verdict.DuplicateOf {
			p.verdict, p.verdictJSON = v, ""
		}
	}
	if p.verdictJSON == "" {
		return p.encode()
	}
	return nil
}

// Process parses, classifies and files one stored message. Processing a
// message that is already processed does nothing.
func (in *Intake) Process(ctx context.Context, msgID int64) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.processIDs(ctx, []int64{msgID})
}

// ProcessPending processes every stored, unprocessed message, oldest first,
// and returns how many it filed. Run at start-up it finishes what a crash
// interrupted.
func (in *Intake) ProcessPending(ctx context.Context) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	batch := in.Batch
	if batch <= 0 {
		batch = 128
	}
	total := 0
	var after int64
	for {
		var ids []int64
		err := in.Cases.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			ids, err = tx.PendingMessages(after, batch)
			return err
		})
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		if err := in.processIDs(ctx, ids); err != nil {
			return total, err
		}
		total += len(ids)
		after = ids[len(ids)-1]
	}
}

// RunProcessor processes pending messages at start, whenever wake fires, and
// every minute in case a wake-up was missed, until ctx ends.
func (in *Intake) RunProcessor(ctx context.Context, wake <-chan struct{}) error {
	started := time.Now()
	in.initReceipts()
	done := make(chan struct{})
	go func() { in.runReceipts(ctx); close(done) }()
	defer func() { <-done }()
	if n, err := in.RenderOrphans(ctx, started); err != nil {
		in.log().Error("rendering receipts a stop interrupted", "err", err)
	} else if n > 0 {
		in.log().Warn("rendered receipts a stop interrupted", "count", n)
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if n, err := in.ProcessPending(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			in.log().Error("processing received mail", "err", err, "processed", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-tick.C:
		}
	}
}

func (in *Intake) log() *slog.Logger {
	if in.Log != nil {
		return in.Log
	}
	return slog.Default()
}

func (in *Intake) processIDs(ctx context.Context, ids []int64) error {
	var raws []store.PendingRaw
	err := in.Cases.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		raws, err = tx.RawMessages(ids)
		return err
	})
	if err != nil {
		return err
	}
	ps := make([]*parsed, 0, len(raws))
	for _, r := range raws {
		if !r.Processed {
			ps = append(ps, storedParsed(r))
		}
	}
	in.parseAll(ps)
	err = in.filingTx(&ps, func(fn func(*store.Tx) error) error { return in.Cases.DB.Update(ctx, fn) }, func(tx *store.Tx) error {
		for _, p := range ps {
			done, err := tx.MessageProcessed(p.ID)
			if err != nil {
				return err
			}
			if done {
				continue
			}
			if err := in.fileOne(tx, p); err != nil {
				// Keep the message for staff rather than lose the batch.
				in.log().Error("filing received mail", "msg_id", p.ID, "err", err)
				m := &gongkai.Message{ID: p.ID, MessageID: p.MessageID, Kind: gongkai.KindUnparsed, Malformed: true,
					ParseError: "登记失败，需人工处理：" + gongkai.ErrorMessage(err)}
				if p.email != nil {
					m.Subject, m.From = p.email.Subject, p.email.FromAddr
				}
				if err := tx.UpdateMessage(m, ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("caseflow: filing %d received messages: %w", len(ps), err)
	}
	return nil
}

// storedParsed is a stored message about to be parsed again.
func storedParsed(r store.PendingRaw) *parsed {
	at, _ := time.Parse(time.RFC3339Nano, r.ArrivedAt)
	return &parsed{PendingRaw: r, arrived: at, sha: sha(r.Raw)}
}

// filingTx runs fn in the write transaction that update opens, after
// storing the receipts rendered so far (they go back to the queue when the
// transaction fails); once it commits, the receipts that filing *ps
// queued are rendered. fn may add to *ps as it goes; ps may be nil.
func (in *Intake) filingTx(ps *[]*parsed, update func(func(*store.Tx) error) error, fn func(*store.Tx) error) error {
	if ps == nil {
		ps = new([]*parsed)
	}
	in.initReceipts()
	var undo func()
	in.cpu.writing(true)
	err := update(func(tx *store.Tx) error {
		var err error
		if undo, err = in.storeRendered(tx); err != nil {
			return err
		}
		return fn(tx)
	})
	in.cpu.writing(false)
	if err != nil {
		if undo != nil {
			undo()
		}
		for _, p := range *ps {
			p.receipt = nil // rolled back: its outbox row does not exist
		}
		return err
	}
	in.renderAfterCommit(*ps)
	return nil
}

// fileOne files p under a savepoint: a failure rolls back this message
// alone, its queued receipt with it.
func (in *Intake) fileOne(tx *store.Tx, p *parsed) error {
	err := tx.Savepoint("msg", func() error { return in.file(tx, p) })
	if err != nil {
		p.receipt = nil
	}
	return err
}

// parseAll parses and classifies in parallel; a panic marks the message
// unparsable instead of stopping intake (STYLE.md habit 8).
func (in *Intake) parseAll(ps []*parsed) {
	workers := in.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan *parsed)
	var wg sync.WaitGroup
	for range min(workers, len(ps)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				in.parseOne(p)
			}
		}()
	}
	for _, p := range ps {
		next <- p
	}
	close(next)
	wg.Wait()
}

func (in *Intake) parseOne(p *parsed) {
	defer func() {
		if r := recover(); r != nil {
			p.parseErr = fmt.Sprintf("处理时出错：%v", r)
			in.log().Error("panic parsing received mail", "msg_id", p.ID, "panic", r)
		}
	}()
	em, err := intake.ParseWith(p.Raw, intake.Options{NoData: true}) // attachment bytes stay in the raw message
	if err != nil || em == nil {
		p.parseErr = parseErrorText(err)
		return
	}
	p.email = em
	if in.Classifier != nil {
		p.verdict = in.Classifier.Classify(em)
	} else {
		p.verdict = headerVerdict(em)
	}
	if err := p.encode(); err != nil {
		p.parseErr = err.Error()
	}
}

// headerVerdict is what intake can tell without a classifier: reports,
// auto-replies, and otherwise a message staff must look at.
func headerVerdict(em *gongkai.Email) gongkai.Verdict {
	switch {
	case strings.EqualFold(em.MediaType, "multipart/report") && strings.EqualFold(em.ReportType, "delivery-status"):
		return gongkai.Verdict{Nature: gongkai.KindBounce}
	case strings.EqualFold(em.ReportType, "disposition-notification"), isAutoReply(em):
		return gongkai.Verdict{Nature: gongkai.KindAutoReply}
	}
	return gongkai.Verdict{Nature: gongkai.KindConsultation}
}

// isAutoReply reports RFC 3834 and vendor auto-reply headers.
func isAutoReply(em *gongkai.Email) bool {
	if v := first(em.Header["Auto-Submitted"]); v != "" && !strings.EqualFold(v, "no") {
		return true
	}
	return first(em.Header["X-Autoreply"]) != "" || first(em.Header["X-Autorespond"]) != ""
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return strings.TrimSpace(v[0])
}

// file turns one parsed message into what it is, inside the batch
// transaction (corpus README "Nature", in its order).
func (in *Intake) file(tx *store.Tx, p *parsed) error {
	m := &gongkai.Message{ID: p.ID, MessageID: p.MessageID, Channel: gongkai.ChannelEmail, Source: p.Source,
		ArrivedAt: p.arrived, Raw: p.Raw, SHA256: p.sha}
	if p.email == nil {
		m.Kind, m.Malformed, m.ParseError = gongkai.KindUnparsed, true, p.parseErr
		return in.finish(tx, p, m, nil, "")
	}
	em := p.email
	// m.MessageID stays the header scan of the raw bytes: it is half of the
	// de-duplication key.
	m.Subject, m.From, m.Malformed, m.Defects = em.Subject, em.FromAddr, em.Malformed, em.Defects
	if p.parseErr != "" {
		m.ParseError = p.parseErr
	}
	if err := in.markRepeat(tx, p); err != nil {
		return err
	}
	v, vj := p.verdict, p.verdictJSON
	// The clock counts from the arrival at the agency's mail system
	// (RULES.md §3.1), never from the Date header: a sender's clock, or a
	// backdated header, is not the agency's.
	at := p.arrived

	switch v.Nature {
	case gongkai.KindBounce, gongkai.KindAutoReply:
		// Stored and shown, never a case; linked to the letter it answers.
		m.Kind = v.Nature
		c, _, err := relatedCase(tx, em, v, true, in.ownMailDomain())
		if err != nil {
			return err
		}
		if c != nil {
			m.CaseID = c.ID
			if v.Nature == gongkai.KindBounce {
				if err := tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: SystemActor, Kind: "letter_bounced",
					Detail: fmt.Sprintf("发给申请人的邮件被退回（退信：%s），请核对邮箱或改用其他方式送达", oneLine(em.Subject))}); err != nil {
					return err
				}
			}
		}
		return in.finish(tx, p, m, em, vj)
	case gongkai.KindSpam:
		m.Kind = gongkai.KindSpam // held for a person, no case
		return in.finish(tx, p, m, em, vj)
	}

	c, thread, err := relatedCase(tx, em, v, false, in.ownMailDomain())
	if err != nil {
		return err
	}
	applicant := c != nil && fromApplicant(c, em, v)
	if c != nil && !thread && !applicant {
		// A 受理编号 in the text of somebody else's mail — a neighbour's
		// case quoted in a new request, a stranger asking what a number
		// means — does not put the mail into that case: it stays in 来信
		// for staff, who can link it or register it.
		c = nil
	}
	switch {
	case c != nil:
		m.Kind, m.CaseID = gongkai.KindFollowup, c.ID
		if err := in.followup(tx, c, em, at, applicant); err != nil {
			return err
		}
	case v.Nature == gongkai.KindFollowup || !v.IsRequest:
		m.Kind = v.Nature // follow-up on an unknown case, consultation, plain complaint: staff look
		if m.Kind == "" {
			m.Kind = gongkai.KindConsultation
		}
	default:
		c, err := in.newCase(tx, p, em, v, at)
		if err != nil {
			return err
		}
		m.Kind, m.CaseID = v.Nature, c.ID
		if m.Kind == "" {
			m.Kind = gongkai.KindRequest
		}
	}
	return in.finish(tx, p, m, em, vj)
}

// finish stores the outcome of a message — inserting it when it was
// prepared before storing, else updating the stored row — and its
// attachments.
func (in *Intake) finish(tx *store.Tx, p *parsed, m *gongkai.Message, em *gongkai.Email, verdict string) error {
	if p.ID == 0 {
		if err := tx.CreateFiledMessage(m, verdict); err != nil {
			return err
		}
		p.ID = m.ID
	} else if err := tx.UpdateMessage(m, verdict); err != nil {
		return err
	}
	if testHookFinish != nil {
		if err := testHookFinish(p); err != nil {
			return err
		}
	}
	if em == nil {
		return nil
	}
	for _, a := range em.Attachments {
		if err := tx.AddAttachment(m.ID, a); err != nil {
			return err
		}
	}
	return nil
}

// testHookFinish, set by tests, runs once a message's row is written; an
// error fails its filing there, with the case and its history written.
var testHookFinish func(p *parsed) error

// relatedCase finds the existing case a message is about: a reply to
// something gongkai sent (In-Reply-To, References; for reports also the
// returned message inside) — thread is true then — else a 受理编号 in the
// subject or the new text that exists. nil when there is none.
func relatedCase(tx *store.Tx, em *gongkai.Email, v gongkai.Verdict, report bool, own string) (c *gongkai.Case, thread bool, err error) {
	ids := append(slices.Clone(em.InReplyTo), em.References...)
	var texts []string
	if v.CaseRef != "" {
		texts = append(texts, v.CaseRef)
	}
	texts = append(texts, em.Subject, em.NewText)
	if report {
		texts = append(texts, em.Text)
		for _, e := range em.Embedded {
			ids = append(ids, e.MessageID)
			ids = append(ids, e.InReplyTo...)
			texts = append(texts, e.Subject, e.Text)
		}
		for _, a := range em.Attachments {
			texts = append(texts, a.Text)
		}
	}
	if c, err = tx.CaseByLetterMessageID(ids); c != nil || err != nil {
		return c, true, err
	}
	// The bureau's own Message-IDs carry the case number (receipt-GK-…,
	// letter-GK-…, and notice-/ack-GK-… of the mail system before):
	// a reply to one leads to the case even when the mail it answers is
	// not in the outbox.
	for _, id := range ids {
		if m := reOwnMessageID.FindStringSubmatch(id); m != nil && ownDomain(id, own) {
			if c, err = tx.FindCaseByNo(m[1]); c != nil || err != nil {
				return c, true, err
			}
		}
	}
	for _, t := range texts {
		for _, no := range reCaseNo.FindAllString(t, 4) {
			if c, err = tx.FindCaseByNo(no); c != nil || err != nil {
				return c, false, err
			}
		}
	}
	return nil, false, nil
}

// ownDomain reports whether Message-ID id is of the bureau's own mail
// domain (own; "" when gongkai sends nothing, and then any).
func ownDomain(id, own string) bool {
	if own == "" {
		return true
	}
	id = strings.TrimSuffix(strings.TrimSpace(id), ">")
	i := strings.LastIndexByte(id, '@')
	return i >= 0 && strings.EqualFold(id[i+1:], own)
}

// ownMailDomain is the domain of the Message-IDs gongkai gives its mail.
func (in *Intake) ownMailDomain() string {
	if in.ReceiptEnvelope == nil {
		return ""
	}
	id, _ := in.ReceiptEnvelope(&gongkai.Case{No: "GK-0000-000000"})
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		return id[i+1:]
	}
	return ""
}

// reOwnMessageID matches a Message-ID gongkai (or the bureau's mail system
// before it) gave a letter on a case.
var reOwnMessageID = regexp.MustCompile(`^<?(?:receipt|letter|notice|ack)-(GK-\d{4}-\d{6})\b`)

// fromApplicant reports whether a message comes from the case's applicant:
// its sender is the case's e-mail address, or it names the applicant's
// ID number or credit code, or — for a case without an address (filed on
// paper) — the applicant's name.
func fromApplicant(c *gongkai.Case, em *gongkai.Email, v gongkai.Verdict) bool {
	a := c.Applicant
	if a.Email != "" {
		for _, addr := range []string{em.FromAddr, em.ReplyTo} {
			if addr != "" && strings.EqualFold(strings.TrimSpace(addr), strings.TrimSpace(a.Email)) {
				return true
			}
		}
	}
	switch {
	case a.IDNumber != "" && strings.EqualFold(v.IDNumber, a.IDNumber),
		a.CreditCode != "" && strings.EqualFold(v.CreditCode, a.CreditCode):
		return true
	case a.Email == "" && a.Name != "" && v.Name == a.Name:
		return true
	}
	return false
}

// followup records a message on an existing case. While the case waits for
// a 补正, a message from the applicant is the completed application: the
// clock restarts from the day it arrived (Art. 30; RULES.md §3.3, 3.5). One
// from anybody else (a reply to the bureau's mail from another address that
// names somebody else) is linked for staff to read, and moves no clock.
func (in *Intake) followup(tx *store.Tx, c *gongkai.Case, em *gongkai.Email, at time.Time, applicant bool) error {
	if !applicant {
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: SystemActor, Kind: "followup_received",
			Detail: fmt.Sprintf("收到 %s 的来信（回复本机关就本案发出的邮件，但来信人与申请人不一致，未作为补正处理，请核实）：%s",
				em.FromAddr, oneLine(em.Subject))})
	}
	if err := tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: "applicant", Kind: "followup_received",
		Detail: fmt.Sprintf("收到申请人来信：%s", oneLine(em.Subject))}); err != nil {
		return err
	}
	if c.Status != gongkai.StatusCorrection {
		return nil
	}
	on := gongkai.DateOf(at)
	err := actTx(tx, c, Input{Action: ActReceiveCorrection, Actor: systemUser, Now: tx.Now, On: on,
		Reason: "申请人通过电子邮件提交补正材料"}, in.Cases.Cal)
	if err != nil && gongkai.ErrorKind(err) != gongkai.EInternal {
		// Refused by the state machine (Apply leaves c unchanged): leave it
		// to staff; the message is linked and the history says why.
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: SystemActor, Kind: "correction_check",
			Detail: "收到的来信可能是补正材料，未能自动登记，请人工核对：" + gongkai.ErrorMessage(err)})
	}
	return err
}

// newCase registers a request from an e-mail, with its classifier reasons in
// the history and a 登记回执 in the outbox.
func (in *Intake) newCase(tx *store.Tx, p *parsed, em *gongkai.Email, v gongkai.Verdict, at time.Time) (*gongkai.Case, error) {
	c := &gongkai.Case{
		QueryCode:   NewQueryCode(),
		Applicant:   v.Applicant(),
		Description: v.Description,
		Purpose:     v.Purpose,
		Delivery:    v.Delivery,
		Channel:     gongkai.ChannelEmail,
		Nature:      string(v.Nature),
		Department:  v.Department,
	}
	if c.Nature == "" {
		c.Nature = string(gongkai.KindRequest)
	}
	if reCaseNo.MatchString(v.DuplicateOf) {
		c.DuplicateOf = v.DuplicateOf
	}
	if c.Description == "" {
		c.Description = oneLine(em.Subject)
	}
	if err := Register(c, at, in.Cases.Cal); err != nil {
		return nil, err
	}
	no, err := tx.NextCaseNo(c.ReceivedOn.Year())
	if err != nil {
		return nil, err
	}
	c.No = no
	// No idempotency key: a message becomes at most one case through the
	// message de-duplication (Message-ID + SHA-256) and the one transaction
	// that files it and marks it processed. A key here ("mail:"+SHA-256 until
	// issue 4's measurements) put a random entry into a unique index for
	// every case — a page written to the WAL and again at the checkpoint.
	if err := tx.CreateCase(c, ""); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("通过电子邮件收到申请（%s），受理编号 %s，收到申请之日 %s，答复期限 %s",
		oneLine(em.Subject), c.No, c.ReceivedOn.Chinese(), c.DueOn.Chinese())
	if len(v.MissingFields) > 0 {
		names := make([]string, len(v.MissingFields))
		for i, f := range v.MissingFields {
			names[i] = gongkai.MissingLabel(f)
		}
		detail += "；可能需要补正：" + strings.Join(names, "、")
	}
	if err := tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: SystemActor, Kind: "registered", Detail: detail, Reason: p.reasons}); err != nil {
		return nil, err
	}
	return c, in.receipt(tx, p, c, em, v)
}

// receipt queues the 登记回执 (never for auto-submitted mail: RFC 3834).
func (in *Intake) receipt(tx *store.Tx, p *parsed, c *gongkai.Case, em *gongkai.Email, v gongkai.Verdict) error {
	if in.Receipt == nil || in.ReceiptEnvelope == nil {
		return nil
	}
	// The verdict's address is where to answer: written in the letter,
	// else Reply-To, else From — never the address of a forwarding agency,
	// a portal or a relay, which would receive the 查询码 instead of the
	// applicant (corpus README, "email"). Without one, no receipt.
	rcpt := v.Email
	if rcpt == "" || !strings.Contains(rcpt, "@") {
		detail := "来信未提供可用的电子邮箱，未发送登记回执，请以其他方式告知受理编号和查询码"
		if em.FromAddr != "" {
			detail = fmt.Sprintf("申请人未提供可用的电子邮箱（来信地址 %s 是转递或代发方，不是申请人的），未发送登记回执，请以其他方式告知受理编号和查询码", em.FromAddr)
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: SystemActor, Kind: "receipt_skipped", Detail: detail})
	}
	return in.queueReceipt(tx, p, c, em, rcpt)
}

func reasonsText(rs []gongkai.Reason) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		s := r.Field + "：" + r.Rule
		if r.Evidence != "" {
			s += "（" + oneLine(r.Evidence) + "）"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "；")
}

// oneLine shortens a subject or evidence for a history row.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	if s == "" {
		s = "（无标题）"
	}
	return s
}
