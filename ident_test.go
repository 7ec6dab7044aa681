package gongkai

import (
	"testing"
	"time"
)

func TestCheckIDNumber(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in    string
		valid bool
		warn  bool
	}{
		{"11010519491231002X", true, false},
		{"11010519491231002x", true, false},
		{"440524188001010014", true, true}, // born 1880: warning only
		{"110101199003074477", true, false},
		{"110101199003074476", false, false}, // check digit should be 7
		{"１１０１０１１９９００３０７４４７７", true, false},
		{"110101 19900307 4477", true, false},
		{"110101199002304471", false, false}, // 30 February
		{"110101203003074477", false, false}, // future
		{"110101900307447", false, false},    // 15 digits
		{"11010119900307447", false, false},  // 17 chars
		{"", false, false},
	}
	for _, tt := range tests {
		c := CheckIDNumber(tt.in, now)
		if c.Valid != tt.valid {
			t.Errorf("CheckIDNumber(%q).Valid = %v (%s), want %v", tt.in, c.Valid, c.Problem, tt.valid)
		}
		if (len(c.Warnings) > 0) != tt.warn {
			t.Errorf("CheckIDNumber(%q).Warnings = %v, want warning %v", tt.in, c.Warnings, tt.warn)
		}
		if !c.Valid && c.Problem == "" {
			t.Errorf("CheckIDNumber(%q): invalid without a reason", tt.in)
		}
	}
}

// TestCheckPermanentResidenceNumber: the 15-character number of the cards
// issued before December 2023 by its shape, the 18-character one of the 2023
// card by its GB 11643 check; anything else refused in words.
func TestCheckPermanentResidenceNumber(t *testing.T) {
	const (
		shape = "外国人永久居留身份证号码应为18位（以9开头），旧版为15位（3个英文字母加12位数字）"
		check = "外国人永久居留身份证号码校验位不正确"
	)
	tests := []struct{ in, number, problem string }{
		{"USA110070117001", "USA110070117001", ""},
		{"usa110070117001", "USA110070117001", ""},
		{"ＵＳＡ１１００７０１１７００１", "USA110070117001", ""},
		{"USA 1100 7011 7001", "USA110070117001", ""},
		{"911840199003070014", "911840199003070014", ""},
		{"91184019900307009X", "91184019900307009X", ""},
		{"91184019900307009x", "91184019900307009X", ""},
		{"911840199003070015", "911840199003070015", check},
		{"911840199003070010", "911840199003070010", check},
		{"110101199003074477", "110101199003074477", shape}, // a 身份证 number: first digit 1–8
		{"9118401990030700X4", "9118401990030700X4", shape},
		{"91184019900307001", "91184019900307001", shape},
		{"US1100701170011", "US1100701170011", shape},
		{"USA11007011700", "USA11007011700", shape},
		{"USA1100701170012", "USA1100701170012", shape},
		{"U5A110070117001", "U5A110070117001", shape},
		{"USA11007011700A", "USA11007011700A", shape},
		{"E12345678", "E12345678", shape},
		{"", "", shape},
	}
	for _, tt := range tests {
		n, p := CheckPermanentResidenceNumber(tt.in)
		if n != tt.number || p != tt.problem {
			t.Errorf("CheckPermanentResidenceNumber(%q) = %q, %q; want %q, %q", tt.in, n, p, tt.number, tt.problem)
		}
	}
}

func TestCheckCreditCode(t *testing.T) {
	tests := []struct {
		in    string
		valid bool
	}{
		{"91350100M000100Y43", true},
		{"9144030071526726XG", true},
		{"91350100m000100y43", true},
		{"91350100M000100Y44", false},
		{"91350100M000100Y4", false},
		{"91350100M000100I43", false}, // I is not in the set
	}
	for _, tt := range tests {
		if c := CheckCreditCode(tt.in); c.Valid != tt.valid {
			t.Errorf("CheckCreditCode(%q).Valid = %v (%s), want %v", tt.in, c.Valid, c.Problem, tt.valid)
		}
	}
}

func TestMask(t *testing.T) {
	if got := MaskID("110101199003074477"); got != "110*************77" {
		t.Errorf("MaskID = %q", got)
	}
	if got := MaskPhone("13800001234"); got != "138****1234" {
		t.Errorf("MaskPhone = %q", got)
	}
}

func TestResultsTable(t *testing.T) {
	if len(Results) != 21 || len(ResultKeys) != 21 {
		t.Fatalf("want 21 outcome rows, have %d", len(Results))
	}
	if got := ResultStateSecret.Label(); got != "不予公开·属于国家秘密" {
		t.Errorf("Label = %q", got)
	}
	if ResultKey("result.bogus").Valid() {
		t.Error("unknown key reported valid")
	}
}

func TestDateOfBeijing(t *testing.T) {
	// dev/029: sent late on the 28th at −04:00 is the 29th in Beijing.
	ts := time.Date(2025, 3, 28, 22, 30, 0, 0, time.FixedZone("", -4*3600))
	if got := DateOf(ts).String(); got != "2025-03-29" {
		t.Errorf("DateOf = %s, want 2025-03-29", got)
	}
}

func TestMaskPersonal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"身份证号：410305198307142152，电话13655556666", "身份证号：410*************52，电话136****6666"},
		{"联系电话：0379-63218857。", "联系电话：037******8857。"},
		{"旧号码 410305830714215 止", "旧号码 410**********15 止"},
		{"证号11010519491231002X", "证号110*************2X"},
		{"统一社会信用代码 91350100M000100Y43 与 2024 年", "统一社会信用代码 91350100M000100Y43 与 2024 年"},
		{"受理编号 GK-2026-000017", "受理编号 GK-2026-000017"},
		{"Message-ID <letter-GK-2026-000001-0467563895298d49@x>", "Message-ID <letter-GK-2026-000001-0467563895298d49@x>"},
		{"电话13655556666.", "电话136****6666."},
		{"身份证号 410303 19900101 1234", "身份证号 410***************34"},
		{"手机+8613812345678，", "手机+86*******5678，"},
		{"电话 0379-63212345-801。", "电话 037**********-801。"},
		{"电话 138 1234 5678", "电话 138******5678"},
		{"13812345678@163.com", "138****5678@163.com"},
		{"电话（0379）6321 5678，", "电话（03********5678，"},
		{"电话(0379)63215678-801", "电话(03***********-801"},
		{"座机 0379 6321 5678", "座机 037*******5678"},
		{"永居证 USA110070117001。", "永居证 USA**********01。"},
		{"编号 XUSA110070117001", "编号 XUSA110070117001"},
		{"永居证 usa110070117001", "永居证 usa**********01"},
		{"Tel(0379)63215678", "Tel(03*******5678"},
		{"Tel（0379）63215678", "Tel（03*******5678"},
	}
	for _, tt := range tests {
		if got := MaskPersonal(tt.in); got != tt.want {
			t.Errorf("MaskPersonal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
