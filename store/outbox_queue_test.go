package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gongkai"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func update(t *testing.T, db *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// TestOutboxQueue walks items through the queue: de-duplication by
// Message-ID, due times, "sending" hidden from a second Due, retry with
// attempts and error, permanent failure, and the start-up requeue of items a
// crash left "sending".
func TestOutboxQueue(t *testing.T) {
	db := openTest(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return t0 }
	update(t, db, func(tx *Tx) error {
		for i, id := range []string{"<a@x>", "b@x", "a@x"} {
			queued, err := tx.QueueMail(0, 0, id, "from@x", []string{"to@y"}, []byte("raw"))
			if err != nil {
				return err
			}
			if want := i < 2; queued != want {
				t.Errorf("QueueMail(%s) queued=%v, want %v", id, queued, want)
			}
		}
		return nil
	})
	due := func(at time.Time) []*OutboxEntry {
		var es []*OutboxEntry
		update(t, db, func(tx *Tx) error {
			var err error
			es, err = tx.DueMail(at, 10)
			return err
		})
		return es
	}
	es := due(t0)
	if len(es) != 2 || es[0].MessageID != "a@x" || es[0].Status != OutboxSending || es[0].Rcpt[0] != "to@y" {
		t.Fatalf("first Due: %+v", es)
	}
	if again := due(t0.Add(time.Hour)); len(again) != 0 {
		t.Fatalf("items being sent were handed out twice: %d", len(again))
	}
	update(t, db, func(tx *Tx) error {
		if err := tx.MailRetry(es[0].ID, t0.Add(10*time.Minute), "421 try later"); err != nil {
			return err
		}
		return tx.MailFailed(es[1].ID, "550 no such user")
	})
	if es := due(t0.Add(9*time.Minute + 59*time.Second)); len(es) != 0 {
		t.Fatalf("retried item due before its time")
	}
	es = due(t0.Add(10 * time.Minute))
	if len(es) != 1 || es[0].Attempts != 1 {
		t.Fatalf("retried item: %+v", es)
	}
	// A crash now leaves it "sending"; start-up queues it again, visibly.
	var n int
	update(t, db, func(tx *Tx) error {
		var err error
		n, err = tx.RequeueSending()
		return err
	})
	if n != 1 {
		t.Fatalf("RequeueSending = %d, want 1", n)
	}
	update(t, db, func(tx *Tx) error {
		e, err := tx.OutboxByMessageID("<a@x>")
		if err != nil {
			return err
		}
		if e.Status != OutboxQueued || e.LastError == "" {
			t.Errorf("requeued item: status %s error %q", e.Status, e.LastError)
		}
		f, err := tx.OutboxByMessageID("b@x")
		if err != nil {
			return err
		}
		if f.Status != OutboxFailed || f.Attempts != 1 || f.LastError != "550 no such user" {
			t.Errorf("failed item: %+v", f)
		}
		return nil
	})
	es = due(t0.Add(11 * time.Minute))
	update(t, db, func(tx *Tx) error { return tx.MailSent(es[0].ID, t0.Add(11*time.Minute)) })
	if es := due(t0.Add(24 * time.Hour)); len(es) != 0 {
		t.Fatalf("sent item due again")
	}
}

// TestTemplatesAndDocNo checks that every template save is a new version and
// that 文号 numbers count per year.
func TestTemplatesAndDocNo(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx *Tx) error {
		for i, want := range []int{1, 2, 3} {
			v, err := tx.SaveTemplate("receipt", "text"+string(rune('a'+i)), "admin")
			if err != nil {
				return err
			}
			if v != want {
				t.Errorf("save %d: version %d, want %d", i, v, want)
			}
		}
		if v, _ := tx.SaveTemplate("fee", "x", "admin"); v != 1 {
			t.Errorf("first fee version %d", v)
		}
		latest, err := tx.LatestTemplates()
		if err != nil {
			return err
		}
		if len(latest) != 2 || latest[1].Key != "receipt" || latest[1].Version != 3 || latest[1].Body != "textc" {
			t.Errorf("latest: %+v", latest)
		}
		for _, c := range []struct{ year, want int }{{2026, 1}, {2026, 2}, {2027, 1}, {2026, 3}} {
			n, err := tx.NextDocSeq(c.year)
			if err != nil {
				return err
			}
			if n != c.want {
				t.Errorf("NextDocSeq(%d) = %d, want %d", c.year, n, c.want)
			}
		}
		if err := tx.SetSettings(map[string]string{"agency.name": "某局", "agency.court": "某法院", "other": "x"}); err != nil {
			return err
		}
		m, err := tx.SettingsPrefix("agency.")
		if err != nil {
			return err
		}
		if len(m) != 2 || m["agency.name"] != "某局" {
			t.Errorf("SettingsPrefix: %v", m)
		}
		return nil
	})
}

// TestPriorCasesNewest: the duplicate check sees an applicant's latest
// cases, newest first, by ID number, else by name, and never a blank key.
func TestPriorCasesNewest(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx *Tx) error {
		for i := 1; i <= 60; i++ {
			c := &gongkai.Case{No: fmt.Sprintf("GK-2026-%06d", i), QueryCode: "Q", Channel: gongkai.ChannelEmail,
				Status: gongkai.StatusProcessing, Description: fmt.Sprintf("第%d件", i),
				Applicant: gongkai.Applicant{Type: gongkai.NaturalPerson, Name: "李明", IDNumber: "11010519491231002X"}}
			if i%2 == 0 {
				c.Applicant.IDNumber = ""
			}
			if err := tx.CreateCase(c, ""); err != nil {
				return err
			}
		}
		for _, tc := range []struct {
			id, name    string
			limit, n    int
			first, last string
		}{
			{"11010519491231002X", "", 50, 30, "GK-2026-000059", "GK-2026-000001"},
			{"11010519491231002X", "", 10, 10, "GK-2026-000059", "GK-2026-000041"},
			{"", "李明", 50, 50, "GK-2026-000060", "GK-2026-000011"},
			{"", "", 50, 0, "", ""},
		} {
			cs, err := tx.PriorCases(tc.id, tc.name, tc.limit)
			if err != nil {
				return err
			}
			if len(cs) != tc.n {
				t.Errorf("PriorCases(%q, %q, %d): %d cases, want %d", tc.id, tc.name, tc.limit, len(cs), tc.n)
				continue
			}
			if tc.n > 0 && (cs[0].No != tc.first || cs[len(cs)-1].No != tc.last) {
				t.Errorf("PriorCases(%q, %q, %d): %s … %s, want %s … %s", tc.id, tc.name, tc.limit, cs[0].No, cs[len(cs)-1].No, tc.first, tc.last)
			}
		}
		return nil
	})
}
