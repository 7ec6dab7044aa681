package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gongkai"
	"gongkai/web"
)

// staffGet serves a GET of a staff page with the session token of a logged-in staff member.
func (ts *testServer) staffGet(t *testing.T, token, target string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.AddCookie(&http.Cookie{Name: "gk_session", Value: token})
	w := ts.serve(req, "192.0.2.10")
	return w.Code, w.Body.String()
}

// TestInboxPages files one case more than an inbox page holds: the first
// page counts them all and links to the next and the last; the next lists
// the rest and links back; a page past the end links back to the last;
// search and tab stay in the links.
func TestInboxPages(t *testing.T) {
	const pageSize = web.InboxPageSize
	ts := newTestServer(t)
	var first *gongkai.Case
	for i := range pageSize + 1 {
		cs := ts.file(t, i)
		if i == 0 {
			first = cs
		}
	}
	ctx := context.Background()
	if _, err := ts.Staff.AddUser(ctx, "reg", "password-reg", []gongkai.Role{gongkai.RoleRegistrar}, "办公室"); err != nil {
		t.Fatal(err)
	}
	sess, err := ts.Staff.Login(ctx, "reg", "password-reg")
	if err != nil {
		t.Fatal(err)
	}
	rows := func(body string) int { return strings.Count(body, `<td><a href="/staff/cases/GK-`) }

	tests := []struct {
		name, target string
		rows         int
		has, hasNot  []string
	}{
		{"first page of 全部", "/staff?q=all", pageSize,
			[]string{"共201件，第1/2页（第1–200件）", `href="/staff?page=2&amp;q=all" rel="next">下一页`, `href="/staff?page=2&amp;q=all">最后一页`},
			[]string{"上一页", first.No + "<"}},
		{"second page of 全部", "/staff?q=all&page=2", 1,
			[]string{"共201件，第2/2页（第201–201件）", `href="/staff?q=all" rel="prev">上一页`, first.No + "<"},
			[]string{"下一页", "最后一页"}},
		{"search keeps its words in the links", "/staff?q=new&search=" + "翠湖", pageSize,
			[]string{`href="/staff?page=2&amp;q=new&amp;search=%E7%BF%A0%E6%B9%96" rel="next">下一页`}, nil},
		{"a page past the end", "/staff?q=all&page=999999999999999999999", 0,
			[]string{"暂无案件", "本页没有案件", "第一页", `href="/staff?page=2&amp;q=all" rel="prev">上一页`}, []string{"下一页"}},
		{"a tab that fits one page shows no pager", "/staff?q=closed", 0,
			[]string{"暂无案件"}, []string{"翻页", "下一页"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := ts.staffGet(t, sess.Token, tt.target)
			if code != http.StatusOK {
				t.Fatalf("GET %s: status %d\n%.500s", tt.target, code, body)
			}
			if got := rows(body); got != tt.rows {
				t.Errorf("GET %s: %d cases listed, want %d", tt.target, got, tt.rows)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s: page lacks %q", tt.target, s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("GET %s: page has %q", tt.target, s)
				}
			}
		})
	}
}
