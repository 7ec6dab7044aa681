package replies

import (
	"time"

	"gongkai"
)

// SampleAgency is the fictitious agency of SampleData.
func SampleAgency() Agency {
	return Agency{
		Name:         "青山区住房和城乡建设局",
		ShortName:    "青住建",
		Office:       "办公室",
		Address:      "青山区人民路88号",
		Postcode:     "210001",
		Phone:        "025-86001234",
		Email:        "gongkai@zjj.qingshan.gov.cn",
		ReviewBody:   "青山区人民政府",
		Court:        "青山区人民法院",
		DocNoPattern: DefaultDocNoPattern,
	}
}

// SampleData is a realistic, fictitious case with every field a template can
// read filled in: the editor previews against it and Validate renders it.
// Each value is distinct, so a check for one cannot be met by another.
func SampleData() LetterData {
	received := gongkai.MustDate("2025-03-10")
	c := gongkai.Case{
		ID:        17,
		No:        "GK-2025-000017",
		QueryCode: "K7Q2M9",
		Applicant: gongkai.Applicant{
			Type:     gongkai.NaturalPerson,
			Name:     "李明",
			IDType:   "居民身份证",
			IDNumber: "110101199003074477",
			Phone:    "13800000000",
			Email:    "liming@example.com",
			Address:  "青山区梧桐路12号3栋201室",
			Postcode: "210002",
		},
		Description: "2024年度青山区老旧小区改造项目的立项批复文件及资金使用情况",
		Purpose:     "了解本小区改造资金使用情况",
		Form:        "电子文档",
		Delivery:    "电子邮件",
		Channel:     gongkai.ChannelEmail,
		ArrivedAt:   time.Date(2025, 3, 10, 9, 12, 0, 0, gongkai.Beijing),
		ReceivedOn:  received,
		Status:      gongkai.StatusProcessing,
		Nature:      string(gongkai.KindRequest),
		Department:  "城市更新科",
		Assignee:    "wangfang",
		ClockState:  gongkai.ClockRunning,
		ClockFrom:   received,
		ClockLimit:  20,
		DueOn:       gongkai.MustDate("2025-04-08"),
		DuplicateOf: "GK-2024-000388",
	}
	return LetterData{
		Agency:             SampleAgency(),
		Case:               c,
		Today:              gongkai.MustDate("2025-03-12"),
		DocNo:              "青住建公开〔2025〕第17号",
		Missing:            []string{gongkai.MissingIDNumber, gongkai.MissingDescription},
		CorrectionDeadline: gongkai.MustDate("2025-04-02"),
		NewDue:             gongkai.MustDate("2025-05-08"),
		ExtensionReason:    "所申请信息涉及多个年度、多个项目，需调取档案逐一核对",
		FeeYuan:            4700,
		FeeDeadline:        gongkai.MustDate("2025-04-14"),
		ReplyDeadline:      gongkai.MustDate("2025-04-03"),
		Reasons:            "（示例）承办人在此写明本案事实及其适用上述法律依据的具体理由。",
		Provided: []string{
			"《关于青山区2024年老旧小区改造项目立项的批复》（青发改〔2024〕56号），共3页",
			"青山区2024年度老旧小区改造资金使用情况表，共2页",
		},
		OtherAgency: "青山区发展和改革局",
		Extra: map[string]string{
			"delivery":               "以电子邮件附件形式提供",
			"third_party":            "青山区某建筑工程有限公司",
			"consultation":           "本机关已于2025年3月14日书面征求第三方意见，第三方不同意公开并说明了理由。",
			"fee_scale":              "按量计收",
			"fee_calc":               "共250页：第31页至第100页70页×10元＝700元，第101页至第200页100页×20元＝2000元，第201页至第250页50页×40元＝2000元，合计4700元",
			"fee_account":            "请通过青山区非税收入缴款平台缴纳，缴款码另附",
			"volume":                 "您自2025年2月1日至2025年3月10日期间共提出政府信息公开申请46件",
			"earlier_answer":         "2024年11月5日，青住建公开〔2024〕第388号",
			"channel_hint":           "青山区信访局或者12345政务服务便民热线",
			"correction_notice_date": "2025年3月12日",
			"reasons_request_date":   "2025年3月12日",
			"fee_notice_date":        "2025年3月14日",
			"info_concerned":         "改造项目施工合同中的合同价款及施工单位财务资料",
		},
	}
}

// sampleVariants are further cases Validate renders so that branches the
// main sample does not take are executed too: an organisation applying by
// post after 补正 and an extension, with nothing filled in by the handler.
func sampleVariants() []LetterData {
	d := SampleData()
	d.Case.Applicant.Type = gongkai.Enterprise
	d.Case.Applicant.OrgName = "青山区某物业管理有限公司"
	d.Case.Applicant.CreditCode = "91350100M000100Y43"
	d.Case.Channel = gongkai.ChannelPost
	d.Case.Extended = true
	d.Case.DuplicateOf = ""
	d.Reasons, d.OtherAgency, d.Provided, d.Missing = "", "", nil, nil
	d.Extra = map[string]string{"corrected_on": "2025年3月20日"}
	return []LetterData{d}
}
