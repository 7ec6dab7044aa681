package caseflow

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/store"
)

// TestReceiptAfterCommit: with ReceiptEnvelope set, filing queues the
// receipt unrendered (status "render", the Message-ID already known, so a
// reply threads to the case at once); it is rendered after the commit and
// stored by the next write. A receipt whose rendering a stop lost is
// rendered by RenderOrphans, from the case and its first message.
func TestReceiptAfterCommit(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	cls := labelClassifier{
		"a@x.example": {IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson, Name: "张三", Email: "a@x.example", Description: "预售许可证"},
		"b@x.example": {IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson, Name: "李四", Email: "b@x.example", Description: "维修资金"},
	}
	in := newIntake(t, db, cls)

	receive := func(from string) *gongkai.Case {
		t.Helper()
		m := []Incoming{{Raw: []byte("Message-ID: <" + from + ">\r\nFrom: " + from + "\r\nSubject: 申请\r\n\r\n申请公开\r\n"), Source: "smtp"}}
		in.Prepare(&m[0])
		ids, err := in.ReceiveBatch(ctx, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		var c *gongkai.Case
		db.View(ctx, func(tx *store.Tx) error {
			msg, err := tx.MessageByID(ids[0])
			if err != nil {
				return err
			}
			c, err = tx.CaseByID(msg.CaseID)
			return err
		})
		if c == nil {
			t.Fatalf("%s: no case", from)
		}
		return c
	}
	outbox := func(c *gongkai.Case) *store.OutboxEntry {
		t.Helper()
		var out []*store.OutboxEntry
		db.View(ctx, func(tx *store.Tx) error { out, _ = tx.OutboxForCase(c.ID); return nil })
		if len(out) != 1 {
			t.Fatalf("%s: %d outbox items, want 1", c.No, len(out))
		}
		return out[0]
	}

	c := receive("a@x.example")
	if e := outbox(c); e.MessageID != "receipt-"+c.No+"@test" || strings.Join(e.Rcpt, ",") != "a@x.example" {
		t.Errorf("queued receipt %q to %v", e.MessageID, e.Rcpt)
	}
	if err := in.FlushReceipts(ctx); err != nil {
		t.Fatal(err)
	}
	e := outbox(c)
	if e.Status != store.OutboxQueued || !strings.Contains(string(e.Raw), c.No) || !strings.Contains(string(e.Raw), "In-Reply-To: <a@x.example>") {
		t.Errorf("after flush: status %q raw %q", e.Status, e.Raw)
	}

	// A stop between the commit and storing the rendering: the rendered
	// receipt is dropped, the item stays "render".
	c2 := receive("b@x.example")
	for in.inflight.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	in.rmu.Lock()
	in.rendered = nil
	in.rmu.Unlock()
	if e := outbox(c2); e.Status != store.OutboxRender || len(e.Raw) != 0 {
		t.Fatalf("lost rendering: status %q, %d bytes", e.Status, len(e.Raw))
	}
	var n int
	db.View(ctx, func(tx *store.Tx) error { n, _ = tx.CountToRender(); return nil })
	if n != 1 {
		t.Errorf("CountToRender = %d, want 1", n)
	}
	// Items queued after the process started are not orphans.
	if got, err := in.RenderOrphans(ctx, time.Now().Add(-time.Hour)); err != nil || got != 0 {
		t.Errorf("RenderOrphans(an hour ago) = %d, %v; want 0", got, err)
	}
	if got, err := in.RenderOrphans(ctx, time.Now().Add(time.Second)); err != nil || got != 1 {
		t.Fatalf("RenderOrphans = %d, %v; want 1", got, err)
	}
	e = outbox(c2)
	if e.Status != store.OutboxQueued || !strings.Contains(string(e.Raw), c2.No) || !strings.Contains(string(e.Raw), "In-Reply-To: <b@x.example>") {
		t.Errorf("orphan rendered: status %q raw %q", e.Status, e.Raw)
	}
	// The history says the receipt was queued, once each.
	db.View(ctx, func(tx *store.Tx) error {
		for _, cc := range []*gongkai.Case{c, c2} {
			evs, err := tx.Events(cc.ID)
			if err != nil {
				return err
			}
			k := 0
			for _, ev := range evs {
				if ev.Kind == "receipt_queued" {
					k++
				}
			}
			if k != 1 {
				t.Errorf("%s: %d receipt_queued events", cc.No, k)
			}
		}
		return nil
	})
}

// TestReceiptRenderFails: a receipt that cannot be built is marked failed
// on the outbox and the case history tells staff to inform the applicant.
func TestReceiptRenderFails(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	cls := labelClassifier{"a@x.example": {IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson, Name: "张三", Email: "a@x.example", Description: "预售许可证"}}
	in := newIntake(t, db, cls)
	in.Receipt = func(*gongkai.Case, *gongkai.Email, string) ([]byte, error) { panic("template broken") }
	m := []Incoming{{Raw: []byte("Message-ID: <a@x.example>\r\nFrom: a@x.example\r\nSubject: 申请\r\n\r\n申请公开\r\n"), Source: "smtp"}}
	in.Prepare(&m[0])
	ids, err := in.ReceiveBatch(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.FlushReceipts(ctx); err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		msg, _ := tx.MessageByID(ids[0])
		out, _ := tx.OutboxForCase(msg.CaseID)
		if len(out) != 1 || out[0].Status != store.OutboxFailed || !strings.Contains(out[0].LastError, "登记回执生成失败") {
			t.Errorf("outbox %+v, want one failed receipt", out)
		}
		evs, _ := tx.Events(msg.CaseID)
		if !slices.ContainsFunc(evs, func(e gongkai.Event) bool { return e.Kind == "receipt_skipped" }) {
			t.Error("no receipt_skipped event")
		}
		return nil
	})
}
