package chatbot

import (
	"context"
	"strings"
	"testing"

	"gongkai"
)

const (
	askPhone  = "请留一个联系电话（手机或座机，座机请加区号）。"
	badPhone  = "联系电话格式不正确（手机号为11位，座机请加区号）。"
	askLegal  = "请告诉我单位的法定代表人或负责人姓名。"
	prShape   = "身份证件号码有问题：外国人永久居留身份证号码应为18位（以9开头），旧版为15位（3个英文字母加12位数字）。"
	prCheck   = "身份证件号码有问题：外国人永久居留身份证号码校验位不正确。"
	requested = "申请公开2024年西工区翠湖名苑项目3号楼预售许可证"
)

// TestPhonesAsked: asked for the phone, the bot takes a landline with its
// area code in brackets (half- or full-width) and one with an extension
// after a dash, 转 or 分机, stored as the form stores them; a number too
// short, too long or with a too long extension is refused in the form's
// words and asked again, never cut to a valid one.
func TestPhonesAsked(t *testing.T) {
	for _, tc := range []struct{ say, want, reply string }{
		{"(0379)6321 5678", "0379-63215678", ""},
		{"（0379）63215678", "0379-63215678", ""},
		{"（0379） 6321-5678", "0379-63215678", ""},
		{"电话(010)12345678", "010-12345678", ""},
		{"0379-63215678", "0379-63215678", ""},
		{"（0379）6321 567", "0379-6321567", ""},
		{"0379-632 1567", "0379-6321567", ""},
		{"0379-63215678-801", "0379-63215678-801", ""},
		{"(0379)6321 5678-801", "0379-63215678-801", ""},
		{"0379 6321 5678 转 801", "0379-63215678-801", ""},
		{"座机（0379）63215678分机801", "0379-63215678-801", ""},
		{"13800000000", "13800000000", ""},
		{"+86 138 0000 0000", "13800000000", ""},
		{"0086 13800000000", "13800000000", ""},
		{"1380000000", "", badPhone},
		{"138000000001", "", badPhone},
		{"213800000000", "", badPhone},
		{"(0379)632156", "", badPhone},
		{"0379-63215678-8012345", "", badPhone},
		{"电话0379632156781", "", badPhone},
		{"电话 abc", "", askPhone},
	} {
		e, st := chatAfter(t, requested, "个人", "张三", "身份证号110101199003074477")
		if st.Asking != "phone" {
			t.Fatalf("after the ID number the bot asks for %q, want phone", st.Asking)
		}
		r := e.Turn(context.Background(), st, tc.say)
		got := gongkai.NormalizePhone(st.App.Phone)
		if got != tc.want {
			t.Errorf("%q: phone %q (bot: %s), want %q", tc.say, got, r.Text, tc.want)
		}
		if tc.want != "" && !strings.Contains(r.Text, "已记录：联系电话") {
			t.Errorf("%q: phone not acknowledged: %s", tc.say, r.Text)
		}
		if tc.reply != "" && (!strings.Contains(r.Text, tc.reply) || st.Asking != "phone") {
			t.Errorf("%q: bot %q (asking %q), want %q and the phone asked again", tc.say, r.Text, st.Asking, tc.reply)
		}
	}
}

// TestPhoneInAMessage: a phone given with the rest of the application or
// as a correction — a landline with brackets and an extension, a mobile
// with 0086 and no word before it — is the phone and not part of the
// information requested.
func TestPhoneInAMessage(t *testing.T) {
	const first = "我叫张三，身份证号110101199003074477，电话13800000000，申请公开西工区2024年老旧小区改造项目清单，自取"
	for _, tc := range []struct {
		turns []string
		want  string
	}{
		{[]string{"我叫张三，身份证号110101199003074477，电话（0379）6321 5678转801，申请公开西工区2024年老旧小区改造项目清单，自取"}, "0379-63215678-801"},
		{[]string{"我叫张三，身份证号110101199003074477，申请公开西工区2024年老旧小区改造项目清单，(0379)63215678-801，自取"}, "0379-63215678-801"},
		{[]string{"我叫张三，身份证号110101199003074477，申请公开西工区2024年老旧小区改造项目清单，0086 13800000000，自取"}, "13800000000"},
		{[]string{first, "电话改为（0379）63215678-801"}, "0379-63215678-801"},
		{[]string{first, "电话写错了，是(010)1234 5678"}, "010-12345678"},
	} {
		_, st := chatAfter(t, tc.turns...)
		if got := gongkai.NormalizePhone(st.App.Phone); got != tc.want || st.App.Description != "西工区2024年老旧小区改造项目清单" || st.Stage != StageConfirm {
			t.Errorf("%q: phone %q, description %q, stage %q; want phone %q", tc.turns, got, st.App.Description, st.Stage, tc.want)
		}
	}
}

