package classifier

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

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

// FuzzDates compares the hand-written date recogniser with reDate on any
// text (not only the runs findRuns hands it).
func FuzzDates(f *testing.F) {
	for _, s := range []string{"2024年5月6日 10:30", "2024-05-06T10:30:00", "12024-1-123", "2024.12.3日T1:234", "2024/1/1 12:3:45", "20241-1-1年2024年12月1", "2024年1月12日 123:30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if g, w := fmt.Sprint(appendDates(nil, s, 0)), fmt.Sprint(reDate.FindAllStringIndex(s, -1)); g != w {
			t.Fatalf("appendDates(%q) = %s, want %s", s, g, w)
		}
	})
}

// FuzzDecodeRune compares decodeRune with utf8.DecodeRuneInString.
func FuzzDecodeRune(f *testing.F) {
	for _, s := range []string{"申", "\xe1\x80\x80", "\xec\xbf\xbf", "\xed\xa0\x80", "\xe4\xb8", "a", "\xef\xbc\x90"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		gr, gn := decodeRune(s)
		wr, wn := utf8.DecodeRuneInString(s)
		if gr != wr || gn != wn {
			t.Fatalf("decodeRune(%q) = %U, %d, want %U, %d", s, gr, gn, wr, wn)
		}
	})
}

// TestDatesRandom compares the date recogniser with reDate on many random
// strings over the characters the rule reads (the fuzz target's corpus
// rarely reaches these shapes).
func TestDatesRandom(t *testing.T) {
	alpha := []string{"0", "1", "2", "9", "-", "/", ".", "T", ":", " ", "年", "月", "日", "a", "\n", "\xe5"}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 100000; n++ {
		var b strings.Builder
		for k := rng.IntN(24); k > 0; k-- {
			if rng.IntN(2) == 0 {
				b.WriteString(alpha[rng.IntN(4)]) // digits half the time
			} else {
				b.WriteString(alpha[rng.IntN(len(alpha))])
			}
		}
		s := b.String()
		if g, w := fmt.Sprint(appendDates(nil, s, 0)), fmt.Sprint(reDate.FindAllStringIndex(s, -1)); g != w {
			t.Fatalf("appendDates(%q) = %s, want %s", s, g, w)
		}
		if g, w := fmt.Sprint(findRuns(reDate, s, dateSet, "年月日", digitSet)), fmt.Sprint(reDate.FindAllStringIndex(s, -1)); g != w {
			t.Fatalf("findRuns(%q) = %s, want %s", s, g, w)
		}
	}
}
