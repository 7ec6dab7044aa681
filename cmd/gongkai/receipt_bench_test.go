package main

import (
	"testing"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/replies"
)

func BenchmarkReceipt(b *testing.B) {
	build := receiptBuilder(Config{"agency": "某区住房和城乡建设局", "mail-from": "gongkai@example.gov.cn"}, func() *caseflow.Letters { return nil })
	c := replies.SampleData().Case
	req := &gongkai.Email{MessageID: "abc@qq.com"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := build(&c, req, "liming@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
