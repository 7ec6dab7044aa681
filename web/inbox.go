package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/caseflow"
)

// Queue is one tab of the staff inbox.
type Queue struct {
	Key, Label string
}

// Queues of the inbox, in display order (issue 3).
var Queues = []Queue{
	{"all", "全部"}, {"new", "待登记"}, {"mine", "我的待办"}, {"soon", "即将到期"}, {"overdue", "已超期"},
	{"correction", "补正中"}, {"consultation", "征求意见中"}, {"closed", "已办结"},
}

var openStatuses = []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusCorrection,
	gongkai.StatusConsultation, gongkai.StatusFee, gongkai.StatusReasons, gongkai.StatusDrafted, gongkai.StatusApproved}

// runningStatuses are open cases whose answer clock runs, so that their due date is meaningful.
var runningStatuses = []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusDrafted, gongkai.StatusApproved}

// inboxPageSize is how many cases one page of the inbox lists.
const inboxPageSize = 200

// maxInboxPage bounds the page a link may ask for, so that the offset
// stays a sane number whatever the query says.
const maxInboxPage = 100000

func (s *Server) queueFilter(q string, u *gongkai.User) (caseflow.CaseFilter, error) {
	today := gongkai.DateOf(s.Cases.DB.Now())
	f := caseflow.CaseFilter{Limit: inboxPageSize}
	switch q {
	case "new":
		f.Statuses = []gongkai.Status{gongkai.StatusRegistered}
	case "mine":
		// A handler's own cases and the unassigned ones of the 股室; a
		// leader's the answers and extensions awaiting a decision.
		f.Statuses, f.Assignee = openStatuses, u.Username
		if u.Has(gongkai.RoleHandler) {
			f.AssigneeOrDept = u.Department
		}
		if u.Has(gongkai.RoleApprover) && !u.Has(gongkai.RoleHandler) {
			f.Assignee, f.AwaitingApproval = "", true
		}
	case "soon":
		d, err := s.Cases.Cal.AddWorkdays(today, 3)
		if err != nil {
			return f, err
		}
		f.Statuses, f.DueBefore = runningStatuses, d
	case "overdue":
		f.Statuses, f.DueBefore = runningStatuses, today.AddDays(-1)
	case "correction":
		f.Statuses = []gongkai.Status{gongkai.StatusCorrection}
	case "consultation":
		f.Statuses = []gongkai.Status{gongkai.StatusConsultation}
	case "closed":
		f.Statuses = []gongkai.Status{gongkai.StatusClosed, gongkai.StatusNotRequest}
	}
	return f, nil
}

// CaseRow is one line of the case list.
type CaseRow struct {
	Case      *gongkai.Case
	Remaining int
	Class     string // ontime, soon, overdue, "" when no running clock
}

func (s *Server) caseRows(cases []*gongkai.Case) []CaseRow {
	today := gongkai.DateOf(s.Cases.DB.Now())
	rows := make([]CaseRow, len(cases))
	for i, c := range cases {
		rows[i].Case = c
		if c.Status.Open() && !c.DueOn.IsZero() {
			if n, class, err := caseflow.Remaining(c, today, s.Cases.Cal); err == nil {
				rows[i].Remaining, rows[i].Class = n, class
			}
		}
	}
	return rows
}

