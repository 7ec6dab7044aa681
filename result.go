package gongkai

// ResultKey is the outcome of a concluded application: one row of section 三 of
// the annual report (RULES.md §2.4, §4.2; contracts/annual-report.md).
type ResultKey string

// The 21 outcome rows, in table order.
const (
	ResultDisclosed              ResultKey = "result.disclosed"
	ResultPartial                ResultKey = "result.partial"
	ResultStateSecret            ResultKey = "result.withheld.state_secret"
	ResultLawForbidden           ResultKey = "result.withheld.law_forbidden"
	ResultSecurityStability      ResultKey = "result.withheld.security_stability"
	ResultThirdParty             ResultKey = "result.withheld.third_party"
	ResultInternalAffairs        ResultKey = "result.withheld.internal_affairs"
	ResultProcessInfo            ResultKey = "result.withheld.process_info"
	ResultEnforcementFile        ResultKey = "result.withheld.enforcement_file"
	ResultInquiryMatter          ResultKey = "result.withheld.inquiry_matter"
	ResultNotHeld                ResultKey = "result.unable.not_held"
	ResultNeedsCreation          ResultKey = "result.unable.needs_creation"
	ResultUnclearAfterCorrection ResultKey = "result.unable.unclear_after_correction"
	ResultPetition               ResultKey = "result.rejected.petition"
	ResultRepeat                 ResultKey = "result.rejected.repeat"
	ResultPublication            ResultKey = "result.rejected.publication"
	ResultMassRepeat             ResultKey = "result.rejected.mass_repeat"
	ResultConfirmReissue         ResultKey = "result.rejected.confirm_reissue"
	ResultNoCorrection           ResultKey = "result.other.no_correction"
	ResultNoFee                  ResultKey = "result.other.no_fee"
	ResultOther                  ResultKey = "result.other.other"
)

// ResultInfo describes one outcome row.
type ResultInfo struct {
	Key   ResultKey
	Group string // 三、本年度办理结果 sub-group label, e.g. （三）不予公开; "" for （一）（二）
	Label string // row label exactly as in the official table
	Leaf  string // the short label used in ledgers, e.g. 属于国家秘密
	Basis string // legal basis article(s), RULES.md §4.2
}

// Results lists the outcome rows in table order with their official labels.
var Results = []ResultInfo{
	{ResultDisclosed, "", "（一）予以公开", "予以公开", "《条例》第三十六条第（一）（二）项"},
	{ResultPartial, "", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开", "《条例》第三十七条"},
	{ResultStateSecret, "（三）不予公开", "1.属于国家秘密", "属于国家秘密", "《条例》第十四条"},
	{ResultLawForbidden, "（三）不予公开", "2.其他法律行政法规禁止公开", "其他法律行政法规禁止公开", "《条例》第十四条"},
	{ResultSecurityStability, "（三）不予公开", "3.危及“三安全一稳定”", "危及“三安全一稳定”", "《条例》第十四条"},
	{ResultThirdParty, "（三）不予公开", "4.保护第三方合法权益", "保护第三方合法权益", "《条例》第十五条、第三十二条"},
	{ResultInternalAffairs, "（三）不予公开", "5.属于三类内部事务信息", "属于三类内部事务信息", "《条例》第十六条第一款"},
	{ResultProcessInfo, "（三）不予公开", "6.属于四类过程性信息", "属于四类过程性信息", "《条例》第十六条第二款"},
	{ResultEnforcementFile, "（三）不予公开", "7.属于行政执法案卷", "属于行政执法案卷", "《条例》第十六条第二款"},
	{ResultInquiryMatter, "（三）不予公开", "8.属于行政查询事项", "属于行政查询事项", "《条例》第三十六条第（七）项"},
	{ResultNotHeld, "（四）无法提供", "1.本机关不掌握相关政府信息", "本机关不掌握相关政府信息", "《条例》第三十六条第（四）（五）项"},
	{ResultNeedsCreation, "（四）无法提供", "2.没有现成信息需要另行制作", "没有现成信息需要另行制作", "《条例》第三十八条"},
	{ResultUnclearAfterCorrection, "（四）无法提供", "3.补正后申请内容仍不明确", "补正后申请内容仍不明确", "《条例》第三十条"},
	{ResultPetition, "（五）不予处理", "1.信访举报投诉类申请", "信访举报投诉类申请", "《条例》第三十九条第一款"},
	{ResultRepeat, "（五）不予处理", "2.重复申请", "重复申请", "《条例》第三十六条第（六）项"},
	{ResultPublication, "（五）不予处理", "3.要求提供公开出版物", "要求提供公开出版物", "《条例》第三十九条第二款"},
	{ResultMassRepeat, "（五）不予处理", "4.无正当理由大量反复申请", "无正当理由大量反复申请", "《条例》第三十五条"},
	{ResultConfirmReissue, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", "要求行政机关确认或重新出具已获取信息", "《条例》第二条、第三十八条"},
	{ResultNoCorrection, "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "《条例》第三十条"},
	{ResultNoFee, "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "《条例》第四十二条；国办函〔2020〕109号"},
	{ResultOther, "（六）其他处理", "3.其他", "其他", ""},
}

// ResultKeys lists the 21 outcome keys in table order.
var ResultKeys = func() []ResultKey {
	ks := make([]ResultKey, len(Results))
	for i, r := range Results {
		ks[i] = r.Key
	}
	return ks
}()

// Info returns the row description of k and whether k is a known outcome.
func (k ResultKey) Info() (ResultInfo, bool) {
	for _, r := range Results {
		if r.Key == k {
			return r, true
		}
	}
	return ResultInfo{}, false
}

// Valid reports whether k is one of the 21 outcomes.
func (k ResultKey) Valid() bool { _, ok := k.Info(); return ok }

// Index is the position of k in Results, or -1.
func (k ResultKey) Index() int {
	for i, r := range Results {
		if r.Key == k {
			return i
		}
	}
	return -1
}

// Label returns the group and row label as staff read it, e.g. 不予公开·属于国家秘密.
func (k ResultKey) Label() string {
	r, ok := k.Info()
	if !ok {
		return string(k)
	}
	if r.Group == "" {
		return r.Leaf
	}
	return r.Group[len("（三）"):] + "·" + r.Leaf
}

// Contestable reports whether the final letter must carry the remedy clause.
// gongkai gives it in every final letter (RULES.md §4.2, last paragraph).
func (k ResultKey) Contestable() bool { return k.Valid() }
