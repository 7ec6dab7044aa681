package web_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/staff"
	"gongkai/store"
	"gongkai/web"
	"gongkai/workday"
)

// testServer is a web.Server on a SQLite file in a temporary directory,
// served in-process; log collects what the server logs.
type testServer struct {
	*web.Server
	h   http.Handler
	log *lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gongkai.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	s := &web.Server{
		Cases: &caseflow.Service{DB: db, Cal: workday.New(), Log: log},
		Staff: &staff.Service{DB: db, Cost: 4},
		Log:   log, Agency: "测试区人民政府",
	}
	h, err := s.Handler()
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	return &testServer{Server: s, h: h, log: logs}
}

// file files the i-th of a run of distinct web applications.
func (ts *testServer) file(t *testing.T, i int) *gongkai.Case {
	t.Helper()
	app := gongkai.Application{
		ApplicantType: "自然人", Name: "张三", IDType: "居民身份证", IDNumber: "110101199003074477",
		Phone: "13800000000", Email: "zhangsan@example.com", Address: "洛阳市西工区凯旋东路1号",
		Description: fmt.Sprintf("2024年西工区翠湖名苑项目%d号楼商品房预售许可证", i+1), Delivery: "电子邮件",
	}
	cs, _, err := ts.Cases.File(context.Background(), app, gongkai.ChannelWeb, "", "applicant")
	if err != nil {
		t.Fatalf("file case %d: %v", i, err)
	}
	return cs
}

// serve serves one request from the client at ip.
func (ts *testServer) serve(req *http.Request, ip string) *httptest.ResponseRecorder {
	req.RemoteAddr = net.JoinHostPort(ip, "40000")
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, req)
	return w
}

// statusForm posts the public status form with a matching CSRF cookie.
func statusForm(no, code string) *http.Request {
	const tok = "test-csrf-token-0123456789"
	v := url.Values{"csrf": {tok}, "no": {no}, "code": {code}}
	req := httptest.NewRequest(http.MethodPost, "/status", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "gk_csrf", Value: tok})
	return req
}
