package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"gongkai"
)

// maxAPIBody caps a JSON filing; an application is a few KB.
const maxAPIBody = 64 << 10

// apiFile is POST /api/v1/requests (contracts/http-api.md).
func (s *Server) apiFile(c *gin.Context) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "application/json" {
		c.JSON(http.StatusUnsupportedMediaType, gin.H{"error": "请求须为 application/json"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxAPIBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > maxAPIBody {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": "请求内容过大"})
		return
	}
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "无法读取请求内容"})
		return
	}
	if !utf8.Valid(body) {
		c.JSON(http.StatusBadRequest, gin.H{"error": "请求内容须为 UTF-8 编码"})
		return
	}
	var app gongkai.Application
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&app); err != nil {
		msg := "JSON 格式不正确"
		if strings.Contains(err.Error(), "unknown field") {
			msg = "含有未知字段：" + strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		c.JSON(http.StatusBadRequest, gin.H{"error": msg})
		return
	}
	if dec.More() {
		c.JSON(http.StatusBadRequest, gin.H{"error": "请求只能包含一个 JSON 对象"})
		return
	}
	key := ""
	if k := c.GetHeader("Idempotency-Key"); k != "" && len(k) <= 100 {
		key = "api:" + k
	}
	cs, existing, err := s.Cases.File(c.Request.Context(), app, gongkai.ChannelWeb, key, "applicant")
	if err != nil {
		var e *gongkai.Error
		if errors.As(err, &e) && e.Kind == gongkai.EInvalid {
			c.JSON(http.StatusUnprocessableEntity, gin.H{"errors": e.Fields})
			return
		}
		s.Log.Error("api file", "err", err)
		c.JSON(httpStatus(err), gin.H{"error": gongkai.ErrorMessage(err)})
		return
	}
	status := http.StatusCreated
	if existing {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"case_no": cs.No, "query_code": cs.QueryCode, "received_on": cs.ReceivedOn.String(), "due_on": cs.DueOn.String()})
}

// apiTrack is GET /api/v1/requests/{case_no}?code=… ; unknown number and
// wrong code give the same 404, and too many of them 429 (status_limit.go).
func (s *Server) apiTrack(c *gin.Context) {
	// As the status page: 受理编号 and 查询码 in either case, spaces around.
	no, code := strings.ToUpper(strings.TrimSpace(c.Param("no"))), strings.ToUpper(strings.TrimSpace(c.Query("code")))
	cs, evs, err := s.track(c, no, code)
	if err != nil {
		if gongkai.ErrorKind(err) == gongkai.ENotFound {
			c.JSON(http.StatusNotFound, gin.H{"error": "受理编号或查询码不正确"})
			return
		}
		c.JSON(httpStatus(err), gin.H{"error": gongkai.ErrorMessage(err)})
		return
	}
	hist := publicHistory(evs)
	if hist == nil {
		hist = []PublicEvent{}
	}
	c.JSON(http.StatusOK, gin.H{"case_no": cs.No, "status": cs.Status, "status_label": cs.Status.Label(),
		"received_on": cs.ReceivedOn.String(), "due_on": cs.DueOn.String(), "history": hist})
}
