package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// CorpusDir returns the directory shared/corpus/<sub> (for example "dev"). It
// walks up from the working directory — a package directory under `go test`
// — looking for shared/corpus either inside a directory or beside it: in the
// workspace the repository is main/ with shared/ next to it, and CI clones
// the repository into another folder with a copy of shared/ beside it. A
// missing corpus fails the test: it is data, not a server.
func CorpusDir(t testing.TB, sub string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("testkit: getting working directory: %v", err)
	}
	dir, ok := findCorpus(wd, sub)
	if !ok {
		t.Fatalf("testkit: shared/corpus/%s not found in or beside any parent of %s", sub, wd)
	}
	return dir
}

// findCorpus looks for shared/corpus/<sub> in each ancestor of start.
func findCorpus(start, sub string) (string, bool) {
	for dir := filepath.Clean(start); ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "shared", "corpus", sub)
		if fi, err := os.Stat(candidate); err == nil && fi.IsDir() {
			return candidate, true
		}
		if parent := filepath.Dir(dir); parent == dir {
			return "", false
		}
	}
}
