package store

import (
	"fmt"

	"gongkai"
)

// CalendarDay is one working-day calendar entry entered by an admin.
type CalendarDay struct {
	Date    gongkai.Date
	Working bool
	Name    string
}

// CalendarDays returns the admin's calendar entries and the years marked loaded.
func (tx *Tx) CalendarDays() ([]CalendarDay, []int, error) {
	rows, err := tx.query(`SELECT date, working, name FROM calendar_days ORDER BY date`)
	if err != nil {
		return nil, nil, fmt.Errorf("store: calendar days: %w", err)
	}
	defer rows.Close()
	var days []CalendarDay
	for rows.Next() {
		var d, name string
		var w int
		if err := rows.Scan(&d, &w, &name); err != nil {
			return nil, nil, fmt.Errorf("store: scan calendar day: %w", err)
		}
		days = append(days, CalendarDay{parseDate(d), w != 0, name})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	yrows, err := tx.query(`SELECT year FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, nil, fmt.Errorf("store: calendar years: %w", err)
	}
	defer yrows.Close()
	var years []int
	for yrows.Next() {
		var y int
		if err := yrows.Scan(&y); err != nil {
			return nil, nil, err
		}
		years = append(years, y)
	}
	return days, years, yrows.Err()
}

// SetCalendarDay adds or corrects one day and marks its year loaded.
func (tx *Tx) SetCalendarDay(d CalendarDay, by string) error {
	if _, err := tx.exec(`INSERT INTO calendar_days (date, working, name, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(date) DO UPDATE SET working=excluded.working, name=excluded.name, updated_by=excluded.updated_by, updated_at=excluded.updated_at`,
		d.Date.String(), b2i(d.Working), d.Name, by, ts(tx.Now)); err != nil {
		return fmt.Errorf("store: set calendar day %s: %w", d.Date, err)
	}
	return tx.MarkCalendarYear(d.Date.Year())
}

// MarkCalendarYear records that a year's schedule is loaded.
func (tx *Tx) MarkCalendarYear(y int) error {
	if _, err := tx.exec(`INSERT OR IGNORE INTO calendar_years (year) VALUES (?)`, y); err != nil {
		return fmt.Errorf("store: mark calendar year %d: %w", y, err)
	}
	return nil
}

// MarkReminder records that a reminder of a kind went to a user on a day —
// or, for a reminder given once per case (kind naming the case), on the
// case's receipt day; it returns false when one was already recorded
// (restart safety).
func (tx *Tx) MarkReminder(day gongkai.Date, username, kind string) (bool, error) {
	res, err := tx.exec(`INSERT OR IGNORE INTO reminders_sent (day, username, kind) VALUES (?, ?, ?)`, day.String(), username, kind)
	if err != nil {
		return false, fmt.Errorf("store: mark reminder: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
