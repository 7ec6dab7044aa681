package classifier

import (
	"strings"
	"testing"
	"time"

	"gongkai"
)

func newC(t testing.TB, opts ...Option) *Classifier {
	t.Helper()
	c, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func mail(subject, from, body string) *gongkai.Email {
	name, addr, _ := strings.Cut(from, "|")
	return &gongkai.Email{Subject: subject, FromName: name, FromAddr: addr, To: []string{"ysqgk@zjj.xigong.example"},
		Text: body, NewText: body, Header: map[string][]string{}, MediaType: "text/plain",
		Date: time.Date(2025, 5, 6, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))}
}

func TestNature(t *testing.T) {
	c := newC(t)
	tests := []struct {
		name      string
		e         *gongkai.Email
		want      gongkai.MessageKind
		isRequest bool
		dept      string
	}{
		{"delivery-status report", func() *gongkai.Email {
			e := mail("Delivery Status Notification (Failure)", "|postmaster@mx.example", "Delivery has failed to these recipients")
			e.MediaType, e.ReportType = "multipart/report", "delivery-status"
			return e
		}(), gongkai.KindBounce, false, ""},
		{"provider 退信 notice by subject", mail("系统退信", "|mailer-daemon@163.example", "很抱歉，您的邮件无法投递。"), gongkai.KindBounce, false, ""},
		{"read receipt", func() *gongkai.Email {
			e := mail("已读: 受理回执（GK-2025-000101）", "李四|lisi@qq.example", "您的邮件已被阅读")
			e.MediaType, e.ReportType = "multipart/report", "disposition-notification"
			return e
		}(), gongkai.KindAutoReply, false, ""},
		{"out-of-office without headers", mail("Re: 补正告知书", "王五|wangwu@126.example", "您好，我正在休假期间，暂时无法回复邮件，返回后尽快回复。"), gongkai.KindAutoReply, false, ""},
		{"auto-replied header despite case number", func() *gongkai.Email {
			e := mail("Re: 答复书（GK-2025-000077）", "张三|zs@x.example", "收到")
			e.Header["Auto-Submitted"] = []string{"auto-replied"}
			return e
		}(), gongkai.KindAutoReply, false, ""},
		{"advertising spam", mail("企业推广优惠", "市场部|ad@ads.example", "本公司提供网站建设、网络营销服务，价格优惠，加微信咨询。"), gongkai.KindSpam, false, ""},
		{"reply in a bureau thread", func() *gongkai.Email {
			e := mail("Re: 告知书", "刘一|liu1@163.example", "我已经收到，谢谢。请问纸质件什么时候寄出？")
			e.InReplyTo = []string{"notice-GK-2025-000088@zjj.xigong.example"}
			return e
		}(), gongkai.KindFollowup, false, Office},
		{"withdrawal quoting its case number", mail("撤回申请", "孙二|sun2@qq.example", "我申请撤回GK-2025-000090号申请。"), gongkai.KindFollowup, false, Office},
		{"complaint framed as request", mail("政府信息公开申请", "赵六|z6@qq.example", "依据政府信息公开条例申请：请贵局立即查处幸福里小区违章搭建，并给我一个说法。\n赵六 13800000000"), gongkai.KindComplaint, true, Office},
		{"plain complaint", mail("举报", "钱七|q7@qq.example", "我要举报某工地拖欠农民工工资，请你们尽快处理。"), gongkai.KindComplaint, false, Office},
		{"consultation", mail("问一下", "|13900001111@wo.example", "请问经济适用房现在还能申请吗？需要什么条件？"), gongkai.KindConsultation, false, Office},
		{"publication", mail("索取年鉴", "周八|z8@126.example", "申请贵局提供一本《西工区住房和城乡建设年鉴（2023）》，我可以自行领取。"), gongkai.KindPublication, true, Office},
		{"confirm or re-issue", mail("补发答复书", "吴九|w9@126.example", "贵局去年给我的答复书丢失了，请补发一份并加盖公章。"), gongkai.KindConfirmReissue, true, Office},
		{"portal relay with auto-generated header", func() *gongkai.Email {
			e := mail("【依申请公开】新申请提醒：WS2025", "信息公开平台|noreply@gkpt.example", "申请人类型：公民\n姓名：郑十\n证件号码：110101199003074477\n联系电话：13811112222\n所需信息内容描述：2024年西工区保障性租赁住房项目清单\n获取信息方式：电子邮件")
			e.Header["Auto-Submitted"] = []string{"auto-generated"}
			return e
		}(), gongkai.KindRequest, true, "住房保障股"},
		{"plain request", mail("申请公开", "冯十一|f11@163.example", "申请公开西工区2024年核发的商品房预售许可证清单。\n冯十一\n身份证：110101199003074477\n电话：13611112222"), gongkai.KindRequest, true, "房地产市场监管股"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := c.Classify(tc.e, nil)
			if v.Nature != tc.want {
				t.Fatalf("nature = %s, want %s (reasons %v)", v.Nature, tc.want, v.Reasons)
			}
			if v.IsRequest != tc.isRequest {
				t.Errorf("is_request = %v, want %v", v.IsRequest, tc.isRequest)
			}
			if v.Department != tc.dept {
				t.Errorf("department = %q, want %q", v.Department, tc.dept)
			}
			hasNatureReason := false
			for _, r := range v.Reasons {
				if r.Field == "nature" && r.Rule != "" {
					hasNatureReason = true
				}
			}
			if !hasNatureReason {
				t.Errorf("no reason given for the nature")
			}
			if v.Nature == gongkai.KindAutoReply || v.Nature == gongkai.KindBounce || v.Nature == gongkai.KindSpam {
				if v.ApplicantType != "" || v.Department != "" {
					t.Errorf("machine mail has applicant_type %q department %q", v.ApplicantType, v.Department)
				}
			}
		})
	}
}

