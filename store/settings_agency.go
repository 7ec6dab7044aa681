package store

import (
	"fmt"
	"strconv"
	"strings"
)

// SettingsPrefix returns every setting whose key starts with prefix (e.g.
// "agency."), keyed by the full key.
func (tx *Tx) SettingsPrefix(prefix string) (map[string]string, error) {
	like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(prefix) + "%"
	rows, err := tx.query(`SELECT key, value FROM settings WHERE key LIKE ? ESCAPE '\'`, like)
	if err != nil {
		return nil, fmt.Errorf("store: settings %s*: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: scan setting: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// SetSettings stores several settings in the transaction.
func (tx *Tx) SetSettings(m map[string]string) error {
	for k, v := range m {
		if err := tx.SetSetting(k, v); err != nil {
			return err
		}
	}
	return nil
}

// NextDocSeq allocates the next sequence number of the 文号 of year: one
// counter per year, kept in settings so that numbers never repeat.
func (tx *Tx) NextDocSeq(year int) (int, error) {
	key := "docno.seq." + strconv.Itoa(year)
	var n int
	err := tx.queryRow(`INSERT INTO settings (key, value) VALUES (?, '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)`, key).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: next 文号 number for %d: %w", year, err)
	}
	return n, nil
}
