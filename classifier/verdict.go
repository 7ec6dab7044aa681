package classifier

import (
	"fmt"
	"sort"
	"strings"

	"gongkai"
)

// reason appends one explanation to the verdict.
func reason(v *gongkai.Verdict, field, rule, ev string) {
	v.Reasons = append(v.Reasons, gongkai.Reason{Field: field, Rule: rule, Evidence: firstRunes(strings.TrimSpace(ev), 120)})
}

// classify is the decision procedure of the corpus README "Nature": the first
// kind that fits wins.
func (c *Classifier) classify(m *message, h History) gongkai.Verdict {
	v := gongkai.Verdict{Delivery: "unspecified", Items: []string{}, MissingFields: []string{}}
	r := c.r
	subjM := r.simp(m.subject)
	newM := m.prep(r, m.newText).t.m
	bodyP := m.prep(r, m.body)
	bodyT := bodyP.t
	shortText := runeLen(strings.TrimSpace(m.body)) < 400 && !c.hasRequest(m, m.body)

	// The first 受理编号 in the subject or the new text (never the quoted part).
	if up := strings.ToUpper(foldWidth(m.subject)); reCase.MatchString(up) {
		v.CaseRef = reCase.FindString(up)
	} else if up := m.prep(r, m.newText).upper(); reCase.MatchString(up) {
		v.CaseRef = reCase.FindString(up)
	}

	// 1–2. Bounces and automatic replies: header signals first.
	if kind, rule, ev := c.machineKind(m, subjM, newM, shortText); kind != "" {
		v.Nature = kind
		reason(&v, "nature", rule, ev)
		if kind == gongkai.KindBounce && v.CaseRef == "" && m.e != nil {
			for _, em := range m.e.Embedded {
				for _, s := range []string{em.Subject, em.Text} {
					if loc := reCase.FindStringIndex(strings.ToUpper(s)); loc != nil && v.CaseRef == "" {
						v.CaseRef = strings.ToUpper(s)[loc[0]:loc[1]]
					}
				}
			}
			if v.CaseRef == "" {
				if loc := reCase.FindStringIndex(strings.ToUpper(m.body)); loc != nil {
					v.CaseRef = strings.ToUpper(m.body)[loc[0]:loc[1]]
				}
			}
		}
		if v.CaseRef != "" {
			reason(&v, "case_ref", "退回或自动回复所涉案件编号（不作为新来信处理）", v.CaseRef)
		}
		return v
	}

	f := r.extractPrepared(bodyP, extractOpts{now: m.now, exclude: m.exclude, subject: m.subject})
	hasDesc := f.Description != ""

	// 3. Spam: two different advertising/phishing cues and no request in it.
	if !hasDesc && v.CaseRef == "" {
		if cues := c.spamCues(subjM + "\n" + bodyT.m); len(cues) >= 2 {
			v.Nature = gongkai.KindSpam
			reason(&v, "nature", "垃圾邮件：含多个广告、代开发票或钓鱼特征词", strings.Join(cues, "、"))
			return v
		}
	}

	// The applicant, for every human message.
	c.fillApplicant(&v, m, f)

	// 4. Followups: a thread reply to a bureau letter, or a 受理编号.
	nature, nrule, nev := c.humanNature(m, f, v.CaseRef, subjM, bodyP, h, v)
	v.Nature = nature
	reason(&v, "nature", nrule, nev)
	switch nature {
	case gongkai.KindRequest, gongkai.KindPublication, gongkai.KindConfirmReissue:
		v.IsRequest = true
	case gongkai.KindComplaint:
		// Presented as a disclosure request → counted, answered 不予处理 (RULES.md §7).
		if x := firstMatch(subjM+"\n"+bodyT.m, "信息公开", "公开申请", "依申请", "政府信息", "申请公开"); x != "" || m.relay {
			v.IsRequest = true
			reason(&v, "is_request", "以政府信息公开申请形式提出的信访举报投诉，计入申请数，按不予处理答复（条例第三十九条）", firstNonEmpty(x, m.relayEv))
		} else {
			reason(&v, "is_request", "普通信访投诉，不计入政府信息公开申请", "")
		}
	}
	if v.CaseRef != "" {
		reason(&v, "case_ref", "主题或正文（不含引用部分）中的受理编号", v.CaseRef)
	}

	// Description: what is asked; for non-requests the message itself.
	switch nature {
	case gongkai.KindRequest:
		v.Description, v.Items = f.Description, append([]string{}, f.Items...)
		if v.Description == "" {
			v.Description = c.subjectDescription(m.subject)
			if v.Description != "" {
				v.Items = []string{v.Description}
				reason(&v, "description", "正文未写明所需信息，取自邮件主题", m.subject)
			}
		} else {
			reason(&v, "description", "所需信息取自", f.Evidence["description"])
		}
	case gongkai.KindFollowup:
		v.Description = f.Description
	default:
		v.Description = c.summary(f)
	}
	v.Purpose = f.Purpose
	v.Delivery = f.Delivery
	if ev := f.Evidence["delivery"]; ev != "" {
		reason(&v, "delivery", "获取方式：“"+v.Delivery+"”", ev)
	}

	c.department(&v, m)
	if nature == gongkai.KindRequest {
		c.duplicate(&v, h)
		c.missing(&v, f, m)
	}
	return v
}

