package store

import (
	"fmt"
	"time"
)

// ChatSession is one stored chat-bot conversation (issue 8): the dialog
// state as JSON, the case it filed, and when it expires.
type ChatSession struct {
	ID        string
	State     []byte // the chat-bot's JSON state
	CaseID    int64  // 0 until the conversation filed a case
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// ChatTurn is one line of a conversation.
type ChatTurn struct {
	At   time.Time
	Role string // "user" or "bot"
	Text string
}

// expiryLayout is fixed-width so that expiry times compare as strings in SQL.
const expiryLayout = "2006-01-02T15:04:05.000000000Z"

func expiryTS(t time.Time) string { return t.UTC().Format(expiryLayout) }

// ChatSession returns a conversation that has not expired at now; an unknown
// or expired one is gongkai.ENotFound.
func (tx *Tx) ChatSession(id string, now time.Time) (*ChatSession, error) {
	var s ChatSession
	var state, created, updated, expires string
	err := tx.queryRow(`SELECT id, state, COALESCE(case_id, 0), created_at, updated_at, expires_at FROM chat_sessions WHERE id = ? AND expires_at > ?`,
		id, expiryTS(now)).Scan(&s.ID, &state, &s.CaseID, &created, &updated, &expires)
	if err != nil {
		return nil, notFound(err, "会话")
	}
	s.State = []byte(state)
	s.CreatedAt, s.UpdatedAt = parseTS(created), parseTS(updated)
	s.ExpiresAt, _ = time.Parse(expiryLayout, expires)
	return &s, nil
}

// SaveChatSession inserts or updates a conversation; the transaction's time
// is its update time (and creation time when new).
func (tx *Tx) SaveChatSession(s *ChatSession) error {
	var caseID any
	if s.CaseID != 0 {
		caseID = s.CaseID
	}
	_, err := tx.exec(`INSERT INTO chat_sessions (id, state, case_id, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET state = excluded.state, case_id = COALESCE(excluded.case_id, chat_sessions.case_id),
		updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
		s.ID, string(s.State), caseID, ts(tx.Now), ts(tx.Now), expiryTS(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: save chat session: %w", err)
	}
	return nil
}

// AddChatTurn appends one line to a conversation.
func (tx *Tx) AddChatTurn(sessionID string, t ChatTurn) error {
	if t.At.IsZero() {
		t.At = tx.Now
	}
	if _, err := tx.exec(`INSERT INTO chat_turns (session_id, at, role, text) VALUES (?, ?, ?, ?)`, sessionID, ts(t.At), t.Role, t.Text); err != nil {
		return fmt.Errorf("store: add chat turn: %w", err)
	}
	return nil
}

// ChatTurns returns a conversation's lines, oldest first.
func (tx *Tx) ChatTurns(sessionID string) ([]ChatTurn, error) {
	rows, err := tx.query(`SELECT at, role, text FROM chat_turns WHERE session_id = ? ORDER BY id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("store: chat turns: %w", err)
	}
	defer rows.Close()
	var out []ChatTurn
	for rows.Next() {
		var t ChatTurn
		var at string
		if err := rows.Scan(&at, &t.Role, &t.Text); err != nil {
			return nil, fmt.Errorf("store: scan chat turn: %w", err)
		}
		t.At = parseTS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}

// SweepChatSessions deletes conversations expired at now, with their lines
// (the citizen's personal data goes with them), and returns how many.
func (tx *Tx) SweepChatSessions(now time.Time) (int64, error) {
	if _, err := tx.exec(`DELETE FROM chat_turns WHERE session_id IN (SELECT id FROM chat_sessions WHERE expires_at <= ?)`, expiryTS(now)); err != nil {
		return 0, fmt.Errorf("store: sweep chat turns: %w", err)
	}
	res, err := tx.exec(`DELETE FROM chat_sessions WHERE expires_at <= ?`, expiryTS(now))
	if err != nil {
		return 0, fmt.Errorf("store: sweep chat sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
