package caseflow_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/replies"
	"gongkai/store"
	"gongkai/workday"
)

func user(name, dept string, roles ...gongkai.Role) *gongkai.User {
	return &gongkai.User{Username: name, Department: dept, Roles: roles, Active: true}
}

var (
	lReg   = user("reg", "办公室", gongkai.RoleRegistrar)
	lHand  = user("hand", "城建科", gongkai.RoleHandler)
	lOther = user("other", "法规科", gongkai.RoleHandler)
	lBoss  = user("boss", "", gongkai.RoleApprover)
	lAdmin = user("root", "", gongkai.RoleAdmin)
)

func newLetters(t *testing.T) (*caseflow.Letters, *caseflow.Service, *time.Time) {
	t.Helper()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing)
	s := newService(t, &now)
	l := &caseflow.Letters{Cases: s, Agency: replies.SampleAgency()}
	// The staff the tests assign cases to.
	if err := s.DB.Update(context.Background(), func(tx *store.Tx) error {
		for _, u := range []*gongkai.User{lReg, lHand, lOther, lBoss, lAdmin} {
			if err := tx.CreateUser(u, "x"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return l, s, &now
}

// TestLetterSteps walks the rules of a final letter: who may draft, review,
// approve and send, and in which state; edits after the review send it back.
func TestLetterSteps(t *testing.T) {
	ctx := context.Background()
	l, s, now := newLetters(t)
	c := fileCase(t, s)
	for _, in := range []caseflow.Input{{Action: caseflow.ActRegister, Actor: lReg}, {Action: caseflow.ActAssign, Actor: lReg, Department: "城建科", Assignee: "hand"}} {
		if _, err := s.Act(ctx, c.No, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Draft(ctx, c.No, caseflow.DraftInput{}, lHand); gongkai.ErrorKind(err) != gongkai.EConflict {
		t.Fatalf("final letter before draft_answer: %v", err)
	}
	if _, err := s.Act(ctx, c.No, caseflow.Input{Action: caseflow.ActDraftAnswer, Actor: lHand, Result: gongkai.ResultNotHeld}); err != nil {
		t.Fatal(err)
	}
	type step struct {
		name string
		do   func() (*store.Letter, error)
		want string // "" = ok, else the error kind
	}
	var lt *store.Letter
	id := func() int64 { return lt.ID }
	run := func(ss []step) {
		t.Helper()
		for _, st := range ss {
			*now = now.Add(time.Minute)
			got, err := st.do()
			if kind := string(gongkai.ErrorKind(err)); err != nil && kind != st.want || err == nil && st.want != "" {
				t.Fatalf("%s: err %v (kind %q), want %q", st.name, err, gongkai.ErrorKind(err), st.want)
			}
			if err == nil && got != nil {
				lt = got
			}
		}
	}
	forbidden, conflict, invalid := string(gongkai.EForbidden), string(gongkai.EConflict), string(gongkai.EInvalid)
	run([]step{
		{"other department drafts", func() (*store.Letter, error) { return l.Draft(ctx, c.No, caseflow.DraftInput{}, lOther) }, forbidden},
		{"registrar drafts final", func() (*store.Letter, error) { return l.Draft(ctx, c.No, caseflow.DraftInput{}, lReg) }, forbidden},
		{"wrong outcome", func() (*store.Letter, error) {
			return l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindForResult(gongkai.ResultDisclosed)}, lHand)
		}, conflict},
		{"handler drafts", func() (*store.Letter, error) { return l.Draft(ctx, c.No, caseflow.DraftInput{}, lHand) }, ""},
	})
	if lt.Kind != string(gongkai.ResultNotHeld) || lt.TemplateVersion != 0 || !strings.Contains(lt.Body, "某小区商品房预售许可证") || !strings.Contains(lt.Body, "六个月") {
		t.Fatalf("draft: %+v", lt)
	}
	filled := strings.NewReplacer("【待填写：", "", "】", "").Replace(lt.Body)
	run([]step{
		{"review with blanks", func() (*store.Letter, error) { return l.Review(ctx, id(), lReg, true, "") }, conflict},
		{"handler reviews", func() (*store.Letter, error) { return l.Review(ctx, id(), lHand, true, "") }, forbidden},
		{"fail without note", func() (*store.Letter, error) { return l.Review(ctx, id(), lReg, false, "") }, invalid},
		{"fail with note", func() (*store.Letter, error) { return l.Review(ctx, id(), lReg, false, "含个人信息") }, ""},
		{"fill blanks", func() (*store.Letter, error) { return l.Edit(ctx, id(), "", filled, lHand) }, ""},
		{"approve before review", func() (*store.Letter, error) { return l.Approve(ctx, id(), lBoss) }, conflict},
		{"review passes", func() (*store.Letter, error) { return l.Review(ctx, id(), lBoss, true, "") }, ""},
		{"send before approval", func() (*store.Letter, error) { return l.SendMail(ctx, id(), lHand, nil) }, conflict},
		{"handler approves", func() (*store.Letter, error) { return l.Approve(ctx, id(), lHand) }, forbidden},
		{"edit after review", func() (*store.Letter, error) { return l.Edit(ctx, id(), "", filled+"\n\n　　补充说明。", lHand) }, ""},
	})
	if lt.Status != store.LetterDraft || lt.ReviewBy != "" {
		t.Fatalf("an edit after the review should send the letter back to draft: %+v", lt)
	}
	run([]step{
		{"review again", func() (*store.Letter, error) { return l.Review(ctx, id(), lReg, true, "") }, ""},
		{"approve", func() (*store.Letter, error) { return l.Approve(ctx, id(), lBoss) }, ""},
		{"edit after approval", func() (*store.Letter, error) { return l.Edit(ctx, id(), "", filled, lHand) }, ""},
		{"review 3", func() (*store.Letter, error) { return l.Review(ctx, id(), lReg, true, "") }, ""},
		{"approve 2", func() (*store.Letter, error) { return l.Approve(ctx, id(), lBoss) }, ""},
		{"other department sends", func() (*store.Letter, error) { return l.SendMail(ctx, id(), lOther, nil) }, forbidden},
		{"send", func() (*store.Letter, error) { return l.SendMail(ctx, id(), lHand, nil) }, ""},
		{"send twice", func() (*store.Letter, error) { return l.SendMail(ctx, id(), lHand, nil) }, conflict},
	})
	d, err := s.CaseDetail(ctx, c.No, lAdmin, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Case.Status != gongkai.StatusClosed || d.Case.Result != gongkai.ResultNotHeld {
		t.Errorf("case after sending the final letter: %s %s", d.Case.Status, d.Case.Result)
	}
	if lt.DocNo != "青住建公开〔2025〕第1号" || lt.MessageID == "" {
		t.Errorf("sent letter: 文号 %q Message-ID %q", lt.DocNo, lt.MessageID)
	}
}

// TestProceduralLetters: a 补正 notice lists the chosen items and needs only
// the review; approval is refused as unnecessary.
func TestProceduralLetters(t *testing.T) {
	ctx := context.Background()
	l, s, _ := newLetters(t)
	c := fileCase(t, s)
	lt, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindCorrection, Missing: []string{gongkai.MissingIDNumber}}, lReg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lt.Body, gongkai.MissingLabel(gongkai.MissingIDNumber)) || !strings.Contains(lt.Body, "第三十条") {
		t.Errorf("补正 notice:\n%s", lt.Body)
	}
	if _, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindCorrection}, lReg); gongkai.ErrorKind(err) != gongkai.EInvalid {
		t.Errorf("补正 notice without items: %v", err)
	}
	review := func(id int64) {
		t.Helper()
		if _, err := l.Review(ctx, id, lReg, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	// A notice edited so that it no longer states the deadline the case
	// will run to cannot go out.
	want, _ := s.Cal.AddWorkdays(gongkai.DateOf(lt.CreatedAt), caseflow.DefaultCorrectionDays)
	edited, err := l.Edit(ctx, lt.ID, lt.Title, strings.ReplaceAll(lt.Body, want.Chinese(), "收到本告知书之日起15日内"), lReg)
	if err != nil {
		t.Fatal(err)
	}
	review(edited.ID)
	if _, err := l.MarkPrinted(ctx, edited.ID, lReg); gongkai.ErrorKind(err) != gongkai.EConflict || !strings.Contains(err.Error(), "补正期限") {
		t.Errorf("a notice without the deadline the case runs to: %v, want refused", err)
	}
	if lt, err = l.Edit(ctx, lt.ID, lt.Title, lt.Body, lReg); err != nil {
		t.Fatal(err)
	}
	review(lt.ID)
	if _, err := l.Approve(ctx, lt.ID, lBoss); gongkai.ErrorKind(err) != gongkai.EConflict {
		t.Errorf("approving a procedural letter: %v", err)
	}
	if lt, err = l.MarkPrinted(ctx, lt.ID, lReg); err != nil || lt.Status != store.LetterPrinted {
		t.Fatalf("print: %v %+v", err, lt)
	}
	// The notice going out puts the case into 补正 (the clock stops) with
	// the deadline the letter states…
	d, err := s.CaseDetail(ctx, c.No, lAdmin, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Case.Status != gongkai.StatusCorrection || !d.Case.CorrectionDue.Equal(want) || !strings.Contains(lt.Body, want.Chinese()) {
		t.Errorf("after the 补正 notice: status %s, 补正期限 %s; want 补正 until %s, as the letter says", d.Case.Status, d.Case.CorrectionDue, want)
	}
	// …and it is given once: a second notice cannot go out.
	lt2, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindCorrection, Missing: []string{gongkai.MissingContact}}, lReg)
	if err != nil {
		t.Fatal(err)
	}
	review(lt2.ID)
	if _, err := l.MarkPrinted(ctx, lt2.ID, lReg); gongkai.ErrorKind(err) != gongkai.EConflict || !strings.Contains(err.Error(), "一次性") {
		t.Errorf("a second 补正 notice: %v, want refused", err)
	}
}

// TestAgencyAndTemplates: settings are validated and admin-only; a template
// save runs replies.Validate and stores a new version each time.
func TestAgencyAndTemplates(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newLetters(t)
	vals := map[string]string{}
	for _, f := range caseflow.AgencyFields {
		vals[f.Key] = caseflow.AgencyValue(replies.SampleAgency(), f.Key)
	}
	if _, err := l.SaveAgency(ctx, vals, lReg); gongkai.ErrorKind(err) != gongkai.EForbidden {
		t.Errorf("registrar saves settings: %v", err)
	}
	vals["court"] = ""
	_, err := l.SaveAgency(ctx, vals, lAdmin)
	var ge *gongkai.Error
	if !errors.As(err, &ge) || ge.Kind != gongkai.EInvalid || len(ge.Fields) != 1 || ge.Fields[0].Field != "court" {
		t.Fatalf("settings without a court: %v", err)
	}
	vals["court"] = "某某区人民法院"
	if _, err := l.SaveAgency(ctx, vals, lAdmin); err != nil {
		t.Fatal(err)
	}
	if a, _ := l.AgencySettings(ctx); a.Court != "某某区人民法院" || a.Name != replies.SampleAgency().Name {
		t.Errorf("stored settings: %+v", a)
	}

	k := replies.KindReceipt
	src := replies.Defaults().Source(k)
	if _, err := l.SaveTemplate(ctx, k, strings.ReplaceAll(src, "{{.Case.QueryCode}}", ""), lAdmin); gongkai.ErrorKind(err) != gongkai.EInvalid || !strings.Contains(err.Error(), "查询码") {
		t.Errorf("receipt without the query code: %v", err)
	}
	for want := 1; want <= 2; want++ {
		v, err := l.SaveTemplate(ctx, k, src+strings.Repeat("\n　　谢谢。", want), lAdmin)
		if err != nil || v != want {
			t.Fatalf("save %d: version %d, %v", want, v, err)
		}
	}
	list, err := l.TemplateList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range list {
		if ti.Kind == k && (ti.Version != 2 || ti.By != "root") {
			t.Errorf("receipt in the list: %+v", ti)
		}
	}
}

// BenchmarkDraftEditedTemplate measures drafting a letter when the template
// in use is an edited, stored version (the set is rebuilt and the stored text
// validated on each draft).
func BenchmarkDraftEditedTemplate(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, gongkai.Beijing)
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "g.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Now = func() time.Time { return now }
	s := &caseflow.Service{DB: db, Cal: workday.New()}
	l := &caseflow.Letters{Cases: s, Agency: replies.SampleAgency()}
	app := gongkai.Application{ApplicantType: "自然人", Name: "张三", IDNumber: "110101199003074477", Phone: "13800000000",
		Email: "a@example.com", Description: "某小区商品房预售许可证", Delivery: "电子邮件"}
	c, _, err := s.File(ctx, app, gongkai.ChannelWeb, "", "applicant")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.SaveTemplate(ctx, replies.KindReceipt, replies.Defaults().Source(replies.KindReceipt)+"\n　　谢谢。", lAdmin); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindReceipt}, lReg); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLetterApproveOwnDraft: a leader who also handles cases and drafted
