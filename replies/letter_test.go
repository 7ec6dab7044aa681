package replies

import (
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gongkai"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGoldenLetters(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(string(k), func(t *testing.T) {
			l, err := Defaults().Render(k, SampleData())
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if l.Kind != k || l.TemplateVersion != 0 || l.DocNo != SampleData().DocNo {
				t.Errorf("letter = %+v, want kind %s, version 0, doc no %s", l, k, SampleData().DocNo)
			}
			if want := SampleAgency().Name + k.Title(); l.Title != want {
				t.Errorf("title = %q, want %q", l.Title, want)
			}
			golden(t, string(k)+".golden", []byte(l.Title+"\n\n"+l.Body+"\n"))
		})
	}
}

func TestKinds(t *testing.T) {
	ks := Kinds()
	if got, want := len(ks), 8+len(gongkai.ResultKeys); got != want {
		t.Fatalf("len(Kinds()) = %d, want %d", got, want)
	}
	for _, r := range gongkai.ResultKeys {
		k := KindForResult(r)
		if !k.Valid() || !k.Final() {
			t.Errorf("KindForResult(%s) = %s: valid %v final %v", r, k, k.Valid(), k.Final())
		}
		if got, ok := k.Result(); !ok || got != r {
			t.Errorf("%s.Result() = %s, %v", k, got, ok)
		}
		info, _ := r.Info()
		if k.Basis() != info.Basis {
			t.Errorf("%s.Basis() = %q, want %q", k, k.Basis(), info.Basis)
		}
	}
	for _, k := range []Kind{KindReceipt, KindCorrection, KindExtension, KindConsultThirdParty, KindConsultAgency, KindConsultNotice, KindFee, KindReasons} {
		if !k.Valid() || k.Final() {
			t.Errorf("%s: valid %v final %v, want valid procedural", k, k.Valid(), k.Final())
		}
		if k.Title() == string(k) || !strings.Contains(k.Title(), "政府信息公开") {
			t.Errorf("%s.Title() = %q", k, k.Title())
		}
	}
	if Kind("nonsense").Valid() {
		t.Error("unknown kind reported valid")
	}
	if got := KindFee.ExtraFields(); len(got) != 3 || got[0].Key != "fee_scale" {
		t.Errorf("fee extra fields = %+v", got)
	}
}

func TestRenderRefusesMissingFacts(t *testing.T) {
	tests := []struct {
		kind  Kind
		edit  func(*LetterData)
		field string
	}{
		{KindCorrection, func(d *LetterData) { d.Missing = nil }, "missing"},
		{KindCorrection, func(d *LetterData) { d.CorrectionDeadline = gongkai.Date{} }, "correction_deadline"},
		{KindExtension, func(d *LetterData) { d.NewDue = gongkai.Date{} }, "new_due"},
		{KindFee, func(d *LetterData) { d.FeeYuan = 0 }, "fee_yuan"},
		{KindConsultAgency, func(d *LetterData) { d.OtherAgency = "" }, "other_agency"},
		{KindReasons, func(d *LetterData) { d.ReplyDeadline = gongkai.Date{} }, "reply_deadline"},
		{Kind(gongkai.ResultStateSecret), func(d *LetterData) { d.Agency.ReviewBody = "" }, "agency.review_body"},
		{Kind(gongkai.ResultOther), func(d *LetterData) { d.Agency.Court = "" }, "agency.court"},
	}
	for _, tt := range tests {
		d := SampleData()
		tt.edit(&d)
		_, err := Defaults().Render(tt.kind, d)
		var ge *gongkai.Error
		if !errors.As(err, &ge) || ge.Kind != gongkai.EInvalid {
			t.Errorf("%s/%s: err = %v, want EInvalid", tt.kind, tt.field, err)
			continue
		}
		if len(ge.Fields) == 0 || ge.Fields[0].Field != tt.field {
			t.Errorf("%s: fields = %+v, want %s", tt.kind, ge.Fields, tt.field)
		}
	}
}

func TestRenderDefaults(t *testing.T) {
	// Extension falls back to the case's due date, correction to the case's 补正 deadline.
	d := SampleData()
	d.NewDue, d.CorrectionDeadline = gongkai.Date{}, gongkai.Date{}
	d.Case.Extended, d.Case.DueOn = true, gongkai.MustDate("2025-05-09")
	d.Case.CorrectionDue = gongkai.MustDate("2025-04-07")
	l, err := Defaults().Render(KindExtension, d)
	if err != nil || !strings.Contains(l.Body, "2025年5月9日") {
		t.Errorf("extension: err %v, body lacks the case due date:\n%s", err, l.Body)
	}
	l, err = Defaults().Render(KindCorrection, d)
	if err != nil || !strings.Contains(l.Body, "2025年4月7日") {
		t.Errorf("correction: err %v, body lacks the case 补正 deadline:\n%s", err, l.Body)
	}

	// An organisation is addressed as 贵单位 under its own name.
	d = SampleData()
	d.Case.Applicant.Type = gongkai.Enterprise
	d.Case.Applicant.OrgName = "青山区某物业管理有限公司"
	l, err = Defaults().Render(Kind(gongkai.ResultDisclosed), d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.Body, "青山区某物业管理有限公司：") || !strings.Contains(l.Body, "贵单位申请获取") || strings.Contains(l.Body, "您") {
		t.Errorf("organisation letter:\n%s", l.Body)
	}

	// Without handler input the letter shows what is still to be filled.
	d = SampleData()
	d.Reasons, d.Extra = "", nil
	l, err = Defaults().Render(Kind(gongkai.ResultThirdParty), d)
	if err != nil {
		t.Fatal(err)
	}
	ph := Placeholders(l.Body)
	if len(ph) != 2 || !strings.Contains(ph[0], "征求第三方意见") {
		t.Errorf("placeholders = %q", ph)
	}
	if got := Placeholders(mustRender(t, Kind(gongkai.ResultThirdParty), SampleData()).Body); len(got) != 0 {
		t.Errorf("sample letter has placeholders %q", got)
	}
}

