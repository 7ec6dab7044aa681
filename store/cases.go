package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gongkai"
)

const caseCols = `id, case_no, query_code, applicant_type, name, id_type, id_number, org_name, credit_code,
	legal_rep, phone, email, address, postcode, workplace, description, purpose, form, delivery, channel,
	arrived_at, received_on, status, nature, department, assignee, clock_state, clock_from, clock_used,
	clock_limit, due_on, correction_due, suspended_until, extended, extension_pending, fee_yuan, result,
	answered_on, duplicate_of, notes, extension_by, drafted_by, last_step_at, extension_days, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanCase(s scanner) (*gongkai.Case, error) {
	var c gongkai.Case
	var a = &c.Applicant
	var appType, channel, arrived, received, status, clockState, clockFrom, due, corrDue, suspUntil, result, answered, lastStep, created, updated string
	var extended, extPending int
	err := s.Scan(&c.ID, &c.No, &c.QueryCode, &appType, &a.Name, &a.IDType, &a.IDNumber, &a.OrgName, &a.CreditCode,
		&a.LegalRep, &a.Phone, &a.Email, &a.Address, &a.Postcode, &a.Workplace, &c.Description, &c.Purpose, &c.Form, &c.Delivery, &channel,
		&arrived, &received, &status, &c.Nature, &c.Department, &c.Assignee, &clockState, &clockFrom, &c.ClockUsed,
		&c.ClockLimit, &due, &corrDue, &suspUntil, &extended, &extPending, &c.FeeYuan, &result,
		&answered, &c.DuplicateOf, &c.Notes, &c.ExtensionBy, &c.DraftedBy, &lastStep, &c.ExtensionDays, &created, &updated)
	if err != nil {
		return nil, err
	}
	a.Type = gongkai.ApplicantType(appType)
	c.Channel = gongkai.Channel(channel)
	c.ArrivedAt = parseTS(arrived)
	c.ReceivedOn = parseDate(received)
	c.Status = gongkai.Status(status)
	c.ClockState = gongkai.ClockState(clockState)
	c.ClockFrom = parseDate(clockFrom)
	c.DueOn = parseDate(due)
	c.CorrectionDue = parseDate(corrDue)
	c.SuspendedUntil = parseDate(suspUntil)
	c.Extended = extended != 0
	c.ExtensionPending = extPending != 0
	c.Result = gongkai.ResultKey(result)
	c.AnsweredOn = parseDate(answered)
	c.LastStepAt = parseTS(lastStep)
	c.CreatedAt = parseTS(created)
	c.UpdatedAt = parseTS(updated)
	return &c, nil
}

func caseArgs(c *gongkai.Case) []any {
	a := c.Applicant
	return []any{string(a.Type), a.Name, a.IDType, a.IDNumber, a.OrgName, a.CreditCode,
		a.LegalRep, a.Phone, a.Email, a.Address, a.Postcode, a.Workplace, c.Description, c.Purpose, c.Form, c.Delivery, string(c.Channel),
		ts(c.ArrivedAt), c.ReceivedOn.String(), string(c.Status), c.Nature, c.Department, c.Assignee, string(c.ClockState), c.ClockFrom.String(), c.ClockUsed,
		c.ClockLimit, c.DueOn.String(), c.CorrectionDue.String(), c.SuspendedUntil.String(), b2i(c.Extended), b2i(c.ExtensionPending), c.FeeYuan, string(c.Result),
		c.AnsweredOn.String(), c.DuplicateOf, c.Notes, c.ExtensionBy, c.DraftedBy, ts(c.LastStepAt), c.ExtensionDays}
}

// NextCaseNo allocates the next 受理编号 of the year: GK-YYYY-NNNNNN.
func (tx *Tx) NextCaseNo(year int) (string, error) {
	var last int64
	err := tx.queryRow(`INSERT INTO case_seq (year, last) VALUES (?, 1)
		ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last`, year).Scan(&last)
	if err != nil {
		return "", fmt.Errorf("store: next case number for %d: %w", year, err)
	}
	return gongkai.CaseNo(year, last), nil
}

// EnsureCaseSeq makes sure the sequence of a year is at least n (after an import of numbered cases).
func (tx *Tx) EnsureCaseSeq(year int, n int64) error {
	_, err := tx.exec(`INSERT INTO case_seq (year, last) VALUES (?, ?) ON CONFLICT(year) DO UPDATE SET last = MAX(last, excluded.last)`, year, n)
	if err != nil {
		return fmt.Errorf("store: case sequence %d: %w", year, err)
	}
	return nil
}

// CreateCase inserts c (its No must be set) and sets c.ID. idemKey, when not
// empty, makes a repeated submission find the first case instead of a new one.
func (tx *Tx) CreateCase(c *gongkai.Case, idemKey string) error {
	c.CreatedAt, c.UpdatedAt = tx.Now, tx.Now
	if c.LastStepAt.IsZero() {
		c.LastStepAt = tx.Now // registering (or importing) is the case's first step
	}
	var idem any
	if idemKey != "" {
		idem = idemKey
	}
	args := append([]any{c.No, c.QueryCode}, caseArgs(c)...)
	args = append(args, idem, ts(tx.Now), ts(tx.Now))
	res, err := tx.exec(`INSERT INTO cases (case_no, query_code, applicant_type, name, id_type, id_number, org_name, credit_code,
		legal_rep, phone, email, address, postcode, workplace, description, purpose, form, delivery, channel,
		arrived_at, received_on, status, nature, department, assignee, clock_state, clock_from, clock_used,
		clock_limit, due_on, correction_due, suspended_until, extended, extension_pending, fee_yuan, result,
		answered_on, duplicate_of, notes, extension_by, drafted_by, last_step_at, extension_days, idem_key, created_at, updated_at)
		VALUES (`+placeholders(46)+`)`, args...)
	if err != nil {
		return fmt.Errorf("store: create case %s: %w", c.No, err)
	}
	c.ID, _ = res.LastInsertId()
	return nil
}

// UpdateCase writes every mutable field of c.
func (tx *Tx) UpdateCase(c *gongkai.Case) error {
	c.UpdatedAt = tx.Now
	args := append(caseArgs(c), ts(tx.Now), c.ID)
	_, err := tx.exec(`UPDATE cases SET applicant_type=?, name=?, id_type=?, id_number=?, org_name=?, credit_code=?,
		legal_rep=?, phone=?, email=?, address=?, postcode=?, workplace=?, description=?, purpose=?, form=?, delivery=?, channel=?,
		arrived_at=?, received_on=?, status=?, nature=?, department=?, assignee=?, clock_state=?, clock_from=?, clock_used=?,
		clock_limit=?, due_on=?, correction_due=?, suspended_until=?, extended=?, extension_pending=?, fee_yuan=?, result=?,
		answered_on=?, duplicate_of=?, notes=?, extension_by=?, drafted_by=?, last_step_at=?, extension_days=?, updated_at=? WHERE id=?`, args...)
	if err != nil {
		return fmt.Errorf("store: update case %s: %w", c.No, err)
	}
	return nil
}

// CaseByID returns a case.
func (tx *Tx) CaseByID(id int64) (*gongkai.Case, error) {
	c, err := scanCase(tx.queryRow(`SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "案件")
	}
	return c, nil
}

