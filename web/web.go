// Package web serves gongkai's pages and JSON API with Gin: the public form,
// the status page and the chat page for citizens, and the staff inbox. Pages
// are server-rendered html/template from embed.FS and work without JavaScript.
// Handlers are thin: parse, call a service, render or redirect.
package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/staff"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server holds the dependencies of every handler.
type Server struct {
	Cases  *caseflow.Service
	Staff  *staff.Service
	Log    *slog.Logger
	Agency string
	// FileRate is how many filings one address may make per minute (0 = no limit).
	FileRate int
	// Secure marks cookies Secure (set when served over HTTPS).
	Secure bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (addresses or CIDR ranges); none = the connection's own
	// address, so that a client cannot name itself anew for each filing
	// and slip past the rate limit.
	TrustedProxies []string
	// Extra lets other parts (chat-bot, report, replies) add their routes.
	Extra []func(r *gin.Engine, s *Server)
	// Alerts are problems registrars and admins must see on every page
	// (intake that stopped working); each returns "" while all is well.
	Alerts []func() string

	pages   map[string]*template.Template
	limiter *rateLimiter
	lookups *lookupLimiter
}

// Handler builds the router with every route in one place (STYLE.md habit 9).
func (s *Server) Handler() (http.Handler, error) {
	if err := s.loadTemplates(); err != nil {
		return nil, err
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.limiter = newRateLimiter(s.FileRate, time.Minute)
	s.lookups = newLookupLimiter(lookupFailLimit, lookupCaseFailLimit, lookupFailWindow, lookupMaxKeys, time.Now)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		return nil, fmt.Errorf("web: trusted proxies: %w", err)
	}
	r.Use(s.recoverer, securityHeaders, s.maxBody)
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) { s.errorPage(c, http.StatusNotFound, "页面不存在") })

	static, _ := fs.Sub(staticFS, "static")
	r.StaticFS("/static", http.FS(static))

	// Public pages.
	r.GET("/", s.formPage)
	r.POST("/apply", s.publicCSRF, s.rateLimit, s.formSubmit)
	r.GET("/status", s.statusPage)
	r.POST("/status", s.publicCSRF, s.statusLookup)
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	// JSON API (contracts/http-api.md).
	api := r.Group("/api/v1")
	api.POST("/requests", s.rateLimit, s.apiFile)
	api.GET("/requests/:no", s.apiTrack)

	// Staff inbox.
	r.GET("/staff/login", s.loginPage)
	r.POST("/staff/login", s.publicCSRF, s.loginSubmit)
	st := r.Group("/staff", s.requireLogin, s.staffCSRF)
	st.POST("/logout", s.logout)
	st.GET("", s.inbox)
	st.GET("/", s.inbox)
	st.GET("/cases/new", s.requireRole(gongkai.RoleRegistrar, gongkai.RoleAdmin), s.registerPage)
	st.POST("/cases/new", s.requireRole(gongkai.RoleRegistrar, gongkai.RoleAdmin), s.registerSubmit)
	st.GET("/cases/:no", s.casePage)
	st.POST("/cases/:no/reveal", s.requireRole(gongkai.RoleRegistrar, gongkai.RoleHandler, gongkai.RoleAdmin), s.caseReveal)
	st.POST("/cases/:no/act", s.caseAct)
	st.GET("/messages/:id/raw", s.requireRole(gongkai.RoleRegistrar, gongkai.RoleAdmin), s.messageRaw)
	st.GET("/cases/:no/messages/:id", s.caseMessage)
	st.GET("/cases/:no/messages/:id/raw", s.caseMessageRaw)
	st.GET("/cases/:no/messages/:id/attachments/:n", s.caseMessageAttachment)
	st.GET("/cases/:no/verdict", s.verdictPage)
	st.POST("/cases/:no/override", s.requireRole(gongkai.RoleRegistrar, gongkai.RoleAdmin), s.verdictOverride)
	st.GET("/classifier", s.classifierStats)
	mail := st.Group("/mail", s.requireRole(gongkai.RoleRegistrar, gongkai.RoleAdmin))
	mail.GET("", s.mailPage)
	mail.GET("/:id", s.mailMessage)
	mail.GET("/:id/attachments/:n", s.mailAttachment)
	mail.POST("/:id/handle", s.mailHandle)
	mail.POST("/:id/reopen", s.mailReopen)
	mail.POST("/:id/link", s.mailLink)
	mail.POST("/:id/register", s.mailRegister)
	adm := st.Group("/admin", s.requireRole(gongkai.RoleAdmin))
	adm.GET("/users", s.usersPage)
	adm.POST("/users", s.userCreate)
	adm.GET("/routing", s.routingPage)
	adm.POST("/routing", s.routingSave)

	for _, f := range s.Extra {
		f(r, s)
	}
	return r, nil
}