func TestRouting(t *testing.T) {
	c := newC(t)
	tests := []struct{ desc, want string }{
		{"西工区2024年度公共租赁住房配租名单", "住房保障股"},
		{"幸福小区专项维修资金使用明细", "物业管理股"},
		{"金谷园路项目的建筑工程施工许可证", "建筑市场监管股"},
		{"和园小区的竣工验收备案表", "质量安全监督站"},
		{"道北片区房屋征收补偿方案", "城建股"},
		{"2024年行政处罚决定书", "法规股"},
		{"翠湖项目网签备案成交均价", "房地产市场监管股"},
		{"贵局2024年部门决算和三公经费", Office},
		{"锦华苑的预售许可证和施工许可证", Office}, // two departments → the office coordinates
		{"你局的全部文件", Office},         // nothing to route by
	}
	for _, tc := range tests {
		v := c.ClassifyText("", "申请公开"+tc.desc+"。", nil)
		if v.Department != tc.want {
			t.Errorf("%s: department = %q, want %q (reasons %v)", tc.desc, v.Department, tc.want, v.Reasons)
		}
	}
	// Staff rules override the defaults.
	c2 := newC(t, WithRoutingRules([]RoutingRule{
		{ID: 1, Department: "城建股", Pattern: "维修资金", Enabled: true},
		{ID: 2, Department: "法规股", Pattern: "信用评价", Enabled: true, Priority: 5},
	}))
	if v := c2.ClassifyText("", "申请公开幸福小区维修资金使用明细。", nil); v.Department != "物业管理股" {
		// "专项维修资金" stays with 物业管理股 only when written in full; here "维修资金" moved.
		if v.Department != "城建股" {
			t.Errorf("override: department = %q, want 城建股", v.Department)
		}
	}
	if v := c2.ClassifyText("", "申请公开2024年物业服务企业信用评价结果。", nil); v.Department != Office && v.Department != "法规股" {
		t.Errorf("added rule: department = %q", v.Department)
	}
	if len(DefaultRoutingRules()) < 50 {
		t.Errorf("DefaultRoutingRules: %d rules, want the shipped set", len(DefaultRoutingRules()))
	}
}

type fakeHistory []struct {
	key ApplicantKey
	p   Prior
}

func (h fakeHistory) PriorRequests(k ApplicantKey) []Prior {
	var out []Prior
	for _, x := range h {
		if x.key.IDNumber == k.IDNumber {
			out = append(out, x.p)
		}
	}
	return out
}

func TestDuplicateAndMissing(t *testing.T) {
	c := newC(t)
	h := fakeHistory{{ApplicantKey{IDNumber: "110101199003074477"}, Prior{Ref: "GK-2025-000012", Description: "西工区2024年核发的商品房预售许可证清单", Answered: true}}}
	v := c.ClassifyText("", "申请公开西工区2024年核发的商品房预售许可证清单。\n冯十一\n身份证：110101199003074477\n电话：13611112222", h)
	if v.DuplicateOf != "GK-2025-000012" || v.Nature != gongkai.KindRequest || !v.IsRequest {
		t.Errorf("duplicate: got dup %q nature %s", v.DuplicateOf, v.Nature)
	}
	v = c.ClassifyText("", "申请公开西工区2024年核发的施工许可证清单。\n冯十一\n身份证：110101199003074477", h)
	if v.DuplicateOf != "" {
		t.Errorf("different request marked duplicate of %q", v.DuplicateOf)
	}
	if strings.Join(v.MissingFields, ",") != "" {
		// No phone, no address, no e-mail in free text: contact is missing.
		if strings.Join(v.MissingFields, ",") != "contact" {
			t.Errorf("missing = %v, want [contact]", v.MissingFields)
		}
	} else {
		t.Errorf("missing = [], want [contact]")
	}
	v = c.ClassifyText("", "请公开你局所有文件，越全越好。\n身份证：110101199003074476\n电话：13611112222", nil)
	want := "description,id_number,name"
	if got := strings.Join(v.MissingFields, ","); got != want {
		t.Errorf("missing = %s, want %s", got, want)
	}
}
