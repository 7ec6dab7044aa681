package chatbot

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/classifier"
)

var update = flag.Bool("update", false, "rewrite the bot lines of testdata/*.txt")

// Transcript prefixes: the user's line, the bot's reply (continued on the
// following lines without a prefix), and the application the bot filed.
const (
	userPrefix  = "用户："
	botPrefix   = "助手："
	filedPrefix = "提交："
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, gongkai.Beijing)

// testEngine is an engine with a fixed clock, the real classifier, a fake
// filing that validates like caseflow.Service.File, and one known case.
func testEngine(t testing.TB, filed *[]gongkai.Application) *Engine {
	t.Helper()
	cl, err := classifier.New(classifier.WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	file := func(_ context.Context, app gongkai.Application, key string) (Filed, error) {
		app.Normalize()
		if errs := app.Validate(testNow); len(errs) > 0 {
			return Filed{}, gongkai.Invalid(errs)
		}
		if !strings.HasPrefix(key, "chat:") || len(key) <= len("chat:") {
			t.Errorf("idempotency key %q, want chat:<session>", key)
		}
		*filed = append(*filed, app)
		rec, _ := gongkai.ParseDate("2026-11-27")
		due, _ := gongkai.ParseDate("2026-12-25")
		return Filed{CaseID: 7, No: "GK-2026-000123", QueryCode: "K7M2P9QX", ReceivedOn: rec, DueOn: due}, nil
	}
	track := func(_ context.Context, no, code string) (Status, error) {
		if no == "GK-2026-000001" && code == "ABCD2345" {
			rec, _ := gongkai.ParseDate("2026-11-02")
			due, _ := gongkai.ParseDate("2026-11-30")
			return Status{No: no, Label: "办理中", ReceivedOn: rec, DueOn: due}, nil
		}
		return Status{}, gongkai.ErrNotFound
	}
	nature := func(s string) gongkai.MessageKind { return cl.ClassifyText("", s, nil).Nature }
	e, err := New(func() time.Time { return testNow }, file, track, nature)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// transcript is one golden file: header comments and the turns.
type transcript struct {
	header []string
	turns  []turn
}

type turn struct {
	user, bot, filed string
}

func readTranscript(t *testing.T, path string) transcript {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tr transcript
	var cur *turn
	inBot := false
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, userPrefix):
			tr.turns = append(tr.turns, turn{user: strings.TrimPrefix(line, userPrefix)})
			cur, inBot = &tr.turns[len(tr.turns)-1], false
		case cur == nil:
			tr.header = append(tr.header, line)
		case strings.HasPrefix(line, botPrefix):
			cur.bot, inBot = strings.TrimPrefix(line, botPrefix), true
		case strings.HasPrefix(line, filedPrefix):
			cur.filed, inBot = strings.TrimPrefix(line, filedPrefix), false
		case inBot:
			cur.bot += "\n" + line
		}
	}
	return tr
}

func (tr transcript) String() string {
	var b strings.Builder
	for _, h := range tr.header {
		b.WriteString(h + "\n")
	}
	for _, t := range tr.turns {
		b.WriteString(userPrefix + t.user + "\n")
		b.WriteString(botPrefix + t.bot + "\n")
		if t.filed != "" {
			b.WriteString(filedPrefix + t.filed + "\n")
		}
	}
	return b.String()
}