// loadTemplates parses one template set per page: the base layout plus the
// page, checked at start-up (STYLE.md habit 10).
func (s *Server) loadTemplates() error {
	funcs := template.FuncMap{
		"maskID":    gongkai.MaskID,
		"maskPhone": gongkai.MaskPhone,
		"date":      func(d gongkai.Date) string { return d.String() },
		"cndate":    func(d gongkai.Date) string { return d.Chinese() },
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(gongkai.Beijing).Format("2006-01-02 15:04")
		},
		"statusLabel": func(s gongkai.Status) string { return s.Label() },
		"resultLabel": func(k gongkai.ResultKey) string {
			if k == "" {
				return ""
			}
			return k.Label()
		},
		"channelLabel": func(c gongkai.Channel) string { return c.Label() },
		"kindLabel":    func(k gongkai.MessageKind) string { return k.Label() },
		"sourceLabel":  sourceLabel,
		"natureLabel":  func(k string) string { return gongkai.MessageKind(k).Label() },
		"roleLabel":    func(r gongkai.Role) string { return r.Label() },
		"has":          func(u *gongkai.User, r string) bool { return u.Has(gongkai.Role(r)) },
		"join":         strings.Join,
	}
	s.pages = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("web: list templates: %w", err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("web: parse template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

// AddPage parses an extra page template (for packages that add routes) with
// the common layout and functions.
func (s *Server) AddPage(name string, fsys fs.FS, pattern string, funcs template.FuncMap) error {
	base := s.pages["form"]
	if base == nil {
		return errors.New("web: templates not loaded")
	}
	t, err := template.Must(base.Clone()).Funcs(funcs).ParseFS(fsys, pattern)
	if err != nil {
		return fmt.Errorf("web: parse page %s: %w", name, err)
	}
	s.pages[name] = t
	return nil
}

// Render renders a page into a buffer first, so that a template error becomes
// a clean 500 instead of half a page.
func (s *Server) Render(c *gin.Context, status int, page string, data gin.H) {
	t := s.pages[page]
	if t == nil {
		s.Log.Error("unknown page", "page", page)
		c.String(http.StatusInternalServerError, "系统内部错误")
		return
	}
	if data == nil {
		data = gin.H{}
	}
	data["Agency"] = s.Agency
	if _, ok := data["CSRF"]; !ok {
		data["CSRF"] = csrfToken(c)
	}
	if u, ok := c.Get(ctxUser); ok {
		data["User"] = u
		if u, _ := u.(*gongkai.User); u != nil && u.Has(gongkai.RoleRegistrar, gongkai.RoleAdmin) {
			var alerts []string
			for _, f := range s.Alerts {
				if a := f(); a != "" {
					alerts = append(alerts, a)
				}
			}
			data["Alerts"] = alerts
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.Log.Error("render page", "page", page, "err", err)
		c.String(http.StatusInternalServerError, "系统内部错误")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Server) errorPage(c *gin.Context, status int, msg string) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.JSON(status, gin.H{"error": msg})
		return
	}
	s.Render(c, status, "error", gin.H{"Title": statusTitle(status), "Message": msg, "Status": status})
}

// statusTitle names an error status in plain Chinese for the page title.
func statusTitle(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "请求有误"
	case http.StatusForbidden:
		return "无权访问"
	case http.StatusNotFound:
		return "未找到"
	case http.StatusMethodNotAllowed:
		return "不支持的操作"
	case http.StatusConflict:
		return "无法进行此操作"
	case http.StatusRequestEntityTooLarge:
		return "内容过大"
	case http.StatusUnprocessableEntity:
		return "内容有误"
	case http.StatusTooManyRequests:
		return "操作过于频繁"
	}
	if status >= 500 {
		return "系统暂时出错"
	}
	return "出错了"
}

// fail maps a service error to a status once (STYLE.md habit 6).
func (s *Server) fail(c *gin.Context, err error) {
	status := httpStatus(err)
	if status >= 500 {
		s.Log.Error("request failed", "path", c.Request.URL.Path, "err", err)
	}
	s.errorPage(c, status, gongkai.ErrorMessage(err))
}

func httpStatus(err error) int {
	switch gongkai.ErrorKind(err) {
	case gongkai.EInvalid:
		return http.StatusUnprocessableEntity
	case gongkai.ENotFound:
		return http.StatusNotFound
	case gongkai.EConflict:
		return http.StatusConflict
	case gongkai.EForbidden:
		return http.StatusForbidden
	case gongkai.EUnauthorized:
		return http.StatusUnauthorized
	case gongkai.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case gongkai.ERateLimit:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic in handler", "path", c.Request.URL.Path, "panic", p)
			c.AbortWithStatus(http.StatusInternalServerError)
		}
	}()
	c.Next()
}

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
	c.Next()
}

// Request body limits: 1 MiB for every form and API call, more for the
// documents attached to a letter (MaxLetterUpload).
const (
	maxBodyDefault = 1 << 20
	// MaxLetterUpload bounds the documents sent with one letter, all
	// together; base64 makes the mail ~4/3 as large, still within what
	// common mail relays accept (25 MB).
	MaxLetterUpload = 15 << 20
)

// bodyLimit is the largest body the route of path takes.
func bodyLimit(path string) int64 {
	if strings.HasPrefix(path, "/staff/letters/") && strings.HasSuffix(path, "/send") {
		return MaxLetterUpload + 64<<10 // the form fields and multipart framing besides
	}
	return maxBodyDefault
}

// maxBody caps request bodies: a body announced larger gets 413 at once, one
// that turns out larger fails when it is read.
func (s *Server) maxBody(c *gin.Context) {
	n := bodyLimit(c.Request.URL.Path)
	if c.Request.ContentLength > n {
		c.Header("Connection", "close")
		msg := "提交的内容过大"
		if n > maxBodyDefault {
			msg = fmt.Sprintf("提交的内容过大：附件合计不能超过 %d MB，未发出", MaxLetterUpload>>20)
		}
		s.errorPage(c, http.StatusRequestEntityTooLarge, msg)
		c.Abort()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
	c.Next()
}

// Context keys.
const (
	ctxUser    = "user"
	ctxSession = "session"
)

// CurrentUser returns the logged-in staff member of a request, or nil.
func CurrentUser(c *gin.Context) *gongkai.User {
	if u, ok := c.Get(ctxUser); ok {
		return u.(*gongkai.User)
	}
	return nil
}
