package classifier

import (
	"testing"

	"gongkai"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Fields // only non-zero fields are checked
		// idValid: "" unchecked, "true", "false", "null"
		idValid string
	}{
		{
			name: "form with full-width digits and colon",
			in:   "姓名：黄晓东\n身份证号码：４１０３０３１９８２０４１５００１８\n联系电话：１３６ ０３７９ ８８２１\n通信地址：洛阳市西工区七一路８号院２号楼（邮编：４７１０００）\n申请公开的信息：2023年度西工区棚户区改造安置房分配名单",
			want: Fields{Name: "黄晓东", IDNumber: "410303198204150018", IDType: "居民身份证", Phone: "13603798821",
				Address: "洛阳市西工区七一路8号院2号楼", Description: "2023年度西工区棚户区改造安置房分配名单"},
			idValid: "true",
		},
		{
			name:    "ID in groups with spaces, phone with dashes",
			in:      "本人潘建业，身份证 410305 1969 1102 2035，手机 158-3790-1122，申请公开凯旋路小区加装电梯补贴的拨付情况。",
			want:    Fields{Name: "潘建业", IDNumber: "410305196911022035", Phone: "15837901122"},
			idValid: "true",
		},
		{
			name:    "invalid check digit is kept and flagged",
			in:      "申请人：韦小宝\n身份证号：410303199001011235\n电话：13700000000",
			want:    Fields{Name: "韦小宝", IDNumber: "410303199001011235", IDType: "居民身份证"},
			idValid: "false",
		},
		{
			name: "landline with area code in brackets",
			in:   "联系人：蒋立平\n联系电话：(0379)6521 8890\n单位名称：洛阳宏达物业服务有限公司\n统一社会信用代码：91410303MA45XK7LX6",
			want: Fields{Name: "蒋立平", Phone: "0379-65218890", OrgName: "洛阳宏达物业服务有限公司", CreditCode: "91410303MA45XK7LX6", ApplicantType: gongkai.Enterprise},
		},
		{
			name:    "Hong Kong mobile keeps + and digits",
			in:      "聯絡電話：+852 6123 4567\n證件號碼：810000197206050533",
			want:    Fields{Phone: "+85261234567", IDNumber: "810000197206050533", IDType: "港澳居民居住证"},
			idValid: "true",
		},
		{
			name: "+86 mobile is stripped to 11 digits; mobile preferred over landline",
			in:   "电话：0379-64112233，手机：+86 139 3791 0000",
			want: Fields{Phone: "13937910000"},
		},
		{
			name:    "passport number has no check digit",
			in:      "My name is John Smith. 护照号码：E12345678 申请公开西工区2024年施工许可证目录",
			want:    Fields{IDNumber: "E12345678", IDType: "护照"},
			idValid: "null",
		},
		{
			name:    "older permanent residence card: 3 letters and 12 digits",
			in:      "申请人：John Smith\n外国人永久居留证号码：usa110070117001\n电话：13700000000",
			want:    Fields{IDNumber: "USA110070117001", IDType: "外国人永久居留身份证"},
			idValid: "true",
		},
		{
			name:    "older permanent residence card under a form's labels",
			in:      "证件类型：外国人永久居留身份证\n证件号码：usa110070117001\n电话：13700000000",
			want:    Fields{IDNumber: "USA110070117001", IDType: "外国人永久居留身份证"},
			idValid: "true",
		},
		{
			name:    "2023 permanent residence card: 9 and the 身份证 check",
			in:      "申请人：John Smith\n永居证号码：911840199003070014\n电话：13700000000",
			want:    Fields{IDNumber: "911840199003070014", IDType: "外国人永久居留身份证"},
			idValid: "true",
		},
		{
			name:    "2023 permanent residence card with a wrong check character",
			in:      "申请人：John Smith\n永居证号码：911840199003070015\n电话：13700000000",
			want:    Fields{IDNumber: "911840199003070015", IDType: "外国人永久居留身份证"},
			idValid: "false",
		},
		{
			name:    "the card named in another clause: the number is the 身份证 named before it",
			in:      "我叫张三，我在国外有绿卡，但用身份证110101199003074477申请，电话13800000000",
			want:    Fields{IDNumber: "110101199003074477", IDType: "居民身份证"},
			idValid: "true",
		},
		{
			name: "prose name and address",
			in:   "我叫钱淑芬，住洛阳市西工区邙岭路36号院，想申请公开我们院老旧小区改造的施工合同。",
			want: Fields{Name: "钱淑芬", Address: "洛阳市西工区邙岭路36号院"},
		},
		{
			name: "signature name; delivery by post",
			in:   "您好：\n申请公开贵局2023年行政处罚决定书目录。请将材料邮寄给我。\n\n孔令辉\n13912345678",
			want: Fields{Name: "孔令辉", Phone: "13912345678", Description: "贵局2023年行政处罚决定书目录", Delivery: "纸质"},
		},
		{
			name: "disc wins over collecting in person",
			in:   "申请公开2022年以来的竣工验收备案表。请刻录光盘，我们派人来局里领取。",
			want: Fields{Delivery: "光盘"},
		},
		{
			name: "inspection on site is 自行领取",
			in:   "申请公开锦绣小区物业服务合同备案信息，本人希望现场查阅。",
			want: Fields{Delivery: "自行领取"},
		},
		{
			name: "nothing said about delivery",
			in:   "申请公开西工区2024年公租房配租名单。",
			want: Fields{Delivery: "unspecified", Description: "西工区2024年公租房配租名单"},
		},
		{
			name: "numbered items and back-reference",
			in:   "我家在牡丹园小区。申请公开以下信息：\n1、牡丹园项目的商品房预售许可证；\n2、该项目的竣工验收备案表。",
			want: Fields{Items: []string{"牡丹园项目的商品房预售许可证", "牡丹园项目的竣工验收备案表"}},
		},
		{
			name: "e-mail written in the body",
			in:   "联系邮箱：Li.Ming@Example.COM",
			want: Fields{Email: "li.ming@example.com"},
		},
		{
			name: "台胞证: digits only",
			in:   "申请人：林志明\n证件类型：台湾居民来往大陆通行证\n证件号码：12345678\n联系电话：13812345678",
			want: Fields{Name: "林志明", IDType: "台湾居民来往大陆通行证", IDNumber: "12345678", Phone: "13812345678"},
		},
		{
			name: "law firm in its own name",
			in:   "申请单位：河南正言律师事务所\n统一社会信用代码：31410300MD01372662\n经办律师：邵明",
			want: Fields{OrgName: "河南正言律师事务所", ApplicantType: gongkai.LegalService, Name: "邵明"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Extract(tc.in)
			check := func(field, got, want string) {
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("Name", got.Name, tc.want.Name)
			check("IDNumber", got.IDNumber, tc.want.IDNumber)
			check("IDType", got.IDType, tc.want.IDType)
			check("Phone", got.Phone, tc.want.Phone)
			check("Email", got.Email, tc.want.Email)
			check("Address", got.Address, tc.want.Address)
			check("OrgName", got.OrgName, tc.want.OrgName)
			check("CreditCode", got.CreditCode, tc.want.CreditCode)
			check("ApplicantType", string(got.ApplicantType), string(tc.want.ApplicantType))
			check("Description", got.Description, tc.want.Description)
			check("Delivery", got.Delivery, tc.want.Delivery)
			if tc.want.Items != nil {
				if len(got.Items) != len(tc.want.Items) {
					t.Errorf("Items = %q, want %q", got.Items, tc.want.Items)
				} else {
					for i := range got.Items {
						check("Items", got.Items[i], tc.want.Items[i])
					}
				}
			}
			switch tc.idValid {
			case "true", "false":
				if got.IDValid == nil || *got.IDValid != (tc.idValid == "true") {
					t.Errorf("IDValid = %v, want %s", ptr(got.IDValid), tc.idValid)
				}
			case "null":
				if got.IDValid != nil {
					t.Errorf("IDValid = %v, want null", *got.IDValid)
				}
			}
		})
	}
}

func ptr(b *bool) string {
	if b == nil {
		return "null"
	}
	if *b {
		return "true"
	}
	return "false"
}

// TestEightDigitsAreNotPermits: an 8-digit number is a 台胞证 number only
// after the document's name.
func TestEightDigitsAreNotPermits(t *testing.T) {
	for _, in := range []string{"申请公开编号为12345678的文件。联系电话：13812345678", "台胞证见附件），电话63212345", "持台胞证人员20230101至20231231的入境记录"} {
		if got := Extract(in); got.IDNumber != "" || got.IDType != "" {
			t.Errorf("%q: an 8-digit number taken as %s %s", in, got.IDType, got.IDNumber)
		}
	}
}
