package caseflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"gongkai"
	"gongkai/store"
	"gongkai/workday"
)

// CalendarEditor is what an admin's calendar changes need of Service.Cal
// besides Calendar; *workday.Calendar implements it.
type CalendarEditor interface {
	SetDay(d gongkai.Date, working bool, name string)
	MarkYearLoaded(year int)
}

// CalendarViewer lists what the calendar knows; *workday.Calendar implements it.
type CalendarViewer interface {
	Years() []int
	Entries(year int) ([]workday.Entry, error)
}

// Bounds of a calendar entry's year (as workday.Calendar.Load) and of a
// day's name.
const (
	calendarMinYear = 1949
	calendarMaxYear = 2200
	maxDayNameRunes = 40
)

// errNotEditable says that Service.Cal cannot be changed while running.
var errNotEditable = errors.New("caseflow: the calendar in use cannot be edited")

// SetCalendarDay adds or corrects one day of the working-day calendar
// (RULES.md §3.2: the State Council's holidays and 调休): it is stored with its
// year marked loaded, then applied to s.Cal so that deadlines computed from
// now on use it. Due dates already stored on cases are not recomputed.
func (s *Service) SetCalendarDay(ctx context.Context, d gongkai.Date, working bool, name, by string) error {
	ed, ok := s.Cal.(CalendarEditor)
	if !ok {
		return errNotEditable
	}
	name = strings.Join(strings.Fields(name), " ")
	var bad []gongkai.FieldError
	switch {
	case d.IsZero():
		bad = append(bad, gongkai.FieldError{Field: "date", Message: "请填写日期"})
	case d.Year() < calendarMinYear || d.Year() > calendarMaxYear:
		bad = append(bad, gongkai.FieldError{Field: "date", Message: fmt.Sprintf("年份应在%d–%d之间", calendarMinYear, calendarMaxYear)})
	}
	if utf8.RuneCountInString(name) > maxDayNameRunes {
		bad = append(bad, gongkai.FieldError{Field: "name", Message: fmt.Sprintf("名称不能超过%d个字", maxDayNameRunes)})
	}
	if len(bad) > 0 {
		e := gongkai.Invalid(bad)
		e.Message = bad[0].Message
		return fmt.Errorf("caseflow: setting calendar day: %w", e)
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.SetCalendarDay(store.CalendarDay{Date: d, Working: working, Name: name}, by)
	})
	if err != nil {
		return fmt.Errorf("caseflow: setting calendar day %s: %w", d, err)
	}
	ed.MarkYearLoaded(d.Year())
	ed.SetDay(d, working, name)
	s.log().Info("calendar day set", "date", d.String(), "working", working, "name", name, "user", by)
	_, err = s.RecomputeDueDates(ctx, by)
	return err
}

// LoadCalendar loads a schedule file in the workday.Calendar.Load format
// ("2027-01-01 off 元旦", "year 2027"), as the State Council publishes each
// year's in November. The file is parsed first into a scratch calendar, so a
// bad file changes nothing and its error (gongkai.EInvalid) names every bad
// line; then every entry and year is stored in one transaction and applied
// to s.Cal.
func (s *Service) LoadCalendar(ctx context.Context, r io.Reader, by string) error {
	_, err := s.LoadCalendarYears(ctx, r, by)
	return err
}

