package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/report"
)

// ReportService is what the annual report pages need; annual.Service
// implements it.
type ReportService interface {
	Build(ctx context.Context, year int) (*report.Report, error)
	Inputs(ctx context.Context, year int) (report.Proactive, report.Texts, error)
	SaveInputs(ctx context.Context, year int, p report.Proactive, t report.Texts, by string) error
	Publish(ctx context.Context, year int, by string) (*report.Report, error)
	Published(ctx context.Context, year int) (*report.Published, error)
}

// Reports serves the annual report pages (issue 7) and the working-day
// calendar admin (issue 3). Append its Register to Server.Extra.
type Reports struct {
	Service ReportService
}

// Roles that edit the report's inputs (section 二 and the prose).
var reportEditors = []gongkai.Role{gongkai.RoleRegistrar, gongkai.RoleAdmin}

// Roles that publish (定稿) a year's report: the leader who approves it, or
// an administrator.
var reportPublishers = []gongkai.Role{gongkai.RoleApprover, gongkai.RoleAdmin}

// casesPerPage is the length of one page of a drill-down list.
const casesPerPage = 100

// Register adds the routes of the report and calendar pages: every staff
// member may read the report; registrars and admins edit its inputs; only
// admins edit the calendar.
func (rp *Reports) Register(r *gin.Engine, s *Server) {
	h := &reportPages{Server: s, svc: rp.Service}
	r.GET("/staff/report.css", serveReportCSS)
	st := s.StaffGroup(r)
	st.GET("/report", h.years)
	st.GET("/report/:year", h.year)
	st.GET("/report/:year/cases", h.cases)
	st.GET("/report/:year/inputs", s.requireRole(reportEditors...), h.inputsForm)
	st.POST("/report/:year/inputs", s.requireRole(reportEditors...), h.inputsSave)
	st.POST("/report/:year/publish", s.requireRole(reportPublishers...), h.publish)
	st.GET("/report/:year/published.json", h.publishedJSON)
	adm := st.Group("/admin", s.requireRole(gongkai.RoleAdmin))
	adm.GET("/calendar", h.calendarPage)
	adm.POST("/calendar/day", h.calendarDay)
	adm.POST("/calendar/load", h.calendarLoad)
}

// reportPages holds the handlers' dependencies.
type reportPages struct {
	*Server
	svc ReportService
}

// years is /staff/report: choose a year (the report of year Y is published
// by Jan 31 of Y+1, RULES.md §2.1, hence last year first).
func (h *reportPages) years(c *gin.Context) {
	if y := strings.TrimSpace(c.Query("year")); y != "" {
		if _, _, ok := parseReportYear(y); !ok {
			h.errorPage(c, http.StatusNotFound, "年度格式不正确，应为四位数字")
			return
		}
		c.Redirect(http.StatusSeeOther, "/staff/report/"+y)
		return
	}
	now := gongkai.DateOf(h.Cases.DB.Now()).Year()
	var years []int
	for y := now; y > now-6; y-- {
		years = append(years, y)
	}
	h.Render(c, http.StatusOK, "report_years", gin.H{"Title": "政府信息公开工作年度报告", "Years": years, "Due": now - 1})
}

// plainYear reads the :year of a page that has no file extension, or
// answers 404.
func (h *reportPages) plainYear(c *gin.Context) (int, bool) {
	year, ext, ok := parseReportYear(c.Param("year"))
	if !ok || ext != "" {
		h.errorPage(c, http.StatusNotFound, "页面不存在")
		return 0, false
	}
	return year, true
}

// parseReportYear splits "2024" or "2024.md" into the year and the format.
func parseReportYear(p string) (year int, ext string, ok bool) {
	p, ext, _ = strings.Cut(p, ".")
	if len(p) != 4 {
		return 0, "", false
	}
	y, err := strconv.Atoi(p)
	if err != nil || y < 1000 {
		return 0, "", false
	}
	return y, ext, true
}

// downloads are the formats of /staff/report/{year}.{ext}.
var downloads = map[string]struct {
	ctype  string
	render func(*report.Report, io.Writer) error
}{
	"md":   {"text/markdown; charset=utf-8", (*report.Report).Markdown},
	"json": {"application/json; charset=utf-8", (*report.Report).JSON},
	"html": {"text/html; charset=utf-8", (*report.Report).HTML},
	"xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (*report.Report).XLSX},
}

