package chatbot

import (
	"context"
	"strings"
	"testing"
	"time"

	"gongkai"
)

// memSessions is an in-memory Sessions for the service tests.
type memSessions struct {
	state   map[string][]byte
	expires map[string]time.Time
	lines   map[string][]Line
}

func newMem() *memSessions {
	return &memSessions{state: map[string][]byte{}, expires: map[string]time.Time{}, lines: map[string][]Line{}}
}

func (m *memSessions) Load(_ context.Context, id string, now time.Time) ([]byte, error) {
	if s, ok := m.state[id]; ok && m.expires[id].After(now) {
		return s, nil
	}
	return nil, gongkai.ErrNotFound
}

func (m *memSessions) Save(_ context.Context, id string, state []byte, _ int64, exp time.Time, lines []Line) error {
	m.state[id], m.expires[id] = state, exp
	m.lines[id] = append(m.lines[id], lines...)
	return nil
}

func (m *memSessions) Lines(_ context.Context, id string, now time.Time) ([]Line, error) {
	if _, err := m.Load(context.Background(), id, now); err != nil {
		return nil, err
	}
	return m.lines[id], nil
}

func (m *memSessions) Sweep(_ context.Context, now time.Time) (int, error) {
	n := 0
	for id, e := range m.expires {
		if !e.After(now) {
			delete(m.state, id)
			delete(m.lines, id)
			delete(m.expires, id)
			n++
		}
	}
	return n, nil
}

func TestChatService(t *testing.T) {
	var filed []gongkai.Application
	now := testNow
	svc := &Service{Engine: testEngine(t, &filed), Sessions: newMem(), Now: func() time.Time { return now }}
	ctx := context.Background()

	r, err := svc.Turn(ctx, "", "申请公开西工区2024年公共租赁住房配租名单")
	if err != nil || !ValidSessionID(r.Session) || !strings.Contains(r.Reply, "个人名义") {
		t.Fatalf("first turn: %+v %v", r, err)
	}
	id := r.Session
	r, err = svc.Turn(ctx, id, "个人")
	if err != nil || r.Session != id || !strings.Contains(r.Reply, "姓名") {
		t.Fatalf("second turn: %+v %v", r, err)
	}
	lines, _ := svc.Transcript(ctx, id)
	if len(lines) != 4 || lines[0].Role != RoleUser || lines[1].Role != RoleBot || lines[2].Text != "个人" {
		t.Errorf("transcript: %+v", lines)
	}
	if _, err := svc.Turn(ctx, id, strings.Repeat("字", MaxText+1)); gongkai.ErrorKind(err) != gongkai.ETooLarge {
		t.Errorf("too long: %v, want ETooLarge", err)
	}
	// Unknown ids (well-formed or not) start a fresh session.
	for _, bad := range []string{"nope", strings.Repeat("A", 24), "../../etc/passwd"} {
		r, err := svc.Turn(ctx, bad, "你好")
		if err != nil || r.Session == bad || r.Session == id || !ValidSessionID(r.Session) {
			t.Errorf("id %q: %+v %v", bad, r, err)
		}
	}
	// Two hours idle: gone.
	now = now.Add(DefaultTTL + time.Second)
	if n, _ := svc.Sweep(ctx); n != 4 {
		t.Errorf("swept %d sessions, want 4", n)
	}
	if lines, _ := svc.Transcript(ctx, id); len(lines) != 0 {
		t.Errorf("expired transcript still readable: %+v", lines)
	}
}

// TestFiledConversationCleared: once the application is filed, the
// conversation (ID number, phone, 查询码) is gone after FiledTTL, not after
// the two hours an unfinished one is kept.
func TestFiledConversationCleared(t *testing.T) {
	var filed []gongkai.Application
	now := testNow
	svc := &Service{Engine: testEngine(t, &filed), Sessions: newMem(), Now: func() time.Time { return now }}
	ctx := context.Background()
	r, _ := svc.Turn(ctx, "", "我叫张三，身份证号110101199003074477，电话13800000000，邮箱zhangsan@example.com，申请公开2024年西工区翠湖名苑项目3号楼商品房预售许可证，通过电子邮件发给我")
	r, err := svc.Turn(ctx, r.Session, "确认提交")
	if err != nil || !r.Done {
		t.Fatalf("filing: %+v %v", r, err)
	}
	if lines, _ := svc.Transcript(ctx, r.Session); len(lines) == 0 {
		t.Fatal("the receipt is not shown right after filing")
	}
	now = now.Add(FiledTTL + time.Second)
	if lines, _ := svc.Transcript(ctx, r.Session); len(lines) != 0 {
		t.Errorf("the filed conversation is still readable after %v", FiledTTL)
	}
}
