package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gongkai"
)

// ReportRow is what the annual report needs of one case (report.CaseRow
// without the dependency).
type ReportRow struct {
	No            string
	ApplicantType gongkai.ApplicantType
	ReceivedOn    gongkai.Date
	AnsweredOn    gongkai.Date
	Result        gongkai.ResultKey
	Counted       bool
	ReasonAsked   bool
}

// EachReportRow streams the cases relevant to a year's report: received on or
// before Dec 31 of year and not answered before Jan 1 of year-1. It reads on
// the read pool in one statement, so a report of a million cases needs no
// more memory than its counters.
func (db *DB) EachReportRow(ctx context.Context, year int, fn func(ReportRow) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT case_no, applicant_type, received_on, answered_on, result, status,
		CASE WHEN result = 'result.rejected.mass_repeat'
			THEN EXISTS (SELECT 1 FROM events e WHERE e.case_id = cases.id AND e.kind = 'reasons_requested') ELSE 0 END
		FROM cases WHERE received_on <= ? AND (answered_on = '' OR answered_on >= ?)`,
		fmt.Sprintf("%04d-12-31", year), fmt.Sprintf("%04d-01-01", year-1))
	if err != nil {
		return fmt.Errorf("store: report rows %d: %w", year, err)
	}
	defer rows.Close()
	var no, typ, recv, ans, res, status string
	var reason int
	for rows.Next() {
		if err := rows.Scan(&no, &typ, &recv, &ans, &res, &status, &reason); err != nil {
			return fmt.Errorf("store: scan report row: %w", err)
		}
		r := ReportRow{No: no, ApplicantType: gongkai.ApplicantType(typ), ReceivedOn: parseDate(recv), AnsweredOn: parseDate(ans),
			Result: gongkai.ResultKey(res), Counted: status != string(gongkai.StatusNotRequest), ReasonAsked: reason != 0}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AppealsFiled returns the appeals filed in a year with their case numbers.
func (db *DB) AppealsFiled(ctx context.Context, year int) ([]gongkai.Appeal, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.case_id, c.case_no, a.kind, a.filed_on, a.outcome, a.decided_on, a.notes
		FROM appeals a JOIN cases c ON c.id = a.case_id WHERE a.filed_on >= ? AND a.filed_on <= ? ORDER BY a.filed_on, a.id`,
		fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year))
	if err != nil {
		return nil, fmt.Errorf("store: appeals %d: %w", year, err)
	}
	defer rows.Close()
	var out []gongkai.Appeal
	for rows.Next() {
		var a gongkai.Appeal
		var kind, filed, outcome, decided string
		if err := rows.Scan(&a.ID, &a.CaseID, &a.CaseNo, &kind, &filed, &outcome, &decided, &a.Notes); err != nil {
			return nil, fmt.Errorf("store: scan appeal: %w", err)
		}
		a.Kind, a.FiledOn, a.Outcome, a.DecidedOn = gongkai.AppealKind(kind), parseDate(filed), gongkai.AppealOutcome(outcome), parseDate(decided)
		out = append(out, a)
	}
	return out, rows.Err()
}