// year is /staff/report/{year}: the report as the official tables, every
// figure of section 三 a link to its cases, then the checks; or, with an
// extension, the report as a file.
func (h *reportPages) year(c *gin.Context) {
	year, ext, ok := parseReportYear(c.Param("year"))
	dl, known := downloads[ext]
	if !ok || (ext != "" && !known) {
		h.errorPage(c, http.StatusNotFound, "页面不存在")
		return
	}
	r, err := h.svc.Build(c.Request.Context(), year)
	if err != nil {
		h.fail(c, err)
		return
	}
	if ext != "" {
		var buf bytes.Buffer
		if err := dl.render(r, &buf); err != nil {
			h.fail(c, err)
			return
		}
		name := fmt.Sprintf("annual-report-%d.%s", year, ext)
		title := fmt.Sprintf("%s%d年政府信息公开工作年度报告.%s", r.Agency, year, ext)
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(title)))
		c.Data(http.StatusOK, dl.ctype, buf.Bytes())
		return
	}
	body, err := officialMarkup(r)
	if err != nil {
		h.fail(c, err)
		return
	}
	pub, err := h.svc.Published(c.Request.Context(), year)
	if err != nil {
		h.fail(c, err)
		return
	}
	changed := false
	if pub != nil {
		if changed, err = pub.Differs(r); err != nil {
			h.fail(c, err)
			return
		}
	}
	h.Render(c, http.StatusOK, "report", gin.H{
		"Title": fmt.Sprintf("%d年度报告", year), "Year": year, "Report": r, "Body": body,
		"Checks": checkRows(r), "OK": r.OK(), "Failed": len(r.Failed()),
		"CanEdit": CurrentUser(c).Has(reportEditors...), "Saved": c.Query("saved") != "",
		"Published": pub, "Changed": changed, "CanPublish": CurrentUser(c).Has(reportPublishers...),
		"JustPublished": c.Query("published") != "", "PublishError": c.Query("error"),
	})
}

