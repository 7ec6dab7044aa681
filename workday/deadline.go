package workday

import (
	"fmt"

	"gongkai"
)

// AddWorkdays returns the n-th working day after d. d itself is day 0 and is
// not counted, whether or not it is a working day (民法典 Art. 201; RULES.md
// §3.3). n == 0 returns d. For n < 0 it returns the |n|-th working day before
// d (d not counted), e.g. "3 working days before the due date".
//
// d's year and every year the count reaches must be known.
func (c *Calendar) AddWorkdays(d gongkai.Date, n int) (gongkai.Date, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, err := c.add(d, n)
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("workday: adding %d working days to %s: %w", n, d, err)
	}
	return r, nil
}

// add is AddWorkdays under the caller's read lock.
func (c *Calendar) add(d gongkai.Date, n int) (gongkai.Date, error) {
	if d.IsZero() {
		return gongkai.Date{}, errZeroDate
	}
	y, i := d.Year(), yday(d)
	t := c.years[y]
	if t == nil {
		return gongkai.Date{}, noSchedule(y)
	}
	switch {
	case n > 0:
		lo := i + 1
		for {
			j, rest := t.nthFrom(lo, n)
			if j >= 0 {
				return dateAt(y, j), nil
			}
			n, y, lo = rest, y+1, 0
			if t = c.years[y]; t == nil {
				return gongkai.Date{}, noSchedule(y)
			}
		}
	case n < 0:
		k, hi := -n, i
		for {
			j, rest := t.nthBefore(hi, k)
			if j >= 0 {
				return dateAt(y, j), nil
			}
			k, y = rest, y-1
			if t = c.years[y]; t == nil {
				return gongkai.Date{}, noSchedule(y)
			}
			hi = t.days
		}
	}
	return d, nil
}

// WorkdaysBetween returns the number of working days in (a, b]: the days
// used between day 0 = a and b (RULES.md §3.3 clock model). It is negative,
// −(working days in (b, a]), when b is before a. The years of a, b and every
// year between must be known.
func (c *Calendar) WorkdaysBetween(a, b gongkai.Date) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var n int
	var err error
	if b.Before(a) {
		n, err = c.between(b, a)
		n = -n
	} else {
		n, err = c.between(a, b)
	}
	if err != nil {
		return 0, fmt.Errorf("workday: counting working days from %s to %s: %w", a, b, err)
	}
	return n, nil
}

// between counts the working days in (a, b], a ≤ b, under the read lock.
func (c *Calendar) between(a, b gongkai.Date) (int, error) {
	if a.IsZero() || b.IsZero() {
		return 0, errZeroDate
	}
	ya, yb := a.Year(), b.Year()
	n := 0
	for y := ya; y <= yb; y++ {
		t := c.years[y]
		if t == nil {
			return 0, noSchedule(y)
		}
		lo, hi := 0, t.days
		if y == ya {
			lo = yday(a) + 1
		}
		if y == yb {
			hi = yday(b) + 1
		}
		n += t.count(lo, hi)
	}
	return n, nil
}

// OnOrAfter returns the first working day on or after d.
func (c *Calendar) OnOrAfter(d gongkai.Date) (gongkai.Date, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, err := c.onOrAfter(d)
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("workday: finding the working day on or after %s: %w", d, err)
	}
	return r, nil
}

// onOrAfter is OnOrAfter under the read lock.
func (c *Calendar) onOrAfter(d gongkai.Date) (gongkai.Date, error) {
	if d.IsZero() {
		return gongkai.Date{}, errZeroDate
	}
	t := c.years[d.Year()]
	if t == nil {
		return gongkai.Date{}, noSchedule(d.Year())
	}
	if t.isWorking(yday(d)) {
		return d, nil
	}
	return c.add(d, 1)
}

// ReceiptDate returns the legal receipt date (收到申请之日) of a request that
// arrived on arrived through ch (Art. 31; RULES.md §3.1): for in_person and
// post the given date (the hand-over or signing date; for an ordinary letter
// the office confirms the same day), which needs no calendar; for the internet
// channels web, email and chat, and for fax, the first working day on or after
// arrival, because the mutual confirmation is an act of the office. arrived is
// the civil date in Beijing (gongkai.DateOf of the arrival timestamp).
func (c *Calendar) ReceiptDate(arrived gongkai.Date, ch gongkai.Channel) (gongkai.Date, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, err := c.receipt(arrived, ch)
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("workday: computing the receipt date of %s (%s): %w", arrived, ch, err)
	}
	return r, nil
}

// receipt is ReceiptDate under the read lock.
func (c *Calendar) receipt(arrived gongkai.Date, ch gongkai.Channel) (gongkai.Date, error) {
	if arrived.IsZero() {
		return gongkai.Date{}, errZeroDate
	}
	switch {
	case ch == gongkai.ChannelInPerson || ch == gongkai.ChannelPost:
		return arrived, nil
	case ch.Internet():
		return c.onOrAfter(arrived)
	}
	return gongkai.Date{}, gongkai.Errorf(gongkai.EInvalid, "未知的申请渠道：%q", string(ch))
}

// Due returns the answer deadline of a request with no stops: the 20th
// working day after its receipt date, or the 40th when extended (Art. 33;
// RULES.md §3.3, `gongkai due`). The answer is on time if dispatched by the
// end of that day.
func (c *Calendar) Due(arrived gongkai.Date, ch gongkai.Channel, extended bool) (gongkai.Date, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, err := c.receipt(arrived, ch)
	if err == nil {
		n := AnswerPeriod
		if extended {
			n = ExtendedPeriod
		}
		r, err = c.add(r, n)
	}
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("workday: computing the due date of %s (%s): %w", arrived, ch, err)
	}
	return r, nil
}
