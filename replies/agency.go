package replies

import (
	"strconv"
	"strings"

	"gongkai"
)

// Agency is the sender of every letter, configured once (issue 6): names,
// contact, and the bodies named in the remedy clause (RULES.md §4.1).
type Agency struct {
	Name       string // full name, e.g. 青山区住房和城乡建设局
	ShortName  string // 机关简称 used in the 文号, e.g. 青住建
	Office     string // 政府信息公开工作机构, e.g. 局办公室
	Address    string
	Postcode   string
	Phone      string
	Email      string // sender address of letters; its domain names Message-IDs
	ReviewBody string // 复议机关: since 2024 the people's government of the same level (RULES.md §4.1)
	Court      string // court for 行政诉讼 (basic court or the one designated by 集中管辖)
	// DocNoPattern builds the 文号: {short} is ShortName, {year} the year,
	// {n} the sequence number, e.g. "{short}公开〔{year}〕第{n}号".
	DocNoPattern string
}

// DefaultDocNoPattern is used when Agency.DocNoPattern is empty (RULES.md §4.1).
const DefaultDocNoPattern = "{short}公开〔{year}〕第{n}号"

// DocNo formats the 文号 of the n-th letter of year.
func (a Agency) DocNo(year, n int) string {
	p := a.DocNoPattern
	if p == "" {
		p = DefaultDocNoPattern
	}
	return strings.NewReplacer(
		"{short}", a.ShortName,
		"{year}", strconv.Itoa(year),
		"{n}", strconv.Itoa(n),
	).Replace(p)
}

// Validate reports the settings every letter needs: without the review body
// and the court no final letter can carry its remedy clause.
func (a Agency) Validate() error {
	var fe []gongkai.FieldError
	need := func(field, v, msg string) {
		if strings.TrimSpace(v) == "" {
			fe = append(fe, gongkai.FieldError{Field: field, Message: msg})
		}
	}
	need("name", a.Name, "请填写机关名称")
	need("office", a.Office, "请填写政府信息公开工作机构")
	need("phone", a.Phone, "请填写联系电话")
	need("review_body", a.ReviewBody, "请填写行政复议机关（告知书的救济途径须写明）")
	need("court", a.Court, "请填写行政诉讼管辖法院（告知书的救济途径须写明）")
	if a.DocNoPattern != "" && !strings.Contains(a.DocNoPattern, "{n}") {
		fe = append(fe, gongkai.FieldError{Field: "doc_no_pattern", Message: "文号格式须包含序号 {n}"})
	}
	if len(fe) > 0 {
		return gongkai.Invalid(fe)
	}
	return nil
}
