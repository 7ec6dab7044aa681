package store

import (
	"fmt"
	"time"
)

// RoutingRule is a department-routing rule an admin edited (classifier issue).
type RoutingRule struct {
	ID         int64
	Department string
	Pattern    string
	IsRegex    bool
	Priority   int
	Enabled    bool
	UpdatedBy  string
	UpdatedAt  time.Time
}

// RoutingRules lists the admin's routing rules, highest priority first.
func (tx *Tx) RoutingRules() ([]RoutingRule, error) {
	rows, err := tx.query(`SELECT id, department, pattern, is_regex, priority, enabled, updated_by, updated_at FROM routing_rules ORDER BY priority DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: routing rules: %w", err)
	}
	defer rows.Close()
	var out []RoutingRule
	for rows.Next() {
		var r RoutingRule
		var re, en int
		var at string
		if err := rows.Scan(&r.ID, &r.Department, &r.Pattern, &re, &r.Priority, &en, &r.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("store: scan routing rule: %w", err)
		}
		r.IsRegex, r.Enabled, r.UpdatedAt = re != 0, en != 0, parseTS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveRoutingRule inserts (ID 0) or updates a rule.
func (tx *Tx) SaveRoutingRule(r *RoutingRule, by string) error {
	if r.ID == 0 {
		res, err := tx.exec(`INSERT INTO routing_rules (department, pattern, is_regex, priority, enabled, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.Department, r.Pattern, b2i(r.IsRegex), r.Priority, b2i(r.Enabled), by, ts(tx.Now))
		if err != nil {
			return fmt.Errorf("store: add routing rule: %w", err)
		}
		r.ID, _ = res.LastInsertId()
		return nil
	}
	_, err := tx.exec(`UPDATE routing_rules SET department=?, pattern=?, is_regex=?, priority=?, enabled=?, updated_by=?, updated_at=? WHERE id=?`,
		r.Department, r.Pattern, b2i(r.IsRegex), r.Priority, b2i(r.Enabled), by, ts(tx.Now), r.ID)
	if err != nil {
		return fmt.Errorf("store: update routing rule %d: %w", r.ID, err)
	}
	return nil
}

// DeleteRoutingRule removes a rule.
func (tx *Tx) DeleteRoutingRule(id int64) error {
	if _, err := tx.exec(`DELETE FROM routing_rules WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: delete routing rule %d: %w", id, err)
	}
	return nil
}

// Override is one verdict field a staff member changed.
type Override struct {
	CaseID    int64
	MessageID int64
	Field     string
	Proposed  string
	Chosen    string
	Actor     string
}

// AddOverride records that staff changed a classifier verdict.
func (tx *Tx) AddOverride(o Override) error {
	var msg any
	if o.MessageID != 0 {
		msg = o.MessageID
	}
	_, err := tx.exec(`INSERT INTO verdict_overrides (case_id, message_id, field, proposed, chosen, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		o.CaseID, msg, o.Field, o.Proposed, o.Chosen, o.Actor, ts(tx.Now))
	if err != nil {
		return fmt.Errorf("store: record override: %w", err)
	}
	return nil
}

// FieldAccuracy is how often staff kept the classifier's proposal for one field.
type FieldAccuracy struct {
	Field      string
	Verdicts   int // messages classified in the period
	Overridden int // of which staff changed this field
}

// ClassifierAccuracy counts, for messages classified since a time, how many
// verdict fields staff overrode (the inbox's "how often was it right").
func (tx *Tx) ClassifierAccuracy(since time.Time) ([]FieldAccuracy, error) {
	var total int
	if err := tx.queryRow(`SELECT COUNT(*) FROM messages WHERE verdict_json <> '' AND created_at >= ?`, ts(since)).Scan(&total); err != nil {
		return nil, fmt.Errorf("store: classified messages: %w", err)
	}
	rows, err := tx.query(`SELECT field, COUNT(DISTINCT COALESCE(message_id, -case_id)) FROM verdict_overrides WHERE at >= ? GROUP BY field ORDER BY field`, ts(since))
	if err != nil {
		return nil, fmt.Errorf("store: overrides: %w", err)
	}
	defer rows.Close()
	have := map[string]int{}
	for rows.Next() {
		var f string
		var n int
		if err := rows.Scan(&f, &n); err != nil {
			return nil, err
		}
		have[f] = n
	}
	var out []FieldAccuracy
	for _, f := range []string{"nature", "applicant_type", "department"} {
		out = append(out, FieldAccuracy{Field: f, Verdicts: total, Overridden: have[f]})
	}
	return out, rows.Err()
}

// FirstVerdict returns the verdict JSON and message id of the first classified
// message of a case ("" when none).
func (tx *Tx) FirstVerdict(caseID int64) (int64, string, error) {
	var id int64
	var v string
	err := tx.queryRow(`SELECT id, verdict_json FROM messages WHERE case_id = ? AND verdict_json <> '' ORDER BY id LIMIT 1`, caseID).Scan(&id, &v)
	if err != nil {
		if isNoRows(err) {
			return 0, "", nil
		}
		return 0, "", fmt.Errorf("store: verdict of case %d: %w", caseID, err)
	}
	return id, v, nil
}
