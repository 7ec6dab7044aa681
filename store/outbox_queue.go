package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongkai"
)

// The outbox as the sender's durable queue (issue 6): at-least-once delivery,
// de-duplicated by Message-ID. Items move queued → sending → sent | failed;
// a temporary failure puts them back to queued with a later next_attempt_at.

// Outbox item statuses. An item "render" has its recipients and Message-ID
// but not yet its text: intake queues the 登记回执 so and renders it after
// the filing commit, outside the single writer.
const (
	OutboxRender  = "render"
	OutboxQueued  = "queued"
	OutboxSending = "sending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxEntry is an outbox row with its delivery state, as the sender and
// the case page need it.
type OutboxEntry struct {
	ID            int64
	CaseID        int64
	LetterID      int64
	MessageID     string
	From          string
	Rcpt          []string
	Raw           []byte
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

const outboxCols = `id, COALESCE(case_id, 0), COALESCE(letter_id, 0), message_id, mail_from, rcpt, raw, status, attempts,
	next_attempt_at, last_error, created_at, sent_at`

func scanOutbox(s scanner) (*OutboxEntry, error) {
	var e OutboxEntry
	var rcpt, next, created, sent string
	if err := s.Scan(&e.ID, &e.CaseID, &e.LetterID, &e.MessageID, &e.From, &rcpt, &e.Raw, &e.Status, &e.Attempts,
		&next, &e.LastError, &created, &sent); err != nil {
		return nil, err
	}
	if rcpt != "" {
		e.Rcpt = strings.Split(rcpt, ",")
	}
	e.NextAttemptAt, e.CreatedAt, e.SentAt = parseTS(next), parseTS(created), parseTS(sent)
	return &e, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// QueueMail queues a message for the sender: a letter (letterID) of a case,
// or a staff reminder (both 0). The Message-ID (stored without brackets) is
// unique: queueing it again keeps the first and reports queued=false.
func (tx *Tx) QueueMail(caseID, letterID int64, messageID, from string, rcpt []string, raw []byte) (queued bool, err error) {
	messageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	if messageID == "" {
		return false, fmt.Errorf("store: queue mail: no Message-ID")
	}
	res, err := tx.exec(`INSERT INTO outbox (case_id, letter_id, message_id, mail_from, rcpt, raw, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT(message_id) DO NOTHING`,
		nullID(caseID), nullID(letterID), messageID, from, strings.Join(rcpt, ","), raw, ts(tx.Now), ts(tx.Now))
	if err != nil {
		return false, fmt.Errorf("store: queue mail %s: %w", messageID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// QueueRender queues an item of a case whose message is rendered later
// (status "render"; SetRendered completes it). Like QueueMail, the
// Message-ID is unique; it returns the item's id, 0 when that Message-ID
// was queued before.
func (tx *Tx) QueueRender(caseID int64, messageID, from string, rcpt []string) (int64, error) {
	res, err := tx.exec(`INSERT INTO outbox (case_id, message_id, mail_from, rcpt, raw, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, x'', 'render', ?, ?) ON CONFLICT(message_id) DO NOTHING`,
		nullID(caseID), messageID, from, strings.Join(rcpt, ","), ts(tx.Now), ts(tx.Now))
	if err != nil {
		return 0, fmt.Errorf("store: queue %s for rendering: %w", messageID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, nil
	}
	return res.LastInsertId()
}

// SetRendered stores the message of an item queued by QueueRender and
// queues it for the sender; an item already rendered is left alone
// (rendered reports which).
func (tx *Tx) SetRendered(id int64, raw []byte) (rendered bool, err error) {
	res, err := tx.exec(`UPDATE outbox SET raw = ?, status = 'queued', next_attempt_at = ? WHERE id = ? AND status = 'render'`, raw, ts(tx.Now), id)
	if err != nil {
		return false, fmt.Errorf("store: store rendered outbox item %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ToRender lists up to limit items still waiting for their message, oldest
// first (after a restart: intake renders them again).
func (tx *Tx) ToRender(limit int) ([]*OutboxEntry, error) {
	rows, err := tx.query(`SELECT `+outboxCols+` FROM outbox WHERE status = 'render' ORDER BY id LIMIT ?`, limit)
	out, err := outboxRows(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: outbox items to render: %w", err)
	}
	return out, nil
}

// outboxRows reads the outbox items of a query and closes rows.
func outboxRows(rows *sql.Rows, err error) ([]*OutboxEntry, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*OutboxEntry
	for rows.Next() {
		e, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("scan outbox item: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountToRender counts the items still waiting for their message.
func (tx *Tx) CountToRender() (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM outbox WHERE status = 'render'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count outbox items to render: %w", err)
	}
	return n, nil
}

// DueMail returns up to limit queued items whose next attempt is not after
// now, oldest first, and marks them "sending" in the same transaction, so two
// senders never take the same item.
func (tx *Tx) DueMail(now time.Time, limit int) ([]*OutboxEntry, error) {
	// julianday() compares the instants; the stored strings vary in width.
	rows, err := tx.query(`SELECT `+outboxCols+` FROM outbox WHERE status = 'queued' AND julianday(next_attempt_at) <= julianday(?)
		ORDER BY id LIMIT ?`, ts(now), limit)
	out, err := outboxRows(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: due outbox items: %w", err)
	}
	for _, e := range out {
		if _, err := tx.exec(`UPDATE outbox SET status = 'sending' WHERE id = ?`, e.ID); err != nil {
			return nil, fmt.Errorf("store: mark outbox item %d sending: %w", e.ID, err)
		}
		e.Status = OutboxSending
	}
	return out, nil
}

// MailSent records that the relay accepted item id.
func (tx *Tx) MailSent(id int64, at time.Time) error {
	return tx.outboxUpdate(id, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`, ts(at), id)
}

// MailRetry records a failed attempt and queues the item again for next.
func (tx *Tx) MailRetry(id int64, next time.Time, errText string) error {
	return tx.outboxUpdate(id, `UPDATE outbox SET status = 'queued', attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		ts(next), errText, id)
}

// MailFailed records a permanent failure; the item stays in the outbox,
// shown on its case.
func (tx *Tx) MailFailed(id int64, errText string) error {
	return tx.outboxUpdate(id, `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`, errText, id)
}

func (tx *Tx) outboxUpdate(id int64, q string, args ...any) error {
	res, err := tx.exec(q, args...)
	if err != nil {
		return fmt.Errorf("store: update outbox item %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "发件箱邮件")
	}
	return nil
}

// RequeueSending puts items left "sending" by a crash back to "queued" and
// notes it on the item and in the history of its case. Run at start-up,
// before the sender: such an item may have reached the relay already, so it
// is sent again (at least once) with the same Message-ID, which lets the
// receiver de-duplicate; the history keeps the possible repeat visible.
func (tx *Tx) RequeueSending() (int, error) {
	rows, err := tx.query(`SELECT id, COALESCE(case_id, 0), message_id FROM outbox WHERE status = 'sending' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("store: interrupted outbox items: %w", err)
	}
	type item struct {
		id, caseID int64
		msgID      string
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.caseID, &it.msgID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: scan outbox item: %w", err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: interrupted outbox items: %w", err)
	}
	const note = "上次发送时服务中断，可能已送达，将以相同 Message-ID 重新发送"
	for _, it := range items {
		if _, err := tx.exec(`UPDATE outbox SET status = 'queued', last_error = ? WHERE id = ?`, note, it.id); err != nil {
			return 0, fmt.Errorf("store: requeue outbox item %d: %w", it.id, err)
		}
		if it.caseID != 0 {
			if err := tx.AddEvent(&gongkai.Event{CaseID: it.caseID, Actor: "system", Kind: "mail_requeued",
				Detail: fmt.Sprintf("邮件 <%s> %s；申请人可能收到两份相同的邮件", it.msgID, note)}); err != nil {
				return 0, err
			}
		}
	}
	return len(items), nil
}

// OutboxOfCase lists the outbox items of a case with their delivery state,
// oldest first (without the raw message).
func (tx *Tx) OutboxOfCase(caseID int64) ([]*OutboxEntry, error) {
	return tx.outboxOfCase(caseID, false)
}

// OutboxForCase is OutboxOfCase with each item's raw message.
func (tx *Tx) OutboxForCase(caseID int64) ([]*OutboxEntry, error) {
	return tx.outboxOfCase(caseID, true)
}

func (tx *Tx) outboxOfCase(caseID int64, withRaw bool) ([]*OutboxEntry, error) {
	cols := outboxCols
	if !withRaw {
		cols = strings.Replace(outboxCols, "raw,", "x'',", 1)
	}
	rows, err := tx.query(`SELECT `+cols+` FROM outbox WHERE case_id = ? ORDER BY id`, caseID)
	out, err := outboxRows(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of case %d: %w", caseID, err)
	}
	return out, nil
}

// OutboxByMessageID returns the outbox item with that Message-ID.
func (tx *Tx) OutboxByMessageID(messageID string) (*OutboxEntry, error) {
	messageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	e, err := scanOutbox(tx.queryRow(`SELECT `+outboxCols+` FROM outbox WHERE message_id = ?`, messageID))
	if err != nil {
		return nil, notFound(err, "发件箱邮件")
	}
	return e, nil
}

// UserEmail returns the e-mail address of a staff member ("" when none is
// stored), for reminders.
func (tx *Tx) UserEmail(username string) (string, error) {
	var e string
	err := tx.queryRow(`SELECT email FROM users WHERE username = ?`, username).Scan(&e)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound(err, "用户")
	}
	if err != nil {
		return "", fmt.Errorf("store: e-mail of %s: %w", username, err)
	}
	return e, nil
}

// UserEmails returns the stored e-mail address of every staff member.
func (tx *Tx) UserEmails() (map[string]string, error) {
	rows, err := tx.query(`SELECT username, email FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: staff e-mails: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var u, e string
		if err := rows.Scan(&u, &e); err != nil {
			return nil, fmt.Errorf("store: scan staff e-mail: %w", err)
		}
		out[u] = e
	}
	return out, rows.Err()
}

// SetUserEmail stores a staff member's e-mail address.
func (tx *Tx) SetUserEmail(username, email string) error {
	res, err := tx.exec(`UPDATE users SET email = ? WHERE username = ?`, strings.TrimSpace(email), username)
	if err != nil {
		return fmt.Errorf("store: set e-mail of %s: %w", username, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "用户")
	}
	return nil
}
