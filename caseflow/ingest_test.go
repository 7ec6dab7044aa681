package caseflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gongkai"
	"gongkai/bench/mailgen"
	"gongkai/intake"
	"gongkai/internal/testkit"
	"gongkai/store"
	"gongkai/workday"
)

// label is the part of a corpus label the intake tests check.
type label struct {
	gongkai.Verdict
	File      string `json:"file"`
	Malformed bool   `json:"malformed"`
}

// labelClassifier answers with the corpus labels, so that these tests check
// intake's filing and not the classifier's accuracy.
type labelClassifier map[string]gongkai.Verdict

func (l labelClassifier) Classify(e *gongkai.Email) gongkai.Verdict {
	if v, ok := l[e.MessageID]; ok {
		return v
	}
	return gongkai.Verdict{Nature: gongkai.KindConsultation}
}

type corpusMsg struct {
	label
	raw []byte
	id  string // Message-ID
	at  time.Time
}

// loadCorpus reads dev/*.eml with their labels, in Date order.
func loadCorpus(t testing.TB) []corpusMsg {
	t.Helper()
	dir := testkit.CorpusDir(t, "dev")
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) < 40 {
		t.Fatalf("corpus: %d files in %s", len(files), dir)
	}
	var out []corpusMsg
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lb, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m corpusMsg
		if err := json.Unmarshal(lb, &m.label); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		em, _ := intake.Parse(raw)
		m.raw, m.id, m.at = raw, em.MessageID, em.Date
		if m.id == "" || HeaderMessageID(raw) != m.id {
			t.Fatalf("%s: Message-ID %q, header scan %q", f, m.id, HeaderMessageID(raw))
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

func openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gongkai.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seededApplicants are the applicants of the earlier cases the corpus
// refers to (its follow-ups come from them).
var seededApplicants = map[string]gongkai.Applicant{
	"GK-2025-000047": {Type: gongkai.NaturalPerson, Name: "马红梅", Email: "mhm881127@163.example"},
	"GK-2025-000052": {Type: gongkai.NaturalPerson, Name: "吕文博", Email: "lvwenbo@tom.example"},
}

// seedCase files a case with a given number, as if registered earlier.
func seedCase(t testing.TB, s *Service, no string, arrived time.Time, correction bool) *gongkai.Case {
	t.Helper()
	var c *gongkai.Case
	err := s.DB.Update(context.Background(), func(tx *store.Tx) error {
		a, ok := seededApplicants[no]
		if !ok {
			a = gongkai.Applicant{Type: gongkai.NaturalPerson, Name: "种子"}
		}
		c = &gongkai.Case{No: no, QueryCode: NewQueryCode(), Channel: gongkai.ChannelEmail, Nature: "request",
			Applicant: a, Description: "种子案件"}
		if err := Register(c, arrived, s.Cal); err != nil {
			return err
		}
		if correction {
			u := &gongkai.User{Username: "reg", Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
			on := c.ReceivedOn
			if _, err := Apply(c, Input{Action: ActRequestCorrection, Actor: u, Now: on.Time().Add(10 * time.Hour), On: on}, s.Cal); err != nil {
				return err
			}
		}
		if err := tx.CreateCase(c, ""); err != nil {
			return err
		}
		return tx.EnsureCaseSeq(2025, 100)
	})
	if err != nil {
		t.Fatalf("seed %s: %v", no, err)
	}
	return c
}

func newIntake(t testing.TB, db *store.DB, cls Classifier) *Intake {
	s := &Service{DB: db, Cal: workday.New()}
	return &Intake{Cases: s, Classifier: cls, Receipt: func(c *gongkai.Case, req *gongkai.Email, rcpt string) ([]byte, error) {
		raw := "Auto-Submitted: auto-replied\r\nIn-Reply-To: <" + req.MessageID + ">\r\nSubject: 登记回执 " + c.No + " " + c.QueryCode + "\r\n\r\nok\r\n"
		return []byte(raw), nil
	}, ReceiptEnvelope: func(c *gongkai.Case) (string, string) { return "receipt-" + c.No + "@test", "ysqgk@test" }}
}

// receiveOne prepares m and receives it alone, as the SMTP listener does,
// and returns the stored message.
func receiveOne(t testing.TB, in *Intake, m Incoming) *gongkai.Message {
	t.Helper()
	in.Prepare(&m)
	ids, err := in.ReceiveBatch(context.Background(), []Incoming{m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return messageOf(t, in.Cases.DB, ids[0])
}

func messageOf(t testing.TB, db *store.DB, id int64) *gongkai.Message {
	t.Helper()
	var m *gongkai.Message
	if err := db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.MessageByID(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIngestCorpus(t *testing.T) {
	for _, prepared := range []bool{false, true} {
		name := "stored raw, then processed"
		if prepared {
			name = "prepared, stored and filed in one write"
		}
		t.Run(name, func(t *testing.T) { testIngestCorpus(t, prepared) })
	}
}

func testIngestCorpus(t *testing.T, prepared bool) {
	ctx := context.Background()
	db := openDB(t)
	msgs := loadCorpus(t)
	cls := labelClassifier{}
	for _, m := range msgs {
		cls[m.id] = m.Verdict
	}
	in := newIntake(t, db, cls)
	old := time.Date(2025, 2, 20, 10, 0, 0, 0, gongkai.Beijing)
	seeded := map[string]*gongkai.Case{
		"GK-2025-000047": seedCase(t, in.Cases, "GK-2025-000047", old, true),
		"GK-2025-000052": seedCase(t, in.Cases, "GK-2025-000052", old, false),
		"GK-2025-000031": seedCase(t, in.Cases, "GK-2025-000031", old, false),
		"GK-2025-000038": seedCase(t, in.Cases, "GK-2025-000038", old, false),
	}

	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		var id int64
		var err error
		if prepared {
			inc := []Incoming{{Raw: m.raw, Source: "smtp"}}
			in.Prepare(&inc[0])
			var got []int64
			if got, err = in.ReceiveBatch(ctx, inc, nil); err == nil {
				id = got[0]
			}
		} else {
			id, err = in.Cases.Receive(ctx, m.raw, "smtp", time.Now())
		}
		if err != nil {
			t.Fatalf("%s: receive: %v", m.File, err)
		}
		ids[i] = id
	}
	// Receiving everything again stores nothing new.
	for i, m := range msgs {
		id, err := in.Cases.Receive(ctx, m.raw, "smtp", time.Now())
		if err != nil || id != ids[i] {
			t.Fatalf("%s: second receive = %d, %v; want %d", m.File, id, err, ids[i])
		}
	}
	want := len(msgs)
	if prepared {
		want = 0 // filed when stored
	}
	n, err := in.ProcessPending(ctx)
	if err != nil || n != want {
		t.Fatalf("ProcessPending = %d, %v; want %d", n, err, want)
	}
	if n, _ := in.ProcessPending(ctx); n != 0 {
		t.Errorf("second ProcessPending = %d, want 0", n)
	}
	if err := in.FlushReceipts(ctx); err != nil {
		t.Fatal(err)
	}

	err = db.View(ctx, func(tx *store.Tx) error {
		for i, m := range msgs {
			got, err := tx.MessageByID(ids[i])
			if err != nil {
				return err
			}
			want := m.Nature
			if want == gongkai.KindFollowup || m.IsRequest {
				want = m.Nature
			}
			if got.Kind != want {
				t.Errorf("%s: kind %q, want %q", m.File, got.Kind, want)
			}
			if got.Malformed != m.Malformed {
				t.Errorf("%s: malformed %v, want %v", m.File, got.Malformed, m.Malformed)
			}
			switch {
			case m.IsRequest:
				if got.CaseID == 0 {
					t.Errorf("%s: is_request but no case", m.File)
					continue
				}
				c, err := tx.CaseByID(got.CaseID)
				if err != nil {
					return err
				}
				if c.Applicant.Type != m.ApplicantType || c.Channel != gongkai.ChannelEmail || c.Nature != string(m.Nature) {
					t.Errorf("%s: case %s applicant %q channel %q nature %q; want %q email %q", m.File, c.No, c.Applicant.Type, c.Channel, c.Nature, m.ApplicantType, m.Nature)
				}
				out, err := tx.OutboxForCase(c.ID)
				if err != nil {
					return err
				}
				if m.Email != "" && (len(out) != 1 || out[0].Rcpt[0] != m.Email || !bytes.Contains(out[0].Raw, []byte(c.No))) {
					t.Errorf("%s: receipt %+v, want one to %s naming %s", m.File, out, m.Email, c.No)
				}
			case m.Nature == gongkai.KindSpam, m.Nature == gongkai.KindConsultation:
				if got.CaseID != 0 {
					t.Errorf("%s: %s linked to case %d", m.File, m.Nature, got.CaseID)
				}
			default: // followup, bounce, auto_reply: linked to the referenced case when it exists
				if sc := seeded[m.CaseRef]; sc != nil && got.CaseID != sc.ID {
					t.Errorf("%s: %s linked to case %d, want %s (%d)", m.File, m.Nature, got.CaseID, m.CaseRef, sc.ID)
				}
			}
		}
		// A bounce writes letter_bounced on the case of the returned letter.
		evs, err := tx.Events(seeded["GK-2025-000038"].ID)
		if err != nil {
			return err
		}
		if !hasEvent(evs, "letter_bounced") {
			t.Errorf("GK-2025-000038: no letter_bounced event in %v", kinds(evs))
		}
		// The 补正 reply restarts the clock of the case in correction.
		c, err := tx.CaseByNo("GK-2025-000047")
		if err != nil {
			return err
		}
		if c.Status != gongkai.StatusProcessing || c.ClockState != gongkai.ClockRunning || c.ClockFrom.Before(gongkai.DateOf(time.Now()).AddDays(-1)) {
			t.Errorf("GK-2025-000047 after the 补正 reply: status %s clock %s from %s", c.Status, c.ClockState, c.ClockFrom)
		}
		evs, err = tx.Events(c.ID)
		if err != nil {
			return err
		}
		if !hasEvent(evs, "followup_received") || !hasEvent(evs, "correction_received") {
			t.Errorf("GK-2025-000047 events %v, want followup_received and correction_received", kinds(evs))
		}
		// Never a receipt to auto-replies, bounces or spam.
		for _, no := range []string{"GK-2025-000031", "GK-2025-000038"} {
			out, err := tx.OutboxForCase(seeded[no].ID)
			if err != nil {
				return err
			}
			if len(out) != 0 {
				t.Errorf("%s: outbox %d items, want none", no, len(out))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hasEvent(evs []gongkai.Event, kind string) bool {
	for _, e := range evs {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func kinds(evs []gongkai.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func TestReceiveDedupe(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	s := &Service{DB: db, Cal: workday.New()}
	a := []byte("Message-ID: <a@x>\r\nSubject: a\r\n\r\nbody\r\n")
	aOther := []byte("Message-ID: <a@x>\r\nSubject: a\r\n\r\nanother body\r\n")
	noID := []byte("Subject: none\r\n\r\nbody\r\n")
	tests := []struct {
		name string
		raw  []byte
		same int // index of the earlier message it must equal, -1 = new
	}{
		{"first", a, -1},
		{"same bytes", a, 0},
		{"same Message-ID, other content", aOther, -1},
		{"no Message-ID", noID, -1},
		{"no Message-ID again", noID, 3},
	}
	var ids []int64
	for _, tt := range tests {
		id, err := s.Receive(ctx, tt.raw, "smtp", time.Now())
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.same >= 0 && id != ids[tt.same] {
			t.Errorf("%s: id %d, want %d", tt.name, id, ids[tt.same])
		}
		for j, prev := range ids {
			if tt.same != j && id == prev {
				t.Errorf("%s: id %d reused from %s", tt.name, id, tests[j].name)
			}
		}
		ids = append(ids, id)
	}
	// A batch with a duplicate inside stores it once.
	got, err := s.ReceiveBatch(ctx, []Incoming{{Raw: []byte("Message-ID: <b@x>\r\n\r\nb")}, {Raw: []byte("Message-ID: <b@x>\r\n\r\nb")}}, nil)
	if err != nil || got[0] != got[1] {
		t.Errorf("batch with duplicate: %v, %v", got, err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		total, pending, err := tx.CountMessages()
		if err != nil || total != 4 || pending != 4 {
			t.Errorf("stored %d (pending %d), %v; want 4", total, pending, err)
		}
		return nil
	})
}

func TestReceiveBatchCursor(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	s := &Service{DB: db, Cal: workday.New()}
	cur := &Cursor{Mailbox: "INBOX", UIDValidity: 7, LastUID: 42}
	if _, err := s.ReceiveBatch(ctx, []Incoming{{Raw: []byte("Message-ID: <c@x>\r\n\r\nc")}}, cur); err != nil {
		t.Fatal(err)
	}
	got, err := s.IMAPCursor(ctx, "INBOX")
	if err != nil || got != *cur {
		t.Errorf("cursor %+v, %v; want %+v", got, err, *cur)
	}
	// A failing batch moves neither messages nor the cursor: the transaction
	// is one.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ReceiveBatch(cctx, []Incoming{{Raw: []byte("Message-ID: <d@x>\r\n\r\nd")}}, &Cursor{Mailbox: "INBOX", UIDValidity: 7, LastUID: 50}); err == nil {
		t.Fatal("batch with a cancelled context succeeded")
	}
	got, _ = s.IMAPCursor(ctx, "INBOX")
	if got.LastUID != 42 {
		t.Errorf("cursor moved to %d by a failed batch", got.LastUID)
	}
	db.View(ctx, func(tx *store.Tx) error {
		if total, _, _ := tx.CountMessages(); total != 1 {
			t.Errorf("%d messages stored, want 1", total)
		}
		return nil
	})
}

func TestProcessUnparsable(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	in := newIntake(t, db, labelClassifier{})
	tests := []struct {
		name string
		raw  string
		kind gongkai.MessageKind
	}{
		{"no header block", "\x00\x01 garbage with no header at all", gongkai.KindUnparsed},
		{"blank", "   \r\n", gongkai.KindUnparsed},
		{"bounce by headers", "Message-ID: <r@x>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n", gongkai.KindConsultation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := in.Cases.Receive(ctx, []byte(tt.raw), "smtp", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := in.Process(ctx, id); err != nil {
				t.Fatal(err)
			}
			m := messageOf(t, db, id)
			if m.Kind != tt.kind || m.CaseID != 0 {
				t.Errorf("kind %q case %d, want %q and no case", m.Kind, m.CaseID, tt.kind)
			}
			if tt.kind == gongkai.KindUnparsed && (!m.Malformed || m.ParseError == "") {
				t.Errorf("unparsable: malformed %v parse_error %q", m.Malformed, m.ParseError)
			}
		})
	}
	// Without a classifier, the header rules still recognise a DSN.
	in.Classifier = nil
	id, _ := in.Cases.Receive(ctx, []byte("Message-ID: <r2@x>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"), "smtp", time.Now())
	if err := in.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	if m := messageOf(t, db, id); m.Kind != gongkai.KindBounce {
		t.Errorf("DSN without classifier: kind %q", m.Kind)
	}
}

func TestHeaderMessageID(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"Message-ID: <a@b>\r\n\r\n", "a@b"},
		{"Subject: x\nmessage-id:\n <folded@b>\n\nbody Message-ID: <no@b>", "folded@b"},
		{"Subject: x\r\n\r\nMessage-ID: <body@b>\r\n", ""},
		{"Message-Id: bare@b\r\n\r\n", "bare@b"},
	}
	for _, tt := range tests {
		if got := HeaderMessageID([]byte(tt.raw)); got != tt.want {
			t.Errorf("HeaderMessageID(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func BenchmarkReceiveBatch(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	s := &Service{DB: db, Cal: workday.New()}
	body := bytes.Repeat([]byte("政府信息公开申请 "), 1500)
	b.SetBytes(int64(len(body)))
	const batch = 64
	for i := 0; i < b.N; i += batch {
		in := make([]Incoming, batch)
		for j := range in {
			in[j] = Incoming{Raw: append([]byte("Message-ID: <"+time.Now().Format(time.RFC3339Nano)+string(rune('a'+j%26))+"@bench>\r\n\r\n"), body...)}
		}
		if _, err := s.ReceiveBatch(ctx, in, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFollowupByThread: a reply whose only link is In-Reply-To to a mail
// gongkai sent (the receipt) is a followup on that case; an auto-reply to
// the receipt is linked too, gets no receipt and opens no case.
func TestFollowupByThread(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	cls := labelClassifier{
		"req@a.example":  {IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson, Name: "张三", Email: "zs@a.example", Description: "某项目预售许可证"},
		"ooo@a.example":  {Nature: gongkai.KindAutoReply},
		"more@a.example": {Nature: gongkai.KindConsultation},
	}
	in := newIntake(t, db, cls)
	receive := func(raw string) *gongkai.Message {
		t.Helper()
		m := []Incoming{{Raw: []byte(raw), Source: "smtp"}}
		in.Prepare(&m[0])
		ids, err := in.ReceiveBatch(ctx, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		return messageOf(t, db, ids[0])
	}
	req := receive("Message-ID: <req@a.example>\r\nFrom: zs@a.example\r\nSubject: 申请\r\n\r\n申请公开某项目预售许可证\r\n")
	if req.CaseID == 0 {
		t.Fatal("request opened no case")
	}
	var c *gongkai.Case
	var out []*store.OutboxEntry
	db.View(ctx, func(tx *store.Tx) error {
		c, _ = tx.CaseByID(req.CaseID)
		out, _ = tx.OutboxForCase(c.ID)
		return nil
	})
	if len(out) != 1 {
		t.Fatalf("%d receipts queued", len(out))
	}
	reply := receive("Message-ID: <more@a.example>\r\nIn-Reply-To: <" + out[0].MessageID + ">\r\nSubject: 补充\r\n\r\n补充说明\r\n")
	if reply.Kind != gongkai.KindFollowup || reply.CaseID != c.ID {
		t.Errorf("reply to the receipt: kind %q case %d, want followup on %d", reply.Kind, reply.CaseID, c.ID)
	}
	ooo := receive("Message-ID: <ooo@a.example>\r\nAuto-Submitted: auto-replied\r\nReferences: <" + out[0].MessageID + ">\r\nSubject: 自动回复\r\n\r\n休假中\r\n")
	if ooo.Kind != gongkai.KindAutoReply || ooo.CaseID != c.ID {
		t.Errorf("auto-reply: kind %q case %d, want auto_reply linked to %d", ooo.Kind, ooo.CaseID, c.ID)
	}
	db.View(ctx, func(tx *store.Tx) error {
		n, _ := tx.CountCases(store.CaseFilter{})
		out, _ = tx.OutboxForCase(c.ID)
		if n != 1 || len(out) != 1 {
			t.Errorf("%d cases and %d outbox items, want 1 and 1", n, len(out))
		}
		return nil
	})
}

// BenchmarkPrepare is the parsing half of Prepare on the load corpus (the
// classifier has its own benchmarks).
func BenchmarkPrepare(b *testing.B) {
	msgs, total := mailgen.Corpus(1000)
	in := newIntake(b, openDB(b), labelClassifier{})
	b.SetBytes(int64(total / len(msgs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := Incoming{Raw: msgs[i%len(msgs)], Source: "smtp"}
		in.Prepare(&m)
	}
}

// BenchmarkReceiveFiled stores and files prepared load-corpus requests in
// batches of 16 (what 16 SMTP sessions give the group commit): the serial
// part of intake, a case, its events and its receipt per message (rendered
// after each commit, all stored by the end).
func BenchmarkReceiveFiled(b *testing.B) { benchReceive(b, false) }

// BenchmarkReceiveFiledDeferred is BenchmarkReceiveFiled as the SMTP
// listener runs it: the writer not waiting for the fsync (the wait runs
// beside it, as for the sessions).
func BenchmarkReceiveFiledDeferred(b *testing.B) { benchReceive(b, true) }

func benchReceive(b *testing.B, deferred bool) {
	msgs, total := mailgen.Corpus(b.N)
	in := newIntake(b, openDB(b), constClassifier{IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson, Email: "a@b.example"})
	prepared := make([]Incoming, len(msgs))
	for i, raw := range msgs {
		prepared[i] = Incoming{Raw: raw, Source: "smtp"}
		in.Prepare(&prepared[i])
	}
	b.SetBytes(int64(total / len(msgs)))
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := 0; i < len(prepared); i += 16 {
		batch := prepared[i:min(i+16, len(prepared))]
		if !deferred {
			if _, err := in.ReceiveBatch(context.Background(), batch, nil); err != nil {
				b.Fatal(err)
			}
			continue
		}
		_, durable, err := in.ReceiveBatchDeferred(context.Background(), batch, nil)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := durable(); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := in.FlushReceipts(context.Background()); err != nil {
		b.Fatal(err)
	}
}

type constClassifier gongkai.Verdict

func (c constClassifier) Classify(*gongkai.Email) gongkai.Verdict { return gongkai.Verdict(c) }

// TestFileAlone: a batch is filed without savepoints; when one message of
// it cannot be filed, the batch is filed again message by message, so that
// the failing one is stored raw for the processor and the others are filed
// once — no case, history row, receipt or case number of the first attempt
// is left behind. Both ways in: a batch (IMAP) and a stream (SMTP).
func TestFileAlone(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t)
			in := newIntake(t, db, constClassifier{IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson,
				Name: "张三", Email: "zs@a.example", Description: "某项目预售许可证"})
			calls := map[string]int{}
			testHookFinish = func(p *parsed) error {
				calls[p.MessageID]++
				if p.MessageID == "bad@x" {
					return errors.New("injected failure")
				}
				return nil
			}
			t.Cleanup(func() { testHookFinish = nil })
			var msgs []Incoming
			for _, id := range []string{"a@x", "b@x", "bad@x", "c@x"} {
				m := Incoming{Raw: []byte("Message-ID: <" + id + ">\r\nFrom: zs@a.example\r\nSubject: 申请\r\n\r\n申请公开某项目预售许可证\r\n"), Source: "smtp"}
				in.Prepare(&m)
				msgs = append(msgs, m)
			}
			var ids []int64
			var err error
			if stream {
				i := 0
				var durable func() error
				ids, durable, err = in.ReceiveStream(ctx, func() (*Incoming, bool) {
					if i == len(msgs) {
						return nil, false
					}
					i++
					return &msgs[i-1], true
				})
				if err == nil {
					err = durable()
				}
			} else {
				ids, err = in.ReceiveBatch(ctx, msgs, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != len(msgs) {
				t.Fatalf("%d ids for %d messages", len(ids), len(msgs))
			}
			// The first attempt stopped at bad@x; the second filed all four.
			want := map[string]int{"a@x": 2, "b@x": 2, "bad@x": 2, "c@x": 1}
			for id, n := range want {
				if calls[id] != n {
					t.Errorf("%s filed %d times, want %d (%v)", id, calls[id], n, calls)
				}
			}
			if err := in.FlushReceipts(ctx); err != nil {
				t.Fatal(err)
			}
			db.View(ctx, func(tx *store.Tx) error {
				total, pending, _ := tx.CountMessages()
				cases, _ := tx.CountCases(store.CaseFilter{})
				if total != 4 || pending != 1 || cases != 3 {
					t.Errorf("%d messages (%d pending), %d cases; want 4 (1), 3", total, pending, cases)
				}
				for i, id := range ids {
					m, err := tx.MessageByID(id)
					if err != nil {
						return err
					}
					if i == 2 {
						if m.Kind != gongkai.KindPending || m.CaseID != 0 {
							t.Errorf("bad@x: kind %q case %d, want stored raw for the processor", m.Kind, m.CaseID)
						}
						continue
					}
					c, err := tx.CaseByID(m.CaseID)
					if err != nil {
						return err
					}
					if wantNo := gongkai.CaseNo(c.ReceivedOn.Year(), int64(min(i, 2)+1)); c.No != wantNo {
						t.Errorf("%s: case %s, want %s (numbers without a gap)", m.MessageID, c.No, wantNo)
					}
					evs, _ := tx.Events(c.ID)
					out, _ := tx.OutboxForCase(c.ID)
					if len(evs) != 2 || len(out) != 1 || out[0].Raw == nil {
						t.Errorf("%s: %d history rows and %d receipts, want 2 and 1 rendered", c.No, len(evs), len(out))
					}
				}
				return nil
			})
		})
	}
}

// TestClockFromArrival: a case filed from mail counts from the mail's
// arrival at the agency (RULES.md §3.1), not from its Date header, which
// the sender writes: a header three days old moves nothing.
func TestClockFromArrival(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	in := newIntake(t, db, constClassifier{IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson,
		Name: "张三", Email: "zs@a.example", Description: "某项目预售许可证"})
	arrived := time.Date(2026, 11, 27, 10, 0, 0, 0, gongkai.Beijing) // a Friday, a working day
	m := Incoming{Raw: []byte("Message-ID: <old@x>\r\nDate: Tue, 24 Nov 2026 23:30:00 +0800\r\nFrom: zs@a.example\r\nSubject: 申请\r\n\r\n申请公开某项目预售许可证\r\n"),
		Source: "smtp", Arrived: arrived}
	msg := receiveOne(t, in, m)
	db.View(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByID(msg.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if c.ReceivedOn.String() != "2026-11-27" || !c.ArrivedAt.Equal(arrived) {
			t.Errorf("received on %s, arrived %v; want 2026-11-27 and %v (the arrival, not the Date header)", c.ReceivedOn, c.ArrivedAt, arrived)
		}
		return nil
	})
}

// TestLinkOnlyTheApplicant: a 受理编号 in the text ties mail to a case only
// when it comes from the case's applicant, and only the applicant's mail
// completes a 补正; a reply to the bureau's mail on the case is linked
// whoever sends it, also by the case number in the bureau's Message-ID.
func TestLinkOnlyTheApplicant(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	const no = "GK-2025-000060"
	seededApplicants[no] = gongkai.Applicant{Type: gongkai.NaturalPerson, Name: "张三", Email: "zs@a.example", IDNumber: "110101199003074477"}
	t.Cleanup(func() { delete(seededApplicants, no) })
	followup := func(name, id string) gongkai.Verdict {
		return gongkai.Verdict{Nature: gongkai.KindFollowup, CaseRef: no, ApplicantType: gongkai.NaturalPerson, Name: name, IDNumber: id}
	}
	in := newIntake(t, db, labelClassifier{
		"stranger@x":  followup("", ""),
		"neighbour@x": followup("李四", "11010519491231002X"),
		"thread@x":    followup("", ""),
		"notice@x":    followup("", ""),
		"forged@x":    followup("", ""),
		"byid@x":      followup("张三", "110101199003074477"),
		"own@x":       followup("", ""),
	})
	c := seedCase(t, in.Cases, no, time.Date(2025, 2, 20, 10, 0, 0, 0, gongkai.Beijing), true)
	receive := func(id, from, extra string) *gongkai.Message {
		t.Helper()
		return receiveOne(t, in, Incoming{Raw: []byte("Message-ID: <" + id + ">\r\nFrom: " + from + "\r\n" + extra + "Subject: 关于" + no + "\r\n\r\n" + no + "\r\n"), Source: "smtp"})
	}
	status := func() gongkai.Status {
		t.Helper()
		var got *gongkai.Case
		db.View(ctx, func(tx *store.Tx) error { got, _ = tx.CaseByID(c.ID); return nil })
		return got.Status
	}

	for _, tc := range []struct{ id, from, why string }{
		{"stranger@x", "promo@ads.example", "a stranger asking what the number means"},
		{"neighbour@x", "ls@b.example", "another applicant quoting a neighbour's case"},
	} {
		if m := receive(tc.id, tc.from, ""); m.CaseID != 0 || m.Kind != gongkai.KindFollowup {
			t.Errorf("%s: case %d kind %q, want left in 来信 unlinked", tc.why, m.CaseID, m.Kind)
		}
	}
	if s := status(); s != gongkai.StatusCorrection {
		t.Fatalf("mail from others moved the case to %s", s)
	}
	// A reply to the bureau's mail on the case from another address: linked,
	// but no 补正.
	if m := receive("thread@x", "colleague@c.example", "In-Reply-To: <receipt-"+no+"@test>\r\n"); m.CaseID != c.ID {
		t.Errorf("reply to the receipt from another address: case %d, want %d", m.CaseID, c.ID)
	}
	if m := receive("notice@x", "colleague@c.example", "References: <notice-"+no+"@test>\r\n"); m.CaseID != c.ID {
		t.Errorf("reply to the old mail system's notice: case %d, want %d", m.CaseID, c.ID)
	}
	// The case number in a Message-ID of somebody else's domain is no thread.
	if m := receive("forged@x", "stranger@d.example", "References: <letter-"+no+"@elsewhere.example>\r\n"); m.CaseID != 0 {
		t.Errorf("a References with another domain's letter-GK-… linked the mail to case %d", m.CaseID)
	}
	if s := status(); s != gongkai.StatusCorrection {
		t.Fatalf("a reply from somebody else completed the 补正 (%s)", s)
	}
	// From another address but naming the applicant's ID number: the
	// applicant, whose mail completes the 补正.
	if m := receive("byid@x", "zhangsan.work@d.example", ""); m.CaseID != c.ID {
		t.Errorf("the applicant from another address: case %d, want %d", m.CaseID, c.ID)
	}
	if s := status(); s != gongkai.StatusProcessing {
		t.Errorf("the applicant's mail left the case %s, want processing (补正 received)", s)
	}
	if m := receive("own@x", "ZS@a.example", ""); m.CaseID != c.ID {
		t.Errorf("the applicant's own address: case %d, want %d", m.CaseID, c.ID)
	}
	var evs []gongkai.Event
	db.View(ctx, func(tx *store.Tx) error { evs, _ = tx.Events(c.ID); return nil })
	var others, corrections int
	for _, e := range evs {
		if e.Kind == "followup_received" && strings.Contains(e.Detail, "来信人与申请人不一致") {
			others++
		}
		if e.Kind == "correction_received" {
			corrections++
		}
	}
	if others != 2 || corrections != 1 {
		t.Errorf("history: %d replies from others, %d 补正 received; want 2 and 1", others, corrections)
	}
}

// TestNoReceiptToForwarder: a request another agency forwards, with no
// address of the applicant's, gets no 登记回执 — the forwarder is not the
// applicant and must not receive the 查询码 — and the history asks staff to
// tell the applicant another way.
func TestNoReceiptToForwarder(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	in := newIntake(t, db, constClassifier{IsRequest: true, Nature: gongkai.KindRequest, ApplicantType: gongkai.NaturalPerson,
		Name: "赵六", Description: "公共租赁住房配租名单"}) // no Email: the classifier found none of the applicant's
	m := Incoming{Raw: []byte("Message-ID: <fwd@x>\r\nFrom: xxgk@xigong.example\r\nSubject: 转发：申请\r\n\r\n转来群众政府信息公开申请一件\r\n"), Source: "smtp"}
	msg := receiveOne(t, in, m)
	db.View(ctx, func(tx *store.Tx) error {
		out, _ := tx.OutboxForCase(msg.CaseID)
		evs, _ := tx.Events(msg.CaseID)
		if msg.CaseID == 0 || len(out) != 0 {
			t.Errorf("case %d with %d receipts queued; want a case and no receipt", msg.CaseID, len(out))
		}
		if !slices.ContainsFunc(evs, func(e gongkai.Event) bool {
			return e.Kind == "receipt_skipped" && strings.Contains(e.Detail, "xxgk@xigong.example")
		}) {
			t.Errorf("no receipt_skipped naming the forwarder in %v", evs)
		}
		return nil
	})
}
