package report

import (
	"context"

	"gongkai"
)

// SliceSource is a Source over rows held in memory: a ledger file read
// without a database, tests, benchmarks. It applies the window of
// Source.EachCase as the store's SQL does.
type SliceSource struct {
	Rows       []CaseRow
	AppealRows []gongkai.Appeal
}

// EachCase calls fn for the rows in the window of year.
func (s *SliceSource) EachCase(ctx context.Context, year int, fn func(CaseRow) error) error {
	dec31 := gongkai.NewDate(year, 12, 31)
	from := gongkai.NewDate(year-1, 1, 1)
	for i := range s.Rows {
		c := &s.Rows[i]
		if c.ReceivedOn.After(dec31) || (!c.AnsweredOn.IsZero() && c.AnsweredOn.Before(from)) {
			continue
		}
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(*c); err != nil {
			return err
		}
	}
	return nil
}

// Appeals returns the appeals filed in year.
func (s *SliceSource) Appeals(ctx context.Context, year int) ([]gongkai.Appeal, error) {
	var out []gongkai.Appeal
	for _, a := range s.AppealRows {
		if a.FiledOn.Year() == year {
			out = append(out, a)
		}
	}
	return out, ctx.Err()
}