func mustRender(t *testing.T, k Kind, d LetterData) Letter {
	t.Helper()
	l, err := Defaults().Render(k, d)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSetWith(t *testing.T) {
	k := Kind(gongkai.ResultDisclosed)
	src := Defaults().Source(k)
	edited := strings.Replace(src, "特此告知。", "特此告知，谢谢。", 1)
	s, err := Defaults().With(k, edited, 3)
	if err != nil {
		t.Fatalf("With: %v", err)
	}
	l, err := s.Render(k, SampleData())
	if err != nil {
		t.Fatal(err)
	}
	if l.TemplateVersion != 3 || !strings.Contains(l.Body, "特此告知，谢谢。") {
		t.Errorf("edited letter: version %d body:\n%s", l.TemplateVersion, l.Body)
	}
	if s.Source(k) != edited || s.Version(k) != 3 {
		t.Error("edited set does not report the edit")
	}
	// The defaults are untouched.
	if Defaults().Source(k) != src || Defaults().Version(k) != 0 {
		t.Error("With changed the default set")
	}
	if mustRender(t, k, SampleData()).TemplateVersion != 0 {
		t.Error("default render does not use version 0")
	}
	// A refused edit leaves no new set.
	if s2, err := s.With(k, "{{.ApplicantName}}：", 4); err == nil || s2 != nil {
		t.Errorf("With accepted a letter without remedy: %v", err)
	}
	if _, err := Preview(k, edited, SampleData()); err != nil {
		t.Errorf("Preview: %v", err)
	}
}

func TestAgency(t *testing.T) {
	a := SampleAgency()
	if got := a.DocNo(2025, 17); got != "青住建公开〔2025〕第17号" {
		t.Errorf("DocNo = %q", got)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("sample agency invalid: %v", err)
	}
	a.ReviewBody, a.DocNoPattern = "", "{short}公开"
	err := a.Validate()
	var ge *gongkai.Error
	if !errors.As(err, &ge) || len(ge.Fields) != 2 {
		t.Errorf("Validate = %v, want review_body and doc_no_pattern", err)
	}
}

func TestTidy(t *testing.T) {
	in := "甲：  \n\n\n\n　　乙。\t\n\n"
	if got, want := tidy(in), "甲：\n\n　　乙。"; got != want {
		t.Errorf("tidy = %q, want %q", got, want)
	}
}

// TestTidyAsBefore checks the one-pass tidy against the split, trim, join
// and regexp version it replaced, on random texts of the pieces that matter.
func TestTidyAsBefore(t *testing.T) {
	manyBlank := regexp.MustCompile(`\n{3,}`)
	before := func(s string) string {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " \t")
		}
		return strings.Trim(manyBlank.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"), "\n")
	}
	pieces := []string{"甲", "b", " ", "\t", "\n", "\r\n", "　", "\n\n"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var b strings.Builder
		for range r.IntN(14) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if got, want := tidy(b.String()), before(b.String()); got != want {
			t.Fatalf("case %d: tidy(%q) = %q, want %q", i, b.String(), got, want)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	s, d := Defaults(), SampleData()
	k := Kind(gongkai.ResultPartial)
	for b.Loop() {
		if _, err := s.Render(k, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	k := Kind(gongkai.ResultPartial)
	src := Defaults().Source(k)
	for b.Loop() {
		if err := Validate(k, src); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReceiptOmitsBlankContacts: before an admin has filled in the agency
// settings, the 登记回执 leaves out the contact lines it has nothing for
// rather than mail "联系电话：" with nothing after it.
func TestReceiptOmitsBlankContacts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		blank   func(a *Agency)
		absent  []string
		present []string
	}{
		{"all set", func(*Agency) {}, nil, []string{"联系电话：", "电子邮箱：", "通信地址：", "（邮政编码："}},
		{"no phone or address", func(a *Agency) { a.Phone, a.Address, a.Postcode = "", "", "" },
			[]string{"联系电话", "通信地址", "邮政编码"}, []string{"联系部门：", "电子邮箱："}},
		{"address without postcode", func(a *Agency) { a.Postcode = "" }, []string{"邮政编码"}, []string{"通信地址："}},
	} {
		d := SampleData()
		tc.blank(&d.Agency)
		l, err := Defaults().Render(KindReceipt, d)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, s := range tc.absent {
			if strings.Contains(l.Body, s) {
				t.Errorf("%s: receipt has %q:\n%s", tc.name, s, l.Body)
			}
		}
		for _, s := range tc.present {
			if !strings.Contains(l.Body, s) {
				t.Errorf("%s: receipt lacks %q:\n%s", tc.name, s, l.Body)
			}
		}
	}
}

// TestNamelessApplicant: an application without a name (dev/025) still
// gets letters that address somebody: "申请人：", never a bare "：".
func TestNamelessApplicant(t *testing.T) {
	d := SampleData()
	d.Case.Applicant.Name, d.Case.Applicant.OrgName = "", ""
	for _, k := range []Kind{KindReceipt, KindCorrection} {
		l, err := Defaults().Render(k, d)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !strings.HasPrefix(l.Body, "申请人：") {
			t.Errorf("%s opens %.40q, want 申请人：", k, l.Body)
		}
	}
}
