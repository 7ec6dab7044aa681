package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongkai"
)

// MessageIDFor returns the id of a stored message with this Message-ID and
// content hash (the first copy: the index holds them in id order), or 0
// when there is none (SMTP/IMAP de-duplication: a redelivered or re-polled
// message finds the first copy).
func (tx *Tx) MessageIDFor(messageID, sha string) (int64, error) {
	var id int64
	err := tx.queryRow(`SELECT id FROM `+dedupeFrom(messageID)+` LIMIT 1`, messageID, sha).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: find message: %w", err)
	}
	return id, nil
}

// dedupeFrom selects messages with Message-ID ? and SHA-256 ? through the
// partial index that fits (messages_msgid, or messages_sha_noid for mail
// without a Message-ID; migration 0003). The message_id predicates are
// spelled out so that the index is usable. INDEXED BY and no ORDER BY: left
// to weigh both partial indexes against "message_id = ?" (a plan that
// depends on the bound value, which SQLite prepares again), and with an
// ORDER BY, a look-up took 10–13 µs; like this 2–3 µs (BenchmarkDedupe),
// once or twice per message inside the single writer. The index returns
// the ids in order.
func dedupeFrom(messageID string) string {
	if messageID != "" {
		return `messages INDEXED BY messages_msgid WHERE message_id = ? AND message_id <> '' AND sha256 = ?`
	}
	return `messages INDEXED BY messages_sha_noid WHERE message_id = ? AND message_id = '' AND sha256 = ?`
}

