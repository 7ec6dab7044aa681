package workday

import (
	"math/bits"
	"time"

	"gongkai"
)

// wordsPerYear words of 64 bits hold one bit per day of a year (366 ≤ 384).
const wordsPerYear = 6

// yearTable is one year's calendar: a bitmap of working days indexed by the
// day of the year (0 = 1 January), so that a lookup is one shift and a count
// over a range is a few popcounts.
type yearTable struct {
	work [wordsPerYear]uint64 // bit i set: day i is a working day; bits ≥ days are 0
	days int                  // 365 or 366
	// set holds the days fixed by a schedule (lunar-go, the corrections file,
	// an admin); every other day follows the Monday–Friday rule (RULES.md §3.2).
	set map[int]special
}

// special is a day fixed by a schedule.
type special struct {
	working bool
	name    string
}

// newYearTable returns year y with Monday–Friday as working days and no
// holidays yet.
func newYearTable(y int) *yearTable {
	t := &yearTable{days: daysIn(y), set: make(map[int]special)}
	first := int(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Weekday())
	for i := 0; i < t.days; i++ {
		if wd := time.Weekday((first + i) % 7); wd != time.Saturday && wd != time.Sunday {
			t.work[i>>6] |= 1 << (i & 63)
		}
	}
	return t
}

// daysIn returns the number of days of year y.
func daysIn(y int) int {
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 366
	}
	return 365
}

// yday returns the 0-based day of the year of d.
func yday(d gongkai.Date) int { return d.Time().YearDay() - 1 }

// dateAt returns day i (0-based) of year y.
func dateAt(y, i int) gongkai.Date { return gongkai.NewDate(y, time.January, i+1) }

// isWorking reports whether day i is a working day.
func (t *yearTable) isWorking(i int) bool { return t.work[i>>6]&(1<<(i&63)) != 0 }

// setDay fixes day i.
func (t *yearTable) setDay(i int, working bool, name string) {
	if working {
		t.work[i>>6] |= 1 << (i & 63)
	} else {
		t.work[i>>6] &^= 1 << (i & 63)
	}
	t.set[i] = special{working: working, name: name}
}

// count returns the number of working days with index in [lo, hi).
func (t *yearTable) count(lo, hi int) int {
	if lo >= hi {
		return 0
	}
	first, last := lo>>6, (hi-1)>>6
	n := 0
	for w := first; w <= last; w++ {
		word := t.work[w]
		if w == first {
			word &= ^uint64(0) << (lo & 63)
		}
		if w == last {
			word &= ^uint64(0) >> (63 - ((hi - 1) & 63))
		}
		n += bits.OnesCount64(word)
	}
	return n
}

// nthFrom returns the index of the k-th (k ≥ 1) working day with index ≥ lo.
// When the year has fewer, it returns -1 and how many are still to be found
// in the following years.
func (t *yearTable) nthFrom(lo, k int) (int, int) {
	for w := lo >> 6; w < wordsPerYear; w++ {
		word := t.work[w]
		if w == lo>>6 {
			word &= ^uint64(0) << (lo & 63)
		}
		c := bits.OnesCount64(word)
		if k > c {
			k -= c
			continue
		}
		for ; k > 1; k-- {
			word &= word - 1 // drop the lowest working day
		}
		return w<<6 + bits.TrailingZeros64(word), 0
	}
	return -1, k
}

// nthBefore returns the index of the k-th (k ≥ 1) working day with index
// < hi, counting backwards. When the year has fewer, it returns -1 and how
// many are still to be found in the preceding years.
func (t *yearTable) nthBefore(hi, k int) (int, int) {
	if hi <= 0 {
		return -1, k
	}
	top := (hi - 1) >> 6
	for w := top; w >= 0; w-- {
		word := t.work[w]
		if w == top {
			word &= ^uint64(0) >> (63 - ((hi - 1) & 63))
		}
		c := bits.OnesCount64(word)
		if k > c {
			k -= c
			continue
		}
		for ; k > 1; k-- {
			word &^= 1 << (63 - bits.LeadingZeros64(word)) // drop the highest
		}
		return w<<6 + 63 - bits.LeadingZeros64(word), 0
	}
	return -1, k
}
