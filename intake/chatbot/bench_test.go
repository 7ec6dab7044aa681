package chatbot

import (
	"context"
	"math/rand"
	"strings"
	"testing"

	"gongkai"
)

// BenchmarkEngineTurnLong is the engine alone on the longest messages allowed
// (MaxText characters of mixed text), the worst case of one turn.
func BenchmarkEngineTurnLong(b *testing.B) {
	var filed []gongkai.Application
	e := testEngine(b, &filed)
	rng := rand.New(rand.NewSource(1))
	parts := []string{"申请公开", "西工区", "2024年", "，", "电话", "13800000000", "我叫张三", "。", "邮寄", "身份证", "110101199003074477", "写错了", "是", "公司", "名单", " ", "？"}
	var msgs []string
	for i := 0; i < 20; i++ {
		var sb strings.Builder
		for sb.Len() < 2500 {
			sb.WriteString(parts[rng.Intn(len(parts))])
		}
		msgs = append(msgs, string([]rune(sb.String())[:1000]))
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		st := State{ID: "test"}
		e.Turn(ctx, &st, msgs[i%len(msgs)])
		i++
	}
}
