package store

import (
	"fmt"
	"strings"

	"gongkai"
)

const msgCols = `id, COALESCE(case_id, 0), channel, source, arrived_at, sha256, message_id, subject, from_addr, kind, malformed, defects, parse_error, handled_by, handled_at, handled_note`

func scanMessage(s scanner) (*gongkai.Message, error) {
	var m gongkai.Message
	var channel, arrived, kind, defects, handledAt string
	var malformed int
	if err := s.Scan(&m.ID, &m.CaseID, &channel, &m.Source, &arrived, &m.SHA256, &m.MessageID, &m.Subject, &m.From, &kind, &malformed, &defects, &m.ParseError,
		&m.HandledBy, &handledAt, &m.HandledNote); err != nil {
		return nil, err
	}
	m.HandledAt = parseTS(handledAt)
	m.Channel = gongkai.Channel(channel)
	m.ArrivedAt = parseTS(arrived)
	m.Kind = gongkai.MessageKind(kind)
	m.Malformed = malformed != 0
	if defects != "" {
		m.Defects = strings.Split(defects, ",")
	}
	return &m, nil
}

// CreateMessage stores an inbound message verbatim and sets m.ID. Raw bytes
// are written as they arrived; nothing is dropped (STYLE.md habit 5).
func (tx *Tx) CreateMessage(m *gongkai.Message) error {
	var caseID any
	if m.CaseID != 0 {
		caseID = m.CaseID
	}
	if m.ArrivedAt.IsZero() {
		m.ArrivedAt = tx.Now
	}
	res, err := tx.exec(`INSERT INTO messages (case_id, channel, source, arrived_at, raw, sha256, message_id, subject, from_addr, kind, malformed, defects, parse_error, processed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		caseID, string(m.Channel), m.Source, ts(m.ArrivedAt), m.Raw, m.SHA256, m.MessageID, m.Subject, m.From, string(m.Kind),
		b2i(m.Malformed), strings.Join(m.Defects, ","), m.ParseError, b2i(m.Kind != gongkai.KindPending), ts(tx.Now))
	if err != nil {
		return fmt.Errorf("store: store message: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	return nil
}

// UpdateMessage records what parsing and classification made of a message.
func (tx *Tx) UpdateMessage(m *gongkai.Message, verdictJSON string) error {
	var caseID any
	if m.CaseID != 0 {
		caseID = m.CaseID
	}
	_, err := tx.exec(`UPDATE messages SET case_id=?, message_id=?, subject=?, from_addr=?, kind=?, malformed=?, defects=?, parse_error=?, verdict_json=?, processed=1 WHERE id=?`,
		caseID, m.MessageID, m.Subject, m.From, string(m.Kind), b2i(m.Malformed), strings.Join(m.Defects, ","), m.ParseError, verdictJSON, m.ID)
	if err != nil {
		return fmt.Errorf("store: update message %d: %w", m.ID, err)
	}
	return nil
}

// MessageByID returns a message without its raw bytes.
func (tx *Tx) MessageByID(id int64) (*gongkai.Message, error) {
	m, err := scanMessage(tx.queryRow(`SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "邮件")
	}
	return m, nil
}

// MessageRaw returns the stored raw bytes and the verdict JSON of a message.
func (tx *Tx) MessageRaw(id int64) ([]byte, string, error) {
	var raw []byte
	var verdict string
	if err := tx.queryRow(`SELECT raw, verdict_json FROM messages WHERE id = ?`, id).Scan(&raw, &verdict); err != nil {
		return nil, "", notFound(err, "邮件")
	}
	return raw, verdict, nil
}

// MessagesForCase lists the messages linked to a case, oldest first.
func (tx *Tx) MessagesForCase(caseID int64) ([]*gongkai.Message, error) {
	return tx.messages(`WHERE case_id = ? ORDER BY id`, caseID)
}

// Messages lists every inbound message, newest first (the staff see the
// ones on no case through Mail).
func (tx *Tx) Messages() ([]*gongkai.Message, error) {
	return tx.messages(`ORDER BY id DESC`)
}

func (tx *Tx) messages(tail string, args ...any) ([]*gongkai.Message, error) {
	rows, err := tx.query(`SELECT `+msgCols+` FROM messages `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	defer rows.Close()
	var out []*gongkai.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan message: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MessageExists reports whether a message with this Message-ID and content hash
// is already stored (IMAP/SMTP de-duplication).
func (tx *Tx) MessageExists(messageID, sha string) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT COUNT(*) FROM `+dedupeFrom(messageID), messageID, sha).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: find message: %w", err)
	}
	return n > 0, nil
}

// AddAttachment records one attachment of a message: name, declared and
// sniffed type, size. The bytes are not stored a second time: they live in
// the message's raw bytes (kept verbatim) and intake.Parse recovers them, so
// a 200 KB attachment costs one write, not two.
func (tx *Tx) AddAttachment(messageID int64, a gongkai.Attachment) error {
	_, err := tx.exec(`INSERT INTO attachments (message_id, name, content_type, sniffed, size, data) VALUES (?, ?, ?, ?, ?, x'')`,
		messageID, a.Name, a.ContentType, a.Sniffed, a.Size)
	if err != nil {
		return fmt.Errorf("store: attachment %q: %w", a.Name, err)
	}
	return nil
}
