package web

import (
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/caseflow"
)

// mailTab is a tab of the staff mail view (来信).
type mailTab struct {
	Key   caseflow.MailQueue
	Label string
}

// MailTabs are the tabs of the staff mail view.
var MailTabs = []mailTab{
	{caseflow.MailAttention, "待处理"}, {caseflow.MailAuto, "自动回复和退信"}, {caseflow.MailHandled, "已处理"},
}

// sourceLabel says in Chinese where a message came in ("smtp",
// "imap:INBOX", or a channel name).
func sourceLabel(src string) string {
	switch {
	case src == "smtp":
		return "SMTP 收信"
	case strings.HasPrefix(src, "imap:"):
		return "邮箱收取（" + strings.TrimPrefix(src, "imap:") + "）"
	case gongkai.Channel(src).Valid():
		return gongkai.Channel(src).Label()
	}
	return src
}

// mailPage lists inbound messages that are on no case.
func (s *Server) mailPage(c *gin.Context) {
	q := caseflow.MailQueue(c.Query("q"))
	if !slices.ContainsFunc(MailTabs, func(t mailTab) bool { return t.Key == q }) {
		q = caseflow.MailAttention
	}
	ms, counts, err := s.Cases.Mail(c.Request.Context(), q, CurrentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "mail", gin.H{"Title": "来信", "Tabs": MailTabs, "Q": q, "Counts": counts, "Messages": ms, "Done": c.Query("done")})
}

// mailID is the message id of the path; a bad one gets the not-found page.
func (s *Server) mailID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(c, http.StatusNotFound, "来信不存在")
		return 0, false
	}
	return id, true
}

// caseMessage shows a message of a case to those who may read it there
// (caseflow.CaseMessage: the reading is in the case history).
func (s *Server) caseMessage(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	no := c.Param("no")
	d, err := s.Cases.CaseMessage(c.Request.Context(), no, id, CurrentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, http.StatusOK, "mail_message", gin.H{"Title": no + " 来信原文", "D": d, "Form": gin.H{},
		"Back": "/staff/cases/" + no, "RawURL": "/staff/cases/" + no + "/messages/" + strconv.FormatInt(id, 10) + "/raw",
		"AttachBase": "/staff/cases/" + no + "/messages/" + strconv.FormatInt(id, 10) + "/attachments"})
}

// mailAttachment and caseMessageAttachment download one attachment of a
// message. It always downloads (never shown in the page: an HTML or SVG
// attachment is the sender's content), under its own name.
func (s *Server) mailAttachment(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	n, _ := strconv.Atoi(c.Param("n"))
	a, err := s.Cases.MailAttachment(c.Request.Context(), id, n, CurrentUser(c))
	s.sendAttachment(c, a, err)
}

func (s *Server) caseMessageAttachment(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	n, _ := strconv.Atoi(c.Param("n"))
	a, err := s.Cases.CaseMessageAttachment(c.Request.Context(), c.Param("no"), id, n, CurrentUser(c))
	s.sendAttachment(c, a, err)
}

func (s *Server) sendAttachment(c *gin.Context, a *gongkai.Attachment, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	name := a.Name
	if name == "" {
		name = "attachment"
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Data(http.StatusOK, "application/octet-stream", a.Data)
}

// caseMessageRaw downloads a message of a case, on the terms of caseMessage.
func (s *Server) caseMessageRaw(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	raw, err := s.Cases.CaseMessageRaw(c.Request.Context(), c.Param("no"), id, CurrentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="message-`+strconv.FormatInt(id, 10)+`.eml"`)
	c.Data(http.StatusOK, "message/rfc822", raw)
}

// mailMessage shows one message with what can be done with it.
func (s *Server) mailMessage(c *gin.Context) {
	s.renderMailMessage(c, http.StatusOK, "", gin.H{})
}

func (s *Server) renderMailMessage(c *gin.Context, status int, errMsg string, form gin.H) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	d, err := s.Cases.MailMessage(c.Request.Context(), id, CurrentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Render(c, status, "mail_message", gin.H{"Title": "来信", "D": d, "Error": errMsg, "Form": form,
		"AttachBase": "/staff/mail/" + strconv.FormatInt(id, 10) + "/attachments"})
}

// mailHandle records why nothing more is to be done with a message.
func (s *Server) mailHandle(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	note := c.PostForm("note")
	if err := s.Cases.HandleMail(c.Request.Context(), id, note, CurrentUser(c)); err != nil {
		s.mailRefused(c, err, gin.H{"Note": note})
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/mail?done=handled")
}

// mailReopen undoes an archiving.
func (s *Server) mailReopen(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	if err := s.Cases.ReopenMail(c.Request.Context(), id, CurrentUser(c)); err != nil {
		s.mailRefused(c, err, gin.H{})
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/mail/"+strconv.FormatInt(id, 10))
}

// mailLink attaches a message to a case.
func (s *Server) mailLink(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	typed, note := c.PostForm("case_no"), c.PostForm("link_note")
	no, err := s.Cases.LinkMail(c.Request.Context(), id, typed, note, CurrentUser(c))
	if err != nil {
		s.mailRefused(c, err, gin.H{"CaseNo": typed, "LinkNote": note})
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/cases/"+no)
}

// mailRegister files a message as a request and opens the new case.
func (s *Server) mailRegister(c *gin.Context) {
	id, ok := s.mailID(c)
	if !ok {
		return
	}
	note := c.PostForm("register_note")
	no, err := s.Cases.RegisterMail(c.Request.Context(), id, note, CurrentUser(c))
	if err != nil {
		s.mailRefused(c, err, gin.H{"RegisterNote": note})
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/cases/"+no)
}

// mailRefused shows the message again with the reason and what was typed.
func (s *Server) mailRefused(c *gin.Context, err error, form gin.H) {
	switch gongkai.ErrorKind(err) {
	case gongkai.EInvalid, gongkai.EConflict, gongkai.ENotFound:
		s.renderMailMessage(c, httpStatus(err), gongkai.ErrorMessage(err), form)
	default:
		s.fail(c, err)
	}
}
