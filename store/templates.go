package store

import (
	"fmt"
	"time"
)

// TemplateVersion is one saved version of a letter template (table templates).
// Versions of a key count from 1; version 0 is the shipped default, which is
// not stored.
type TemplateVersion struct {
	Key       string
	Version   int
	Body      string
	CreatedBy string
	CreatedAt time.Time
}

// SaveTemplate stores body as the next version of key and returns that
// version. Every save is a new row: versions are never overwritten, so a letter
// can always show the text it was drafted from.
func (tx *Tx) SaveTemplate(key, body, by string) (int, error) {
	var v int
	err := tx.queryRow(`INSERT INTO templates (key, version, body, created_by, created_at)
		VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM templates WHERE key = ?), ?, ?, ?) RETURNING version`,
		key, key, body, by, ts(tx.Now)).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: save template %s: %w", key, err)
	}
	return v, nil
}

// LatestTemplates returns the newest stored version of every key.
func (tx *Tx) LatestTemplates() ([]TemplateVersion, error) {
	return tx.templates(`SELECT key, version, body, created_by, created_at FROM templates t
		WHERE version = (SELECT MAX(version) FROM templates u WHERE u.key = t.key) ORDER BY key`)
}

// TemplateVersions returns every stored version of key, newest first.
func (tx *Tx) TemplateVersions(key string) ([]TemplateVersion, error) {
	return tx.templates(`SELECT key, version, body, created_by, created_at FROM templates WHERE key = ? ORDER BY version DESC`, key)
}

func (tx *Tx) templates(q string, args ...any) ([]TemplateVersion, error) {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list templates: %w", err)
	}
	defer rows.Close()
	var out []TemplateVersion
	for rows.Next() {
		var t TemplateVersion
		var at string
		if err := rows.Scan(&t.Key, &t.Version, &t.Body, &t.CreatedBy, &at); err != nil {
			return nil, fmt.Errorf("store: scan template: %w", err)
		}
		t.CreatedAt = parseTS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}