// machineKind recognises bounces and automatic replies (README "Nature" 1–2).
func (c *Classifier) machineKind(m *message, subjM, newM string, short bool) (gongkai.MessageKind, string, string) {
	e := m.e
	if e != nil {
		if strings.EqualFold(e.MediaType, "multipart/report") && strings.EqualFold(e.ReportType, "delivery-status") {
			return gongkai.KindBounce, "退信：multipart/report 投递状态报告", "report-type=delivery-status"
		}
		if strings.EqualFold(e.ReportType, "disposition-notification") {
			return gongkai.KindAutoReply, "已读回执：multipart/report 阅读回执", "report-type=disposition-notification"
		}
	}
	fromM := ""
	if e != nil {
		fromM = strings.ToLower(e.FromAddr)
	}
	for _, kind := range []string{"bounce", "auto_reply"} {
		for _, nr := range c.r.nature {
			if nr.kind != kind {
				continue
			}
			var hit, where string
			switch nr.scope {
			case "subject":
				hit, where = nr.re.FindString(subjM), "主题"
			case "from":
				hit, where = nr.re.FindString(fromM), "发件人"
			case "short":
				if short {
					hit, where = nr.re.FindString(newM), "正文"
				}
			case "header":
				if e != nil {
					for _, v := range e.Header[nr.header] {
						if x := nr.re.FindString(strings.ToLower(strings.TrimSpace(v))); x != "" {
							hit, where = nr.header+": "+v, "邮件头"
							break
						}
					}
				}
			}
			if hit == "" {
				continue
			}
			if kind == "bounce" {
				return gongkai.KindBounce, "退信：" + where + "含退信特征", hit
			}
			return gongkai.KindAutoReply, "自动回复：" + where + "含自动回复特征（有案件编号或In-Reply-To也不视为来信）", hit
		}
	}
	return "", "", ""
}

