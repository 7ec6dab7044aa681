package testkit

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records Fatalf/Skipf instead of stopping.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                         {}
func (r *recorder) Fatalf(format string, a ...any)  { r.fatal = format }
func (r *recorder) Skipf(format string, a ...any)   { r.skip = format }
func (r *recorder) Cleanup(func())                  {}
func (r *recorder) Logf(format string, args ...any) {}

func TestMissingServer(t *testing.T) {
	tests := []struct {
		name      string
		require   string
		wantFatal bool
	}{
		{"required fails", "1", true},
		{"not required skips", "", false},
		{"other value skips", "0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvIMAPAddr, "")
			t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-such-browser"))
			t.Setenv(EnvRequireServers, tt.require)
			for what, call := range map[string]func(testing.TB){
				"IMAP":     func(tb testing.TB) { IMAP(tb) },
				"Chromium": func(tb testing.TB) { Chromium(tb) },
			} {
				r := &recorder{TB: t}
				call(r)
				if got := r.fatal != ""; got != tt.wantFatal {
					t.Errorf("%s: failed = %v, want %v", what, got, tt.wantFatal)
				}
				if got := r.skip != ""; got == tt.wantFatal {
					t.Errorf("%s: skipped = %v, want %v", what, got, !tt.wantFatal)
				}
				if r.skip != "" && !strings.Contains(r.skip, "make test") {
					t.Errorf("%s: skip message %q does not mention `make test`", what, r.skip)
				}
			}
		})
	}
}

func TestFindCorpus(t *testing.T) {
	root := t.TempDir()
	// CI layout: the repository in some folder, shared/ beside it.
	pkg := filepath.Join(root, "checkout", "internal", "testkit")
	corpus := filepath.Join(root, "shared", "corpus", "dev")
	for _, d := range []string{pkg, corpus} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		start, sub string
		want       string
		ok         bool
	}{
		{pkg, "dev", corpus, true},
		{filepath.Join(root, "checkout"), "dev", corpus, true},
		{root, "dev", corpus, true},
		{pkg, "peer", "", false},
	}
	for _, tt := range tests {
		got, ok := findCorpus(tt.start, tt.sub)
		if !tt.ok && ok && !strings.HasPrefix(got, root+string(filepath.Separator)) {
			// Found above the temp dir (e.g. a shared/ copy beside the CI
			// checkout under /tmp): outside this layout, so not a false find.
			continue
		}
		if got != tt.want || ok != tt.ok {
			t.Errorf("findCorpus(%s, %s) = %q, %v; want %q, %v", tt.start, tt.sub, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCorpusDir(t *testing.T) {
	dir := CorpusDir(t, "dev")
	if _, err := os.Stat(filepath.Join(dir, "001.eml")); err != nil {
		t.Fatalf("CorpusDir(dev) = %s without 001.eml: %v", dir, err)
	}
}

func TestFreeAddr(t *testing.T) {
	addr := FreeAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q, want 127.0.0.1:port", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on FreeAddr %s: %v", addr, err)
	}
	l.Close()
}

func TestClock(t *testing.T) {
	start := time.Date(2025, 3, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	c := NewClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	if got := c.Advance(36 * time.Hour); !got.Equal(start.Add(36*time.Hour)) || !c.Now().Equal(got) {
		t.Fatalf("after Advance: Now = %v, want %v", c.Now(), start.Add(36*time.Hour))
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("after Set: Now = %v, want %v", c.Now(), start)
	}
}

func TestSafeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"TestX", "TestX"},
		{"TestX/sub_case#01", "TestX_sub_case_01"},
		{"Test中文", "Test__"},
		{strings.Repeat("a", 80), strings.Repeat("a", 60)},
	}
	for _, tt := range tests {
		if got := safeName(tt.in); got != tt.want {
			t.Errorf("safeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendUIDs(t *testing.T) {
	tests := []struct {
		status string
		want   []uint32
		ok     bool
	}{
		{" [APPENDUID 1700000000 5] Append completed.", []uint32{5}, true},
		{" [APPENDUID 1700000000 5:8] Append completed.", []uint32{5, 6, 7, 8}, true},
		{" [APPENDUID 1 3,7:8,10] done", []uint32{3, 7, 8, 10}, true},
		{" Append completed.", nil, false},
		{" [APPENDUID 1 x] done", nil, false},
	}
	for _, tt := range tests {
		got, err := appendUIDs(tt.status)
		if (err == nil) != tt.ok {
			t.Errorf("appendUIDs(%q) err = %v, want ok %v", tt.status, err, tt.ok)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("appendUIDs(%q) = %v, want %v", tt.status, got, tt.want)
			continue
		}
		for i := range got {
			if uint32(got[i]) != tt.want[i] {
				t.Errorf("appendUIDs(%q) = %v, want %v", tt.status, got, tt.want)
				break
			}
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"gongkai-test", `"gongkai-test"`, true},
		{`a"b\c`, `"a\"b\\c"`, true},
		{"密码", "", false},
		{"a\r\nb", "", false},
	}
	for _, tt := range tests {
		got, ok := quote(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("quote(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