// FeeFigures returns the fee notices sent in a year and the fees paid in it
// (section 六 of the report).
func (db *DB) FeeFigures(ctx context.Context, year int) (notices int, paidYuan int, err error) {
	from, to := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1)
	err = db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM events WHERE kind = 'fee_requested' AND at >= ? AND at < ?),
		(SELECT COALESCE(SUM(c.fee_yuan), 0) FROM cases c WHERE EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id AND e.kind = 'fee_paid' AND e.at >= ? AND e.at < ?))`,
		from, to, from, to).Scan(&notices, &paidYuan)
	if err != nil {
		return 0, 0, fmt.Errorf("store: fee figures %d: %w", year, err)
	}
	return notices, paidYuan, nil
}

// ReportDraft returns the staff-entered inputs of a year's report (JSON texts),
// or empty strings when none were saved.
func (tx *Tx) ReportDraft(year int) (proactive, texts string, err error) {
	err = tx.queryRow(`SELECT proactive, texts FROM report_drafts WHERE year = ?`, year).Scan(&proactive, &texts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("store: report draft %d: %w", year, err)
	}
	return proactive, texts, nil
}

// SaveReportDraft stores the staff-entered inputs of a year's report; an empty
// argument keeps the stored value.
func (tx *Tx) SaveReportDraft(year int, proactive, texts, by string) error {
	_, err := tx.exec(`INSERT INTO report_drafts (year, proactive, texts, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(year) DO UPDATE SET
			proactive = CASE WHEN excluded.proactive = '' THEN proactive ELSE excluded.proactive END,
			texts = CASE WHEN excluded.texts = '' THEN texts ELSE excluded.texts END,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		year, proactive, texts, by, ts(tx.Now))
	if err != nil {
		return fmt.Errorf("store: save report draft %d: %w", year, err)
	}
	return nil
}

// CreateAppeal records a 行政复议 / 行政诉讼 against a case; the same case,
// kind and filing date updates the existing record.
func (tx *Tx) CreateAppeal(a *gongkai.Appeal) (created bool, err error) {
	res, err := tx.exec(`INSERT INTO appeals (case_id, kind, filed_on, outcome, decided_on, notes) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(case_id, kind, filed_on) DO UPDATE SET outcome = excluded.outcome, decided_on = excluded.decided_on, notes = excluded.notes`,
		a.CaseID, string(a.Kind), a.FiledOn.String(), string(a.Outcome), a.DecidedOn.String(), a.Notes)
	if err != nil {
		return false, fmt.Errorf("store: appeal of case %d: %w", a.CaseID, err)
	}
	id, _ := res.LastInsertId()
	if a.ID == 0 {
		a.ID = id
	}
	n, _ := res.RowsAffected()
	return n == 1 && id != 0, nil
}

// AppealsOfCase lists a case's appeals.
func (tx *Tx) AppealsOfCase(caseID int64) ([]gongkai.Appeal, error) {
	rows, err := tx.query(`SELECT id, kind, filed_on, outcome, decided_on, notes FROM appeals WHERE case_id = ? ORDER BY filed_on, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: appeals of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []gongkai.Appeal
	for rows.Next() {
		a := gongkai.Appeal{CaseID: caseID}
		var kind, filed, outcome, decided string
		if err := rows.Scan(&a.ID, &kind, &filed, &outcome, &decided, &a.Notes); err != nil {
			return nil, fmt.Errorf("store: scan appeal: %w", err)
		}
		a.Kind, a.FiledOn, a.Outcome, a.DecidedOn = gongkai.AppealKind(kind), parseDate(filed), gongkai.AppealOutcome(outcome), parseDate(decided)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PublishedReport is a year's annual report as it was published (定稿).
type PublishedReport struct {
	Year int
	JSON string // contracts/annual-report.md
	By   string
	At   time.Time
}

// PublishReport stores the published report of a year, replacing an earlier
// one.
func (tx *Tx) PublishReport(year int, reportJSON, by string) error {
	_, err := tx.exec(`INSERT INTO published_reports (year, json, published_by, published_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(year) DO UPDATE SET json = excluded.json, published_by = excluded.published_by, published_at = excluded.published_at`,
		year, reportJSON, by, ts(tx.Now))
	if err != nil {
		return fmt.Errorf("store: publish report %d: %w", year, err)
	}
	return nil
}

// PublishedReport returns the published report of a year (a not-found
// error when there is none).
func (tx *Tx) PublishedReport(year int) (*PublishedReport, error) {
	p := &PublishedReport{Year: year}
	var at string
	err := tx.queryRow(`SELECT json, published_by, published_at FROM published_reports WHERE year = ?`, year).Scan(&p.JSON, &p.By, &at)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("%d年度已定稿的报告", year))
	}
	p.At = parseTS(at)
	return p, nil
}
