package classifier

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"gongkai"
	"gongkai/intake"
)

// BenchmarkClassifyDevCorpus classifies every dev message per iteration and
// reports the 99th-percentile time of one Classify call (target: < 1 ms).
func BenchmarkClassifyDevCorpus(b *testing.B) {
	dir := devCorpus(b)
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var mails []*gongkai.Email
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		e, _ := intake.Parse(raw)
		mails = append(mails, e)
	}
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	h := &memHistory{}
	var durs []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, e := range mails {
			t0 := time.Now()
			c.Classify(e, h)
			durs = append(durs, time.Since(t0))
		}
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	p := func(q float64) float64 { return float64(durs[int(q*float64(len(durs)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), "p50-µs/msg")
	b.ReportMetric(p(0.99), "p99-µs/msg")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(mails)), "µs/msg")
}
