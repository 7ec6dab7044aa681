package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"gongkai/caseflow"
	"gongkai/replies"
	"gongkai/store"
	"gongkai/web"
)

// Letters and outbox wiring (issue 6): the letter desk on the staff pages,
// the outbox sender towards the relay (--relay, STARTTLS, AUTH), and staff
// reminders mailed through the same outbox.

func init() { appHooks = append(appHooks, wireReplies) }

// repliesPart is what wireReplies built for one App.
type repliesPart struct {
	letters *caseflow.Letters
	sender  *replies.Sender
	queue   *outboxQueue
}

// repliesParts maps each App to its replies part, so that tests (and
// subcommands) can reach the sender without a field on App.
var repliesParts sync.Map // *App → *repliesPart

func repliesOf(a *App) *repliesPart {
	p, _ := repliesParts.Load(a)
	rp, _ := p.(*repliesPart)
	return rp
}

// defaultAgency is the agency as the config knows it; an admin completes it
// on the settings page (stored values override these).
func defaultAgency(cfg Config) replies.Agency {
	return replies.Agency{Name: cfg["agency"], Office: "政府信息公开工作机构", Email: cfg["mail-from"]}
}

func wireReplies(a *App) error {
	cfg := a.Config
	q := &outboxQueue{db: a.DB}
	sender := &replies.Sender{Queue: q, Relay: cfg["relay"], Username: cfg["relay-user"], Password: cfg["relay-password"],
		Logger: a.Log.With("worker", "sender")}
	letters := &caseflow.Letters{Cases: a.Cases, Agency: defaultAgency(cfg), Wake: sender.Wake, Log: a.Log}
	a.Web.Extra = append(a.Web.Extra, web.Letters(letters))
	a.workers = append(a.workers, worker{name: "sender", run: func(ctx context.Context) error {
		// Items left "sending" by a crash go back to the queue before the
		// sender starts (at least once; the receiver de-duplicates by
		// Message-ID, and the case history notes the possible repeat).
		n, err := q.requeue(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			a.Log.Warn("outbox: interrupted items queued again", "count", n)
		}
		return sender.Run(ctx)
	}})
	a.Notify = reminderMailer(a, letters, sender)
	repliesParts.Store(a, &repliesPart{letters: letters, sender: sender, queue: q})
	a.closers = append(a.closers, func() error { repliesParts.Delete(a); return nil })
	return nil
}

// reminderMailer mails a daily reminder to a staff member through the
// outbox; staff without an e-mail address are skipped (the reminder is in
// the log and the history all the same).
func reminderMailer(a *App, letters *caseflow.Letters, sender *replies.Sender) caseflow.Notifier {
	return func(ctx context.Context, username, subject, body string) error {
		var to string
		if err := a.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			to, err = tx.UserEmail(username)
			return err
		}); err != nil {
			return err
		}
		if to == "" {
			a.Log.Info("reminder not mailed: no e-mail address", "user", username, "subject", subject)
			return nil
		}
		agency, err := letters.AgencySettings(ctx)
		if err != nil {
			return err
		}
		from := agency.Email
		if from == "" {
			from = a.Config["mail-from"]
		}
		m := replies.Mail{
			From: (&mail.Address{Name: agency.Name, Address: from}).String(), To: to, Subject: subject, Text: body,
			MessageID: "reminder-" + randHex() + "@" + domainPart(from), AutoSubmitted: "auto-generated", Date: time.Now(),
		}
		raw, err := replies.BuildMail(m)
		if err != nil {
			return err
		}
		envFrom, rcpt, err := replies.Envelope(m)
		if err != nil {
			return err
		}
		if err := a.DB.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.QueueMail(0, 0, m.MessageID, envFrom, rcpt, raw)
			return err
		}); err != nil {
			return err
		}
		a.Log.Info("reminder queued", "user", username, "msg_id", m.MessageID)
		sender.Wake()
		return nil
	}
}

func randHex() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b[:])
}

func domainPart(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}

// outboxQueue is replies.Queue on the SQLite outbox (store.Tx.DueMail …):
// each call is one transaction.
type outboxQueue struct{ db *store.DB }

var _ replies.Queue = (*outboxQueue)(nil)

// Due takes the due items and marks them "sending".
func (q *outboxQueue) Due(ctx context.Context, now time.Time, limit int) ([]replies.Item, error) {
	var out []replies.Item
	err := q.db.Update(ctx, func(tx *store.Tx) error {
		es, err := tx.DueMail(now, limit)
		for _, e := range es {
			out = append(out, replies.Item{ID: e.ID, MessageID: e.MessageID, From: e.From, To: e.Rcpt, Raw: e.Raw, Attempts: e.Attempts})
		}
		return err
	})
	return out, err
}

// Sent records delivery to the relay.
func (q *outboxQueue) Sent(ctx context.Context, id int64, at time.Time) error {
	return q.db.Update(ctx, func(tx *store.Tx) error { return tx.MailSent(id, at) })
}

// Retry records a failed attempt and queues the item again.
func (q *outboxQueue) Retry(ctx context.Context, id int64, next time.Time, errText string) error {
	return q.db.Update(ctx, func(tx *store.Tx) error { return tx.MailRetry(id, next, errText) })
}

// Failed records a permanent failure.
func (q *outboxQueue) Failed(ctx context.Context, id int64, errText string) error {
	return q.db.Update(ctx, func(tx *store.Tx) error { return tx.MailFailed(id, errText) })
}

func (q *outboxQueue) requeue(ctx context.Context) (int, error) {
	var n int
	err := q.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.RequeueSending()
		return err
	})
	return n, err
}
