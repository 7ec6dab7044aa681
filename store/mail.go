package store

import (
	"fmt"

	"gongkai"
)

// MailQueue is a tab of the staff mail view: the inbound messages that are
// on no case.
type MailQueue string

const (
	// MailAttention: not yet handled, and not an automatic reply or bounce —
	// spam held for a person, mail that could not be parsed, consultations,
	// complaints, replies that matched no case, messages still being read.
	MailAttention MailQueue = "attention"
	// MailAuto: automatic replies and bounces that matched no case (stored
	// and shown, never a case; nothing to do unless staff see a reason).
	MailAuto MailQueue = "auto"
	// MailHandled: handled by a person (recorded as needing nothing, or
	// linked to a case from the view), newest first.
	MailHandled MailQueue = "handled"
)

// autoKinds are the kinds MailAuto holds.
var autoKinds = []any{string(gongkai.KindAutoReply), string(gongkai.KindBounce)}

// mailFrom selects a queue's messages through a partial index that answers
// every term: messages_unlinked (migration 0006) for the messages on no
// case, messages_handled (0009) for those a person dealt with, linked to a
// case from the view or not. Choosing and counting a queue's messages never
// reads a message row, whose raw bytes come first. Named, as the planner
// would otherwise take messages_case for "case_id IS NULL" and read every
// row it finds.
func mailFrom(q MailQueue) (string, []any, error) {
	const unlinked = `messages INDEXED BY messages_unlinked WHERE case_id IS NULL AND `
	switch q {
	case MailAttention:
		return unlinked + `handled_at = '' AND kind NOT IN (?, ?)`, autoKinds, nil
	case MailAuto:
		return unlinked + `handled_at = '' AND kind IN (?, ?)`, autoKinds, nil
	case MailHandled:
		return `messages INDEXED BY messages_handled WHERE handled_at <> ''`, nil, nil
	}
	return "", nil, fmt.Errorf("store: unknown mail queue %q", q)
}

// mailIDs is the query of a queue's message ids, newest first, from the
// index alone.
func mailIDs(q MailQueue) (string, []any, error) {
	from, args, err := mailFrom(q)
	return `SELECT id FROM ` + from + ` ORDER BY id DESC LIMIT ?`, args, err
}

// Mail lists a queue of the staff mail view, newest first, at most limit.
// Only the rows shown are read.
func (tx *Tx) Mail(q MailQueue, limit int) ([]*gongkai.Message, error) {
	ids, args, err := mailIDs(q)
	if err != nil {
		return nil, err
	}
	return tx.messages(`WHERE id IN (`+ids+`) ORDER BY id DESC`, append(args, limit)...)
}

// MailCount gives the number of messages in a queue.
func (tx *Tx) MailCount(q MailQueue) (int, error) {
	from, args, err := mailFrom(q)
	if err != nil {
		return 0, err
	}
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM `+from, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count mail %s: %w", q, err)
	}
	return n, nil
}

// MailCounts gives the number of messages in each queue.
func (tx *Tx) MailCounts() (map[MailQueue]int, error) {
	out := map[MailQueue]int{}
	for _, q := range []MailQueue{MailAttention, MailAuto, MailHandled} {
		n, err := tx.MailCount(q)
		if err != nil {
			return nil, err
		}
		out[q] = n
	}
	return out, nil
}

// HandleMessage records that a person dealt with a message on no case and
// why. A message already handled, or on a case, is an EConflict error.
func (tx *Tx) HandleMessage(id int64, by, note string) error {
	res, err := tx.exec(`UPDATE messages SET handled_by = ?, handled_at = ?, handled_note = ? WHERE id = ? AND case_id IS NULL AND handled_at = ''`,
		by, ts(tx.Now), note, id)
	if err != nil {
		return fmt.Errorf("store: handle message %d: %w", id, err)
	}
	return tx.oneMessageChanged(res, id)
}

// ReopenMessage undoes the archiving of a message on no case: it is
// waiting for staff again.
func (tx *Tx) ReopenMessage(id int64) error {
	res, err := tx.exec(`UPDATE messages SET handled_by = '', handled_at = '', handled_note = '' WHERE id = ? AND case_id IS NULL AND handled_at <> ''`, id)
	if err != nil {
		return fmt.Errorf("store: reopen message %d: %w", id, err)
	}
	return tx.oneMessageChanged(res, id)
}

// LinkMessage attaches a message on no case to a case, as handled by by.
func (tx *Tx) LinkMessage(id, caseID int64, by, note string) error {
	res, err := tx.exec(`UPDATE messages SET case_id = ?, handled_by = ?, handled_at = ?, handled_note = ? WHERE id = ? AND case_id IS NULL`,
		caseID, by, ts(tx.Now), note, id)
	if err != nil {
		return fmt.Errorf("store: link message %d: %w", id, err)
	}
	return tx.oneMessageChanged(res, id)
}

// oneMessageChanged turns "no row changed" into not found or a conflict.
func (tx *Tx) oneMessageChanged(res interface{ RowsAffected() (int64, error) }, id int64) error {
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	m, err := tx.MessageByID(id)
	if err != nil {
		return err
	}
	if m.CaseID != 0 {
		return gongkai.Errorf(gongkai.EConflict, "这封来信已关联到案件，不能再处理")
	}
	return gongkai.Errorf(gongkai.EConflict, "这封来信已由 %s 处理", m.HandledBy)
}
