package chatbot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gongkai"
)

// FuzzChatTurn feeds arbitrary messages after a partly filled application:
// the engine never panics, always answers, keeps its state serialisable, and
// never files an application the form would refuse.
func FuzzChatTurn(f *testing.F) {
	for _, s := range []string{"", "你好", "确认提交", "电话写错了，是", "GK-2026-000001", "申请公开", "１２３", "我叫\x00张三", "是，是，是", "名字改为", strings.Repeat("申", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var filed []gongkai.Application
		e := testEngine(t, &filed)
		st := State{ID: "test"}
		ctx := context.Background()
		for _, msg := range []string{"申请公开西工区2024年公共租赁住房配租名单", s, "个人", s, "确认提交"} {
			r := e.Turn(ctx, &st, msg)
			if r.Text == "" {
				t.Fatalf("empty reply to %q", msg)
			}
			raw, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var back State
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range filed {
			if errs := a.Validate(testNow); len(errs) > 0 {
				t.Errorf("filed an invalid application: %v", errs)
			}
		}
	})
}
