package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/caseflow"
)

// verdictPage shows the classifier's verdict on a case with the reasons for
// every decision, and lets a registrar override a field (classifier issue).
func (s *Server) verdictPage(c *gin.Context) {
	no := c.Param("no")
	d, err := s.Cases.CaseDetail(c.Request.Context(), no, CurrentUser(c), false)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.Cases.Verdict(c.Request.Context(), no)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "verdict", gin.H{"Title": no + " 分类结果", "D": d, "V": v,
		"ApplicantTypes": gongkai.ApplicantTypes, "Fields": caseflow.OverridableFields, "Error": c.Query("err")})
}

func (s *Server) verdictOverride(c *gin.Context) {
	no := c.Param("no")
	err := s.Cases.Override(c.Request.Context(), no, c.PostForm("field"), c.PostForm("value"), c.PostForm("reason"), CurrentUser(c))
	if err != nil {
		if httpStatus(err) >= 500 {
			s.fail(c, err)
			return
		}
		s.errorPage(c, httpStatus(err), gongkai.ErrorMessage(err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/cases/"+no+"/verdict")
}

// classifierStats shows how often staff kept the classifier's proposals this month.
func (s *Server) classifierStats(c *gin.Context) {
	now := s.Cases.DB.Now().In(gongkai.Beijing)
	since := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, gongkai.Beijing)
	acc, err := s.Cases.Accuracy(c.Request.Context(), since)
	if err != nil {
		s.fail(c, err)
		return
	}
	type row struct {
		Label                string
		Verdicts, Overridden int
		Percent              string
	}
	var rows []row
	for _, a := range acc {
		p := "—"
		if a.Verdicts > 0 {
			p = strconv.FormatFloat(100*float64(a.Verdicts-a.Overridden)/float64(a.Verdicts), 'f', 1, 64) + "%"
		}
		rows = append(rows, row{caseflow.OverridableFields[a.Field], a.Verdicts, a.Overridden, p})
	}
	s.Render(c, http.StatusOK, "classifier", gin.H{"Title": "自动分类准确率", "Rows": rows, "Since": gongkai.DateOf(since)})
}

func (s *Server) routingPage(c *gin.Context) {
	rules, err := s.Cases.RoutingRules(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "routing", gin.H{"Title": "分办规则", "Rules": rules, "Error": c.Query("err")})
}

func (s *Server) routingSave(c *gin.Context) {
	id, _ := strconv.ParseInt(c.PostForm("id"), 10, 64)
	prio, _ := strconv.Atoi(c.PostForm("priority"))
	r := caseflow.RoutingRule{ID: id, Department: c.PostForm("department"), Pattern: c.PostForm("pattern"),
		IsRegex: c.PostForm("is_regex") == "1", Priority: prio, Enabled: c.PostForm("enabled") != "0"}
	var err error
	if c.PostForm("delete") == "1" && id != 0 {
		err = s.Cases.DeleteRoutingRule(c.Request.Context(), id)
	} else {
		err = s.Cases.SaveRoutingRule(c.Request.Context(), r, CurrentUser(c).Username)
	}
	if err != nil {
		if httpStatus(err) >= 500 {
			s.fail(c, err)
			return
		}
		rules, _ := s.Cases.RoutingRules(c.Request.Context())
		s.Render(c, httpStatus(err), "routing", gin.H{"Title": "分办规则", "Rules": rules, "Error": gongkai.ErrorMessage(err), "Draft": r})
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/admin/routing")
}
