package workday

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/6tail/lunar-go/HolidayUtil"

	"gongkai"
)

// corrections holds the days on which gongkai overrides lunar-go, in the Load
// format. RULES.md §3.2 wins over the library.
//
//go:embed corrections.txt
var corrections []byte

// Years accepted in a schedule file; wider is a typo.
const minYear, maxYear = 1949, 2200

// maxLineErrors caps the bad lines listed in one Load error.
const maxLineErrors = 20

// Load reads a schedule file and applies it. One entry per line:
//
//	# comment
//	year 2027                  the year is known even without special days
//	2027-01-01 off 元旦         a day off (name optional)
//	2027-02-07 work 春节调休    a working weekend day (调休)
//
// "休" and "班" may stand for off and work. Each entry replaces what the
// calendar said about that day and makes its year known. The file is applied
// only if every line is good; otherwise nothing changes and the error
// (gongkai.EInvalid, in Chinese) names every bad line by its number.
func (c *Calendar) Load(r io.Reader) error {
	type entry struct {
		date    gongkai.Date
		working bool
		name    string
	}
	var (
		entries []entry
		years   []int
		bad     []gongkai.FieldError
	)
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		fail := func(format string, args ...any) {
			bad = append(bad, gongkai.FieldError{
				Field:   fmt.Sprintf("第%d行", line),
				Message: fmt.Sprintf(format, args...),
			})
		}
		if strings.EqualFold(f[0], "year") {
			y, err := strconv.Atoi(strings.Join(f[1:], ""))
			if len(f) != 2 || err != nil || y < minYear || y > maxYear {
				fail("“year”后应为%d–%d之间的年份：%q", minYear, maxYear, text)
				continue
			}
			years = append(years, y)
			continue
		}
		d, err := gongkai.ParseDate(f[0])
		if err != nil {
			fail("%v", err)
			continue
		}
		if d.Year() < minYear || d.Year() > maxYear {
			fail("年份应在%d–%d之间：%q", minYear, maxYear, f[0])
			continue
		}
		if len(f) < 2 {
			fail("日期后应写 off（放假）或 work（上班）：%q", text)
			continue
		}
		var working bool
		switch strings.ToLower(f[1]) {
		case "off", "休":
			working = false
		case "work", "班":
			working = true
		default:
			fail("第二项应为 off（放假）或 work（上班），而不是 %q", f[1])
			continue
		}
		entries = append(entries, entry{d, working, strings.Join(f[2:], " ")})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("workday: reading schedule: %w", err)
	}
	if len(bad) > 0 {
		msgs := make([]string, 0, min(len(bad), maxLineErrors)+1)
		for i, b := range bad {
			if i == maxLineErrors {
				msgs = append(msgs, fmt.Sprintf("另有%d行有误", len(bad)-i))
				break
			}
			msgs = append(msgs, b.Field+"："+b.Message)
		}
		e := &gongkai.Error{Kind: gongkai.EInvalid, Message: "工作日历文件有误，未载入：" + strings.Join(msgs, "；"), Fields: bad}
		return fmt.Errorf("workday: reading schedule: %w", e)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, y := range years {
		c.table(y, true)
	}
	for _, e := range entries {
		c.table(e.date.Year(), true).setDay(yday(e.date), e.working, e.name)
	}
	return nil
}

// Range of years probed in lunar-go's table (it starts in 2001).
const lunarFirst, lunarLast = 1990, 2200

// loadLunar copies lunar-go's holiday table into c. A year is known when
// lunar-go holds its schedule, i.e. when some entry belongs to a holiday of
// that year (its target date); the 2001-12-29/30 entries belong to 2002's
// New Year and do not make 2001 known. Entries on days of an unknown year
// (a late-December 调休 for next year's 元旦 is possible) are dropped: no
// computation reads them.
func loadLunar(c *Calendar) {
	type entry struct {
		date    gongkai.Date
		working bool
		name    string
	}
	var entries []entry
	known := make(map[int]bool)
	for y := lunarFirst; y <= lunarLast; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		for e := l.Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			d, err := gongkai.ParseDate(h.GetDay())
			if err != nil {
				panic(fmt.Sprintf("workday: lunar-go day %q: %v", h.GetDay(), err))
			}
			target, err := gongkai.ParseDate(h.GetTarget())
			if err != nil {
				panic(fmt.Sprintf("workday: lunar-go target %q: %v", h.GetTarget(), err))
			}
			known[target.Year()] = true
			name := h.GetName()
			if h.IsWork() {
				name += "调休"
			}
			entries = append(entries, entry{d, h.IsWork(), name})
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for y := range known {
		c.table(y, true)
	}
	for _, e := range entries {
		if t := c.table(e.date.Year(), false); t != nil {
			t.setDay(yday(e.date), e.working, e.name)
		}
	}
}