// PendingMessages lists up to limit stored but unprocessed messages with an
// id above after, oldest first (the processor's restart-safe work list).
func (tx *Tx) PendingMessages(after int64, limit int) ([]int64, error) {
	rows, err := tx.query(`SELECT id FROM messages WHERE processed = 0 AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending messages: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: scan pending message: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PendingRaw is a stored, unprocessed message as the processor reads it.
type PendingRaw struct {
	ID        int64
	Raw       []byte
	MessageID string
	Source    string
	ArrivedAt string // RFC 3339
	Processed bool
}

// RawMessages loads the raw bytes of the given messages, in id order.
func (tx *Tx) RawMessages(ids []int64) ([]PendingRaw, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(`SELECT id, raw, message_id, source, arrived_at, processed FROM messages WHERE id IN (`+placeholders(len(ids))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: load raw messages: %w", err)
	}
	defer rows.Close()
	var out []PendingRaw
	for rows.Next() {
		var p PendingRaw
		var processed int
		if err := rows.Scan(&p.ID, &p.Raw, &p.MessageID, &p.Source, &p.ArrivedAt, &processed); err != nil {
			return nil, fmt.Errorf("store: scan raw message: %w", err)
		}
		p.Processed = processed != 0
		out = append(out, p)
	}
	return out, rows.Err()
}

// MessageProcessed reports whether a message has been processed already
// (a missing message counts as processed: there is nothing to do). It reads
// the pending index, not the row behind its raw bytes.
func (tx *Tx) MessageProcessed(id int64) (bool, error) {
	var pending int
	if err := tx.queryRow(`SELECT COUNT(*) FROM messages INDEXED BY messages_pending WHERE processed = 0 AND id = ?`, id).Scan(&pending); err != nil {
		return false, fmt.Errorf("store: message %d processed: %w", id, err)
	}
	return pending == 0, nil
}

// CaseByLetterMessageID returns the case of the first of ids (Message-IDs,
// with or without angle brackets) that gongkai sent: a letter's or an outbox
// item's Message-ID. It returns nil, nil when none matches.
func (tx *Tx) CaseByLetterMessageID(ids []string) (*gongkai.Case, error) {
	for _, id := range ids {
		id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
		if id == "" {
			continue
		}
		var caseID int64
		err := tx.queryRow(`SELECT case_id FROM letters WHERE message_id IN (?, ?) AND message_id <> '' AND case_id IS NOT NULL
			UNION ALL SELECT case_id FROM outbox WHERE message_id IN (?, ?) AND case_id IS NOT NULL LIMIT 1`,
			id, "<"+id+">", id, "<"+id+">").Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: find case by letter Message-ID: %w", err)
		}
		return tx.CaseByID(caseID)
	}
	return nil, nil
}

// FindCaseByNo returns the case with this 受理编号, or nil, nil when there is none.
func (tx *Tx) FindCaseByNo(no string) (*gongkai.Case, error) {
	c, err := tx.CaseByNo(no)
	if gongkai.ErrorKind(err) == gongkai.ENotFound {
		return nil, nil
	}
	return c, err
}

// Savepoint runs fn inside a SAVEPOINT of the transaction: when fn fails,
// only its own writes are undone and the transaction goes on (one message of
// a batch that cannot be filed does not undo the others).
func (tx *Tx) Savepoint(name string, fn func() error) error {
	if _, err := tx.exec(`SAVEPOINT ` + name); err != nil {
		return fmt.Errorf("store: savepoint %s: %w", name, err)
	}
	if err := fn(); err != nil {
		if _, rerr := tx.exec(`ROLLBACK TO ` + name); rerr != nil {
			return fmt.Errorf("store: rollback to %s: %w (after %v)", name, rerr, err)
		}
		tx.exec(`RELEASE ` + name)
		return err
	}
	if _, err := tx.exec(`RELEASE ` + name); err != nil {
		return fmt.Errorf("store: release %s: %w", name, err)
	}
	return nil
}

// IMAPState is an IMAP mailbox position, stored with the messages it
// covers (caseflow.Cursor). Mailbox is the poller's key for the mailbox
// (account and folder). StartUID is the highest UID the mailbox had when
// gongkai first read it with imap-start unseen or new: above it every
// message is taken, at or below it only the unread ones (0 = the whole
// mailbox; migration 0007). Pending lists the stored messages whose
// flagging or moving the server has not yet confirmed (the poller's
// notation; 0011).
type IMAPState struct {
	Mailbox     string
	UIDValidity uint32
	LastUID     uint32
	StartUID    uint32
	Pending     string
}

// IMAPCursor returns the cursor of a mailbox; zero values (but Mailbox)
// when it was never polled.
func (tx *Tx) IMAPCursor(mailbox string) (IMAPState, error) {
	c := IMAPState{Mailbox: mailbox}
	var v, l, s int64
	err := tx.queryRow(`SELECT uidvalidity, last_uid, start_uid, pending FROM imap_state WHERE mailbox = ?`, mailbox).Scan(&v, &l, &s, &c.Pending)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("store: IMAP cursor of %s: %w", mailbox, err)
	}
	c.UIDValidity, c.LastUID, c.StartUID = uint32(v), uint32(l), uint32(s)
	return c, nil
}

// SetIMAPCursor moves the cursor of a mailbox; call it in the transaction
// that stores the messages up to c.LastUID (STYLE.md habit 5).
func (tx *Tx) SetIMAPCursor(c IMAPState) error {
	_, err := tx.exec(`INSERT INTO imap_state (mailbox, uidvalidity, last_uid, start_uid, pending) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,
			start_uid = excluded.start_uid, pending = excluded.pending`,
		c.Mailbox, int64(c.UIDValidity), int64(c.LastUID), int64(c.StartUID), c.Pending)
	if err != nil {
		return fmt.Errorf("store: move IMAP cursor of %s: %w", c.Mailbox, err)
	}
	return nil
}

// RenameIMAPCursor moves the cursor stored under from to the name to, when
// to has none and from's is of this UIDVALIDITY.
func (tx *Tx) RenameIMAPCursor(from, to string, uidValidity uint32) error {
	_, err := tx.exec(`UPDATE imap_state SET mailbox = ? WHERE mailbox = ? AND uidvalidity = ?
		AND NOT EXISTS (SELECT 1 FROM imap_state WHERE mailbox = ?)`, to, from, int64(uidValidity), to)
	if err != nil {
		return fmt.Errorf("store: rename IMAP cursor %s: %w", from, err)
	}
	return nil
}

// CountMessages counts stored messages and those awaiting processing. Both
// counts come from indexes: reading processed from the rows themselves
// would walk the overflow pages of every raw message before it.
func (tx *Tx) CountMessages() (total, pending int, err error) {
	if err = tx.queryRow(`SELECT COUNT(*) FROM messages`).Scan(&total); err == nil {
		err = tx.queryRow(`SELECT COUNT(*) FROM messages WHERE processed = 0`).Scan(&pending)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("store: count messages: %w", err)
	}
	return total, pending, nil
}

// MessageCopies counts the stored copies of each Message-ID among ids (tests
// and the crash check: every accepted message exactly once).
func (tx *Tx) MessageCopies(messageIDs []string) (map[string]int, error) {
	out := make(map[string]int, len(messageIDs))
	for _, id := range messageIDs {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM messages WHERE message_id = ?`, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count copies of %s: %w", id, err)
		}
		out[id] = n
	}
	return out, nil
}

