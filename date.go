package gongkai

import (
	"fmt"
	"time"
)

// Beijing is China Standard Time. China has kept UTC+8 without daylight saving
// since 1991, so a fixed zone is exact for every date gongkai handles and needs
// no tz database on the host.
var Beijing = time.FixedZone("CST", 8*3600)

// Date is a civil date (no time, no zone), as the law counts days.
// The zero Date means "not set".
type Date struct{ t time.Time } // always 00:00 UTC

// NewDate returns the date y-m-d (normalised like time.Date).
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the civil date of t in Beijing: a message sent late on the
// 28th at −04:00 is received on the 29th (corpus dev/029).
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	b := t.In(Beijing)
	return NewDate(b.Year(), b.Month(), b.Day())
}

// ParseDate reads YYYY-MM-DD; the empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("日期格式应为 YYYY-MM-DD：%q", s)
	}
	return Date{t}, nil
}

// MustDate is ParseDate for literals in tests and tables; it panics on bad input.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String formats d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format("2006-01-02")
}

// Chinese formats d as 2024年9月27日, as letters print it.
func (d Date) Chinese() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%d月%d日", d.t.Year(), int(d.t.Month()), d.t.Day())
}

// Time returns d at 00:00 UTC.
func (d Date) Time() time.Time { return d.t }

// Year, Month, Day and Weekday of d.
func (d Date) Year() int             { return d.t.Year() }
func (d Date) Month() time.Month     { return d.t.Month() }
func (d Date) Day() int              { return d.t.Day() }
func (d Date) Weekday() time.Weekday { return d.t.Weekday() }
func (d Date) AddDays(n int) Date    { return Date{d.t.AddDate(0, 0, n)} }
func (d Date) Before(o Date) bool    { return d.t.Before(o.t) }
func (d Date) After(o Date) bool     { return d.t.After(o.t) }
func (d Date) Equal(o Date) bool     { return d.t.Equal(o.t) }
func (d Date) Compare(o Date) int    { return d.t.Compare(o.t) }

// DaysUntil returns the number of calendar days from d to o.
func (d Date) DaysUntil(o Date) int { return int(o.t.Sub(d.t).Hours() / 24) }

// MarshalText writes YYYY-MM-DD (empty when unset), so JSON carries plain dates.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
