package classifier

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gongkai/intake"
)

// BenchmarkClassifyLongLetter classifies the longest dev message (a ~20 KB
// letter), the one that sets the corpus p99.
func BenchmarkClassifyLongLetter(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(devCorpus(b), "014.eml"))
	if err != nil {
		b.Fatal(err)
	}
	e, _ := intake.Parse(raw)
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	h := &memHistory{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Classify(e, h)
	}
}

// TestMinDigits checks the digit bound of the number rules.
func TestMinDigits(t *testing.T) {
	for _, c := range []struct {
		re   *regexp.Regexp
		want int
	}{{reMobile, 11}, {reLandline, 10}, {reIntl, 3}, {reID18, 17}, {reID15, 15}, {reCredit, 6}, {reDate, 6}, {reLongDigits, 14}, {reEmail, 0}} {
		if g := minDigits(c.re); g != c.want {
			t.Errorf("minDigits(%s) = %d, want %d", c.re, g, c.want)
		}
	}
}

// FuzzNextDigit compares the word-at-a-time digit search with a byte loop.
func FuzzNextDigit(f *testing.F) {
	f.Add("申请公开2024年：/:09 ", 0)
	f.Fuzz(func(t *testing.T, s string, i int) {
		if i < 0 || i > len(s) {
			return
		}
		want := -1
		for j := i; j < len(s); j++ {
			if s[j] >= '0' && s[j] <= '9' {
				want = j
				break
			}
		}
		if g := nextDigit(s, i); g != want {
			t.Fatalf("nextDigit(%q, %d) = %d, want %d", s, i, g, want)
		}
	})
}