// Verdict returns the stored classifier verdict JSON of a message.
func (tx *Tx) VerdictJSON(id int64) (string, error) {
	var v string
	if err := tx.queryRow(`SELECT verdict_json FROM messages WHERE id = ?`, id).Scan(&v); err != nil {
		return "", notFound(err, "邮件")
	}
	return v, nil
}

// PriorCase is what the duplicate check needs of an earlier case.
type PriorCase struct {
	No          string
	Description string
	Status      gongkai.Status
	ArrivedAt   time.Time
}

// PriorCases lists the applicant's latest limit cases, newest first (the
// classifier's duplicate check, RULES.md §7 重复申请): by ID number when one
// is given (indexed), else by name (indexed since migration 0002). Newest:
// a frequent applicant's repeat of a recent request must be found even after
// limit earlier ones.
func (tx *Tx) PriorCases(idNumber, name string, limit int) ([]PriorCase, error) {
	var q string
	var args []any
	switch {
	case idNumber != "":
		q, args = `cases INDEXED BY cases_id_number WHERE id_number = ? AND id_number <> ''`, []any{idNumber}
	case name != "":
		q, args = `cases INDEXED BY cases_name WHERE name = ? AND name <> ''`, []any{name}
	default:
		return nil, nil
	}
	// Most applicants have no earlier case: a probe without ORDER BY answers
	// that in 2–3 µs where the sorted query took 10–14 (BenchmarkPriorCases),
	// inside the single writer.
	var one int
	switch err := tx.queryRow(`SELECT 1 FROM `+q+` LIMIT 1`, args...).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("store: prior cases: %w", err)
	}
	rows, err := tx.query(`SELECT case_no, description, status, arrived_at FROM `+q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: prior cases: %w", err)
	}
	defer rows.Close()
	var out []PriorCase
	for rows.Next() {
		var c PriorCase
		var status, arrived string
		if err := rows.Scan(&c.No, &c.Description, &status, &arrived); err != nil {
			return nil, fmt.Errorf("store: scan prior case: %w", err)
		}
		c.Status, c.ArrivedAt = gongkai.Status(status), parseTS(arrived)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateFiledMessage stores an inbound message that was parsed and
// classified before storing (single-write intake), with its verdict, and
// sets m.ID.
func (tx *Tx) CreateFiledMessage(m *gongkai.Message, verdictJSON string) error {
	var caseID any
	if m.CaseID != 0 {
		caseID = m.CaseID
	}
	res, err := tx.exec(`INSERT INTO messages (case_id, channel, source, arrived_at, raw, sha256, message_id, subject, from_addr, kind, malformed, defects, parse_error, verdict_json, processed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
		caseID, string(m.Channel), m.Source, ts(m.ArrivedAt), m.Raw, m.SHA256, m.MessageID, m.Subject, m.From, string(m.Kind),
		b2i(m.Malformed), strings.Join(m.Defects, ","), m.ParseError, verdictJSON, ts(tx.Now))
	if err != nil {
		return fmt.Errorf("store: store message: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	return nil
}
