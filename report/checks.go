package report

import (
	"fmt"
	"strconv"
	"strings"

	"gongkai"
)

// check evaluates the consistency rules of RULES.md §2.6 on the printed
// numbers, plus the data rules whose breach makes the numbers wrong (K4, K5, K14).
func (r *Report) check(opt Options, k *counter, badAppeals sample, lastRecon int) []Check {
	var cs []Check
	add := func(id, level, column, row string, ok bool, detail string) {
		cs = append(cs, Check{ID: strings.TrimRight(id, "ab"), Level: level, Rule: w("rule." + id), Column: column, Row: row, OK: ok, Detail: detail})
	}
	t := r.Table3
	cell := func(row, col int) int { return t[row].Cells[col] }

	// C1 一+二=三(七)+四, per column (the table's own note).
	for j, name := range r.Columns {
		lhs := cell(rowNew, j) + cell(rowCarriedIn, j)
		rhs := cell(rowTotal, j) + cell(rowCarriedOut, j)
		d := fmt.Sprintf("一 %d + 二 %d = %d，三(七) %d + 四 %d = %d", cell(rowNew, j), cell(rowCarriedIn, j), lhs, cell(rowTotal, j), cell(rowCarriedOut, j), rhs)
		if lhs != rhs {
			d += fmt.Sprintf("，相差 %d", lhs-rhs) + cite("已答复但办理结果无效", k.badResult) + cite("答复日期早于收到日期", k.answeredEarly)
		}
		add("C1", LevelError, name, "", lhs == rhs, d)
	}
	// C2 三(七) = the 21 outcome rows, per column.
	for j, name := range r.Columns {
		sum := 0
		for i := rowResult0; i < rowTotal; i++ {
			sum += cell(i, j)
		}
		add("C2", LevelError, name, "", sum == cell(rowTotal, j), fmt.Sprintf("三(七) %d，各办理结果之和 %d", cell(rowTotal, j), sum))
	}
	// C3 总计 = the six applicant columns, per row.
	for i, row := range t {
		sum := 0
		for j := 0; j < colTotal; j++ {
			sum += row.Cells[j]
		}
		d := fmt.Sprintf("总计 %d，各类申请人之和 %d", row.Cells[colTotal], sum)
		if sum != row.Cells[colTotal] {
			d += cite("申请人类型无效", k.badType)
		}
		add("C3", LevelError, r.Columns[colTotal], t[i].Key, sum == row.Cells[colTotal], d)
	}
	// C4 every concluded application in exactly one outcome row.
	add("C4", LevelError, "", "", k.badResult.n == 0, "已答复但办理结果缺失或无效 "+strconv.Itoa(k.badResult.n)+" 件"+cite("", k.badResult))
	// C5 all cells non-negative integers (staff-entered figures of 二 included).
	add("C5", LevelError, "", "", negatives(r) == "", orDefault(negatives(r), "无负数"))
	// C6 each group of section 四 adds up.
	for g, kind := range appealGroups {
		c := r.Table4.Cells[g*5 : g*5+5]
		sum := c[0] + c[1] + c[2] + c[3]
		add("C6", LevelError, groupLabel(kind), "", sum == c[4], fmt.Sprintf("%d + %d + %d + %d = %d，总计 %d", c[0], c[1], c[2], c[3], sum, c[4]))
	}
	// C7 this year's 二 = last year's printed 四 (warning: K7 recomputes).
	if last := opt.LastYearCarriedOut; last != nil {
		for j, name := range r.Columns {
			got := cell(rowCarriedIn, j)
			add("C7", LevelWarning, name, "", got == last[j], fmt.Sprintf("本年二 %d，上年报告四 %d", got, last[j]))
		}
	} else {
		cs = append(cs, Check{ID: "C7", Level: LevelWarning, Rule: w("rule.C7"), OK: true, Skipped: true, Detail: "没有上年报告的结转数（上年度报告未在本系统定稿），未核对"})
	}
	// C8 现行有效件数 carries over.
	if lp := opt.LastYearProactive; lp != nil {
		for _, p := range []struct {
			label      string
			this, last Counts
		}{{w("p.rules"), r.Proactive.Rules, lp.Rules}, {w("p.normative"), r.Proactive.NormativeDocuments, lp.NormativeDocuments}} {
			want := p.last.InForce + p.this.Issued - p.this.Repealed
			add("C8", LevelWarning, p.label, "", p.this.InForce == want, fmt.Sprintf("现行有效 %d，上年 %d + 制发 %d − 废止 %d = %d", p.this.InForce, p.last.InForce, p.this.Issued, p.this.Repealed, want))
		}
	} else {
		cs = append(cs, Check{ID: "C8", Level: LevelWarning, Rule: w("rule.C8"), OK: true, Skipped: true, Detail: "未提供上年主动公开数据，未核对"})
	}
	// C9 numbers quoted in the prose.
	cs = append(cs, r.checkProse(opt.Texts)...)
	// C10 litigation after reconsideration presupposes a reconsideration.
	after, recon := r.Table4.Cells[14], r.Table4.Cells[4]
	add("C10", LevelWarning, groupLabel(gongkai.AppealSuitAfterReview), "", after <= recon+lastRecon, fmt.Sprintf("复议后起诉 %d，本年行政复议 %d，上年行政复议 %d", after, recon, lastRecon))
	// C11 不予处理4 needs the Art. 35 request; 其他处理2 needs fee notices in 六.
	add("C11a", LevelWarning, "", string(gongkai.ResultMassRepeat), k.massNoReason.n == 0, "无第三十五条说明理由记录 "+strconv.Itoa(k.massNoReason.n)+" 件"+cite("", k.massNoReason))
	noFee := t[rowResult0+gongkai.ResultNoFee.Index()].Cells[colTotal]
	feeOK := noFee == 0 || opt.Fees.Notices > 0 || strings.Contains(r.Texts.Other, "收费通知")
	add("C11b", LevelWarning, "", string(gongkai.ResultNoFee), feeOK, fmt.Sprintf("其他处理2 共 %d 件，收费通知 %d 件", noFee, opt.Fees.Notices))
	// Data rules: without these the counts above are wrong.
	add("K4", LevelError, "", "", k.noDate.n == 0, "缺少收到日期 "+strconv.Itoa(k.noDate.n)+" 件"+cite("", k.noDate))
	add("K5", LevelError, "", "", k.answeredEarly.n == 0, "答复日期早于收到日期 "+strconv.Itoa(k.answeredEarly.n)+" 件"+cite("", k.answeredEarly))
	add("K14", LevelError, "", "", badAppeals.n == 0, "类型或结果无效的复议诉讼 "+strconv.Itoa(badAppeals.n)+" 件"+cite("", badAppeals))
	return cs
}

