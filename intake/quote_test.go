package intake

import "testing"

func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		name, in, newText, quoted string
	}{
		{"no quote", "您好，\n申请公开……", "您好，\n申请公开……", ""},
		{"> lines", "已补正。\n> 原告知书\n> 第二行", "已补正。", "> 原告知书\n> 第二行"},
		{"163 写道", "补充如下。\n\n在 2025-03-05 10:12:33，\"西工区住建局\" <ysqgk@zjj.xigong.example> 写道：\n>马红梅：\n>请补正。",
			"补充如下。", "在 2025-03-05 10:12:33，\"西工区住建局\" <ysqgk@zjj.xigong.example> 写道：\n>马红梅：\n>请补正。"},
		{"gmail chinese", "谢谢。\n\n张三 <a@b.example> 于2025年3月1日周六 10:00写道：\n> 原文", "谢谢。", "张三 <a@b.example> 于2025年3月1日周六 10:00写道：\n> 原文"},
		{"outlook 原始邮件", "撤回申请。\n\n-----原始邮件-----\n发件人: 住建局\n发送时间: 2025年3月1日\n主题: 受理回执", "撤回申请。", "-----原始邮件-----\n发件人: 住建局\n发送时间: 2025年3月1日\n主题: 受理回执"},
		{"qq 原始邮件", "好的\n------------------ 原始邮件 ------------------\n发件人: \"住建局\"<ysqgk@zjj.xigong.example>;\n发送时间: 2025年3月1日(星期六) 上午10:00",
			"好的", "------------------ 原始邮件 ------------------\n发件人: \"住建局\"<ysqgk@zjj.xigong.example>;\n发送时间: 2025年3月1日(星期六) 上午10:00"},
		{"发件人 block", "收到。\n\n发件人：ysqgk@zjj.xigong.example\n发送时间：2025-03-01 10:00\n收件人：我\n主题：告知书", "收到。", "发件人：ysqgk@zjj.xigong.example\n发送时间：2025-03-01 10:00\n收件人：我\n主题：告知书"},
		{"outlook english", "Thanks.\n________________________________\nFrom: Bureau <a@b.example>\nSent: Monday, March 3, 2025 10:00 AM\nTo: me", "Thanks.", "________________________________\nFrom: Bureau <a@b.example>\nSent: Monday, March 3, 2025 10:00 AM\nTo: me"},
		{"on wrote", "OK.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Bureau <a@b.example> wrote:\n> text", "OK.", "On Mon, Mar 3, 2025 at 10:00 AM Bureau <a@b.example> wrote:\n> text"},
		{"on wrote wrapped", "OK.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Bureau <\na@b.example> wrote:\n> text", "OK.", "On Mon, Mar 3, 2025 at 10:00 AM Bureau <\na@b.example> wrote:\n> text"},
		{"from line without sent is text", "发件人：张三\n申请公开某某信息。", "发件人：张三\n申请公开某某信息。", ""},
		{"bottom posting", "> 问题一\n回答一\n> 问题二\n回答二", "回答一\n回答二", "> 问题一\n> 问题二"},
		{"条例 写道 is not a marker", "《条例》第十条写道：\n行政机关应当……", "《条例》第十条写道：\n行政机关应当……", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, q := SplitQuoted(tc.in)
			if n != tc.newText || q != tc.quoted {
				t.Errorf("SplitQuoted(%q)\n got new=%q quoted=%q\nwant new=%q quoted=%q", tc.in, n, q, tc.newText, tc.quoted)
			}
		})
	}
}

func TestIsForward(t *testing.T) {
	tests := []struct {
		subject, text string
		want          bool
	}{
		{"转发: 申请公开棚改安置房分配方案", "", true},
		{"Fwd: request", "", true},
		{"FW: 申请", "", true},
		{"Re: 申请", "好的\n-----原始邮件-----", false},
		{"申请", "请办理。\n-------- 转发邮件信息 --------\n发件人：张三", true},
		{"申请", "---------- Forwarded message ---------\nFrom: a", true},
		{"申请", "补正。\n在 2025-03-05 写道：\n> -------- 转发邮件信息 --------", false},
	}
	for _, tc := range tests {
		if got := isForward(tc.subject, tc.text); got != tc.want {
			t.Errorf("isForward(%q, %q) = %v, want %v", tc.subject, tc.text, got, tc.want)
		}
	}
}