// the answer cannot approve the final letter (which approves the answer);
// another approver can.
func TestLetterApproveOwnDraft(t *testing.T) {
	ctx := context.Background()
	l, s, _ := newLetters(t)
	hap := user("hap", "城建科", gongkai.RoleHandler, gongkai.RoleApprover)
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.CreateUser(hap, "x") }); err != nil {
		t.Fatal(err)
	}
	c := fileCase(t, s)
	for _, in := range []caseflow.Input{{Action: caseflow.ActRegister, Actor: lReg}, {Action: caseflow.ActAssign, Actor: lReg, Department: "城建科", Assignee: "hap"},
		{Action: caseflow.ActDraftAnswer, Actor: hap, Result: gongkai.ResultNotHeld}} {
		if _, err := s.Act(ctx, c.No, in); err != nil {
			t.Fatal(err)
		}
	}
	lt, err := l.Draft(ctx, c.No, caseflow.DraftInput{}, hap)
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.NewReplacer("【待填写：", "", "】", "").Replace(lt.Body)
	if _, err := l.Edit(ctx, lt.ID, "", filled, hap); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Review(ctx, lt.ID, lReg, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Approve(ctx, lt.ID, hap); gongkai.ErrorKind(err) != gongkai.EForbidden || !strings.Contains(err.Error(), "本人拟写") {
		t.Errorf("the drafter approving: %v, want forbidden", err)
	}
	if _, err := l.Approve(ctx, lt.ID, lBoss); err != nil {
		t.Errorf("another approver: %v", err)
	}
}

