package classifier

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"gongkai"
	"gongkai/bench/mailgen"
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

// loadHistory is the benchmark's History, answering as production's
// dbHistory does (cmd/gongkai/intake_wiring.go): by ID number when the key has
// one, else by name. It starts empty: every mailgen letter carries its own
// random ID number, so production's cases table has no earlier request for
// any of them and PriorRequests returns nothing.
type loadHistory struct {
	byID, byName map[string][]Prior
}

func (h *loadHistory) PriorRequests(k ApplicantKey) []Prior {
	switch {
	case k.IDNumber != "":
		return h.byID[k.IDNumber]
	case k.Name != "":
		return h.byName[k.Name]
	}
	return nil
}

var (
	loadOnce  sync.Once
	loadMails []*gongkai.Email
)

// loadCorpus parses mailgen.Corpus(2000) once per process.
func loadCorpus(b *testing.B) []*gongkai.Email {
	b.Helper()
	loadOnce.Do(func() {
		raws, _ := mailgen.Corpus(2000)
		for _, raw := range raws {
			e, err := intake.Parse(raw)
			if err != nil {
				b.Fatalf("parse load mail: %v", err)
			}
			loadMails = append(loadMails, e)
		}
	})
	return loadMails
}

// BenchmarkClassifyLoad classifies the SMTP load corpus (bench/mailgen)
// round-robin, one message per op, with the classifier built as production
// builds it (the bureau's mail domain, a History).
func BenchmarkClassifyLoad(b *testing.B) {
	mails := loadCorpus(b)
	c, err := New(WithBureauDomains("zjj.xigong.example"))
	if err != nil {
		b.Fatal(err)
	}
	h := &loadHistory{byID: map[string][]Prior{}, byName: map[string][]Prior{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, ok := processCPU()
	for i := 0; i < b.N; i++ {
		c.Classify(mails[i%len(mails)], h)
	}
	// CPU time per message, the garbage collector's included: what intake's
	// budget on a 2-core machine is spent in (wall time also counts waiting
	// for a core that other work holds).
	if cpu1, ok1 := processCPU(); ok && ok1 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
