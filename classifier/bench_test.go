package classifier

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"gongkai"
	"gongkai/intake"
)

// devMails parses the dev corpus once.
func devMails(b *testing.B) []*gongkai.Email {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(devCorpus(b), "*.eml"))
	var mails []*gongkai.Email
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		e, _ := intake.Parse(raw)
		mails = append(mails, e)
	}
	return mails
}

// benchCorpus classifies every dev message per iteration and reports the
// 50th/99th-percentile and mean time of one Classify call (target: p99 < 1 ms).
func benchCorpus(b *testing.B) {
	mails := devMails(b)
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	h := &memHistory{}
	durs := make([]time.Duration, 0, b.N*len(mails))
	b.ReportAllocs()
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
	p := func(q float64) float64 { return float64(durs[int(q*float64(len(durs)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(p(0.50), "p50-µs/msg")
	b.ReportMetric(p(0.99), "p99-µs/msg")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*len(mails)), "µs/msg")
}

// BenchmarkClassifyDevCorpus: per-message latency over the dev corpus.
func BenchmarkClassifyDevCorpus(b *testing.B) { benchCorpus(b) }

// BenchmarkClassifyDevCorpusOneProc is the same with GOMAXPROCS=1, so the
// garbage collector cannot borrow a second core (what -cpu 1 measures).
func BenchmarkClassifyDevCorpusOneProc(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	benchCorpus(b)
}

// BenchmarkTables reports the heap the classifier's tables take: the embedded
// rules compiled by loadRules plus one router (target: a few MB).
func BenchmarkTables(b *testing.B) {
	var before, after runtime.MemStats
	var keep *Classifier
	for i := 0; i < b.N; i++ {
		keep = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := loadRules()
		if err != nil {
			b.Fatal(err)
		}
		rt, err := r.newRouter(r.defRoutes)
		if err != nil {
			b.Fatal(err)
		}
		keep = &Classifier{r: r, rt: rt}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "table-MiB")
	runtime.KeepAlive(keep)
}