// TestClosingNoticeAfterLapse: a case the 补正 lapse closed (（六）1) gets
// its closing notice afterwards — drafted by the registrar, reviewed,
// approved and printed — with the case left as it concluded.
func TestClosingNoticeAfterLapse(t *testing.T) {
	ctx := context.Background()
	l, s, now := newLetters(t)
	c := fileCase(t, s)
	if _, err := s.Act(ctx, c.No, caseflow.Input{Action: caseflow.ActRequestCorrection, Actor: lReg}); err != nil {
		t.Fatal(err)
	}
	*now = now.AddDate(0, 1, 0) // well past the 补正 period
	d, err := s.Act(ctx, c.No, caseflow.Input{Action: caseflow.ActCorrectionLapsed, Actor: lReg})
	if err != nil || d.Status != gongkai.StatusClosed || d.Result != gongkai.ResultNoCorrection {
		t.Fatalf("lapse: %v %+v", err, d)
	}
	answered := d.AnsweredOn
	lt, err := l.Draft(ctx, c.No, caseflow.DraftInput{}, lReg)
	if err != nil {
		t.Fatalf("drafting the closing notice: %v", err)
	}
	if lt.Kind != string(gongkai.ResultNoCorrection) || !strings.Contains(lt.Body, "第三十条") {
		t.Errorf("closing notice %s:\n%s", lt.Kind, lt.Body)
	}
	if _, err := l.Review(ctx, lt.ID, lReg, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Approve(ctx, lt.ID, lBoss); err != nil {
		t.Fatal(err)
	}
	if lt, err = l.MarkPrinted(ctx, lt.ID, lReg); err != nil || lt.Status != store.LetterPrinted {
		t.Fatalf("print: %v", err)
	}
	after, _ := s.CaseDetail(ctx, c.No, lAdmin, false)
	if after.Case.Status != gongkai.StatusClosed || after.Case.Result != gongkai.ResultNoCorrection || !after.Case.AnsweredOn.Equal(answered) {
		t.Errorf("the case after its closing notice: %s %s %s; want closed as before on %s", after.Case.Status, after.Case.Result, after.Case.AnsweredOn, answered)
	}
	// Given once: a second closing notice is refused.
	if _, err := l.Draft(ctx, c.No, caseflow.DraftInput{}, lReg); gongkai.ErrorKind(err) != gongkai.EConflict {
		t.Errorf("a second closing notice: %v, want refused", err)
	}
	// Another kind of final letter stays refused on the closed case.
	if _, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindForResult(gongkai.ResultDisclosed)}, lAdmin); err == nil {
		t.Errorf("a 予以公开 letter drafted on a case closed as （六）1")
	}
}

