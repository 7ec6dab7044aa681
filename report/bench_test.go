package report_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"gongkai"
	"gongkai/report"
)

// bigSource is 1,000,000 cases received over 2023–2025 (about 333,000 a
// year), answered 1–60 days later or (2%) still open, with appeals.
func bigSource(n int) *report.SliceSource {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &report.SliceSource{Rows: make([]report.CaseRow, n)}
	start := gongkai.NewDate(2023, 1, 1)
	days := start.DaysUntil(gongkai.NewDate(2026, 1, 1))
	seq := map[int]int64{}
	for i := range s.Rows {
		recv := start.AddDays(i * days / n)
		seq[recv.Year()]++
		c := report.CaseRow{
			No:            gongkai.CaseNo(recv.Year(), seq[recv.Year()]),
			ApplicantType: gongkai.ApplicantTypes[rng.IntN(6)],
			ReceivedOn:    recv,
			Counted:       rng.IntN(50) != 0,
		}
		if rng.IntN(50) != 0 {
			c.AnsweredOn = recv.AddDays(1 + rng.IntN(60))
			c.Result = gongkai.ResultKeys[rng.IntN(len(gongkai.ResultKeys))]
			c.ReasonAsked = true
		}
		s.Rows[i] = c
		if i%1000 == 0 {
			s.AppealRows = append(s.AppealRows, gongkai.Appeal{CaseNo: c.No, Kind: gongkai.AppealReconsideration, FiledOn: recv.AddDays(70), Outcome: gongkai.OutcomeUpheld, DecidedOn: recv.AddDays(130)})
		}
	}
	return s
}

// BenchmarkBuild builds the 2024 report from a million cases over three
// years (issue 7: under 1 s and 100 MB). Reported besides ns/op:
// alloc-MB/op, everything Build allocates (an upper bound on the heap it
// adds at its peak), and retained-MB, what the finished report — drill-down
// index included — keeps alive. The source's own rows are not counted.
func BenchmarkBuild(b *testing.B) {
	src := bigSource(1_000_000)
	ctx := context.Background()
	opt := report.Options{Agency: "基准测试局", Fees: report.Fees{Notices: 1}}
	var keep *report.Report
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := report.Build(ctx, src, 2024, opt)
		if err != nil {
			b.Fatal(err)
		}
		keep = r
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/1e6, "alloc-MB/op")
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/1e6, "retained-MB")
	if !keep.OK() || keep.Table3[0].Cells[6] < 300_000 {
		b.Fatalf("unexpected report: ok=%v new=%v", keep.OK(), keep.Table3[0].Cells)
	}
	runtime.KeepAlive(keep)
	runtime.KeepAlive(src)
}

// BenchmarkDrillDown is one click on the busiest cell of a million-case year.
func BenchmarkDrillDown(b *testing.B) {
	r, err := report.Build(context.Background(), bigSource(1_000_000), 2024, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if n := len(r.Cases("new", 6)); n < 300_000 {
			b.Fatal(n)
		}
	}
}
