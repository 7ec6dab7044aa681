package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"gongkai"
)

// formData is what the application form shows: choices, values, errors.
func (s *Server) formData(app gongkai.Application, errs []gongkai.FieldError) gin.H {
	byField := map[string]string{}
	for _, e := range errs {
		if _, ok := byField[e.Field]; !ok {
			byField[e.Field] = e.Message
		}
	}
	if app.ApplicantType == "" {
		app.ApplicantType = string(gongkai.NaturalPerson)
	}
	return gin.H{
		"Title": "政府信息公开申请", "App": app, "Errors": errs, "FieldErr": byField,
		"ApplicantTypes": gongkai.ApplicantTypes, "IDTypes": gongkai.IDTypes,
		"Deliveries": gongkai.DeliveryChoices, "Forms": gongkai.Forms,
		"SubmissionID": randomToken(),
	}
}

func (s *Server) formPage(c *gin.Context) {
	s.Render(c, http.StatusOK, "form", s.formData(gongkai.Application{}, nil))
}

func applicationFromForm(c *gin.Context) gongkai.Application {
	return gongkai.Application{
		ApplicantType: c.PostForm("applicant_type"), Name: c.PostForm("name"), IDType: c.PostForm("id_type"),
		IDNumber: c.PostForm("id_number"), OrgName: c.PostForm("org_name"), CreditCode: c.PostForm("credit_code"),
		LegalRep: c.PostForm("legal_rep"), Phone: c.PostForm("phone"), Email: c.PostForm("email"),
		Address: c.PostForm("address"), Postcode: c.PostForm("postcode"), Workplace: c.PostForm("workplace"),
		Description: c.PostForm("description"), DocNo: c.PostForm("doc_no"), Purpose: c.PostForm("purpose"),
		Form: c.PostForm("form"), Delivery: c.PostForm("delivery"),
	}
}

func (s *Server) formSubmit(c *gin.Context) {
	app := applicationFromForm(c)
	cs, _, err := s.Cases.File(c.Request.Context(), app, gongkai.ChannelWeb, submissionKey(c, "web:"), "applicant")
	if err != nil {
		s.formRefused(c, err, app, s.formData)
		return
	}
	s.Render(c, http.StatusCreated, "filed", gin.H{"Title": "申请已提交", "Case": cs})
}

// submissionKey is the idempotency key of a form's hidden submission id
// (a second submit — double click, reload after POST — returns the first
// case), "" without a plausible one.
func submissionKey(c *gin.Context, prefix string) string {
	if id := c.PostForm("submission_id"); len(id) >= 16 && len(id) <= 64 {
		return prefix + id
	}
	return ""
}

// formAgain shows the application form again with errs and every error
// Validate finds, so that one round trip lists them all.
func (s *Server) formAgain(c *gin.Context, app gongkai.Application, errs []gongkai.FieldError, data func(gongkai.Application, []gongkai.FieldError) gin.H) {
	app.Normalize()
	errs = append(errs, app.Validate(s.Cases.DB.Now())...)
	s.Render(c, http.StatusUnprocessableEntity, "form", data(app, errs))
}

// formRefused shows the form again with the fields filing refused, or the
// error page for any other failure.
func (s *Server) formRefused(c *gin.Context, err error, app gongkai.Application, data func(gongkai.Application, []gongkai.FieldError) gin.H) {
	e, ok := err.(*gongkai.Error)
	if !ok || e.Kind != gongkai.EInvalid || len(e.Fields) == 0 {
		s.fail(c, err)
		return
	}
	app.Normalize()
	s.Render(c, http.StatusUnprocessableEntity, "form", data(app, e.Fields))
}

func (s *Server) statusPage(c *gin.Context) {
	s.Render(c, http.StatusOK, "status", gin.H{"Title": "查询办理进度", "No": c.Query("no")})
}

func (s *Server) statusLookup(c *gin.Context) {
	no := strings.ToUpper(strings.TrimSpace(c.PostForm("no")))
	code := strings.ToUpper(strings.TrimSpace(c.PostForm("code")))
	cs, evs, err := s.track(c, no, code)
	switch {
	case err == nil:
	case gongkai.ErrorKind(err) == gongkai.ENotFound:
		s.Render(c, http.StatusNotFound, "status", gin.H{"Title": "查询办理进度", "No": no, "Error": "受理编号或查询码不正确，请核对后重试"})
		return
	case gongkai.ErrorKind(err) == gongkai.ERateLimit:
		s.Render(c, http.StatusTooManyRequests, "status", gin.H{"Title": "查询办理进度", "No": no, "Error": gongkai.ErrorMessage(err)})
		return
	default:
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "status", gin.H{"Title": "查询办理进度", "No": no, "Case": cs, "History": publicHistory(evs)})
}

// PublicEvent is a history line an applicant may see.
type PublicEvent struct {
	At    string `json:"at"`
	Label string `json:"label"`
}

// publicHistory keeps the steps that concern the applicant, in plain words,
// and leaves out internal ones (assignment, personal-data views, drafts).
func publicHistory(evs []gongkai.Event) []PublicEvent {
	labels := map[string]string{
		"registered": "申请已收到并登记", "accepted": "申请已受理，正在办理",
		"correction_requested": "您的申请需要补正，本机关将向您送达补正告知书", "correction_received": "已收到您的补正材料，重新计算答复期限",
		"correction_lapsed": "补正期限届满，申请不再处理", "consultation_started": "正在征求第三方或其他机关意见，期间不计入答复期限",
		"consultation_answered": "征求意见结束，继续办理", "fee_requested": "已发出收费通知", "fee_paid": "已收到缴费",
		"fee_lapsed": "逾期未缴费，申请不再处理", "extension_approved": "答复期限已依法延长",
		"answer_sent": "已作出答复", "closed": "已办结", "withdrawn": "申请已撤回", "not_request": "经审查，来信不属于政府信息公开申请",
	}
	var out []PublicEvent
	for _, e := range evs {
		if l, ok := labels[e.Kind]; ok {
			out = append(out, PublicEvent{At: e.At.In(gongkai.Beijing).Format("2006-01-02 15:04"), Label: l})
		}
	}
	return out
}