// TestPermanentResidenceCard: the 外国人永久居留身份证 is taken in both of
// its formats — the 15 characters of the cards issued before December 2023
// (3 letters + 12 digits, in either case) by its shape, the 18 of the 2023
// card by its check — named or not; other shapes are refused in words.
func TestPermanentResidenceCard(t *testing.T) {
	const pr = "外国人永久居留身份证"
	for _, tc := range []struct{ say, typ, num, reply string }{
		{"外国人永久居留身份证 USA110070117001", pr, "USA110070117001", ""},
		{"永久居留证号码usa110070117001", pr, "USA110070117001", ""},
		{"绿卡 USA110070117001", pr, "USA110070117001", ""},
		{"USA110070117001", pr, "USA110070117001", ""},
		{"外国人永久居留身份证 911840199003070014", pr, "911840199003070014", ""},
		{"永居证号码91184019900307009x", pr, "91184019900307009X", ""},
		{"911840199003070014", pr, "911840199003070014", ""}, // no 身份证 number starts with 9
		{"身份证号110101199003074477", "", "110101199003074477", ""},
		{"外国人永久居留身份证 911840199003070015", "", "", prCheck},
		{"外国人永久居留身份证 USA1100701170012", "", "", prShape},
		{"外国人永久居留身份证 US1100701170011", "", "", prShape},
		{"911840199003070015", "", "", prCheck}, // no 身份证 starts with 9: a card number with a wrong check
	} {
		e, st := chatAfter(t, requested, "个人", "张三")
		if st.Asking != "id_number" {
			t.Fatalf("after the name the bot asks for %q, want id_number", st.Asking)
		}
		r := e.Turn(context.Background(), st, tc.say)
		if st.App.IDType != tc.typ || st.App.IDNumber != tc.num {
			t.Errorf("%q: %q %q (bot: %s), want %q %q", tc.say, st.App.IDType, st.App.IDNumber, r.Text, tc.typ, tc.num)
		}
		if tc.reply != "" && (!strings.Contains(r.Text, tc.reply) || st.Asking != "id_number") {
			t.Errorf("%q: bot %q (asking %q), want %q and the number asked again", tc.say, r.Text, st.Asking, tc.reply)
		}
	}
}

// TestOrganisationNeedsLegalRep: an organisation's application is not
// filed without its 法定代表人/负责人 (RULES.md §6.2): the bot asks for
// it, and 确认提交 before it is given files nothing.
func TestOrganisationNeedsLegalRep(t *testing.T) {
	var filed []gongkai.Application
	e := testEngine(t, &filed)
	st := &State{ID: "test"}
	var r Reply
	for _, m := range []string{"我们公司想申请公开西工区2024年建筑工程施工许可证发放名单", "洛阳市恒达建筑有限公司",
		"统一社会信用代码91350100M000100Y43", "联系人王芳，电话13700000001，自取"} {
		r = e.Turn(context.Background(), st, m)
	}
	if st.Asking != "legal_rep" || st.Stage == StageConfirm || !strings.Contains(r.Text, askLegal) {
		t.Fatalf("without a 法定代表人: asking %q, stage %q, bot: %s", st.Asking, st.Stage, r.Text)
	}
	if r = e.Turn(context.Background(), st, "确认提交"); len(filed) != 0 || st.Asking != "legal_rep" {
		t.Fatalf("确认提交 without a 法定代表人: filed %d, asking %q, bot: %s", len(filed), st.Asking, r.Text)
	}
	e.Turn(context.Background(), st, "赵六")
	if r = e.Turn(context.Background(), st, "确认提交"); len(filed) != 1 || filed[0].LegalRep != "赵六" {
		t.Errorf("with the 法定代表人: filed %+v, bot: %s", filed, r.Text)
	}
}

