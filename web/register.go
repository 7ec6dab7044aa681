package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"gongkai"
)

// paperChannels are the channels a registrar enters from paper.
var paperChannels = []gongkai.Channel{gongkai.ChannelInPerson, gongkai.ChannelPost, gongkai.ChannelFax}

// maxBacklogDays is how far back a received date may be entered.
const maxBacklogDays = 366

// registerData is the application form in its staff version.
func (s *Server) registerData(app gongkai.Application, errs []gongkai.FieldError, ch, received string) gin.H {
	d := s.formData(app, errs)
	d["Title"], d["Staff"], d["Channels"], d["Channel"], d["Received"] = "登记申请", true, paperChannels, gongkai.Channel(ch), received
	return d
}

// registerPage is the form on which a registrar enters an application made
// on paper, in person or by fax.
func (s *Server) registerPage(c *gin.Context) {
	today := gongkai.DateOf(s.Cases.DB.Now()).String()
	s.Render(c, http.StatusOK, "form", s.registerData(gongkai.Application{Form: "纸质文本", Delivery: "邮寄"}, nil, string(gongkai.ChannelInPerson), today))
}

// registerSubmit files it as of the day it was received and opens the case.
func (s *Server) registerSubmit(c *gin.Context) {
	app := applicationFromForm(c)
	ch, received := c.PostForm("channel"), c.PostForm("received")
	var errs []gongkai.FieldError
	if !slices.Contains(paperChannels, gongkai.Channel(ch)) {
		errs = append(errs, gongkai.FieldError{Field: "channel", Message: "请选择当面提交、信函或传真"})
	}
	now := s.Cases.DB.Now()
	day, err := gongkai.ParseDate(received)
	switch {
	case err != nil:
		errs = append(errs, gongkai.FieldError{Field: "received", Message: "请填写收到申请的日期"})
	case day.After(gongkai.DateOf(now)):
		errs = append(errs, gongkai.FieldError{Field: "received", Message: "收到日期不能晚于今天"})
	case day.Before(gongkai.DateOf(now).AddDays(-maxBacklogDays)):
		errs = append(errs, gongkai.FieldError{Field: "received", Message: "收到日期早于一年前，请通过台账导入登记"})
	}
	data := func(app gongkai.Application, errs []gongkai.FieldError) gin.H {
		return s.registerData(app, errs, ch, received)
	}
	if len(errs) > 0 {
		s.formAgain(c, app, errs, data)
		return
	}
	// Received on that day: now when that is today, else at noon of it (a
	// letter entered late keeps its date).
	at := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, gongkai.Beijing)
	if day.Equal(gongkai.DateOf(now)) {
		at = now
	}
	cs, _, err := s.Cases.FileReceived(c.Request.Context(), app, gongkai.Channel(ch), at, submissionKey(c, "staff:"), CurrentUser(c).Username)
	if err != nil {
		s.formRefused(c, err, app, data)
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/cases/"+cs.No)
}
