package report

import (
	"math"
	"strconv"
	"strings"
)

// prose returns the texts as printed: staff text where given, generated text
// for （二）依申请公开 and for 六 when they are empty (RULES.md §2.2).
func (r *Report) prose(t Texts) Texts {
	out := t
	if strings.TrimSpace(t.Overview[1]) == "" {
		out.Overview[1] = r.requestSentence()
	}
	if strings.TrimSpace(t.Other) == "" {
		out.Other = r.feeSentence()
	}
	return out
}

// requestSentence is the generated （二）依申请公开 paragraph, in the seed's
// wording: "2024 年我局共收到政府信息公开申请 10 件，已全部按规定予以答复。"
// It quotes the 总计 column of section 三 and section 四, so C9 can verify it.
func (r *Report) requestSentence() string {
	n, in := r.Table3[rowNew].Cells[colTotal], r.Table3[rowCarriedIn].Cells[colTotal]
	done, out := r.Table3[rowTotal].Cells[colTotal], r.Table3[rowCarriedOut].Cells[colTotal]
	recon := r.Table4.Cells[4]
	lit := r.Table4.Cells[9] + r.Table4.Cells[14]
	kv := []string{
		"year", strconv.Itoa(r.Year), "self", r.self,
		"new", strconv.Itoa(n), "carried_in", strconv.Itoa(in),
		"concluded", strconv.Itoa(done), "carried_out", strconv.Itoa(out),
		"reconsideration", strconv.Itoa(recon), "litigation", strconv.Itoa(lit),
	}
	var b strings.Builder
	if n == 0 && in == 0 {
		b.WriteString(fill(w("gen.none"), kv...))
	} else {
		b.WriteString(fill(w("gen.received"), kv...))
		if in > 0 {
			b.WriteString(fill(w("gen.carried_in"), kv...))
		}
		if out == 0 {
			b.WriteString(w("gen.all_answered"))
		} else {
			b.WriteString(fill(w("gen.carried_out"), kv...))
		}
	}
	if recon > 0 || lit > 0 {
		b.WriteString(fill(w("gen.appeals"), kv...))
	}
	return b.String()
}

// feeSentence is the generated section 六 text about information-processing fees.
func (r *Report) feeSentence() string {
	if r.fees.Notices == 0 && r.fees.AmountYuan == 0 {
		return w("gen.no_fee")
	}
	return fill(w("gen.fee"), "notices", strconv.Itoa(r.fees.Notices), "amount", formatAmount(r.fees.AmountYuan, 2))
}

// formatAmount prints a money amount as entered, rounded to at most places
// decimals and without trailing zeros (RULES.md §2.8: 万元, up to 4 decimals).
func formatAmount(v float64, places int) string {
	p := math.Pow10(places)
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// asciiDigits turns full-width digits into ASCII so C9 reads "１０件" too.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}