// CaseByNo returns a case by its 受理编号.
func (tx *Tx) CaseByNo(no string) (*gongkai.Case, error) {
	c, err := scanCase(tx.queryRow(`SELECT `+caseCols+` FROM cases WHERE case_no = ?`, no))
	if err != nil {
		return nil, notFound(err, "案件")
	}
	return c, nil
}

// CaseByIdemKey returns the case created by a submission with that key, or ErrNotFound.
func (tx *Tx) CaseByIdemKey(key string) (*gongkai.Case, error) {
	c, err := scanCase(tx.queryRow(`SELECT `+caseCols+` FROM cases WHERE idem_key = ?`, key))
	if err != nil {
		return nil, notFound(err, "案件")
	}
	return c, nil
}

// CaseFilter selects cases for lists; zero fields do not filter.
type CaseFilter struct {
	Statuses []gongkai.Status
	Assignee string
	// AssigneeOrDept widens Assignee to the cases of this 股室 that have
	// no named handler yet (a handler's own to-do list).
	AssigneeOrDept string
	// AwaitingApproval keeps the cases a leader must decide on: an answer
	// drafted, or an extension asked for.
	AwaitingApproval bool
	Department       string
	Year             int          // received in this year
	DueBefore        gongkai.Date // due on or before (open cases with a due date)
	IDNumber         string
	Query            string // substring of case number, applicant or description
	Limit            int
	Offset           int
}

