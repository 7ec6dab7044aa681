package store

import (
	"fmt"
	"time"
)

// Letter statuses (table letters): a draft is reviewed (保密审查 passed),
// approved where the role rules ask for it, then sent by e-mail or printed.
const (
	LetterDraft    = "draft"
	LetterReviewed = "reviewed"
	LetterApproved = "approved"
	LetterSent     = "sent"
	LetterPrinted  = "printed"
)

// Letter is one letter of a case, with its text as sent.
type Letter struct {
	ID              int64
	CaseID          int64
	Kind            string
	TemplateVersion int
	DocNo           string
	Title           string
	Body            string
	Status          string
	ReviewBy        string
	ReviewAt        time.Time
	ReviewResult    string // 通过 / 不通过 (the note is in the case history)
	ApprovedBy      string
	ApprovedAt      time.Time
	DispatchedAt    time.Time
	MessageID       string
	CreatedBy       string
	CreatedAt       time.Time
}

// Dispatched reports whether the letter has left (sent or printed); its text
// is then frozen.
func (l *Letter) Dispatched() bool { return l.Status == LetterSent || l.Status == LetterPrinted }

const letterCols = `id, case_id, kind, template_version, doc_no, title, body, status, review_by, review_at, review_result,
	approved_by, approved_at, dispatched_at, message_id, created_by, created_at`

func scanLetter(s scanner) (*Letter, error) {
	var l Letter
	var reviewAt, approvedAt, dispatchedAt, created string
	err := s.Scan(&l.ID, &l.CaseID, &l.Kind, &l.TemplateVersion, &l.DocNo, &l.Title, &l.Body, &l.Status, &l.ReviewBy, &reviewAt, &l.ReviewResult,
		&l.ApprovedBy, &approvedAt, &dispatchedAt, &l.MessageID, &l.CreatedBy, &created)
	if err != nil {
		return nil, err
	}
	l.ReviewAt, l.ApprovedAt, l.DispatchedAt, l.CreatedAt = parseTS(reviewAt), parseTS(approvedAt), parseTS(dispatchedAt), parseTS(created)
	return &l, nil
}

// CreateLetter inserts l and sets its ID and CreatedAt.
func (tx *Tx) CreateLetter(l *Letter) error {
	if l.Status == "" {
		l.Status = LetterDraft
	}
	l.CreatedAt = tx.Now
	res, err := tx.exec(`INSERT INTO letters (case_id, kind, template_version, doc_no, title, body, status, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.CaseID, l.Kind, l.TemplateVersion, l.DocNo, l.Title, l.Body, l.Status, l.CreatedBy, ts(tx.Now))
	if err != nil {
		return fmt.Errorf("store: create letter for case %d: %w", l.CaseID, err)
	}
	l.ID, _ = res.LastInsertId()
	return nil
}

// UpdateLetter writes every mutable field of l.
func (tx *Tx) UpdateLetter(l *Letter) error {
	_, err := tx.exec(`UPDATE letters SET doc_no=?, title=?, body=?, status=?, review_by=?, review_at=?, review_result=?,
		approved_by=?, approved_at=?, dispatched_at=?, message_id=? WHERE id=?`,
		l.DocNo, l.Title, l.Body, l.Status, l.ReviewBy, ts(l.ReviewAt), l.ReviewResult,
		l.ApprovedBy, ts(l.ApprovedAt), ts(l.DispatchedAt), l.MessageID, l.ID)
	if err != nil {
		return fmt.Errorf("store: update letter %d: %w", l.ID, err)
	}
	return nil
}

// LetterByID returns a letter.
func (tx *Tx) LetterByID(id int64) (*Letter, error) {
	l, err := scanLetter(tx.queryRow(`SELECT `+letterCols+` FROM letters WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "文书")
	}
	return l, nil
}

// LettersForCase lists the letters of a case, oldest first.
func (tx *Tx) LettersForCase(caseID int64) ([]*Letter, error) {
	rows, err := tx.query(`SELECT `+letterCols+` FROM letters WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: letters of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []*Letter
	for rows.Next() {
		l, err := scanLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan letter: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