// spamCues returns the distinct spam words found.
func (c *Classifier) spamCues(m string) []string {
	seen := map[string]bool{}
	var out []string
	for _, nr := range c.r.nature {
		if nr.kind != "spam" {
			continue
		}
		for _, x := range nr.re.FindAllString(m, -1) {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}

func firstMatch(s string, words ...string) string {
	for _, w := range words {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// cue returns the first unnegated match of the rules of kind in s.
func (c *Classifier) cue(kind, scope, s string) string {
	for _, nr := range c.r.nature {
		if nr.kind != kind || nr.scope != scope {
			continue
		}
		for _, loc := range nr.re.FindAllStringIndex(s, -1) {
			pre := s[max(0, loc[0]-9):loc[0]]
			if strings.HasSuffix(pre, "不") || strings.HasSuffix(pre, "不能") || strings.HasSuffix(pre, "不是") ||
				strings.HasSuffix(pre, "并非") || strings.HasSuffix(pre, "无需") || strings.HasSuffix(pre, "不用") ||
				strings.HasSuffix(pre, "没有") || strings.HasSuffix(pre, "不会") || strings.HasSuffix(pre, "不要") {
				continue
			}
			return s[loc[0]:loc[1]]
		}
	}
	return ""
}

// humanNature decides among followup, complaint, consultation, publication,
// confirm/reissue and request (README "Nature" 4–6; RULES.md §7).
func (c *Classifier) humanNature(m *message, f *found, caseRef, subjM string, bodyP *prepared, h History, v gongkai.Verdict) (gongkai.MessageKind, string, string) {
	if caseRef != "" {
		return gongkai.KindFollowup, "已有案件的来信：主题或正文含受理编号", caseRef
	}
	if m.e != nil {
		for _, id := range append(append([]string{}, m.e.InReplyTo...), m.e.References...) {
			lid := strings.ToLower(id)
			if reCase.MatchString(strings.ToUpper(id)) || strings.Contains(strings.ToUpper(id), "GK-") {
				return gongkai.KindFollowup, "已有案件的来信：回复本机关发出的文书（In-Reply-To/References）", id
			}
			for _, d := range c.bureaus {
				if strings.HasSuffix(lid, "@"+d) {
					return gongkai.KindFollowup, "已有案件的来信：回复本机关邮件（In-Reply-To/References）", id
				}
			}
		}
	}
	// Law titles ("政府信息公开条例") never count as what is asked.
	body := bodyP.lawMasked()
	recordAsked := f.Description != "" && c.r.namesRecord(c.r.simp(f.Description)) && f.vague == ""
	if x := c.cue("confirm", "text", body); x != "" {
		return gongkai.KindConfirmReissue, "要求确认或重新出具已获取的信息（不是申请新的政府信息）", x
	}
	if x := c.cue("publication", "text", body); x != "" && firstMatch(body, "提供", "寄", "领取", "赠", "购买", "索取", "要一") != "" {
		return gongkai.KindPublication, "要求提供公开出版物（条例第三十九条第二款）", x
	}
	if x := c.cue("complaint", "text", body); x != "" && !recordAsked {
		return gongkai.KindComplaint, "要求机关履职、查处或解决问题，而非提供已有政府信息（信访举报投诉）", x
	}
	if x := c.cue("complaint", "subject", subjM); x != "" && f.Description == "" {
		return gongkai.KindComplaint, "主题为投诉举报且未要求提供已有信息", x
	}
	// A question on an open case without its number.
	if h != nil && f.Description == "" {
		if x := c.cue("progress", "text", body); x != "" {
			for _, p := range h.PriorRequests(keyOf(v)) {
				if !p.Answered {
					return gongkai.KindFollowup, "已有案件的来信：同一申请人有未办结申请（" + p.Ref + "），询问进度", x
				}
			}
		}
	}
	if f.Description == "" || !recordAsked && f.vague == "" {
		x := c.cue("consult", "text", body)
		if x == "" {
			x = c.cue("consult", "subject", subjM)
		}
		if x != "" && (f.Description == "" || !strings.Contains(f.trigger, "公开")) {
			return gongkai.KindConsultation, "咨询：询问办事方法或政策，未要求提供已有政府信息", x
		}
	}
	if m.relay {
		return gongkai.KindRequest, "转办或平台来信所附政府信息公开申请", m.relayEv
	}
	if f.Description != "" {
		return gongkai.KindRequest, "要求提供已有政府信息", f.trigger
	}
	if x := firstMatch(subjM+"\n"+body, "申请公开", "信息公开申请", "公开申请", "依申请公开", "申请表"); x != "" {
		return gongkai.KindRequest, "自称政府信息公开申请，但未写明所需信息", x
	}
	return gongkai.KindConsultation, "未要求提供具体政府信息，按咨询处理", firstRunes(strings.TrimSpace(m.body), 40)
}

// subjectDescription uses the subject as the description when the body names
// nothing ("申请公开2024年行政处罚决定书").
func (c *Classifier) subjectDescription(subject string) string {
	s := strings.TrimSpace(subject)
	for _, p := range []string{"政府信息公开申请", "信息公开申请", "依申请公开", "申请公开", "信息公开", "申请", "关于"} {
		s = strings.TrimPrefix(s, p)
		s = strings.TrimLeft(s, "：:-—（）() ")
	}
	if runeLen(s) < 4 || !c.r.namesRecord(c.r.simp(s)) {
		return ""
	}
	return s
}

// summary is the description of a non-request: the message's own words, without
// greetings, form lines and signatures.
func (c *Classifier) summary(f *found) string {
	var parts []string
	n := 0
	for _, s := range c.r.sentences(f) {
		if c.r.isPersonName(strings.TrimSpace(s.w)) || reDate.MatchString(s.w) && runeLen(s.w) < 14 {
			continue
		}
		parts = append(parts, s.w)
		n += runeLen(s.w)
		if n > 400 {
			break
		}
	}
	return strings.Join(parts, "。")
}

// keyOf is the History key of a verdict's applicant.
func keyOf(v gongkai.Verdict) ApplicantKey {
	return ApplicantKey{IDNumber: strings.ToUpper(v.IDNumber), Name: v.Name, Phone: v.Phone, Email: strings.ToLower(v.Email)}
}

// fillApplicant fills the applicant fields (corpus README "Applicant type",
// "email"; RULES.md §6.4): never a relay, portal or relative's mailbox.
func (c *Classifier) fillApplicant(v *gongkai.Verdict, m *message, f *found) {
	v.Name, v.IDType, v.IDNumber, v.IDValid = f.Name, f.IDType, f.IDNumber, f.IDValid
	v.OrgName, v.CreditCode, v.CreditCodeValid = f.OrgName, f.CreditCode, f.CreditCodeValid
	v.Phone, v.Address = f.Phone, f.Address
	if ev := f.Evidence["name"]; ev != "" {
		reason(v, "name", "申请人姓名", ev)
	}
	if v.Name == "" && m.fwdName != "" && c.r.isPersonName(m.fwdName) {
		v.Name = m.fwdName
		reason(v, "name", "转发邮件的原发件人", m.fwdName)
	}
	if v.Name == "" && !m.relay && m.e != nil && c.r.isPersonName(m.e.FromName) {
		v.Name = m.e.FromName
		reason(v, "name", "正文未署名，取发件人显示名", m.e.FromName)
	}
	// E-mail: written in the body or form, else the original sender of a
	// forward, else Reply-To, else From — never a relay's address.
	switch {
	case f.Email != "":
		v.Email = f.Email
		reason(v, "email", "正文或表单中的电子邮箱", f.Evidence["email"])
	case f.present["email"] && m.relay:
		reason(v, "email", "转办单电子邮箱未填写，发件地址不是申请人的", "")
	case m.fwdAddr != "":
		v.Email = m.fwdAddr
		reason(v, "email", "转发邮件的原发件人地址", m.fwdAddr)
	case m.e != nil && !m.relay && m.e.ReplyTo != "" && !m.exclude[m.e.ReplyTo]:
		v.Email = strings.ToLower(m.e.ReplyTo)
		reason(v, "email", "Reply-To 地址", m.e.ReplyTo)
	case m.e != nil && !m.relay && m.e.FromAddr != "":
		v.Email = strings.ToLower(m.e.FromAddr)
		reason(v, "email", "发件人地址", m.e.FromAddr)
	case m.relay:
		reason(v, "email", "发件人是转办/平台邮箱，不是申请人的联系方式", m.relayEv)
	}
	if v.IDNumber != "" {
		rule := "证件号码（" + v.IDType + "）"
		if v.IDValid != nil && !*v.IDValid {
			chk := gongkai.CheckIDNumber(v.IDNumber, m.now)
			rule += "校验不通过：" + chk.Problem
		}
		reason(v, "id_number", rule, f.Evidence["id_number"])
	}
	if v.CreditCode != "" && v.CreditCodeValid != nil && !*v.CreditCodeValid {
		reason(v, "credit_code", "统一社会信用代码校验不通过："+gongkai.CheckCreditCode(v.CreditCode).Problem, f.Evidence["credit_code"])
	}
	if ev := f.Evidence["phone"]; ev != "" {
		reason(v, "phone", "联系电话", ev)
	}
	if ev := f.Evidence["address"]; ev != "" {
		reason(v, "address", "通信地址", ev)
	}

	// Applicant type.
	switch {
	case f.client != "" && (f.OrgName == "" || c.r.orgKind(c.r.simp(f.OrgName)) == "legal"):
		v.ApplicantType = gongkai.NaturalPerson
		v.Name, v.OrgName, v.CreditCode, v.CreditCodeValid = f.client, "", "", nil
		reason(v, "applicant_type", "律师代理他人申请，申请人为委托人（自然人）", f.client)
	case f.ApplicantType == gongkai.NaturalPerson:
		v.ApplicantType = gongkai.NaturalPerson
		v.OrgName, v.CreditCode, v.CreditCodeValid = "", "", nil
		reason(v, "applicant_type", "表单申请人类型为公民/个人", f.Evidence["applicant_type"])
	case f.OrgName != "" || (f.CreditCode != "" && f.orgSelf != ""):
		v.ApplicantType = c.r.orgType(f.OrgName, f.CreditCode)
		reason(v, "applicant_type", "以组织名义申请："+orgRule(c.r, f.OrgName, f.CreditCode), firstNonEmpty(f.Evidence["org_name"], f.Evidence["credit_code"]))
	default:
		v.ApplicantType = gongkai.NaturalPerson
		v.CreditCode, v.CreditCodeValid = "", nil
		reason(v, "applicant_type", "未以组织名义申请，按公民（自然人）", "")
	}
}

// orgType is the report column of an organisation (RULES.md §6.4; README
// "Applicant type"): legal-service names and 31… codes, then the code's
// registering authority, then the name.
func (r *rules) orgType(name, code string) gongkai.ApplicantType {
	kind := r.orgKind(r.simp(name))
	research := r.orgs["research"].MatchString(r.simp(name))
	switch {
	case kind == "legal" || strings.HasPrefix(code, "31"):
		return gongkai.LegalService
	case strings.HasPrefix(code, "9"):
		return gongkai.Enterprise
	case strings.HasPrefix(code, "5"):
		if research {
			return gongkai.ResearchBody
		}
		return gongkai.PublicWelfare
	case strings.HasPrefix(code, "12"):
		if research {
			return gongkai.ResearchBody
		}
		return gongkai.OtherOrg
	case strings.HasPrefix(code, "1"):
		return gongkai.OtherOrg
	}
	switch kind {
	case "research":
		return gongkai.ResearchBody
	case "company":
		return gongkai.Enterprise
	case "welfare":
		return gongkai.PublicWelfare
	}
	return gongkai.OtherOrg
}

func orgRule(r *rules, name, code string) string {
	t := r.orgType(name, code)
	if code != "" {
		return fmt.Sprintf("%s（信用代码 %s 开头，名称“%s”）", t, firstRunes(code, 2), name)
	}
	return fmt.Sprintf("%s（名称“%s”）", t, name)
}

// department picks the 股室 that acts next (README "Departments").
func (c *Classifier) department(v *gongkai.Verdict, m *message) {
	if v.Nature != gongkai.KindRequest {
		v.Department = Office
		reason(v, "department", "非申请类来信（"+v.Nature.Label()+"）由办公室（政务公开）办理或并案", "")
		return
	}
	dept, hits := c.rt.route(c.r.simp(v.Description))
	src := "所需信息"
	if dept == "" {
		dept, hits = c.rt.route(c.r.simp(m.subject))
		src = "邮件主题"
	}
	var terms []string
	for _, h := range hits {
		terms = append(terms, h.rule.Department+"："+h.text)
	}
	switch {
	case dept == "":
		v.Department = Office
		reason(v, "department", "所需信息无法归入具体股室，由办公室统筹", "")
	case dept == Office && len(departmentsOf(hits)) > 1:
		v.Department = Office
		reason(v, "department", src+"涉及多个股室（"+strings.Join(departmentsOf(hits), "、")+"），由办公室统筹", strings.Join(terms, "；"))
	default:
		v.Department = dept
		reason(v, "department", src+"中的分办词", strings.Join(terms, "；"))
	}
}

// missing lists what 条例 Art. 29 requires and the request lacks (→ 补正, Art. 30).
func (c *Classifier) missing(v *gongkai.Verdict, f *found, m *message) {
	var miss []string
	add := func(field, why string) {
		miss = append(miss, field)
		reason(v, "missing_fields", "缺少"+gongkai.MissingLabel(field)+"（条例第二十九条）", why)
	}
	if v.ApplicantType == gongkai.NaturalPerson {
		if v.Name == "" {
			add(gongkai.MissingName, "未写申请人姓名")
		}
		if v.IDNumber == "" {
			add(gongkai.MissingIDNumber, "未提供身份证件号码")
		} else if v.IDValid != nil && !*v.IDValid {
			add(gongkai.MissingIDNumber, "证件号码校验不通过："+v.IDNumber)
		}
	} else {
		if v.OrgName == "" {
			add(gongkai.MissingOrgName, "未写申请单位名称")
		}
		codeOK := v.CreditCode != "" && v.CreditCodeValid != nil && *v.CreditCodeValid
		headID := v.ApplicantType == gongkai.OtherOrg && v.IDValid != nil && *v.IDValid
		if !codeOK && !headID {
			add(gongkai.MissingCreditCode, firstNonEmpty(v.CreditCode, "未提供统一社会信用代码"))
		}
	}
	if v.Phone == "" && v.Address == "" && v.Email == "" {
		why := "无电话、通信地址或电子邮箱"
		if m.relay {
			why += "（转办/平台邮箱不是申请人的联系方式）"
		}
		add(gongkai.MissingContact, why)
	}
	if v.Description == "" {
		add(gongkai.MissingDescription, "未写明所需信息的名称、文号或特征性描述")
	} else if f.vague != "" && f.Description == v.Description {
		add(gongkai.MissingDescription, "描述过于笼统，无法指向特定政府信息："+f.vague)
	}
	sort.Strings(miss)
	v.MissingFields = miss
}

// MarkDuplicate marks a request (Nature request) that repeats an earlier
// one in h, as Classify does with a History. Intake classifies without one
// and calls this inside the transaction that files the message, where the
// history includes cases filed moments before in the same batch.
func (c *Classifier) MarkDuplicate(v *gongkai.Verdict, h History) {
	if v.Nature == gongkai.KindRequest && v.DuplicateOf == "" {
		c.duplicate(v, h)
	}
}

// duplicate marks a repeated request: same applicant (ID, else name) and the
// same information (RULES.md §7 重复申请, 条例 Art. 36(6)).
func (c *Classifier) duplicate(v *gongkai.Verdict, h History) {
	if h == nil || (v.IDNumber == "" && v.Name == "") || v.Description == "" {
		return
	}
	priors := h.PriorRequests(keyOf(*v))
	sort.SliceStable(priors, func(i, j int) bool { return priors[i].At.Before(priors[j].At) })
	a := c.r.simp(v.Description)
	ga := bigramsOf(a)
	for _, p := range priors {
		b := c.r.simp(p.Description)
		if s := ga.dice(bigramsOf(b)); s >= 0.75 && c.sameTerms(a, b) {
			v.DuplicateOf = p.Ref
			state := "前次申请尚未办结：建议并入原案件"
			if p.Answered {
				state = "前次申请已答复：按重复申请告知（条例第三十六条第六项）"
			}
			reason(v, "duplicate_of", fmt.Sprintf("同一申请人就相同信息再次申请（相似度%.0f%%），%s", s*100, state), p.Ref+"："+firstRunes(p.Description, 40))
			return
		}
	}
}

// sameTerms reports whether two descriptions name the same kinds of record
// (the same routing terms), so "预售许可证清单" never repeats "施工许可证清单".
func (c *Classifier) sameTerms(a, b string) bool {
	ta, tb := map[string]bool{}, map[string]bool{}
	for _, h := range c.rt.match(a) {
		ta[h.text] = true
	}
	for _, h := range c.rt.match(b) {
		tb[h.text] = true
	}
	if len(ta) != len(tb) {
		return false
	}
	for k := range ta {
		if !tb[k] {
			return false
		}
	}
	return true
}

// bigramSet counts the character bigrams of a text (Han, letters and digits
// only), each pair of runes packed into one key.
type bigramSet struct {
	m map[uint64]int
	n int // bigrams in all
}

func bigramsOf(s string) bigramSet {
	out := bigramSet{m: map[uint64]int{}}
	var prev rune = -1
	for _, r := range s {
		if !(isHan(r) || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z')) {
			continue
		}
		if prev >= 0 {
			out.m[uint64(prev)<<32|uint64(r)]++
			out.n++
		}
		prev = r
	}
	return out
}

// dice is the Dice coefficient of two bigram sets: how alike two
// descriptions are.
func (a bigramSet) dice(b bigramSet) float64 {
	if a.n == 0 || b.n == 0 {
		return 0
	}
	inter := 0
	for g, n := range a.m {
		inter += min(n, b.m[g])
	}
	return 2 * float64(inter) / float64(a.n+b.n)
}
