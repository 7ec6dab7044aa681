package intake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// corpusDir finds shared/corpus by walking up from the working directory
// (the package directory under `go test`), or takes GONGKAI_CORPUS.
func corpusDir() (string, bool) {
	if d := os.Getenv("GONGKAI_CORPUS"); d != "" {
		return d, true
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		c := filepath.Join(dir, "shared", "corpus")
		if st, err := os.Stat(filepath.Join(c, "dev")); err == nil && st.IsDir() {
			return c, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// mustCorpus fails (never skips) the test when the corpus is missing.
func mustCorpus(t testing.TB) string {
	t.Helper()
	d, ok := corpusDir()
	if !ok {
		t.Fatal("shared/corpus not found above the working directory; set GONGKAI_CORPUS")
	}
	return d
}

// label is the part of a corpus label that intake is responsible for.
type label struct {
	File        string   `json:"file"`
	Malformed   bool     `json:"malformed"`
	Defects     []string `json:"defects"`
	Subject     string   `json:"subject"`
	FromName    string   `json:"from_name"`
	FromAddr    string   `json:"from_addr"`
	Date        string   `json:"date"`
	Attachments []string `json:"attachments"`
}

// TestDevCorpus compares every dev message with its label on the fields
// intake owns. from_addr is compared exactly, as the label schema says:
// FromAddr keeps the address as written (dev/010 labels MAILER-DAEMON).
func TestDevCorpus(t *testing.T) {
	dir := filepath.Join(mustCorpus(t), "dev")
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dev messages in %s (%v)", dir, err)
	}
	fields := []string{"subject", "from_name", "from_addr", "date", "malformed", "defects", "attachments"}
	correct := map[string]int{}
	for _, f := range files {
		base := filepath.Base(f)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lb, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var want label
		if err := json.Unmarshal(lb, &want); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		em, err := parse(raw, Options{})
		if err != nil {
			t.Errorf("%s: Parse: %v", base, err)
			continue
		}
		gotDate := ""
		if !em.Date.IsZero() {
			gotDate = em.Date.Format(time.RFC3339)
		}
		var names []string
		for _, a := range em.Attachments {
			names = append(names, a.Name)
		}
		wantDefects := append([]string(nil), want.Defects...)
		gotDefects := append([]string(nil), em.Defects...)
		sort.Strings(wantDefects)
		sort.Strings(gotDefects)
		checks := map[string][2]any{
			"subject":     {em.Subject, want.Subject},
			"from_name":   {em.FromName, want.FromName},
			"from_addr":   {em.FromAddr, want.FromAddr},
			"date":        {gotDate, want.Date},
			"malformed":   {em.Malformed, want.Malformed},
			"defects":     {nz(gotDefects), nz(wantDefects)},
			"attachments": {nz(names), nz(want.Attachments)},
		}
		for _, name := range fields {
			c := checks[name]
			if reflect.DeepEqual(c[0], c[1]) {
				correct[name]++
			} else {
				t.Errorf("%s %s: got %q, want %q", base, name, c[0], c[1])
			}
		}
	}
	for _, name := range fields {
		t.Logf("%-12s %d/%d", name, correct[name], len(files))
	}
}

func nz(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
