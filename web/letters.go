package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/replies"
)

// Letters returns the Extra hook that adds the letter desk (issue 6): the
// letters section of the case page, the letter page with its 保密审查,
// approval, e-mail and print steps, the print page, and the admin pages for
// templates and agency settings.
func Letters(l *caseflow.Letters) func(r *gin.Engine, s *Server) {
	return func(r *gin.Engine, s *Server) {
		h := &letterHandlers{s: s, l: l}
		if err := h.caseSection(); err != nil {
			// The templates are embedded: this is a build defect, caught by tests.
			panic(err)
		}
		st := s.StaffGroup(r)
		st.POST("/cases/:no/letters", h.draft)
		st.GET("/letters/:id", h.page)
		st.POST("/letters/:id/edit", h.edit)
		st.POST("/letters/:id/review", h.review)
		st.POST("/letters/:id/approve", h.approve)
		st.POST("/letters/:id/send", h.send)
		st.POST("/letters/:id/printed", h.printed)
		st.GET("/letters/:id/print", h.print)
		adm := st.Group("/admin", s.RequireRole(gongkai.RoleAdmin))
		adm.GET("/templates", h.templates)
		adm.GET("/templates/:kind", h.templateEdit)
		adm.POST("/templates/:kind", h.templateSave)
		adm.GET("/settings", h.settings)
		adm.POST("/settings", h.settingsSave)
		adm.POST("/settings/email", h.staffEmailSave)
	}
}

type letterHandlers struct {
	s *Server
	l *caseflow.Letters
}

// caseExtra fills the case page's "caseextra" block with the letters section
// (templates/letter_case.html), loaded per render through caseLetters.
const caseExtra = `{{define "caseextra"}}{{template "lettersection" (caseLetters .)}}{{end}}`

func (h *letterHandlers) caseSection() error {
	base := h.s.pages["case"]
	if base == nil {
		return nil
	}
	t, err := base.Clone()
	if err != nil {
		return err
	}
	t = t.Funcs(template.FuncMap{"caseLetters": h.caseLetters})
	if t, err = t.Parse(caseExtra); err != nil {
		return err
	}
	if t, err = t.ParseFS(templateFS, "templates/letter_case.html"); err != nil {
		return err
	}
	h.s.pages["case"] = t
	return nil
}

// letterRow is one letter in the case page's list.
type letterRow struct {
	ID                             int64
	Title, DocNo, Status, Kind     string
	Version                        int
	ReviewBy, ReviewAt, ReviewText string
	ApprovedBy, DispatchedAt       string
	MessageID                      string
}

// outboxRow is one outbox item on the case page.
type outboxRow struct {
	MessageID, Status, StatusKey, Error, Rcpt, Created, Sent, Next string
	Attempts                                                       int
}

// caseLettersView is the data of the letters section.
type caseLettersView struct {
	No, CSRF   string
	User       *gongkai.User
	Letters    []letterRow
	Outbox     []outboxRow
	Problems   []string
	Kinds      []kindOption
	Final      kindOption
	Missing    []caseflow.MissingChoice
	Extra      []replies.ExtraField
	Admin      bool
	Err        string
	CanDraft   bool
	NoDelivery bool // no relay: letters wait in the outbox
}

type kindOption struct{ Key, Label string }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(gongkai.Beijing).Format("2006-01-02 15:04")
}

