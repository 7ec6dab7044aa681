package testkit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongkai/internal/testkit"
)

const page = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>依申请公开</title></head>
<body><h1>政府信息公开申请</h1><p id="msg">您的申请已收到，编号 2025-0001。</p>
<script>document.getElementById("msg").dataset.ready = "1";</script></body></html>`

func TestBrowserReadsChinese(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("httptest server at %s, want 127.0.0.1", srv.URL)
	}

	ctx := testkit.BrowserContext(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatalf("title: %v", err)
	}
	if title != "依申请公开" {
		t.Errorf("title %q, want %q", title, "依申请公开")
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#msg[data-ready="1"]`)))
	if err != nil {
		t.Fatalf("text: %v", err)
	}
	if want := "您的申请已收到，编号 2025-0001。"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
}

func TestChromiumPath(t *testing.T) {
	path := testkit.Chromium(t)
	if path == "" {
		t.Fatal("Chromium returned an empty path")
	}
}
