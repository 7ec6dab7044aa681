package web

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"gongkai"
)

// The working-day calendar admin (issue 3, RULES.md §3.2): the years whose
// holiday schedule is known, the special days of one, a form to add or
// correct a day, and the loading of a year's schedule as the State Council
// publishes it each November. Changes are stored and apply at once.

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// dayRow is one special day on the calendar page.
type dayRow struct {
	Date, Weekday, Name string
	Working             bool
}

// calendarForm is what the page's forms held when a change was refused.
type calendarForm struct {
	Date, Kind, Name, Schedule string
}

// calendarPage is GET /staff/admin/calendar?year=Y.
func (h *reportPages) calendarPage(c *gin.Context) {
	h.renderCalendar(c, http.StatusOK, c.Query("year"), "", calendarForm{Kind: "off"})
}

func (h *reportPages) renderCalendar(c *gin.Context, status int, yearParam, errMsg string, form calendarForm) {
	years := h.Cases.CalendarYears()
	this := gongkai.DateOf(h.Cases.DB.Now()).Year()
	year, err := strconv.Atoi(yearParam)
	if err != nil || year < 1000 || year > 9999 {
		year = this
		if !slices.Contains(years, this) && len(years) > 0 {
			year = years[len(years)-1]
		}
	}
	var days []dayRow
	var unknown string
	es, err := h.Cases.CalendarEntries(year)
	switch {
	case err == nil:
		for _, e := range es {
			days = append(days, dayRow{Date: e.Date.String(), Weekday: weekdays[e.Date.Weekday()], Name: e.Name, Working: e.Working})
		}
	case gongkai.ErrorKind(err) == gongkai.EConflict:
		unknown = gongkai.ErrorMessage(err)
	default:
		h.fail(c, err)
		return
	}
	var recent []int // the last few known years, as links
	for i := max(0, len(years)-8); i < len(years); i++ {
		recent = append(recent, years[i])
	}
	confirmed, err := h.Cases.CalendarConfirmed(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	// This year and next, when known only from the built-in table: deadlines
	// run on them now, so the admin is asked to check them against the
	// notice (loading or correcting a year confirms it).
	var builtin []string
	for _, y := range []int{this, this + 1} {
		if slices.Contains(years, y) && !slices.Contains(confirmed, y) {
			builtin = append(builtin, strconv.Itoa(y))
		}
	}
	data := gin.H{
		"Title": "工作日历", "Years": recent, "Year": year, "Days": days, "Unknown": unknown,
		"Error": errMsg, "Form": form, "Done": c.Query("done"),
		"NextMissing": !slices.Contains(years, this+1), "Next": this + 1,
		"Builtin": strings.Join(builtin, "、"),
	}
	if len(years) > 0 {
		data["First"], data["Last"] = years[0], years[len(years)-1]
	}
	h.Render(c, status, "calendar", data)
}

// calendarDay is POST /staff/admin/calendar/day: add or correct one day.
func (h *reportPages) calendarDay(c *gin.Context) {
	form := calendarForm{Date: strings.TrimSpace(c.PostForm("date")), Kind: c.PostForm("kind"), Name: c.PostForm("name")}
	d, err := gongkai.ParseDate(form.Date)
	if err != nil {
		h.renderCalendar(c, http.StatusUnprocessableEntity, c.PostForm("year"), "日期格式不正确："+form.Date, form)
		return
	}
	if form.Kind != "off" && form.Kind != "work" {
		h.renderCalendar(c, http.StatusUnprocessableEntity, strconv.Itoa(d.Year()), "请选择“放假”或“上班”", form)
		return
	}
	if err := h.Cases.SetCalendarDay(c.Request.Context(), d, form.Kind == "work", form.Name, CurrentUser(c).Username); err != nil {
		if httpStatus(err) >= 500 {
			h.fail(c, err)
			return
		}
		h.renderCalendar(c, httpStatus(err), strconv.Itoa(d.Year()), gongkai.ErrorMessage(err), form)
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/admin/calendar?done=day&year="+strconv.Itoa(d.Year()))
}

// calendarLoad is POST /staff/admin/calendar/load: a schedule file uploaded
// or pasted; a bad line refuses the whole file and is named by its number.
func (h *reportPages) calendarLoad(c *gin.Context) {
	text := c.PostForm("schedule")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			h.fail(c, err)
			return
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			h.renderCalendar(c, http.StatusUnprocessableEntity, "", "上传的文件无法读取", calendarForm{Kind: "off", Schedule: text})
			return
		}
		text = string(b)
	}
	form := calendarForm{Kind: "off", Schedule: text}
	if strings.TrimSpace(text) == "" {
		h.renderCalendar(c, http.StatusUnprocessableEntity, "", "请粘贴节假日安排或选择文件", form)
		return
	}
	years, err := h.Cases.LoadCalendarYears(c.Request.Context(), strings.NewReader(text), CurrentUser(c).Username)
	if err != nil {
		if httpStatus(err) >= 500 {
			h.fail(c, err)
			return
		}
		h.renderCalendar(c, httpStatus(err), "", gongkai.ErrorMessage(err), form)
		return
	}
	h.Log.Info("calendar schedule loaded", "years", years, "user", CurrentUser(c).Username)
	c.Redirect(http.StatusSeeOther, "/staff/admin/calendar?done=load&year="+strconv.Itoa(years[0]))
}
