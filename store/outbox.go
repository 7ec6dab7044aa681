package store

import (
	"fmt"
	"strings"
	"time"
)

// OutboxItem is one row of the durable outbox.
type OutboxItem struct {
	ID        int64
	CaseID    int64
	MessageID string
	From      string
	Rcpt      []string
	Raw       []byte
	Status    string
	Attempts  int
	CreatedAt time.Time
}

// EnqueueMail queues an outgoing message for the sender. The Message-ID
// (stored without angle brackets) is unique: queueing the same message twice
// keeps the first and reports queued=false.
func (tx *Tx) EnqueueMail(caseID int64, messageID, from string, rcpt []string, raw []byte) (queued bool, err error) {
	var cid any
	if caseID != 0 {
		cid = caseID
	}
	messageID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	res, err := tx.exec(`INSERT INTO outbox (case_id, message_id, mail_from, rcpt, raw, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT(message_id) DO NOTHING`,
		cid, messageID, from, strings.Join(rcpt, ","), raw, ts(tx.Now), ts(tx.Now))
	if err != nil {
		return false, fmt.Errorf("store: queue mail %s: %w", messageID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// OutboxForCase lists the outbox items of a case, oldest first.
func (tx *Tx) OutboxForCase(caseID int64) ([]OutboxItem, error) {
	rows, err := tx.query(`SELECT id, COALESCE(case_id, 0), message_id, mail_from, rcpt, raw, status, attempts, created_at FROM outbox WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var rcpt, created string
		if err := rows.Scan(&it.ID, &it.CaseID, &it.MessageID, &it.From, &rcpt, &it.Raw, &it.Status, &it.Attempts, &created); err != nil {
			return nil, fmt.Errorf("store: scan outbox item: %w", err)
		}
		if rcpt != "" {
			it.Rcpt = strings.Split(rcpt, ",")
		}
		it.CreatedAt = parseTS(created)
		out = append(out, it)
	}
	return out, rows.Err()
}
