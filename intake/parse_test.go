package intake

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		name, in, key, want string
		defect              string
	}{
		{"quoted", `text/plain; charset="gb2312"`, "charset", "gb2312", ""},
		{"rfc2231", `attachment; filename*=utf-8''%E8%90%A5%E4%B8%9A.pdf`, "filename", "营业.pdf", ""},
		{"rfc2231 gbk", `attachment; filename*=gbk''%D3%AA%D2%B5.pdf`, "filename", "营业.pdf", ""},
		{"continuation splits a character", "attachment; filename*0*=utf-8''%E6%B4%9B%E9%98%B3%E5%B8%82%E8%A5%BF%E5%B7%A5%E5%8C%BA%E4%BD;\n filename*1*=%8F%E6%88%BF.docx", "filename", "洛阳市西工区住房.docx", ""},
		{"continuation unencoded", `attachment; filename*0="a b"; filename*1=" c.txt"`, "filename", "a b c.txt", ""},
		{"rfc2047 in quotes", `attachment; filename="=?GBK?B?ye233dak1f23tMPmLmpwZw==?="`, "filename", "身份证正反面.jpg", ""},
		{"filename* preferred", `attachment; filename="=?utf-8?B?5Y+m?="; filename*=utf-8''%E5%A5%BD.pdf`, "filename", "好.pdf", ""},
		{"raw 8-bit", "attachment; filename=管理.doc", "filename", "管理.doc", DefectRaw8bitFilename},
		{"raw GBK bytes", "attachment; filename=\"" + string(gbk("申请表.doc")) + "\"", "filename", "申请表.doc", DefectRaw8bitFilename},
		{"unquoted boundary with =", "multipart/alternative; boundary=----=_NextPart_000_0093_01C81419.EB75E850", "boundary", "----=_NextPart_000_0093_01C81419.EB75E850", ""},
		{"unclosed quote", `text/plain; name="abc.txt`, "name", "abc.txt", ""},
		{"bare word skipped", `text/plain; foo; charset=utf-8`, "charset", "utf-8", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &defects{}
			mp := parseParams(tc.in, "", d)
			if got := mp.params[tc.key]; got != tc.want {
				t.Errorf("param %s = %q, want %q", tc.key, got, tc.want)
			}
			gotDefect := strings.Join(d.list, ",")
			if gotDefect != tc.defect {
				t.Errorf("defects = %q, want %q", gotDefect, tc.defect)
			}
		})
	}
	if mp := parseParams("multipart/alternative; boundary=----=_Part", "", nil); !mp.looseBoundary {
		t.Error("unquoted boundary with '=' not reported")
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct{ in, name, addr string }{
		{`"=?GBK?B?wfXQ49Oi?=" <LiuXY0923@Foxmail.example>`, "刘秀英", "LiuXY0923@Foxmail.example"},
		{`=?utf-8?b?6ZmI5b+X6L+c?= <chenzy1978@sina.example>`, "陈志远", "chenzy1978@sina.example"},
		{`MAILER-DAEMON@mail.zjj.xigong.example (Mail Delivery System)`, "Mail Delivery System", "MAILER-DAEMON@mail.zjj.xigong.example"}, // case kept as written
		{`'=?gb2312?B?wdaRY8PA?=' <other.address@some.domain>`, "林慶美", "other.address@some.domain"},
		{`13783180026@wo.example`, "", "13783180026@wo.example"},
		{`"Zhang, San" <zs@a.example>`, "Zhang, San", "zs@a.example"},
		{`=?unknown-8bit?q?=22test=22_=3Ctest=40test.com=3E?=`, "test", "test@test.com"},
		{`<ysqgk@zjj.xigong.example>`, "", "ysqgk@zjj.xigong.example"},
	}
	for _, tc := range tests {
		got := parseAddressList(tc.in, "", &defects{})
		if len(got) == 0 {
			t.Errorf("parseAddressList(%q): nothing", tc.in)
			continue
		}
		if got[0].name != tc.name || got[0].addr != tc.addr {
			t.Errorf("parseAddressList(%q) = %q <%s>, want %q <%s>", tc.in, got[0].name, got[0].addr, tc.name, tc.addr)
		}
	}
	list := parseAddressList(`a@x.example, "B" <b@x.example>; undisclosed-recipients:;`, "", nil)
	if len(list) != 2 || list[1].addr != "b@x.example" {
		t.Errorf("list = %+v, want two mailboxes", list)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Mon, 17 Feb 2025 20:13:41 +0800", "2025-02-17T20:13:41+08:00"},
		{"Fri, 28 Mar 2025 22:15:04 -0400", "2025-03-28T22:15:04-04:00"},
		{"Thu, 9 Nov 2023 10:49:44 +0100 (CET)", "2023-11-09T10:49:44+01:00"},
		{"22 Aug 2016 18:37:49 +0400", "2016-08-22T18:37:49+04:00"},
		{"Mon, 17 Feb 2025 20:13:41 CST", "2025-02-17T20:13:41+08:00"},
		{"Mon, 17 Feb 2025 20:13:41 +08:00", "2025-02-17T20:13:41+08:00"},
		{"Mon, 17 Feb 2025 20:13:41 GMT+8", "2025-02-17T20:13:41+08:00"},
		{"Mon,17 Feb 2025 20:13:41 +0800", "2025-02-17T20:13:41+08:00"},
		{"2025-02-17 20:13:41 +0800", "2025-02-17T20:13:41+08:00"},
		{"2025-02-17 20:13:41", "2025-02-17T20:13:41+08:00"},
		{"Mon Feb 17 20:13:41 2025", "2025-02-17T20:13:41+08:00"},
		{"Mon, 17 Feb 25 20:13:41 +0800", "2025-02-17T20:13:41+08:00"},
		{"garbage", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got := parseDate(tc.in)
		s := ""
		if !got.IsZero() {
			s = got.Format(time.RFC3339)
		}
		if s != tc.want {
			t.Errorf("parseDate(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestDecodeHeaderText(t *testing.T) {
	tests := []struct{ name, in, want, defect string }{
		{"adjacent words joined", "=?utf-8?b?55Sz6K+35YWs5byA?= =?utf-8?b?5L+h5oGv?=", "申请公开信息", ""},
		{"text kept around words", "Re: =?utf-8?b?55Sz6K+3?= 2", "Re: 申请 2", ""},
		{"character split across words", "=?utf-8?q?=E7=94?= =?utf-8?q?=B3?=", "申", DefectEncodedWordSplit},
		{"gbk split across words", "=?gbk?b?yerH?= =?gbk?b?6w==?=", "申请", DefectEncodedWordSplit},
		{"lower-case q, underscores", "=?UTF-8?q?a_b=E2=98=BA?=", "a b☺", ""},
		{"raw utf-8", "示例邮件", "示例邮件", DefectRaw8bitHeader},
		{"word glued to text", "Re:=?utf-8?b?5aW9?=", "Re:好", ""},
		{"mislabelled word", "=?gb2312?b?" + base64.StdEncoding.EncodeToString([]byte("代开发票")) + "?=", "代开发票", DefectCharsetMislabel},
		{"not a word", "=?x", "=?x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &defects{}
			got := decodeHeaderText(tc.in, "", d)
			if got != tc.want {
				t.Errorf("decodeHeaderText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.Join(d.list, ",") != tc.defect {
				t.Errorf("defects = %v, want %q", d.list, tc.defect)
			}
		})
	}
}

func makeDocx(t *testing.T, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDocxText(t *testing.T) {
	doc := makeDocx(t, `<w:p><w:r><w:t>申请表</w:t></w:r></w:p>`+
		`<w:p><w:r><w:t xml:space="preserve">姓名：</w:t></w:r><w:r><w:t>白雪</w:t></w:r></w:p>`+
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>证件号码</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>410303199202100820</w:t></w:r></w:p></w:tc></w:tr></w:tbl>`+
		`<w:p><w:r><w:t>一</w:t><w:br/><w:t>二</w:t></w:r></w:p>`)
	got, err := docxText(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := "申请表\n姓名：白雪\n证件号码：410303199202100820\n一\n二"
	if got != want {
		t.Errorf("docxText = %q, want %q", got, want)
	}
	if _, err := docxText([]byte("not a zip")); err == nil {
		t.Error("docxText accepted a non-zip")
	}
}

func buildMessage(parts ...string) []byte {
	return []byte(strings.Join(parts, "\r\n"))
}

func TestParseWithMaxAttachment(t *testing.T) {
	doc := makeDocx(t, `<w:p><w:r><w:t>所需信息：施工许可证目录</w:t></w:r></w:p>`)
	raw := buildMessage(
		"From: a@b.example",
		"Subject: x",
		"Content-Type: multipart/mixed; boundary=b",
		"",
		"--b",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"见附件",
		"--b",
		"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name=a.docx",
		"Content-Transfer-Encoding: base64",
		"",
		base64.StdEncoding.EncodeToString(doc),
		"--b--",
		"")
	em, err := ParseWith(raw, Options{MaxAttachment: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(em.Attachments) != 1 {
		t.Fatalf("attachments = %d", len(em.Attachments))
	}
	a := em.Attachments[0]
	if len(a.Data) != 10 || a.Size != len(doc) {
		t.Errorf("Data %d bytes, Size %d; want 10 and %d", len(a.Data), a.Size, len(doc))
	}
	if a.Text != "所需信息：施工许可证目录" {
		t.Errorf("Text = %q: docx text must come from the whole file", a.Text)
	}
	if a.Sniffed != "application/zip" {
		t.Errorf("Sniffed = %q", a.Sniffed)
	}
	if em.Malformed {
		t.Errorf("size cap made the message Malformed: %v", em.Defects)
	}
	full, _ := Parse(raw)
	if !bytes.Equal(full.Attachments[0].Data, doc) {
		t.Error("uncapped Data differs from the file")
	}
}

func TestParseNothingReadable(t *testing.T) {
	for _, in := range []string{"", "  \r\n"} {
		em, err := Parse([]byte(in))
		if !errors.Is(err, ErrEmpty) || em == nil || !em.Malformed {
			t.Errorf("Parse(%q) = %+v, %v; want Malformed Email and ErrEmpty", in, em, err)
		}
	}
	em, err := Parse([]byte("就一句话，没有信头\n第二行"))
	if !errors.Is(err, ErrNoHeader) || em == nil || !em.Malformed {
		t.Fatalf("no header: %+v, %v", em, err)
	}
	if !strings.Contains(em.Text, "就一句话") {
		t.Errorf("Text = %q, want the body kept", em.Text)
	}
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		name   string
		raw    []byte
		text   string
		atts   string
		defect string
	}{
		{"mbox From line", buildMessage("From a@b.example Mon May  2 16:07:05 2005", "From: a@b.example", "Subject: s", "", "body"), "body", "", ""},
		{"missing close boundary", buildMessage("Content-Type: multipart/mixed; boundary=x", "", "--x", "Content-Type: text/plain", "", "one", "--x", "Content-Type: text/plain; name=a.txt", "", "two"), "one", "a.txt", DefectMissingCloseBoundary},
		{"boundary matches nothing", buildMessage("Content-Type: multipart/alternative; boundary=wrong", "", "--right", "Content-Type: text/plain", "", "text", "--right--"), "text", "", DefectBoundaryMismatch},
		{"multipart without body", buildMessage("Content-Type: multipart/mixed; boundary=x", "", ""), "", "", DefectTruncated},
		{"blank line missing in part", buildMessage("Content-Type: multipart/mixed; boundary=x", "", "--x", "Content-Type: text/plain", "正文第一行", "--x--"), "正文第一行", "", DefectBadHeaderLine},
		{"nested prefix boundary", buildMessage("Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: multipart/alternative; boundary=b_ALT", "", "--b_ALT", "Content-Type: text/plain", "", "alt text", "--b_ALT--", "--b", "Content-Type: image/png; name=p.png", "Content-Disposition: inline", "Content-Transfer-Encoding: base64", "", "iVBORw0KGgo=", "--b--"), "alt text", "p.png", ""},
		{"base64 cut mid-quantum", buildMessage("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", "5L2g5aW95Y"), "你好", "", DefectTruncated},
		{"qp soft breaks", buildMessage("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", "=E4=BD=A0=", "=E5=A5=BD =3D ok"), "你好 = ok", "", ""},
		{"headers only", buildMessage("From: a@b.example", "Subject: s"), "", "", ""},
		{"blank line before headers", buildMessage("", "From: a@b.example", "Subject: s", "", "body"), "body", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			em, _ := parse(tc.raw, Options{})
			if em.Text != tc.text {
				t.Errorf("Text = %q, want %q", em.Text, tc.text)
			}
			if got := attachmentNames(em); got != tc.atts {
				t.Errorf("attachments = %q, want %q", got, tc.atts)
			}
			got := strings.Join(em.Defects, ",")
			if tc.defect == "" && got != "" || tc.defect != "" && !strings.Contains(got, tc.defect) {
				t.Errorf("defects = %q, want %q", got, tc.defect)
			}
			if em.Malformed != (got != "") {
				t.Errorf("Malformed = %v with defects %q", em.Malformed, got)
			}
		})
	}
}

func TestParseForwardAndReply(t *testing.T) {
	fwd := buildMessage("From: xxgk@xigong.example", "Subject: =?utf-8?b?6L2s5Y+ROiDnlLPor7c=?=", "Content-Type: text/plain; charset=utf-8", "",
		"转来申请一件。", "", "-------- 转发邮件信息 --------", "发件人：\"张丽华\" <z@126.example>", "发送日期：2025-03-04 20:41:17", "", "我申请公开安置房分配方案。")
	em, _ := Parse(fwd)
	if !strings.Contains(em.NewText, "我申请公开安置房分配方案") || em.Quoted != "" {
		t.Errorf("forward: NewText=%q Quoted=%q; the forwarded request must stay in NewText", em.NewText, em.Quoted)
	}
	att := buildMessage("From: xxgk@xigong.example", "Subject: Fwd: =?utf-8?b?55Sz6K+3?=", "Content-Type: multipart/mixed; boundary=b", "",
		"--b", "Content-Type: text/plain; charset=utf-8", "", "转来申请一件。",
		"--b", "Content-Type: message/rfc822", "",
		"From: =?utf-8?b?5byg5Li95Y2O?= <z@126.example>", "Subject: =?utf-8?b?55Sz6K+3?=", "Content-Type: text/plain; charset=utf-8", "", "我申请公开安置房分配方案。",
		"--b--")
	em, _ = Parse(att)
	if !strings.Contains(em.NewText, "转来申请一件。") || !strings.Contains(em.NewText, "我申请公开安置房分配方案。") || !strings.Contains(em.NewText, "张丽华 <z@126.example>") {
		t.Errorf("forward as attachment: NewText=%q", em.NewText)
	}
	if strings.Contains(em.Text, "我申请公开") {
		t.Errorf("Text=%q must stay the outer body", em.Text)
	}
	reply := buildMessage("From: a@163.example", "Subject: Re: x", "In-Reply-To: <notice-GK-2025-000047@zjj.xigong.example>", "References: <a@x> <b@y>", "Content-Type: text/plain; charset=utf-8", "",
		"补正如下。", "-----原始邮件-----", "发件人: 住建局", "发送时间: 2025年3月5日", "请补正 GK-2025-000047")
	em, _ = Parse(reply)
	if em.NewText != "补正如下。" || !strings.Contains(em.Quoted, "GK-2025-000047") {
		t.Errorf("reply: NewText=%q Quoted=%q", em.NewText, em.Quoted)
	}
	if strings.Join(em.InReplyTo, ",") != "notice-GK-2025-000047@zjj.xigong.example" || strings.Join(em.References, ",") != "a@x,b@y" {
		t.Errorf("InReplyTo=%v References=%v", em.InReplyTo, em.References)
	}
}
