// Package workday is the Chinese statutory working-day calendar and the
// deadline arithmetic of the 依申请公开 desk (RULES.md §3.1–§3.3).
//
// A working day is Monday–Friday, minus the statutory holidays, plus the
// weekend days declared working days (调休) in the State Council's yearly
// notice (RULES.md §3.2). The schedules come from github.com/6tail/lunar-go,
// corrected by the embedded corrections.txt, and an admin adds later years
// from a file (Load) or day by day (SetDay, MarkYearLoaded).
//
// A year without a loaded schedule is unknown: every operation that needs to
// know whether a day of it is a working day fails with an error wrapping
// ErrNoSchedule instead of guessing.
package workday

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"gongkai"
)

// Statutory periods in working days.
const (
	// AnswerPeriod is the answer deadline after the receipt date (Art. 33 para. 2).
	AnswerPeriod = 20
	// ExtendedPeriod is the answer deadline after an approved extension
	// (Art. 33 para. 2: at most 20 more working days).
	ExtendedPeriod = 40
)

// ErrNoSchedule is the errors.Is target for a computation that reaches a year
// whose holiday schedule is not loaded. gongkai refuses rather than guesses
// (issue 3; this is stricter than the "weekends only, provisional" fallback
// RULES.md §3.2 describes, which is not implemented). The error returned is a
// *gongkai.Error of kind EConflict whose Chinese message names the year, for
// staff (gongkai.ErrorMessage).
var ErrNoSchedule = errors.New("workday: no holiday schedule loaded for the year")

// noSchedule returns the error for an unknown year.
func noSchedule(year int) error {
	return &gongkai.Error{
		Kind:    gongkai.EConflict,
		Message: fmt.Sprintf("%d年的法定节假日安排尚未载入，无法计算期限；请管理员在“工作日历”中载入该年安排", year),
		Err:     ErrNoSchedule,
	}
}

// errZeroDate is returned for an unset date.
var errZeroDate = gongkai.Errorf(gongkai.EInvalid, "日期未填写")

// Calendar is the working-day calendar. It is safe for concurrent use; reads
// share a read lock and do not allocate. The zero Calendar knows no year; New
// returns one with the official schedules.
type Calendar struct {
	mu    sync.RWMutex
	years map[int]*yearTable // known years only
}

// New returns the calendar with every schedule lunar-go holds, corrected by
// the embedded corrections.txt.
func New() *Calendar {
	c := newEmpty()
	loadLunar(c)
	if err := c.Load(bytes.NewReader(corrections)); err != nil {
		// corrections.txt is embedded and tested; a bad file is a build defect.
		panic(fmt.Sprintf("workday: embedded corrections.txt: %v", err))
	}
	return c
}

// newEmpty returns a calendar that knows no year.
func newEmpty() *Calendar { return &Calendar{years: make(map[int]*yearTable)} }

// table returns year y, creating it (Monday–Friday rule) when create is set.
// The caller holds the write lock when create is set.
func (c *Calendar) table(y int, create bool) *yearTable {
	t := c.years[y]
	if t == nil && create {
		if c.years == nil {
			c.years = make(map[int]*yearTable)
		}
		t = newYearTable(y)
		c.years[y] = t
	}
	return t
}

// SetDay fixes d as a working day or a day off, with a name such as "春节"
// or "春节调休" (may be empty). It replaces what the schedule said about d and
// marks d's year as known: the rest of that year follows the Monday–Friday
// rule until more days are set. A zero d is ignored.
func (c *Calendar) SetDay(d gongkai.Date, working bool, name string) {
	if d.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table(d.Year(), true).setDay(yday(d), working, name)
}

// MarkYearLoaded makes year known even if its schedule has no special day.
func (c *Calendar) MarkYearLoaded(year int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table(year, true)
}

// Years returns the known years in ascending order.
func (c *Calendar) Years() []int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Entry is a day fixed by a schedule: a holiday, a 调休 working weekend day,
// or an admin's correction.
type Entry struct {
	Date    gongkai.Date
	Working bool
	Name    string
}

// Entries returns the days of year fixed by its schedule, in date order, for
// the admin page and for export. An unknown year is an ErrNoSchedule error.
func (c *Calendar) Entries(year int) ([]Entry, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.years[year]
	if t == nil {
		return nil, fmt.Errorf("workday: listing entries: %w", noSchedule(year))
	}
	es := make([]Entry, 0, len(t.set))
	for i, s := range t.set {
		es = append(es, Entry{Date: dateAt(year, i), Working: s.working, Name: s.name})
	}
	slices.SortFunc(es, func(a, b Entry) int { return a.Date.Compare(b.Date) })
	return es, nil
}

// Day reports whether d is a working day and, for a day fixed by the
// schedule, its name ("国庆节", "春节调休"); the name is empty for an ordinary
// weekday or weekend day.
func (c *Calendar) Day(d gongkai.Date) (working bool, name string, err error) {
	if d.IsZero() {
		return false, "", fmt.Errorf("workday: looking up day: %w", errZeroDate)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.years[d.Year()]
	if t == nil {
		return false, "", fmt.Errorf("workday: looking up %s: %w", d, noSchedule(d.Year()))
	}
	i := yday(d)
	return t.isWorking(i), t.set[i].name, nil
}

// IsWorkingDay reports whether d is a working day (RULES.md §3.2).
func (c *Calendar) IsWorkingDay(d gongkai.Date) (bool, error) {
	if d.IsZero() {
		return false, fmt.Errorf("workday: looking up day: %w", errZeroDate)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.years[d.Year()]
	if t == nil {
		return false, fmt.Errorf("workday: looking up %s: %w", d, noSchedule(d.Year()))
	}
	return t.isWorking(yday(d)), nil
}