// TestPermanentResidenceInAMessage: given with the rest of the application,
// a number of the old card's shape is the ID number without its document's
// name, and one after the card's name is taken for it even when its shape
// is wrong, to be refused in the card's words.
func TestPermanentResidenceInAMessage(t *testing.T) {
	const pr = "外国人永久居留身份证"
	for _, tc := range []struct{ say, typ, num, reply string }{
		{"我叫张三，USA110070117001，电话13800000000，" + requested + "，自取", pr, "USA110070117001", ""},
		{"我叫张三，永居证号码usa110070117001，电话13800000000，" + requested + "，自取", pr, "USA110070117001", ""},
		{"我叫张三，永居证号码USA1100701170012，电话13800000000，" + requested + "，自取", "", "", prShape},
		{"我叫张三，绿卡号码USA1100701170012，电话13800000000，" + requested + "，自取", "", "", prShape},
		// The card named, but the number given is a 身份证's.
		{"我叫张三，我在国外有绿卡，但用身份证110101199003074477，电话13800000000，" + requested + "，自取", "", "110101199003074477", ""},
	} {
		e, st := chatAfter(t)
		got := e.Turn(context.Background(), st, tc.say)
		if st.App.IDType != tc.typ || st.App.IDNumber != tc.num {
			t.Errorf("%q: %q %q (bot: %s), want %q %q", tc.say, st.App.IDType, st.App.IDNumber, got.Text, tc.typ, tc.num)
		}
		if tc.reply != "" && !strings.Contains(got.Text, tc.reply) {
			t.Errorf("%q: bot %q, want %q", tc.say, got.Text, tc.reply)
		}
	}
}

// TestIDCorrectionKeepsPhone: "证件号码改为…" corrects the ID number; the
// bare 号码 in it does not name the phone, which stays as given.
func TestIDCorrectionKeepsPhone(t *testing.T) {
	for _, say := range []string{"证件号码改为11010519491231002X", "身份证号码写错了，应该是11010519491231002X"} {
		e, st := chatAfter(t, requested, "个人", "张三", "身份证号110101199003074477", "13800000000")
		r := e.Turn(context.Background(), st, say)
		if st.App.IDNumber != "11010519491231002X" || st.App.Phone != "13800000000" {
			t.Errorf("%q: ID %q, phone %q (bot: %s); want the new ID and the phone kept", say, st.App.IDNumber, st.App.Phone, r.Text)
		}
	}
}

// TestSpacedNumberIsNoPhone: a number in groups with spaces is a phone
// only after a phone word or when the phone was asked for, not in the
// description of the information wanted.
func TestSpacedNumberIsNoPhone(t *testing.T) {
	_, st := chatAfter(t, "我叫张三，身份证号110101199003074477，申请公开宗地编号0410 2023 0015的出让合同，自取")
	if st.App.Phone != "" || st.Asking != "phone" {
		t.Errorf("phone %q, asking %q; want no phone and the phone asked for", st.App.Phone, st.Asking)
	}
	if !strings.Contains(st.App.Description, "0410 2023 0015") {
		t.Errorf("description %q lost the parcel number", st.App.Description)
	}
	// With a phone written otherwise in the same message, that is the phone.
	_, st = chatAfter(t, "我叫张三，身份证号110101199003074477，申请公开宗地编号0410 2023 0015的出让合同，自取，电话0379-62331234")
	if got := gongkai.NormalizePhone(st.App.Phone); got != "0379-62331234" {
		t.Errorf("phone %q, want 0379-62331234", got)
	}
	// A letter that grows when upper-cased before the number (no panic).
	_, st = chatAfter(t, strings.Repeat("ɐ", 40)+"110101199003074477")
	if st.App.IDNumber != "110101199003074477" {
		t.Errorf("ID %q after IPA letters", st.App.IDNumber)
	}
}