// checkProse is C9: every quantity the prose quotes must equal the table. It is
// an error for generated text and a warning for text staff wrote.
func (r *Report) checkProse(given Texts) []Check {
	table := map[string]int{
		"new":             r.Table3[rowNew].Cells[colTotal],
		"carried_in":      r.Table3[rowCarriedIn].Cells[colTotal],
		"concluded":       r.Table3[rowTotal].Cells[colTotal],
		"carried_out":     r.Table3[rowCarriedOut].Cells[colTotal],
		"reconsideration": r.Table4.Cells[4],
		"litigation":      r.Table4.Cells[9] + r.Table4.Cells[14],
	}
	type part struct {
		name, text string
		generated  bool
	}
	parts := []part{{w("h1"), r.Texts.Intro, false}}
	for i, s := range r.Texts.Overview {
		parts = append(parts, part{strings.TrimSuffix(w(fmt.Sprintf("overview.%d", i+1)), "："), s, strings.TrimSpace(given.Overview[i]) == ""})
	}
	parts = append(parts, part{w("h5"), r.Texts.Problems, false}, part{w("h6"), r.Texts.Other, strings.TrimSpace(given.Other) == ""})
	var cs []Check
	for _, p := range parts {
		text := asciiDigits(p.text)
		for _, q := range quotes {
			for _, m := range q.re.FindAllStringSubmatch(text, -1) {
				n, _ := strconv.Atoi(m[1])
				level := LevelWarning
				if p.generated {
					level = LevelError
				}
				cs = append(cs, Check{ID: "C9", Level: level, Rule: w("rule.C9"), Column: q.label, OK: n == table[q.key],
					Detail: fmt.Sprintf("%s：文字 %d 件，表格 %d 件", p.name, n, table[q.key])})
			}
		}
	}
	if len(cs) == 0 {
		cs = append(cs, Check{ID: "C9", Level: LevelWarning, Rule: w("rule.C9"), OK: true, Detail: "文字中未引用表格数字"})
	}
	return cs
}

// negatives lists the cells below zero (C5), or "".
func negatives(r *Report) string {
	var bad []string
	for _, row := range r.Table3 {
		for j, v := range row.Cells {
			if v < 0 {
				bad = append(bad, fmt.Sprintf("%s/%s=%d", row.Label, r.Columns[j], v))
			}
		}
	}
	for i, v := range r.Table4.Cells {
		if v < 0 {
			bad = append(bad, fmt.Sprintf("四第%d列=%d", i+1, v))
		}
	}
	p := r.Proactive
	for _, f := range []struct {
		label string
		v     int
	}{
		{w("p.rules") + w("p.issued"), p.Rules.Issued}, {w("p.rules") + w("p.repealed"), p.Rules.Repealed}, {w("p.rules") + w("p.in_force"), p.Rules.InForce},
		{w("p.normative") + w("p.issued"), p.NormativeDocuments.Issued}, {w("p.normative") + w("p.repealed"), p.NormativeDocuments.Repealed}, {w("p.normative") + w("p.in_force"), p.NormativeDocuments.InForce},
		{w("p.licensing"), p.LicensingDecisions}, {w("p.penalties"), p.Penalties}, {w("p.coercive"), p.CoerciveMeasures},
	} {
		if f.v < 0 {
			bad = append(bad, fmt.Sprintf("%s=%d", f.label, f.v))
		}
	}
	if p.FeesWanYuan < 0 {
		bad = append(bad, w("p.fees")+"="+formatAmount(p.FeesWanYuan, 4))
	}
	return strings.Join(bad, "；")
}

// cite formats up to sampleMax case numbers of s for a check's detail.
func cite(what string, s sample) string {
	if s.n == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("；")
	if what != "" {
		b.WriteString(what + " " + strconv.Itoa(s.n) + " 件，")
	}
	b.WriteString("案件：" + strings.Join(s.nos, "、"))
	if s.n > len(s.nos) {
		b.WriteString(" 等")
	}
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// groupLabel is the heading of a section 四 group.
func groupLabel(k gongkai.AppealKind) string {
	switch k {
	case gongkai.AppealReconsideration:
		return w("t4.reconsideration")
	case gongkai.AppealDirectSuit:
		return w("t4.direct")
	}
	return w("t4.after")
}