// filedLine renders the filed application compactly (empty fields left out).
func filedLine(a gongkai.Application) string {
	raw, _ := json.Marshal(a)
	var m map[string]any
	json.Unmarshal(raw, &m)
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// TestTranscripts replays every testdata/*.txt conversation through the
// engine, turn by turn (with the state going through JSON like a stored
// session), and compares every bot line and every filed application.
func TestChatTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) < 20 {
		t.Errorf("only %d transcripts, want at least 20", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			tr := readTranscript(t, path)
			if len(tr.turns) == 0 {
				t.Fatal("no turns")
			}
			var filed []gongkai.Application
			e := testEngine(t, &filed)
			st := State{ID: "test-" + strings.TrimSuffix(filepath.Base(path), ".txt")}
			st.ID = "test"
			for i := range tr.turns {
				tu := &tr.turns[i]
				n := len(filed)
				r := e.Turn(context.Background(), &st, tu.user)
				// round-trip the state as the session store does
				raw, err := json.Marshal(st)
				if err != nil {
					t.Fatal(err)
				}
				st = State{}
				if err := json.Unmarshal(raw, &st); err != nil {
					t.Fatal(err)
				}
				got := ""
				if len(filed) > n {
					got = filedLine(filed[len(filed)-1])
					if !r.Done || r.CaseNo != "GK-2026-000123" {
						t.Errorf("turn %d filed but reply Done=%v CaseNo=%q", i+1, r.Done, r.CaseNo)
					}
				}
				if *update {
					tu.bot, tu.filed = r.Text, got
					continue
				}
				if r.Text != tu.bot {
					t.Errorf("turn %d, user %q:\n got: %s\nwant: %s", i+1, tu.user, r.Text, tu.bot)
				}
				if got != tu.filed {
					t.Errorf("turn %d filed:\n got: %s\nwant: %s", i+1, got, tu.filed)
				}
			}
			if *update {
				if err := os.WriteFile(path, []byte(tr.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// chatAfter is a fresh conversation (test engine) after the given turns.
func chatAfter(t *testing.T, turns ...string) (*Engine, *State) {
	t.Helper()
	var filed []gongkai.Application
	e := testEngine(t, &filed)
	st := &State{ID: "test"}
	for _, m := range turns {
		e.Turn(context.Background(), st, m)
	}
	return e, st
}

// TestNamesAsked: asked for the name, the bot takes any name a person may
// have — a rare surname, a minority name with its "·", a name in Latin
// letters — as the web form does, and not a confirmation or a question.
func TestNamesAsked(t *testing.T) {
	for _, tc := range []struct{ say, want string }{
		{"张三", "张三"}, {"禤文", "禤文"}, {"訾建", "訾建"}, {"逄军", "逄军"}, {"我叫隗强", "隗强"},
		{"买买提·艾力", "买买提·艾力"}, {"迪丽热巴·迪力木拉提", "迪丽热巴·迪力木拉提"}, {"爱新觉罗·启星", "爱新觉罗·启星"},
		{"阿卜杜热西提", "阿卜杜热西提"}, {"John Smith", "John Smith"}, {"Li Ming", "Li Ming"},
		{"好的", ""}, {"13800000000", ""}, {"不想说", ""}, {"匿名", ""}, {"洛阳市西工区", ""}, {"no", ""}, {"help", ""},
	} {
		e, st := chatAfter(t, "申请公开2024年西工区翠湖名苑项目3号楼预售许可证", "个人")
		if st.Asking != "name" {
			t.Fatalf("after the applicant type the bot asks for %q, want name", st.Asking)
		}
		r := e.Turn(context.Background(), st, tc.say)
		if st.App.Name != tc.want {
			t.Errorf("%q: name %q (bot: %s), want %q", tc.say, st.App.Name, r.Text, tc.want)
		}
	}
}

// TestIDTypesNamed: an 18-character number given with the name of its
// document is filed under that document, not as a 居民身份证.
func TestIDTypesNamed(t *testing.T) {
	for _, tc := range []struct{ say, typ, num string }{
		{"港澳居民居住证 810000199408230021", "港澳居民居住证", "810000199408230021"},
		{"台胞证 12345678", "台湾居民来往大陆通行证", "12345678"},
		{"证件类型台湾居民来往大陆通行证，号码1234567801", "台湾居民来往大陆通行证", "1234567801"},
		{"身份证号110101199003074477", "居民身份证", "110101199003074477"},
	} {
		e, st := chatAfter(t, "申请公开2024年西工区翠湖名苑项目3号楼预售许可证", "个人", "张三")
		r := e.Turn(context.Background(), st, tc.say)
		got := st.App.IDType
		if got == "" {
			got = "居民身份证"
		}
		if got != tc.typ || st.App.IDNumber != tc.num {
			t.Errorf("%q: %s %s (bot: %s), want %s %s", tc.say, got, st.App.IDNumber, r.Text, tc.typ, tc.num)
		}
	}
}

// TestAddressWithPostcode: asked for the address (and the postcode with
// it), an answer giving both keeps both.
func TestAddressWithPostcode(t *testing.T) {
	for _, say := range []string{"洛阳市西工区中州中路1号 邮编471000", "洛阳市西工区中州中路1号，邮编471000"} {
		e, st := chatAfter(t, "我叫张三，身份证号110101199003074477，电话13800000000，申请公开2024年西工区翠湖名苑项目3号楼预售许可证", "邮寄")
		if st.Asking != "address" {
			t.Fatalf("after 邮寄 the bot asks for %q, want address", st.Asking)
		}
		r := e.Turn(context.Background(), st, say)
		if st.App.Address != "洛阳市西工区中州中路1号" || st.App.Postcode != "471000" {
			t.Errorf("%q: address %q postcode %q (bot: %s)", say, st.App.Address, st.App.Postcode, r.Text)
		}
	}
}

// TestNewRequestMentioningACase: a new request that mentions an earlier
// case number is taken as the request, not turned into a status query.
func TestNewRequestMentioningACase(t *testing.T) {
	_, st := chatAfter(t, "我之前申请过GK-2026-000031，还没答复。现在另外申请公开2024年翠湖名苑项目预售许可证")
	if !strings.Contains(st.App.Description, "翠湖名苑") || st.PendingNo != "" {
		t.Errorf("description %q, pending status query %q; want the request kept", st.App.Description, st.PendingNo)
	}
	// A bare case number, or a question about one, still asks for the 查询码.
	for _, m := range []string{"GK-2026-000001", "我申请公开的GK-2026-000001办到哪了？", "GK-2026-000001的答复通知书什么时候发？"} {
		if _, st = chatAfter(t, m); st.PendingNo != "GK-2026-000001" {
			t.Errorf("%q: pending %q, want a status query", m, st.PendingNo)
		}
	}
}