// publish freezes the year's report as published (定稿); a report with
// errors in its checks is refused, and the page says why.
func (h *reportPages) publish(c *gin.Context) {
	year, ok := h.plainYear(c)
	if !ok {
		return
	}
	u := CurrentUser(c)
	if _, err := h.svc.Publish(c.Request.Context(), year, u.Username); err != nil {
		if httpStatus(err) >= 500 {
			h.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/report/%d?error=%s", year, url.QueryEscape(gongkai.ErrorMessage(err))))
		return
	}
	h.Log.Info("report published", "year", year, "user", u.Username)
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/report/%d?published=1", year))
}

// publishedJSON is the year's report as it was published.
func (h *reportPages) publishedJSON(c *gin.Context) {
	year, ok := h.plainYear(c)
	if !ok {
		return
	}
	pub, err := h.svc.Published(c.Request.Context(), year)
	if err != nil {
		h.fail(c, err)
		return
	}
	if pub == nil {
		h.errorPage(c, http.StatusNotFound, fmt.Sprintf("%d年度报告尚未定稿", year))
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="annual-report-%d-published.json"`, year))
	c.Data(http.StatusOK, "application/json; charset=utf-8", []byte(pub.JSON))
}

// officialMarkup is the report as report.HTML prints it, without its page
// frame and inline styles (the CSP allows none) and without its check list,
// which the page shows in full. report.HTML escapes everything it prints.
func officialMarkup(r *report.Report) (template.HTML, error) {
	var buf bytes.Buffer
	if err := r.HTML(&buf); err != nil {
		return "", err
	}
	page := buf.String()
	_, body, ok1 := strings.Cut(page, "<body>")
	body, _, ok2 := strings.Cut(body, `<section class="checks">`)
	if !ok1 || !ok2 {
		return "", errors.New("web: report html has no <body> or no checks section")
	}
	return template.HTML(body), nil
}

// checkRow is one line of the check list.
type checkRow struct {
	report.Check
	First bool   // first check of its rule: print the rule
	Scope string // column and row the check is about
	Class string // c-ok, c-skipped, c-bad (error), c-warn (warning)
}

// checkRows lists the checks by rule, then column and row, as evaluated.
func checkRows(r *report.Report) []checkRow {
	out := make([]checkRow, 0, len(r.Checks))
	for i, ck := range r.Checks {
		row := checkRow{Check: ck, First: i == 0 || r.Checks[i-1].ID != ck.ID || r.Checks[i-1].Rule != ck.Rule}
		var scope []string
		if ck.Column != "" {
			scope = append(scope, ck.Column)
		}
		if ck.Row != "" {
			if rr, ok := r.Row(ck.Row); ok {
				scope = append(scope, rr.Label)
			} else if k := gongkai.ResultKey(ck.Row); k.Index() >= 0 {
				scope = append(scope, k.Label())
			} else {
				scope = append(scope, ck.Row)
			}
		}
		row.Scope = strings.Join(scope, " · ")
		switch {
		case ck.Skipped:
			row.Class = "c-skipped"
		case ck.OK:
			row.Class = "c-ok"
		case ck.Level == report.LevelError:
			row.Class = "c-bad"
		default:
			row.Class = "c-warn"
		}
		out = append(out, row)
	}
	return out
}

// cases is /staff/report/{year}/cases?row=KEY&col=N: the cases behind one
// figure of section 三, 100 a page.
func (h *reportPages) cases(c *gin.Context) {
	year, ext, ok := parseReportYear(c.Param("year"))
	key := c.Query("row")
	col, err := strconv.Atoi(c.Query("col"))
	if !ok || ext != "" || report.RowIndex(key) < 0 || err != nil || col < 0 || col > 6 {
		h.errorPage(c, http.StatusNotFound, "没有这一格数据")
		return
	}
	r, err := h.svc.Build(c.Request.Context(), year)
	if err != nil {
		h.fail(c, err)
		return
	}
	nos := r.Cases(key, col)
	pages := max(1, (len(nos)+casesPerPage-1)/casesPerPage)
	page, _ := strconv.Atoi(c.DefaultQuery("page", "1"))
	page = min(max(page, 1), pages)
	from, to := (page-1)*casesPerPage, min(page*casesPerPage, len(nos))
	row, _ := r.Row(key)
	label := row.Label
	if row.Group != "" {
		label = row.Group + " " + row.Label
	}
	base := fmt.Sprintf("/staff/report/%d/cases?row=%s&col=%d&page=", year, url.QueryEscape(key), col)
	h.Render(c, http.StatusOK, "report_cases", gin.H{
		"Title": fmt.Sprintf("%d年度报告 · %s", year, row.Label), "Year": year, "Row": label, "Column": r.Columns[col],
		"Figure": row.Cells[col], "Total": len(nos), "Cases": nos[from:to], "From": from + 1,
		"Page": page, "Pages": pages, "Prev": pageLink(base, page-1, pages), "Next": pageLink(base, page+1, pages),
	})
}

func pageLink(base string, p, pages int) string {
	if p < 1 || p > pages {
		return ""
	}
	return base + strconv.Itoa(p)
}

// inputField is one number of section 二 on the inputs form.
type inputField struct {
	Name, Label, Value string
}

// inputsView is the inputs form with its values as typed.
type inputsView struct {
	Rules, Normative []inputField // 制发, 废止, 现行有效
	Decisions        []inputField // 许可, 处罚, 强制
	Fees             inputField
	Intro, Problems  string
	Other            string
	Overview         []inputField // the five heads of 一 with their text
}

var overviewHeads = [5]string{"（一）主动公开", "（二）依申请公开", "（三）政府信息管理", "（四）政府信息公开平台建设", "（五）监督保障"}

func newInputsView(p report.Proactive, t report.Texts) inputsView {
	n := strconv.Itoa
	v := inputsView{
		Rules: []inputField{{"rules_issued", "本年制发件数", n(p.Rules.Issued)}, {"rules_repealed", "本年废止件数", n(p.Rules.Repealed)}, {"rules_in_force", "现行有效件数", n(p.Rules.InForce)}},
		Normative: []inputField{{"normative_issued", "本年制发件数", n(p.NormativeDocuments.Issued)}, {"normative_repealed", "本年废止件数", n(p.NormativeDocuments.Repealed)},
			{"normative_in_force", "现行有效件数", n(p.NormativeDocuments.InForce)}},
		Decisions: []inputField{{"licensing_decisions", "行政许可", n(p.LicensingDecisions)}, {"penalties", "行政处罚", n(p.Penalties)}, {"coercive_measures", "行政强制", n(p.CoerciveMeasures)}},
		Fees:      inputField{"fees_wan_yuan", "行政事业性收费（万元）", strconv.FormatFloat(p.FeesWanYuan, 'f', -1, 64)},
		Intro:     t.Intro, Problems: t.Problems, Other: t.Other,
	}
	for i, head := range overviewHeads {
		v.Overview = append(v.Overview, inputField{fmt.Sprintf("overview%d", i+1), head, t.Overview[i]})
	}
	return v
}

func (h *reportPages) inputsForm(c *gin.Context) {
	year, ok := h.plainYear(c)
	if !ok {
		return
	}
	p, t, err := h.svc.Inputs(c.Request.Context(), year)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderInputs(c, http.StatusOK, year, newInputsView(p, t), nil)
}

func (h *reportPages) renderInputs(c *gin.Context, status, year int, v inputsView, errs []string) {
	h.Render(c, status, "report_inputs", gin.H{"Title": fmt.Sprintf("%d年度报告 · 填写", year), "Year": year, "V": v, "Errors": errs})
}

// inputsSave stores the form; a bad number re-shows the form as typed with
// every problem listed, and nothing is saved.
func (h *reportPages) inputsSave(c *gin.Context) {
	year, ok := h.plainYear(c)
	if !ok {
		return
	}
	var errs []string
	num := func(name, label string) int {
		s := strings.TrimSpace(c.PostForm(name))
		if s == "" {
			return 0
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s应为整数：%q", label, s))
		}
		return v
	}
	var p report.Proactive
	p.Rules.Issued = num("rules_issued", "规章本年制发件数")
	p.Rules.Repealed = num("rules_repealed", "规章本年废止件数")
	p.Rules.InForce = num("rules_in_force", "规章现行有效件数")
	p.NormativeDocuments.Issued = num("normative_issued", "行政规范性文件本年制发件数")
	p.NormativeDocuments.Repealed = num("normative_repealed", "行政规范性文件本年废止件数")
	p.NormativeDocuments.InForce = num("normative_in_force", "行政规范性文件现行有效件数")
	p.LicensingDecisions = num("licensing_decisions", "行政许可处理决定数量")
	p.Penalties = num("penalties", "行政处罚处理决定数量")
	p.CoerciveMeasures = num("coercive_measures", "行政强制处理决定数量")
	if s := strings.TrimSpace(c.PostForm("fees_wan_yuan")); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("行政事业性收费金额应为数字（单位：万元）：%q", s))
		}
		p.FeesWanYuan = f
	}
	t := report.Texts{Intro: c.PostForm("intro"), Problems: c.PostForm("problems"), Other: c.PostForm("other")}
	for i := range t.Overview {
		t.Overview[i] = c.PostForm(fmt.Sprintf("overview%d", i+1))
	}
	v := newInputsView(p, t)
	// Keep what was typed, not what it parsed to.
	for _, fs := range [][]inputField{v.Rules, v.Normative, v.Decisions} {
		for i := range fs {
			fs[i].Value = c.PostForm(fs[i].Name)
		}
	}
	v.Fees.Value = c.PostForm(v.Fees.Name)
	if len(errs) == 0 {
		err := h.svc.SaveInputs(c.Request.Context(), year, p, t, CurrentUser(c).Username)
		if err == nil {
			h.Log.Info("report inputs saved", "year", year, "user", CurrentUser(c).Username)
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/report/%d?saved=1", year))
			return
		}
		if httpStatus(err) >= 500 {
			h.fail(c, err)
			return
		}
		var e *gongkai.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			for _, f := range e.Fields {
				errs = append(errs, f.Message)
			}
		} else {
			errs = append(errs, gongkai.ErrorMessage(err))
		}
	}
	h.renderInputs(c, http.StatusUnprocessableEntity, year, v, errs)
}

// reportCSS draws the official tables with full borders and colours the
// checks; served as a file because the CSP forbids inline styles.
const reportCSS = `.official{background:#fff;padding:1rem 1.5rem;border-radius:6px;margin-bottom:1rem}
.official h1{text-align:center;font-size:1.3rem;line-height:1.5}
.official h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
.official p{text-indent:2em;margin:.3rem 0}
.official table{margin:.5rem 0 1rem;font-size:.9rem}
.official th,.official td{border:1px solid #555;padding:.25rem .4rem;vertical-align:middle}
.official td{text-align:center;min-width:2.5em}
.official thead th,.official .t4 th,.official .t2 th.block{text-align:center}
.official td a{color:#a4161a;text-decoration:none;display:block}
.official td a:hover{text-decoration:underline;background:#fdecea}
.toolbar a{margin-right:1rem}
.search button{white-space:nowrap}
table.checks td{vertical-align:top}
table.checks tr.c-bad td{background:#fdecea;color:#8a1116;font-weight:bold}
table.checks tr.c-warn td{background:#fff4e0;color:#8a4b00}
table.checks tr.c-skipped td{color:#777}
.status-ok{color:#2b8a3e}.status-bad{color:#c00}
ol.drill{columns:3;padding-left:2.5rem}
.pager a,.pager span{margin-right:1rem}
.years a{display:inline-block;margin:.2rem .6rem .2rem 0}
.years a.on{font-weight:bold}
table.days td.off{color:#a4161a}table.days td.work{color:#2b8a3e}
textarea.schedule{font-family:monospace;min-height:12rem}
form.day{display:grid;grid-template-columns:12em 8em 1fr auto;gap:.5rem;align-items:end}
form.day label{margin:0}
@media (max-width:700px){ol.drill{columns:1}form.day{grid-template-columns:1fr}}
`

func serveReportCSS(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(reportCSS))
}
