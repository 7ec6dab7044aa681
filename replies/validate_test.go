package replies

import (
	"errors"
	"strings"
	"testing"

	"gongkai"
)

// remedyPara is the remedy paragraph of the shipped final letters.
const remedyPara = "　　如对本答复不服，可以自收到本告知书之日起六十日内向{{.Agency.ReviewBody}}申请行政复议，或者自收到本告知书之日起六个月内向{{.Agency.Court}}提起行政诉讼。\n\n"

// insertLine puts line before line n (1-based) of src.
func insertLine(src string, n int, line string) string {
	lines := strings.Split(src, "\n")
	out := append([]string{}, lines[:n-1]...)
	out = append(out, line)
	return strings.Join(append(out, lines[n-1:]...), "\n")
}

func TestValidateDefaults(t *testing.T) {
	for _, k := range Kinds() {
		if err := Validate(k, Defaults().Source(k)); err != nil {
			t.Errorf("shipped template %s refused: %v", k, err)
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	src := func(k Kind) string { return Defaults().Source(k) }
	disclosed := Kind(gongkai.ResultDisclosed)
	secret := Kind(gongkai.ResultStateSecret)
	tests := []struct {
		name string
		kind Kind
		text string
		line int      // expected line of the first problem, 0 = whole letter
		want []string // substrings of the problems, in order
	}{
		{"remedy removed from a final letter", disclosed,
			strings.Replace(src(disclosed), remedyPara, "", 1), 0,
			[]string{"缺少救济途径：须写明可在六十日内", "缺少救济途径：须写明可在六个月内"}},
		{"remedy removed from a refusal to handle", Kind(gongkai.ResultPetition),
			strings.Replace(src(Kind(gongkai.ResultPetition)), remedyPara, "", 1), 0,
			[]string{"行政复议", "行政诉讼"}},
		{"court left out of the remedy", secret,
			strings.Replace(src(secret), "{{.Agency.Court}}", "人民法院", 1), 0,
			[]string{"六个月内向人民法院提起行政诉讼"}},
		{"legal basis removed", secret,
			strings.Replace(src(secret), "第十四条", "有关条款", 1), 0,
			[]string{"缺少法律依据：正文须引用“第十四条”"}},
		{"one of two articles removed", Kind(gongkai.ResultThirdParty),
			strings.Replace(src(Kind(gongkai.ResultThirdParty)), "第十五条、第三十二条", "第十五条", 1), 0,
			[]string{"“第三十二条”"}},
		{"fee notice without remedy", KindFee,
			strings.Replace(src(KindFee), "如对本收费决定不服", "如有疑问", 1)[:strings.Index(src(KindFee), "　　如对本收费决定不服")] + "　　特此通知。{{.Agency.Phone}}", 0,
			[]string{"救济途径"}},
		{"reasons left out of a refusal", secret,
			strings.Replace(src(secret), `{{or .Reasons "【待填写：定密依据等不泄露秘密内容的理由】"}}`, "", 1), 0,
			[]string{"缺少理由"}},
		{"补正 items removed", KindCorrection,
			strings.Replace(src(KindCorrection), "{{$m.Label}}", "", 1), 0,
			[]string{"补正事项“有效身份证件号码”", "补正事项“所需政府信息"}},
		{"补正 deadline removed", KindCorrection,
			strings.Replace(src(KindCorrection), "{{.CorrectionDeadline.Chinese}}", "规定期限", 1), 0,
			[]string{"缺少补正期限"}},
		{"extension without new deadline", KindExtension,
			strings.Replace(src(KindExtension), "{{.NewDue.Chinese}}", "另行通知之日", -1), 0,
			[]string{"缺少延长后的答复期限"}},
		{"extension during a consultation without new deadline", KindExtension,
			strings.Replace(src(KindExtension), "最迟于{{.NewDue.Chinese}}届满", "另行通知", 1), 0,
			[]string{"缺少延长后的答复期限（可用 {{.NewDue.Chinese}}）（征求意见期间延期时）"}},
		{"unknown field", disclosed, insertLine(src(disclosed), 3, "{{.Foo}}"), 3,
			[]string{"不存在字段“Foo”"}},
		{"unknown function", KindReceipt, insertLine(src(KindReceipt), 5, "{{upper .ApplicantName}}"), 5,
			[]string{"未定义的函数“upper”"}},
		{"unclosed action", KindReceipt, insertLine(src(KindReceipt), 2, "{{.ApplicantName"), 2,
			[]string{"动作未闭合"}},
		{"if without end", KindReceipt, insertLine(src(KindReceipt), 4, "{{if .Reasons}}"), -1,
			[]string{"缺少 {{end}}"}},
		{"empty", KindReceipt, "  \n", 0, []string{"模板内容为空"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.kind, tt.text)
			if err == nil {
				t.Fatal("Validate accepted the text")
			}
			if gongkai.ErrorKind(err) != gongkai.EInvalid {
				t.Errorf("error kind = %s, want %s", gongkai.ErrorKind(err), gongkai.EInvalid)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %v carries no problems", err)
			}
			if tt.line >= 0 && ve.Problems[0].Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", ve.Problems[0].Line, tt.line, ve.Problems)
			}
			if tt.line > 0 && !strings.HasPrefix(ve.Problems[0].String(), "第") {
				t.Errorf("problem %q does not name its line", ve.Problems[0])
			}
			msg := gongkai.ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	// A procedural letter needs no remedy clause; a rewording that keeps every
	// required element passes; the basis may be written out by hand.
	receipt := strings.Replace(Defaults().Source(KindReceipt), "本回执仅表示", "请知悉：本回执仅表示", 1)
	if err := Validate(KindReceipt, receipt); err != nil {
		t.Errorf("reworded receipt refused: %v", err)
	}
	k := Kind(gongkai.ResultOther)
	short := "{{.ApplicantName}}：\n\n　　{{.Case.ReceivedOn.Chinese}}，“{{.Case.Description}}”：{{.Reasons}}\n\n" +
		"　　不服的，可于六十日内向{{.Agency.ReviewBody}}申请行政复议，或者于六个月内向{{.Agency.Court}}提起行政诉讼。\n\n　　电话：{{.Agency.Phone}}\n"
	if err := Validate(k, short); err != nil {
		t.Errorf("minimal result.other.other refused: %v", err)
	}
	if err := Validate("nonsense", short); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestValidateExecutesOtherBranches(t *testing.T) {
	// The main sample is not extended; the variant is. An error hidden in that
	// branch is still found, with its line.
	k := Kind(gongkai.ResultOther)
	text := insertLine(Defaults().Source(k), 2, "{{if .Case.Extended}}{{.Case.Nope}}{{end}}")
	err := Validate(k, text)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Line != 2 || !strings.Contains(ve.Problems[0].Reason, "不存在字段“Nope”") {
		t.Errorf("Validate = %v", err)
	}
}

func TestTemplateFieldsRender(t *testing.T) {
	// Every field the editor advertises works in a template.
	fields := TemplateFields()
	if len(fields) < 20 {
		t.Fatalf("only %d fields", len(fields))
	}
	for _, f := range fields {
		code := strings.ReplaceAll(f.Code, "键名", "delivery")
		tmpl, err := parse("help", code)
		if err != nil {
			t.Errorf("%s: %v", f.Code, err)
			continue
		}
		if _, err := execute(tmpl, KindCorrection, SampleData()); err != nil {
			t.Errorf("%s: %v", f.Code, err)
		}
	}
}

func TestTranslate(t *testing.T) {
	tests := []struct{ in, want string }{
		{`function "upper" not defined`, "未定义的函数“upper”"},
		{"can't evaluate field Foo in type replies.view", "不存在字段“Foo”"},
		{"wrong number of args for add: want 2 got 1", "函数“add”的参数个数错误：应为 2 个，实际为 1 个"},
		{"unexpected EOF", "模板意外结束：可能缺少 {{end}}"},
		{"something new", "模板错误：something new"},
	}
	for _, tt := range tests {
		if got := translate(tt.in); got != tt.want {
			t.Errorf("translate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
