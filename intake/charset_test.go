package intake

import (
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

func gbk(s string) []byte {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func big5(s string) []byte {
	b, err := traditionalchinese.Big5.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeCharset(t *testing.T) {
	const simp = "申请公开和园小区3号楼竣工验收资料，请以电子邮件答复。"
	const trad = "申請公開道南路51號房屋徵收資料，請以電子郵件回覆。"
	tests := []struct {
		name, label string
		in          []byte
		want        string
		mislabelled bool
	}{
		{"utf-8", "utf-8", []byte(simp), simp, false},
		{"ascii", "us-ascii", []byte("hello"), "hello", false},
		{"gb2312 is read as GBK", "gb2312", gbk("梁祐晟，林慶美"), "梁祐晟，林慶美", false},
		{"x-gbk alias", "X-GBK", gbk(simp), simp, false},
		{"quoted label", `"GBK"`, gbk(simp), simp, false},
		{"gb18030 four-byte", "gb18030", gbk("𠀀㐀€"), "𠀀㐀€", false},
		{"big5 stays traditional", "big5", big5(trad), trad, false},
		{"utf-8 label over GBK bytes", "utf-8", gbk(simp), simp, true},
		{"us-ascii label over Big5 bytes", "us-ascii", big5(trad), trad, true},
		{"us-ascii label over GBK bytes", "us-ascii", gbk(simp), simp, true},
		{"gb2312 label over UTF-8", "gb2312", []byte(simp), simp, true},
		{"big5 label over UTF-8", "big5", []byte(trad), trad, true},
		{"latin1 label over GBK", "iso-8859-1", gbk(simp), simp, true},
		{"latin1 stays latin1", "iso-8859-1", []byte("caf\xe9 cr\xe8me"), "café crème", false},
		{"unknown label, UTF-8 bytes", "x-unknown", []byte("☺"), "☺", true},
		{"unknown label, GBK bytes", "unknown-8bit", gbk(simp), simp, true},
		{"shift_jis", "Shift_JIS", []byte("\x82\xa0\x82\xa2"), "あい", false},
		{"ks_c_5601-1987", "ks_c_5601-1987", []byte("\xbb\xe7\xc1\xf8"), "사진", false},
		{"utf-8 BOM dropped", "utf-8", []byte("\xef\xbb\xbf你好"), "你好", false},
		{"big5 misread as latin1 then utf-8", "big5", []byte("\u00a4j\u00aea\u00bb\u00a1\u00ad^\u00bby"), "大家說英語", true},
		{"utf-8 with one damaged byte", "utf-8", []byte("משה גליצי\x99 שלום"), "משה גליצי\ufffd שלום", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, mis := DecodeCharset(tc.label, tc.in)
			if got != tc.want || mis != tc.mislabelled {
				t.Errorf("DecodeCharset(%q, %x) = %q, %v; want %q, %v", tc.label, tc.in, got, mis, tc.want, tc.mislabelled)
			}
		})
	}
}

// TestShortGBKThatIsValidUTF8 keeps the gb2312 label for a short name
// whose GBK bytes happen to be valid UTF-8 as well.
func TestShortGBKThatIsValidUTF8(t *testing.T) {
	b := []byte{0xe4, 0xb8, 0xb5, 0xe6, 0xb0, 0xa1}
	want, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	got, mis := DecodeCharset("gb2312", b)
	if got != string(want) || mis {
		t.Errorf("DecodeCharset = %q, %v; want %q, false", got, mis, want)
	}
}

// TestDetectCJKLongTexts checks the GB/Big5 decision on longer runs of the
// same characters, where both decoders succeed.
func TestDetectCJKLongTexts(t *testing.T) {
	simp := "根据《中华人民共和国政府信息公开条例》第二十七条的规定，本人申请公开以下政府信息：该项目安置房分配方案及选房顺序号确定办法。"
	trad := "根據《中華人民共和國政府資訊公開條例》第二十七條的規定，本人申請公開以下政府資訊：該項目安置房分配方案及選房順序號確定辦法。"
	if got, _ := detectCJK(gbk(simp)); got != simp {
		t.Errorf("GBK detected as %q", got)
	}
	if got, _ := detectCJK(big5(trad)); got != trad {
		t.Errorf("Big5 detected as %q", got)
	}
}