// where is the WHERE clause (with its leading space, "" for none) and
// arguments of the cases f selects, shared by Cases and CountCases.
func (f CaseFilter) where() (string, []any) {
	var where []string
	var args []any
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ph[i] = "?"
			args = append(args, string(s))
		}
		where = append(where, "status IN ("+strings.Join(ph, ",")+")")
	}
	switch {
	case f.Assignee != "" && f.AssigneeOrDept != "":
		where = append(where, "(assignee = ? OR (assignee = '' AND department = ?))")
		args = append(args, f.Assignee, f.AssigneeOrDept)
	case f.Assignee != "":
		where = append(where, "assignee = ?")
		args = append(args, f.Assignee)
	}
	if f.AwaitingApproval {
		where = append(where, "(status = ? OR extension_pending = 1)")
		args = append(args, string(gongkai.StatusDrafted))
	}
	if f.Department != "" {
		where = append(where, "department = ?")
		args = append(args, f.Department)
	}
	if f.Year != 0 {
		where = append(where, "received_on >= ? AND received_on <= ?")
		args = append(args, fmt.Sprintf("%04d-01-01", f.Year), fmt.Sprintf("%04d-12-31", f.Year))
	}
	if !f.DueBefore.IsZero() {
		where = append(where, "due_on <> '' AND due_on <= ?")
		args = append(args, f.DueBefore.String())
	}
	if f.IDNumber != "" {
		where = append(where, "id_number = ?")
		args = append(args, f.IDNumber)
	}
	if f.Query != "" {
		// The words are taken literally: % and _ in them are escaped.
		where = append(where, `(case_no LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR org_name LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\')`)
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Query) + "%"
		args = append(args, like, like, like, like)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// CountCases counts the cases f selects (Limit and Offset aside).
func (tx *Tx) CountCases(f CaseFilter) (int, error) {
	where, args := f.where()
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM cases`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count cases: %w", err)
	}
	return n, nil
}

// Cases lists cases, newest first.
func (tx *Tx) Cases(f CaseFilter) ([]*gongkai.Case, error) {
	where, args := f.where()
	q := `SELECT ` + caseCols + ` FROM cases` + where + " ORDER BY id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)
	}
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	defer rows.Close()
	var out []*gongkai.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddEvent appends a history row to a case (events are append-only: a trigger refuses UPDATE and DELETE).
func (tx *Tx) AddEvent(e *gongkai.Event) error {
	if e.At.IsZero() {
		e.At = tx.Now
	}
	res, err := tx.exec(`INSERT INTO events (case_id, at, actor, kind, detail, reason) VALUES (?, ?, ?, ?, ?, ?)`,
		e.CaseID, ts(e.At), e.Actor, e.Kind, e.Detail, e.Reason)
	if err != nil {
		return fmt.Errorf("store: add event %s to case %d: %w", e.Kind, e.CaseID, err)
	}
	e.ID, _ = res.LastInsertId()
	return nil
}

// Events returns a case's history, oldest first.
func (tx *Tx) Events(caseID int64) ([]gongkai.Event, error) {
	rows, err := tx.query(`SELECT id, case_id, at, actor, kind, detail, reason FROM events WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: events of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []gongkai.Event
	for rows.Next() {
		var e gongkai.Event
		var at string
		if err := rows.Scan(&e.ID, &e.CaseID, &at, &e.Actor, &e.Kind, &e.Detail, &e.Reason); err != nil {
			return nil, fmt.Errorf("store: scan event: %w", err)
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

var _ = errors.Is
var _ = sql.ErrNoRows