func (h *letterHandlers) caseLetters(data gin.H) *caseLettersView {
	d, _ := data["D"].(*caseflow.Detail)
	if d == nil || d.Case == nil {
		return &caseLettersView{}
	}
	u, _ := data["User"].(*gongkai.User)
	csrf, _ := data["CSRF"].(string)
	v := &caseLettersView{No: d.Case.No, CSRF: csrf, User: u}
	v.CanDraft = u != nil && u.Has(gongkai.RoleRegistrar, gongkai.RoleHandler, gongkai.RoleAdmin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sec, err := h.l.CaseSection(ctx, d.Case.ID)
	if err != nil {
		h.s.Log.Error("load letters section", "case_id", d.Case.ID, "err", err)
		v.Err = "文书信息加载失败"
		return v
	}
	for _, lt := range sec.Letters {
		row := letterRow{ID: lt.ID, Title: lt.Title, DocNo: lt.DocNo, Status: caseflow.LetterStatusLabel(lt.Status), Kind: replies.Kind(lt.Kind).Label(),
			Version: lt.TemplateVersion, ReviewBy: lt.ReviewBy, ReviewAt: fmtTime(lt.ReviewAt), ReviewText: lt.ReviewResult,
			ApprovedBy: lt.ApprovedBy, DispatchedAt: fmtTime(lt.DispatchedAt), MessageID: lt.MessageID}
		v.Letters = append(v.Letters, row)
	}
	for _, o := range sec.Outbox {
		v.Outbox = append(v.Outbox, outboxRow{MessageID: o.MessageID, Status: caseflow.OutboxStatusLabel(o.Status), StatusKey: o.Status,
			Error: o.LastError, Rcpt: strings.Join(o.Rcpt, ", "), Created: fmtTime(o.CreatedAt), Sent: fmtTime(o.SentAt),
			Next: fmtTime(o.NextAttemptAt), Attempts: o.Attempts})
	}
	v.Problems = sec.Problems
	for _, k := range sec.Kinds {
		v.Kinds = append(v.Kinds, kindOption{string(k), k.Label()})
	}
	if sec.Final != "" {
		v.Final = kindOption{string(sec.Final), sec.Final.Label()}
	}
	v.Missing, v.Extra = sec.Missing, sec.Extra
	v.Admin = u != nil && u.Has(gongkai.RoleAdmin)
	return v
}

func letterID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// draft creates a letter from the template and opens it for editing.
func (h *letterHandlers) draft(c *gin.Context) {
	in := caseflow.DraftInput{
		Kind: replies.Kind(c.PostForm("kind")), Missing: c.PostFormArray("missing"),
		Reasons: c.PostForm("reasons"), OtherAgency: c.PostForm("other_agency"),
		ExtensionReason: c.PostForm("extension_reason"), Provided: strings.Split(c.PostForm("provided"), "\n"),
		Extra: map[string]string{},
	}
	for _, f := range in.Kind.ExtraFields() {
		in.Extra[f.Key] = c.PostForm("extra." + f.Key)
	}
	lt, err := h.l.Draft(c.Request.Context(), c.Param("no"), in, CurrentUser(c))
	if err != nil {
		h.s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/letters/"+strconv.FormatInt(lt.ID, 10))
}

// page shows one letter with the steps it can take.
func (h *letterHandlers) page(c *gin.Context) {
	h.renderLetter(c, http.StatusOK, "")
}

func (h *letterHandlers) renderLetter(c *gin.Context, status int, errMsg string) {
	id, ok := letterID(c)
	if !ok {
		h.s.errorPage(c, http.StatusNotFound, "文书不存在")
		return
	}
	lt, cs, items, err := h.l.LetterDetail(c.Request.Context(), id)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	k := replies.Kind(lt.Kind)
	var out []outboxRow
	for _, o := range items {
		out = append(out, outboxRow{MessageID: o.MessageID, Status: caseflow.OutboxStatusLabel(o.Status), StatusKey: o.Status, Error: o.LastError,
			Rcpt: strings.Join(o.Rcpt, ", "), Created: fmtTime(o.CreatedAt), Sent: fmtTime(o.SentAt), Next: fmtTime(o.NextAttemptAt), Attempts: o.Attempts})
	}
	h.s.Render(c, status, "letter", gin.H{
		"Title": lt.Title, "L": lt, "Case": cs, "KindLabel": k.Label(), "Final": k.Final(), "Basis": k.Basis(),
		"StatusLabel": caseflow.LetterStatusLabel(lt.Status), "Placeholders": replies.Placeholders(lt.Body),
		"Dispatched": lt.Dispatched(), "Outbox": out, "Error": errMsg, "Flash": c.Query("done"),
		"Reviewed": lt.Status == "reviewed", "Approved": lt.Status == "approved", "Draft": lt.Status == "draft",
		"CreatedAt": fmtTime(lt.CreatedAt), "ReviewAt": fmtTime(lt.ReviewAt), "ApprovedAt": fmtTime(lt.ApprovedAt), "DispatchedAt": fmtTime(lt.DispatchedAt),
	})
}

// done redirects to the letter page after a step, or shows the refusal on it.
func (h *letterHandlers) done(c *gin.Context, step string, err error) {
	if err != nil {
		status := httpStatus(err)
		if status >= 500 {
			h.s.fail(c, err)
			return
		}
		h.renderLetter(c, status, gongkai.ErrorMessage(err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/letters/"+c.Param("id")+"?done="+url.QueryEscape(step))
}

func (h *letterHandlers) edit(c *gin.Context) {
	id, _ := letterID(c)
	_, err := h.l.Edit(c.Request.Context(), id, c.PostForm("title"), c.PostForm("body"), CurrentUser(c))
	h.done(c, "edit", err)
}

func (h *letterHandlers) review(c *gin.Context) {
	id, _ := letterID(c)
	_, err := h.l.Review(c.Request.Context(), id, CurrentUser(c), c.PostForm("result") == "pass", c.PostForm("note"))
	h.done(c, "review", err)
}

func (h *letterHandlers) approve(c *gin.Context) {
	id, _ := letterID(c)
	_, err := h.l.Approve(c.Request.Context(), id, CurrentUser(c))
	h.done(c, "approve", err)
}

// send e-mails the letter with the uploaded attachments (the documents
// disclosed).
func (h *letterHandlers) send(c *gin.Context) {
	id, _ := letterID(c)
	var atts []gongkai.Attachment
	form, err := c.MultipartForm()
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) && !errors.Is(err, http.ErrNotMultipart) {
		// Never send the letter without the documents it announces.
		h.s.errorPage(c, http.StatusBadRequest, "附件上传不完整，文书未发出，请重新选择附件后再发送")
		return
	}
	if tooBig != nil || uploadSize(form) > MaxLetterUpload {
		h.s.errorPage(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("附件过大：附件合计不能超过 %d MB，文书未发出", MaxLetterUpload>>20))
		return
	}
	if form != nil {
		for _, fh := range form.File["attachments"] {
			f, err := fh.Open()
			if err != nil {
				h.s.fail(c, err)
				return
			}
			b, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				h.s.errorPage(c, http.StatusRequestEntityTooLarge, "附件过大")
				return
			}
			if len(b) == 0 {
				continue
			}
			atts = append(atts, gongkai.Attachment{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Size: len(b), Data: b})
		}
	}
	_, err = h.l.SendMail(c.Request.Context(), id, CurrentUser(c), atts)
	h.done(c, "send", err)
}

// uploadSize is the size of the attachments of a letter form, all together.
func uploadSize(form *multipart.Form) int64 {
	var n int64
	if form != nil {
		for _, fh := range form.File["attachments"] {
			n += fh.Size
		}
	}
	return n
}

func (h *letterHandlers) printed(c *gin.Context) {
	id, _ := letterID(c)
	_, err := h.l.MarkPrinted(c.Request.Context(), id, CurrentUser(c))
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/staff/letters/"+c.Param("id")+"/print")
		return
	}
	h.done(c, "printed", err)
}

// print serves the A4 print page. Its own style sheet is inline, so the page
// gets a CSP that allows exactly that and nothing else.
func (h *letterHandlers) print(c *gin.Context) {
	id, ok := letterID(c)
	if !ok {
		h.s.errorPage(c, http.StatusNotFound, "文书不存在")
		return
	}
	b, err := h.l.PrintPage(c.Request.Context(), id)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", b)
}
