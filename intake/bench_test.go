package intake

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse parses the dev corpus round-robin; one op is one message.
// SMTP intake must take 2,000 messages/s end to end on 2 cores, so parsing
// should stay well under 1 ms per message per core.
func BenchmarkParse(b *testing.B) {
	dir := filepath.Join(mustCorpus(b), "dev")
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no dev messages in %s", dir)
	}
	var msgs [][]byte
	total := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
		total += len(raw)
	}
	b.SetBytes(int64(total / len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkParseParallel is BenchmarkParse on all cores (run with -cpu 2
// for the 2-core target).
func BenchmarkParseParallel(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(mustCorpus(b), "dev", "*.eml"))
	if len(files) == 0 {
		b.Fatal("no dev messages")
	}
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := Parse(msgs[i%len(msgs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
