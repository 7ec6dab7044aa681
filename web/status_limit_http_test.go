package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gongkai/web"
)

// lookupTransport is one way a citizen asks for a case's status.
type lookupTransport struct {
	name string
	req  func(no, code string) *http.Request
}

var lookupTransports = []lookupTransport{
	{"page", statusForm},
	{"api", func(no, code string) *http.Request {
		// The API takes number and code in either case, as the page does.
		return httptest.NewRequest(http.MethodGet, "/api/v1/requests/"+strings.ToLower(no)+"?code="+strings.ToLower(code), nil)
	}},
}

// lookupStep is one status lookup: from client ip, case number no (an index
// into the filed cases, or -1 for a number that does not exist), with the
// right code or a wrong one, after the clock moved on by wait.
type lookupStep struct {
	what  string
	wait  time.Duration
	ip    string
	xff   string // an X-Forwarded-For header the client sends
	no    int
	right bool
	times int // the step repeated (0 = once)
	want  int
}

// TestStatusLookupLimit walks the status-lookup limit step by step: ten
// wrong codes lock the client for 15 minutes, the right code included, and
// a hundred the case number; other clients and cases go on; good lookups
// do not count.
func TestStatusLookupLimit(t *testing.T) {
	const (
		ip1, ip2, ip3 = "203.0.113.1", "203.0.113.2", "203.0.113.3"
		v6a, v6b, v6c = "2001:db8:1:1::1", "2001:db8:1:1::2", "2001:db8:1:2::1" // a and b share a /64
	)
	steps := []lookupStep{
		{what: "ten wrong codes are answered", ip: ip1, no: 0, times: 10, want: 404},
		{what: "the 11th try of the client is refused although the code is right", ip: ip1, no: 0, right: true, want: 429},
		{what: "the locked client is refused for every case", ip: ip1, no: 1, right: true, want: 429},
		{what: "the locked client cannot name itself anew", ip: ip1, xff: "198.51.100.7", no: 1, right: true, want: 429},
		{what: "another client looks up another case", ip: ip2, no: 1, right: true, want: 200},
		{what: "ten failures on a case do not keep its applicant out", ip: ip2, no: 0, right: true, want: 200},
		{what: "a hundred clients one wrong code each on one case", ip: "10.0.0.%d", no: 2, times: 100, want: 404},
		{what: "the next client is refused on that case", ip: ip3, no: 2, right: true, want: 429},
		{what: "nine wrong codes", ip: ip3, no: 1, times: 9, want: 404},
		{what: "good lookups between do not count", ip: ip3, no: 1, right: true, times: 5, want: 200},
		{what: "the tenth wrong code is still answered", ip: ip3, no: 1, want: 404},
		{what: "then the client is locked", ip: ip3, no: 1, right: true, want: 429},
		{what: "unknown case numbers count for the client", ip: v6a, no: -1, times: 10, want: 404},
		{what: "an IPv6 client is counted by its /64", ip: v6b, no: 3, right: true, want: 429},
		{what: "another /64 is another client", ip: v6c, no: 3, right: true, want: 200},
		{what: "14 minutes later the client is still locked", wait: 14 * time.Minute, ip: ip1, no: 1, right: true, want: 429},
		{what: "after the window the client tries again", wait: time.Minute, ip: ip1, no: 0, right: true, want: 200},
		{what: "and the case number too", ip: "10.0.1.1", no: 2, right: true, want: 200},
	}
	for _, tr := range lookupTransports {
		t.Run(tr.name, func(t *testing.T) {
			ts := newTestServer(t)
			var mu sync.Mutex
			now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
			web.SetLookupClock(ts.Server, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
			var nos, codes []string
			for i := range 4 {
				cs := ts.file(t, i)
				nos, codes = append(nos, cs.No), append(codes, cs.QueryCode)
			}
			for i, st := range steps {
				mu.Lock()
				now = now.Add(st.wait)
				mu.Unlock()
				for n := range max(st.times, 1) {
					no, code := fmt.Sprintf("GK-2025-9%05d", i*100+n), "WRONG234"
					if st.no >= 0 {
						no = nos[st.no]
						if st.right {
							code = codes[st.no]
						}
					}
					ip := st.ip
					if strings.Contains(ip, "%d") {
						ip = fmt.Sprintf(ip, n+1)
					}
					req := tr.req(no, code)
					if st.xff != "" {
						req.Header.Set("X-Forwarded-For", st.xff)
					}
					w := ts.serve(req, ip)
					if w.Code != st.want {
						t.Fatalf("step %d (%s), try %d: status %d, want %d\n%.300s", i, st.what, n+1, w.Code, st.want, w.Body.String())
					}
					if w.Code == http.StatusTooManyRequests {
						body := w.Body.String()
						if !strings.Contains(body, "查询失败次数过多，请") || w.Header().Get("Retry-After") == "" {
							t.Fatalf("step %d (%s): refusal without the plain message or Retry-After: %q %.300s", i, st.what, w.Header(), body)
						}
						if strings.Contains(body, "办理状态") || strings.Contains(body, "status_label") {
							t.Fatalf("step %d (%s): a refused lookup shows the case:\n%s", i, st.what, body)
						}
					}
				}
			}
			logs := ts.log.String()
			if n := strings.Count(logs, "status lookups locked"); n < 4 {
				t.Errorf("%d lockouts logged, want at least 4:\n%s", n, logs)
			}
			if !strings.Contains(logs, "key=no:"+nos[2]) || !strings.Contains(logs, "key=ip:"+ip1) || !strings.Contains(logs, "key=ip:2001:db8:1:1::/64") {
				t.Errorf("lockouts of client, case number or /64 not logged:\n%s", logs)
			}
			for _, code := range append(codes, "WRONG234") {
				if strings.Contains(strings.ToUpper(logs), code) {
					t.Errorf("the log holds a 查询码 %s:\n%s", code, logs)
				}
			}
		})
	}
}

// TestStatusLookupLimitBounded floods the limiter from more addresses, each
// with its own case number, than it keeps keys for: it stays within its
// bound, and a window later an answered lookup leaves nothing behind.
func TestStatusLookupLimitBounded(t *testing.T) {
	ts := newTestServer(t)
	var mu sync.Mutex
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	web.SetLookupClock(ts.Server, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	cs := ts.file(t, 0)
	const bound = web.LookupMaxKeys
	for i := range bound/2 + 500 {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if w := ts.serve(statusForm(fmt.Sprintf("GK-2025-%06d", 100000+i), "WRONG234"), ip); w.Code != http.StatusNotFound {
			t.Fatalf("lookup %d: status %d", i, w.Code)
		}
	}
	if n := web.LookupKeys(ts.Server); n > bound {
		t.Fatalf("limiter holds %d keys, bound %d", n, bound)
	}
	mu.Lock()
	now = now.Add(15 * time.Minute)
	mu.Unlock()
	if w := ts.serve(statusForm(cs.No, cs.QueryCode), "192.0.2.1"); w.Code != http.StatusOK {
		t.Fatalf("good lookup after the window: status %d", w.Code)
	}
	if n := web.LookupKeys(ts.Server); n != 0 {
		t.Errorf("limiter holds %d keys after the window and a good lookup, want 0", n)
	}
}
