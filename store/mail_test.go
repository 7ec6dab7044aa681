package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gongkai"
)

// TestMail walks the staff mail view's queues: what is on no case waits in
// "attention" (or "auto" for automatic replies and bounces) until handled
// or linked; a second handling is refused; the queries use the partial
// index, not a scan of the raw messages.
func TestMail(t *testing.T) {
	db := openTest(t)
	ids := map[string]int64{}
	update(t, db, func(tx *Tx) error {
		c := &gongkai.Case{No: "GK-2026-000001", QueryCode: "Q", Channel: gongkai.ChannelEmail, Status: gongkai.StatusProcessing}
		if err := tx.CreateCase(c, ""); err != nil {
			return err
		}
		for _, m := range []struct {
			name   string
			kind   gongkai.MessageKind
			onCase bool
		}{
			{"request", gongkai.KindRequest, true}, {"spam", gongkai.KindSpam, false}, {"unparsed", gongkai.KindUnparsed, false},
			{"auto", gongkai.KindAutoReply, false}, {"bounce", gongkai.KindBounce, false}, {"consult", gongkai.KindConsultation, false},
			{"followup", gongkai.KindFollowup, false},
		} {
			msg := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: "smtp", Raw: []byte(strings.Repeat("x", 20000)),
				SHA256: m.name, Subject: "<b>" + m.name + "</b>", Kind: m.kind}
			if m.onCase {
				msg.CaseID = c.ID
			}
			if err := tx.CreateMessage(msg); err != nil {
				return err
			}
			ids[m.name] = msg.ID
		}
		return nil
	})
	names := func(ms []*gongkai.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(m.Subject, "<b>"), "</b>"))
		}
		return out
	}
	check := func(step string, want map[MailQueue][]string) {
		t.Helper()
		update(t, db, func(tx *Tx) error {
			counts, err := tx.MailCounts()
			if err != nil {
				return err
			}
			for q, w := range want {
				ms, err := tx.Mail(q, 50)
				if err != nil {
					return err
				}
				if got := names(ms); !slices.Equal(got, w) || counts[q] != len(w) {
					t.Errorf("%s: %s = %v (count %d), want %v", step, q, got, counts[q], w)
				}
			}
			return nil
		})
	}
	check("stored", map[MailQueue][]string{
		MailAttention: {"followup", "consult", "unparsed", "spam"},
		MailAuto:      {"bounce", "auto"},
		MailHandled:   nil,
	})

	update(t, db, func(tx *Tx) error {
		if err := tx.HandleMessage(ids["spam"], "reg", "确认为垃圾邮件"); err != nil {
			return err
		}
		c, err := tx.CaseByNo("GK-2026-000001")
		if err != nil {
			return err
		}
		return tx.LinkMessage(ids["followup"], c.ID, "reg", "补充材料，关联到 GK-2026-000001")
	})
	check("handled", map[MailQueue][]string{
		MailAttention: {"consult", "unparsed"},
		MailAuto:      {"bounce", "auto"},
		MailHandled:   {"followup", "spam"}, // linked from the view, or recorded as needing nothing
	})

	err := db.Update(t.Context(), func(tx *Tx) error {
		m, err := tx.MessageByID(ids["spam"])
		if err != nil {
			return err
		}
		if m.HandledBy != "reg" || m.HandledNote != "确认为垃圾邮件" || m.HandledAt.IsZero() {
			t.Errorf("handled spam: %q %q %v", m.HandledBy, m.HandledNote, m.HandledAt)
		}
		for _, tc := range []struct {
			id   int64
			want string
		}{{ids["spam"], "已由 reg 处理"}, {ids["followup"], "已关联到案件"}, {ids["request"], "已关联到案件"}} {
			if err := tx.HandleMessage(tc.id, "other", "again"); gongkai.ErrorKind(err) != gongkai.EConflict || !strings.Contains(gongkai.ErrorMessage(err), tc.want) {
				t.Errorf("handling message %d again: %v, want a conflict saying %q", tc.id, err, tc.want)
			}
		}
		if err := tx.HandleMessage(999, "reg", ""); gongkai.ErrorKind(err) != gongkai.ENotFound {
			t.Errorf("handling a missing message: %v", err)
		}
		// The view's queries go through a partial index, never a scan of
		// the table.
		for q, index := range map[MailQueue]string{MailAttention: "messages_unlinked", MailAuto: "messages_unlinked", MailHandled: "messages_handled"} {
			ids, args, _ := mailIDs(q)
			plan, err := queryPlan(tx, ids, append(args, 5)...)
			if err != nil {
				return err
			}
			if p := fmt.Sprint(plan); !strings.Contains(p, "USING COVERING INDEX "+index) {
				t.Errorf("%s: plan %s does not use %s", q, p, index)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMail is the mail view's queries — the first tab's 200 newest and
// the size of every tab — over 3,000 held messages of 30 KB each among
// 3,000 on cases.
func BenchmarkMail(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "m.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw := []byte(strings.Repeat("0123456789abcdef", 30<<10/16))
	err = db.Update(b.Context(), func(tx *Tx) error {
		c := &gongkai.Case{No: "GK-2026-000001", QueryCode: "Q", Channel: gongkai.ChannelEmail, Status: gongkai.StatusProcessing}
		if err := tx.CreateCase(c, ""); err != nil {
			return err
		}
		for i := range 6000 {
			m := &gongkai.Message{Channel: gongkai.ChannelEmail, Source: "smtp", Raw: raw, SHA256: fmt.Sprint(i), Kind: gongkai.KindSpam}
			if i%2 == 0 {
				m.CaseID, m.Kind = c.ID, gongkai.KindRequest
			}
			if err := tx.CreateMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		err := db.View(b.Context(), func(tx *Tx) error {
			if ms, err := tx.Mail(MailAttention, 200); err != nil || len(ms) != 200 {
				return fmt.Errorf("%d, %v", len(ms), err)
			}
			_, err := tx.MailCounts()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
