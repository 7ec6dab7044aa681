package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/staff"
)

const (
	sessionCookie = "gk_session"
	csrfCookie    = "gk_csrf"
	ctxCSRF       = "csrf"
)

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// csrfToken returns the token a form must carry: the session's for staff,
// else a double-submit cookie token for public forms (set on first use).
func csrfToken(c *gin.Context) string {
	if t, ok := c.Get(ctxCSRF); ok {
		return t.(string)
	}
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck) >= 20 {
		c.Set(ctxCSRF, ck)
		return ck
	}
	t := randomToken()
	http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.Set(ctxCSRF, t)
	return t
}

// randomToken returns 24 random bytes, URL-safe base64 (CSRF tokens and
// form submission ids).
func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("web: random token: %w", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// publicCSRF checks the double-submit token of a public form.
func (s *Server) publicCSRF(c *gin.Context) {
	ck, _ := c.Cookie(csrfCookie)
	if !tokensEqual(ck, c.PostForm("csrf")) {
		s.errorPage(c, http.StatusForbidden, "页面已过期或来源不明，请返回刷新后重新提交")
		c.Abort()
		return
	}
	c.Next()
}

// staffCSRF checks the session's token on every state-changing staff request.
func (s *Server) staffCSRF(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	want, _ := c.Get(ctxCSRF)
	got := c.PostForm("csrf")
	if got == "" {
		got = c.GetHeader("X-CSRF-Token")
	}
	if !tokensEqual(want.(string), got) {
		s.errorPage(c, http.StatusForbidden, "页面已过期，请刷新后重试")
		c.Abort()
		return
	}
	c.Next()
}

// requireLogin resolves the session cookie; without one it sends the browser
// to the login page.
func (s *Server) requireLogin(c *gin.Context) {
	tok, _ := c.Cookie(sessionCookie)
	sess, err := s.Staff.Lookup(c.Request.Context(), tok)
	if err != nil {
		if gongkai.ErrorKind(err) != gongkai.ENotFound {
			s.fail(c, err)
			c.Abort()
			return
		}
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/staff/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		} else {
			s.errorPage(c, http.StatusUnauthorized, "请先登录")
		}
		c.Abort()
		return
	}
	c.Set(ctxUser, sess.User)
	c.Set(ctxSession, sess)
	c.Set(ctxCSRF, sess.CSRF)
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// requireRole refuses (403) a user who holds none of the roles.
func (s *Server) requireRole(roles ...gongkai.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !CurrentUser(c).Has(roles...) {
			s.errorPage(c, http.StatusForbidden, "您的角色无权进行此操作")
			c.Abort()
			return
		}
		c.Next()
	}
}

// RequireRole is requireRole for routes added by other packages.
func (s *Server) RequireRole(roles ...gongkai.Role) gin.HandlerFunc { return s.requireRole(roles...) }

// StaffGroup returns the staff route group (login, CSRF) for other packages' routes.
func (s *Server) StaffGroup(r *gin.Engine) *gin.RouterGroup {
	return r.Group("/staff", s.requireLogin, s.staffCSRF)
}

func (s *Server) loginPage(c *gin.Context) {
	s.Render(c, http.StatusOK, "login", gin.H{"Title": "工作人员登录", "Next": safeNext(c.Query("next"))})
}

func (s *Server) loginSubmit(c *gin.Context) {
	sess, err := s.Staff.Login(c.Request.Context(), c.PostForm("username"), c.PostForm("password"))
	if err != nil {
		status := httpStatus(err)
		s.Render(c, status, "login", gin.H{"Title": "工作人员登录", "Error": gongkai.ErrorMessage(err), "Username": c.PostForm("username"), "Next": safeNext(c.PostForm("next"))})
		return
	}
	s.setCookie(c, sessionCookie, sess.Token, int(staff.SessionTTL/time.Second))
	s.Log.Info("staff login", "user", sess.User.Username)
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next")))
}

func (s *Server) logout(c *gin.Context) {
	tok, _ := c.Cookie(sessionCookie)
	if err := s.Staff.Logout(c.Request.Context(), tok); err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/staff/login")
}

// safeNext keeps redirects inside the staff area.
func safeNext(n string) string {
	if strings.HasPrefix(n, "/staff") && !strings.HasPrefix(n, "//") && !strings.Contains(n, "\\") {
		return n
	}
	return "/staff"
}

// rateLimiter is a fixed-window counter per client address.
type rateLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	counts map[string]int
}

func newRateLimiter(limit int, window time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, counts: map[string]int{}}
}

func (l *rateLimiter) allow(key string, now time.Time) bool {
	if l.limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key] <= l.limit
}

func (s *Server) rateLimit(c *gin.Context) {
	if !s.limiter.allow(addressKey(c.ClientIP()), time.Now()) {
		c.Header("Retry-After", "60")
		s.errorPage(c, http.StatusTooManyRequests, "提交过于频繁，请一分钟后再试")
		c.Abort()
		return
	}
	c.Next()
}