func (s *Server) inbox(c *gin.Context) {
	u := CurrentUser(c)
	q := c.DefaultQuery("q", "all")
	f, err := s.queueFilter(q, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Query = c.Query("search")
	page := 1
	// A number too large for an int comes back as the largest int.
	if p, _ := strconv.Atoi(c.Query("page")); p > 1 {
		page = min(p, maxInboxPage)
	}
	f.Offset = (page - 1) * f.Limit
	cases, total, err := s.Cases.CasePage(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "inbox", gin.H{"Title": "案件列表", "Queues": Queues, "Q": q, "Search": f.Query,
		"Rows": s.caseRows(cases), "Pager": inboxPager(q, f.Query, page, f.Limit, f.Offset, len(cases), total)})
}

// pager says which part of a tab a page of the inbox shows and links to
// the pages around it ("" where there is none).
type pager struct {
	Page, From, To, Total, Pages int
	First, Prev, Next, Last      string
}

func inboxPager(q, search string, page, size, offset, n, total int) pager {
	link := func(p int) string {
		v := url.Values{"q": {q}}
		if search != "" {
			v.Set("search", search)
		}
		if p > 1 {
			v.Set("page", strconv.Itoa(p))
		}
		return "/staff?" + v.Encode()
	}
	pages := max(1, (total+size-1)/size)
	pg := pager{Page: page, From: offset + 1, To: offset + n, Total: total, Pages: pages}
	if page > 1 {
		pg.First, pg.Prev = link(1), link(min(page-1, pages))
	}
	if page < pages {
		pg.Next, pg.Last = link(page+1), link(pages)
	}
	return pg
}

func (s *Server) casePage(c *gin.Context) {
	s.renderCase(c, false)
}

func (s *Server) caseReveal(c *gin.Context) {
	s.renderCase(c, true)
}

func (s *Server) renderCase(c *gin.Context, reveal bool) {
	u := CurrentUser(c)
	d, err := s.Cases.CaseDetail(c.Request.Context(), c.Param("no"), u, reveal)
	if err != nil {
		s.fail(c, err)
		return
	}
	if reveal && !d.Revealed {
		s.errorPage(c, http.StatusForbidden, "您的角色无需查看申请人完整的个人信息")
		return
	}
	row := s.caseRows([]*gongkai.Case{d.Case})[0]
	s.Render(c, http.StatusOK, "case", gin.H{
		"Title": d.Case.No, "D": d, "Row": row, "CanReveal": u.SeesPersonalData(d.Case),
		"Results": gongkai.Results, "Flash": c.Query("done"), "ActErr": c.Query("err"),
	})
}

func (s *Server) caseAct(c *gin.Context) {
	u := CurrentUser(c)
	no := c.Param("no")
	in := caseflow.Input{
		Action: caseflow.Action(c.PostForm("action")), Actor: u, Reason: c.PostForm("reason"),
		Department: c.PostForm("department"), Assignee: c.PostForm("assignee"),
		Result: gongkai.ResultKey(c.PostForm("result")), Nature: gongkai.MessageKind(c.PostForm("nature")),
	}
	if v := c.PostForm("on"); v != "" {
		d, err := gongkai.ParseDate(v)
		if err != nil {
			s.errorPage(c, http.StatusUnprocessableEntity, err.Error())
			return
		}
		in.On = d
	}
	in.Days, _ = strconv.Atoi(c.PostForm("days"))
	in.FeeYuan, _ = strconv.Atoi(c.PostForm("fee_yuan"))
	if in.Action == caseflow.ActSendAnswer {
		// The answer's way is the letter desk (保密审查, approval, 文号);
		// an answer given outside it is recorded only with how it went.
		if strings.TrimSpace(in.Reason) == "" {
			s.errorPage(c, http.StatusUnprocessableEntity, "请通过“文书”拟写答复告知书，经保密审查和审批后发出或打印；如答复已在系统外送达，请在“理由/说明”中写明送达方式和文书")
			return
		}
		in.Reason = "答复未经本系统文书发出：" + strings.TrimSpace(in.Reason)
	}
	if _, err := s.Cases.Act(c.Request.Context(), no, in); err != nil {
		status := httpStatus(err)
		if status >= 500 {
			s.fail(c, err)
			return
		}
		s.errorPage(c, status, gongkai.ErrorMessage(err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/cases/"+no+"?done="+string(in.Action))
}

func (s *Server) messageRaw(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.errorPage(c, http.StatusNotFound, "邮件不存在")
		return
	}
	m, err := s.Cases.Message(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="message-`+strconv.FormatInt(id, 10)+`.eml"`)
	c.Data(http.StatusOK, "message/rfc822", m.Raw)
}

func (s *Server) usersPage(c *gin.Context) {
	us, err := s.Staff.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "users", gin.H{"Title": "用户管理", "Users": us, "Roles": gongkai.Roles, "Error": c.Query("err")})
}

func (s *Server) userCreate(c *gin.Context) {
	var roles []gongkai.Role
	for _, r := range c.PostFormArray("roles") {
		if gongkai.Role(r).Valid() {
			roles = append(roles, gongkai.Role(r))
		}
	}
	_, err := s.Staff.AddUser(c.Request.Context(), c.PostForm("username"), c.PostForm("password"), roles, c.PostForm("department"))
	if err != nil {
		if httpStatus(err) >= 500 {
			s.fail(c, err)
			return
		}
		us, _ := s.Staff.Users(c.Request.Context())
		s.Render(c, httpStatus(err), "users", gin.H{"Title": "用户管理", "Users": us, "Roles": gongkai.Roles, "Error": gongkai.ErrorMessage(err)})
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/admin/users")
}