// LoadCalendarYears is LoadCalendar returning the years the file made known.
func (s *Service) LoadCalendarYears(ctx context.Context, r io.Reader, by string) ([]int, error) {
	ed, ok := s.Cal.(CalendarEditor)
	if !ok {
		return nil, errNotEditable
	}
	scratch := &workday.Calendar{}
	if err := scratch.Load(r); err != nil {
		if gongkai.ErrorKind(err) == gongkai.EInternal {
			err = &gongkai.Error{Kind: gongkai.EInvalid, Message: "工作日历文件无法读取，未载入", Err: err}
		}
		return nil, fmt.Errorf("caseflow: loading calendar: %w", err)
	}
	years := scratch.Years()
	if len(years) == 0 {
		return nil, fmt.Errorf("caseflow: loading calendar: %w", gongkai.Errorf(gongkai.EInvalid, "工作日历文件中没有任何日期或年份，未载入"))
	}
	var days []workday.Entry
	for _, y := range years {
		es, err := scratch.Entries(y)
		if err != nil {
			return nil, fmt.Errorf("caseflow: loading calendar: %w", err)
		}
		days = append(days, es...)
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		for _, y := range years {
			if err := tx.MarkCalendarYear(y); err != nil {
				return err
			}
		}
		for _, e := range days {
			if err := tx.SetCalendarDay(store.CalendarDay{Date: e.Date, Working: e.Working, Name: e.Name}, by); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("caseflow: storing calendar: %w", err)
	}
	for _, y := range years {
		ed.MarkYearLoaded(y)
	}
	for _, e := range days {
		ed.SetDay(e.Date, e.Working, e.Name)
	}
	s.log().Info("calendar loaded", "years", years, "days", len(days), "user", by)
	if _, err := s.RecomputeDueDates(ctx, by); err != nil {
		return years, err
	}
	return years, nil
}

// RecomputeDueDates recomputes the stored due date of every open case whose
// clock runs, after the calendar changed (RULES.md §3.2: a new or corrected
// schedule is applied to the deadlines it moves). Each change is one
// transaction with its history row. It returns how many cases moved.
func (s *Service) RecomputeDueDates(ctx context.Context, by string) (int, error) {
	open, err := s.Cases(ctx, store.CaseFilter{Statuses: []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusDrafted, gongkai.StatusApproved}})
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, c := range open {
		if c.ClockState != gongkai.ClockRunning {
			continue
		}
		due, err := Due(c, s.Cal)
		if err != nil || due == c.DueOn {
			continue // a year still without schedule keeps its old date until loaded
		}
		err = s.DB.Update(ctx, func(tx *store.Tx) error {
			cur, err := tx.CaseByNo(c.No)
			if err != nil || cur.DueOn != c.DueOn || cur.ClockState != gongkai.ClockRunning {
				return err // changed meanwhile: the action that changed it recomputed it
			}
			old := cur.DueOn
			cur.DueOn = due
			if err := tx.UpdateCase(cur); err != nil {
				return err
			}
			return tx.AddEvent(&gongkai.Event{CaseID: cur.ID, Actor: by, Kind: "due_changed",
				Detail: fmt.Sprintf("工作日历调整，答复期限由 %s 改为 %s", old.Chinese(), due.Chinese()), Reason: "节假日安排变更"})
		})
		if err != nil {
			return moved, fmt.Errorf("caseflow: recomputing due date of %s: %w", c.No, err)
		}
		moved++
	}
	return moved, nil
}

// CalendarYears lists the years whose holiday schedule is known, ascending.
func (s *Service) CalendarYears() []int {
	if v, ok := s.Cal.(CalendarViewer); ok {
		return v.Years()
	}
	return nil
}

// CalendarConfirmed lists the years an admin loaded or corrected (the rest
// of CalendarYears come from the built-in table, which nobody here has
// checked against the State Council's notice).
func (s *Service) CalendarConfirmed(ctx context.Context) ([]int, error) {
	var years []int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		_, years, err = tx.CalendarDays()
		return err
	})
	return years, err
}

// CalendarEntries lists the special days of a known year (holidays, 调休
// working days, corrections), by date; an unknown year is an EConflict error
// telling the admin to load its schedule.
func (s *Service) CalendarEntries(year int) ([]workday.Entry, error) {
	v, ok := s.Cal.(CalendarViewer)
	if !ok {
		return nil, errNotEditable
	}
	es, err := v.Entries(year)
	if err != nil {
		return nil, fmt.Errorf("caseflow: calendar of %d: %w", year, err)
	}
	return es, nil
}