// TestExtensionDuringConsultation: an extension granted while a
// consultation holds the clock gets its 延期答复告知书: with the days
// granted, and the latest the answer can be due — counted on from the end
// of the consultation window — since the due date waits with the clock.
func TestExtensionDuringConsultation(t *testing.T) {
	ctx := context.Background()
	l, s, now := newLetters(t)
	c := fileCase(t, s)
	act := func(day string, in caseflow.Input) *gongkai.Case {
		t.Helper()
		*now = beijing(day, 10)
		c, err := s.Act(ctx, c.No, in)
		if err != nil {
			t.Fatalf("%s on %s: %v", in.Action, day, err)
		}
		return c
	}
	act("2025-03-03", caseflow.Input{Action: "register", Actor: lReg, Department: "城建科", Assignee: "hand"})
	act("2025-03-05", caseflow.Input{Action: "start_consultation", Actor: lHand, Reason: "涉及第三方商业秘密"})
	act("2025-03-06", caseflow.Input{Action: "request_extension", Actor: lHand, Reason: "需调取档案"})
	got := act("2025-03-07", caseflow.Input{Action: "approve_extension", Actor: lBoss, Reason: "同意", Days: 15})
	if got.Status != gongkai.StatusConsultation || !got.DueOn.IsZero() || !got.Extended {
		t.Fatalf("case after the extension: %s, due %s, extended %v", got.Status, got.DueOn, got.Extended)
	}
	latest, err := s.Cal.AddWorkdays(got.SuspendedUntil, got.ClockLimit-got.ClockUsed)
	if err != nil {
		t.Fatal(err)
	}
	lt, err := l.Draft(ctx, c.No, caseflow.DraftInput{Kind: replies.KindExtension, ExtensionReason: "需调取档案"}, lHand)
	if err != nil {
		t.Fatalf("drafting the 延期答复告知书: %v", err)
	}
	for _, want := range []string{"答复期限延长15个工作日", "征求意见所需时间不计算在答复期限内", "最迟于" + latest.Chinese() + "届满"} {
		if !strings.Contains(lt.Body, want) {
			t.Errorf("the letter lacks %q:\n%s", want, lt.Body)
		}
	}
}
