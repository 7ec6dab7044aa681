package caseflow

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"gongkai"
	"gongkai/intake"
	"gongkai/store"
)

// Receipts rendered after the filing commit. With ReceiptEnvelope set, the
// filing transaction only queues the 登记回执 — recipient, Message-ID, status
// "render" — and the receipt is rendered right after the commit on another
// core, then stored by the next write (a filing batch, or the receipt
// flusher when intake is quiet). Rendering a letter and building its MIME
// took a fifth of the single writer's time per message. An item whose
// rendering a crash interrupted is rendered again at start (RunProcessor).

// ReceiptEnvelopeFunc gives the Message-ID (without angle brackets) and the
// envelope sender of a case's receipt before it is rendered.
type ReceiptEnvelopeFunc func(c *gongkai.Case) (messageID, from string)

// receiptJob is a queued receipt waiting for its text.
type receiptJob struct {
	outboxID int64
	c        gongkai.Case // as registered
	req      *gongkai.Email
	rcpt     string
}

// renderedReceipt is a receipt ready to store (or its failure).
type renderedReceipt struct {
	outboxID, caseID int64
	raw              []byte
	err              error
}

// queueReceipt records the receipt of a new case for rendering after the
// commit (inside the filing transaction).
func (in *Intake) queueReceipt(tx *store.Tx, p *parsed, c *gongkai.Case, em *gongkai.Email, rcpt string) error {
	msgID, from := in.ReceiptEnvelope(c)
	id, err := tx.QueueRender(c.ID, msgID, from, []string{rcpt})
	if err != nil {
		return err
	}
	if id == 0 {
		return nil // that receipt was queued before
	}
	p.receipt = &receiptJob{outboxID: id, c: *c, req: em, rcpt: rcpt}
	return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: SystemActor, Kind: "receipt_queued",
		Detail: fmt.Sprintf("登记回执已放入发件队列，发往 %s", rcpt)})
}

// renderAfterCommit renders the receipts of a committed batch in the
// background; the results wait in in.rendered for the next write.
func (in *Intake) renderAfterCommit(ps []*parsed) {
	var jobs []*receiptJob
	for _, p := range ps {
		if p.receipt != nil {
			jobs = append(jobs, p.receipt)
			p.receipt = nil
		}
	}
	if len(jobs) == 0 {
		return
	}
	in.inflight.Add(1)
	go func() {
		defer in.inflight.Add(-1)
		in.cpu.acquire()
		defer in.cpu.release()
		out := make([]renderedReceipt, len(jobs))
		for i, j := range jobs {
			out[i] = in.render(j)
		}
		in.rmu.Lock()
		in.rendered = append(in.rendered, out...)
		in.rmu.Unlock()
		select {
		case in.receiptsWake <- struct{}{}:
		default:
		}
	}()
}

// render builds one receipt; a panic is a failed receipt, not a dead intake.
func (in *Intake) render(j *receiptJob) (r renderedReceipt) {
	r = renderedReceipt{outboxID: j.outboxID, caseID: j.c.ID}
	defer func() {
		if p := recover(); p != nil {
			r.err = fmt.Errorf("caseflow: rendering the receipt of %s: %v", j.c.No, p)
		}
	}()
	raw, err := in.Receipt(&j.c, j.req, j.rcpt)
	switch {
	case err != nil:
		r.err = err
	case len(raw) == 0:
		r.err = fmt.Errorf("caseflow: no receipt built for %s", j.c.No)
	default:
		r.raw = raw
	}
	return r
}

