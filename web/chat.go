package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/intake/chatbot"
)

// chatCookie holds the chat session id of a browser (the page resumes the
// conversation on reload).
const chatCookie = "gk_chat"

// maxChatBody caps a chat request: MaxText characters of UTF-8 and a little JSON.
const maxChatBody = 16 << 10

// ChatPage is one line of the conversation as the page shows it.
type ChatPage struct {
	Role  string
	Paras []string
}

// chatHandler serves /chat and /api/v1/chat (issue 8).
type chatHandler struct {
	s       *Server
	bot     *chatbot.Service
	limiter *rateLimiter
}

// ChatRoutes returns the Server.Extra hook that adds the chat page and API.
// rate is how many messages one address may send per minute (0 = no limit).
func ChatRoutes(bot *chatbot.Service, rate int) func(r *gin.Engine, s *Server) {
	return func(r *gin.Engine, s *Server) {
		h := &chatHandler{s: s, bot: bot, limiter: newRateLimiter(rate, time.Minute)}
		r.GET("/chat", h.page)
		r.POST("/chat", s.publicCSRF, h.limit, h.post)
		r.POST("/api/v1/chat", h.limit, h.api)
	}
}

func (h *chatHandler) limit(c *gin.Context) {
	if !h.limiter.allow(addressKey(c.ClientIP()), time.Now()) {
		c.Header("Retry-After", "60")
		h.s.errorPage(c, http.StatusTooManyRequests, "发送过于频繁，请一分钟后再试")
		c.Abort()
		return
	}
	c.Next()
}

func (h *chatHandler) setSession(c *gin.Context, id string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: chatCookie, Value: id, Path: "/", MaxAge: int(chatbot.DefaultTTL / time.Second),
		HttpOnly: true, Secure: h.s.Secure, SameSite: http.SameSiteStrictMode})
}

// render shows the conversation so far, the greeting first.
func (h *chatHandler) render(c *gin.Context, status int, text, errMsg string) {
	id, _ := c.Cookie(chatCookie)
	lines, err := h.bot.Transcript(c.Request.Context(), id)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	page := []ChatPage{{Role: chatbot.RoleBot, Paras: strings.Split(h.bot.Engine.Greeting(), "\n")}}
	for _, l := range lines {
		page = append(page, ChatPage{Role: l.Role, Paras: strings.Split(l.Text, "\n")})
	}
	c.Header("Cache-Control", "no-store")
	h.s.Render(c, status, "chat", gin.H{"Title": "在线问答", "Lines": page, "Text": text, "Error": errMsg, "Max": chatbot.MaxText})
}

func (h *chatHandler) page(c *gin.Context) { h.render(c, http.StatusOK, "", "") }

// post is the page's form: without JavaScript it redirects back to the page
// (which shows the new lines); the page's script asks for JSON instead.
func (h *chatHandler) post(c *gin.Context) {
	text := c.PostForm("text")
	js := c.GetHeader("X-Requested-With") == "fetch"
	if utf8.RuneCountInString(text) > chatbot.MaxText {
		if js {
			c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": chatbot.ErrTooLong.Message})
			return
		}
		h.render(c, http.StatusRequestEntityTooLarge, "", chatbot.ErrTooLong.Message)
		return
	}
	id, _ := c.Cookie(chatCookie)
	res, err := h.bot.Turn(withClient(c), id, text)
	if err != nil {
		h.s.Log.Error("chat turn failed", "session", id, "err", err)
		if js {
			c.JSON(httpStatus(err), gin.H{"error": gongkai.ErrorMessage(err)})
			return
		}
		h.render(c, httpStatus(err), text, gongkai.ErrorMessage(err))
		return
	}
	h.setSession(c, res.Session)
	if js {
		c.JSON(http.StatusOK, chatJSON(res))
		return
	}
	c.Redirect(http.StatusSeeOther, "/chat#chat-form")
}

// chatRequest is the body of POST /api/v1/chat.
type chatRequest struct {
	Session string `json:"session"`
	Text    string `json:"text"`
}

func chatJSON(res chatbot.Result) gin.H {
	var no any
	if res.CaseNo != "" {
		no = res.CaseNo
	}
	return gin.H{"session": res.Session, "reply": res.Reply, "done": res.Done, "case_no": no}
}

// api is POST /api/v1/chat (contracts/http-api.md, Chat). An unknown or
// expired session starts a fresh one.
func (h *chatHandler) api(c *gin.Context) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "application/json" {
		c.JSON(http.StatusUnsupportedMediaType, gin.H{"error": "请求须为 application/json"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxChatBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > maxChatBody {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": chatbot.ErrTooLong.Message})
		return
	}
	if err != nil || !utf8.Valid(body) {
		c.JSON(http.StatusBadRequest, gin.H{"error": "无法读取请求内容（须为 UTF-8 编码的 JSON）"})
		return
	}
	var req chatRequest
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&req); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "JSON 格式不正确"})
		return
	}
	if utf8.RuneCountInString(req.Text) > chatbot.MaxText {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": chatbot.ErrTooLong.Message})
		return
	}
	res, err := h.bot.Turn(withClient(c), req.Session, req.Text)
	if err != nil {
		h.s.Log.Error("chat turn failed", "session", req.Session, "err", err)
		c.JSON(httpStatus(err), gin.H{"error": gongkai.ErrorMessage(err)})
		return
	}
	c.JSON(http.StatusOK, chatJSON(res))
}