// storeRendered writes the receipts rendered so far inside tx. It returns
// a function that puts them back, for when tx does not commit.
func (in *Intake) storeRendered(tx *store.Tx) (undo func(), err error) {
	in.rmu.Lock()
	rs := in.rendered
	in.rendered = nil
	in.rmu.Unlock()
	undo = func() {
		if len(rs) > 0 {
			in.rmu.Lock()
			in.rendered = append(rs, in.rendered...)
			in.rmu.Unlock()
		}
	}
	for _, r := range rs {
		if r.err == nil {
			if _, err := tx.SetRendered(r.outboxID, r.raw); err != nil {
				return undo, err
			}
			continue
		}
		in.log().Error("building receipt", "case_id", r.caseID, "err", r.err)
		if err := tx.MailFailed(r.outboxID, "登记回执生成失败："+gongkai.ErrorMessage(r.err)); err != nil {
			return undo, err
		}
		if err := tx.AddEvent(&gongkai.Event{CaseID: r.caseID, Actor: SystemActor, Kind: "receipt_skipped",
			Detail: "登记回执生成失败，请人工告知受理编号和查询码：" + gongkai.ErrorMessage(r.err)}); err != nil {
			return undo, err
		}
	}
	return undo, nil
}

// FlushReceipts waits for the receipts being rendered and stores them.
func (in *Intake) FlushReceipts(ctx context.Context) error {
	for in.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return in.storeReceipts(ctx)
}

// storeReceipts stores the receipts rendered so far in a transaction of
// their own.
func (in *Intake) storeReceipts(ctx context.Context) error {
	in.rmu.Lock()
	n := len(in.rendered)
	in.rmu.Unlock()
	if n == 0 {
		return nil
	}
	// A filing transaction that files nothing: it stores what was rendered
	// and puts it back if it fails.
	err := in.filingTx(nil, func(fn func(*store.Tx) error) error { return in.Cases.DB.Update(ctx, fn) },
		func(*store.Tx) error { return nil })
	if err != nil {
		return fmt.Errorf("caseflow: storing rendered receipts: %w", err)
	}
	return nil
}

// RenderOrphans renders the receipts still marked "render" that were
// queued before since (by a process that stopped before storing them): it
// parses the case's first message again for the threading headers.
func (in *Intake) RenderOrphans(ctx context.Context, since time.Time) (int, error) {
	if in.Receipt == nil {
		return 0, nil
	}
	type orphan struct {
		e   *store.OutboxEntry
		c   *gongkai.Case
		raw []byte
	}
	var todo []orphan
	err := in.Cases.DB.View(ctx, func(tx *store.Tx) error {
		es, err := tx.ToRender(1000)
		if err != nil {
			return err
		}
		for _, e := range es {
			if !e.CreatedAt.Before(since) || e.CaseID == 0 {
				continue
			}
			c, err := tx.CaseByID(e.CaseID)
			if err != nil {
				return err
			}
			o := orphan{e: e, c: c}
			if ms, err := tx.MessagesForCase(c.ID); err == nil && len(ms) > 0 {
				if raw, _, err := tx.MessageRaw(ms[0].ID); err == nil {
					o.raw = raw
				}
			}
			todo = append(todo, o)
		}
		return nil
	})
	if err != nil || len(todo) == 0 {
		return 0, err
	}
	for _, o := range todo {
		req, err := intake.ParseWith(o.raw, intake.Options{NoData: true})
		if err != nil || req == nil {
			req = &gongkai.Email{}
		}
		r := in.render(&receiptJob{outboxID: o.e.ID, c: *o.c, req: req, rcpt: strings.Join(o.e.Rcpt, ",")})
		in.rmu.Lock()
		in.rendered = append(in.rendered, r)
		in.rmu.Unlock()
	}
	return len(todo), in.FlushReceipts(ctx)
}

// runReceipts stores rendered receipts when no filing batch came to take
// them (a quiet moment), until ctx ends; then it stores what is left.
func (in *Intake) runReceipts(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			if err := in.FlushReceipts(context.WithoutCancel(ctx)); err != nil {
				in.log().Error("storing rendered receipts", "err", err)
			}
			return
		case <-in.receiptsWake:
		}
		// A filing batch usually takes them within milliseconds.
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
		if err := in.storeReceipts(context.WithoutCancel(ctx)); err != nil {
			in.log().Error("storing rendered receipts", "err", err)
		}
	}
}

func (in *Intake) initReceipts() {
	in.receiptsOnce.Do(func() {
		in.cpu = newCPUGate(runtime.GOMAXPROCS(0))
		in.receiptsWake = make(chan struct{}, 1)
	})
}
