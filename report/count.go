package report

import (
	"sort"

	"gongkai"
)

// Attribute bits of one indexed case (see caseIndex).
const (
	attrColMask    = 0x7 // applicant column + 1; 0 = invalid applicant type
	attrNew        = 1 << 3
	attrCarriedIn  = 1 << 4
	attrCarriedOut = 1 << 5
	attrConcluded  = 1 << 6
	attrResShift   = 7 // outcome index + 1 in bits 7–11; 0 = none or invalid
)

// caseIndex keeps, for the drill-down, every case that touches a number of the
// year: its case number and 12 bits saying where it was counted. Numbers are
// packed into byte chunks of indexChunkLen cases, so a year of a million cases
// costs about 20 bytes a case, holds no pointer per case for the garbage
// collector, and never copies itself while growing. Cases filters it at query
// time: a linear scan of a few hundred thousand entries takes milliseconds,
// and a drill-down is one click by one staff member.
type caseIndex struct {
	chunks []*indexChunk
}

// indexChunkLen is the number of cases per chunk.
const indexChunkLen = 8192

type indexChunk struct {
	nos   []byte   // case numbers, concatenated
	ends  []uint32 // end of each number in nos
	attrs []uint16
}

func (x *caseIndex) add(no string, attr uint16) {
	n := len(x.chunks)
	if n == 0 || len(x.chunks[n-1].attrs) == indexChunkLen {
		x.chunks = append(x.chunks, &indexChunk{
			nos:   make([]byte, 0, indexChunkLen*16),
			ends:  make([]uint32, 0, indexChunkLen),
			attrs: make([]uint16, 0, indexChunkLen),
		})
		n++
	}
	c := x.chunks[n-1]
	c.nos = append(c.nos, no...)
	c.ends = append(c.ends, uint32(len(c.nos)))
	c.attrs = append(c.attrs, attr)
}

// no returns the case number of entry i.
func (c *indexChunk) no(i int) string {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return string(c.nos[start:c.ends[i]])
}

// sample collects up to sampleMax case numbers for a check's detail, and counts all.
type sample struct {
	n   int
	nos []string
}

const sampleMax = 20

func (s *sample) add(no string) {
	s.n++
	if len(s.nos) < sampleMax {
		s.nos = append(s.nos, no)
	}
}

// counter applies the counting rules K4–K7 to a stream of cases.
type counter struct {
	jan1, dec31 gongkai.Date
	t3          [nRows][7]int
	idx         caseIndex

	noDate        sample // K4: no receipt date
	answeredEarly sample // K5: answer before receipt
	badType       sample // counted in 总计 only (C3 shows it)
	badResult     sample // concluded without a valid outcome (C4)
	massNoReason  sample // 无正当理由大量反复申请 without an Art. 35 request (C11)
}

func newCounter(year int) *counter {
	return &counter{jan1: gongkai.NewDate(year, 1, 1), dec31: gongkai.NewDate(year, 12, 31)}
}

var massRepeat = gongkai.ResultMassRepeat.Index()

// add counts one case (RULES.md §2.7).
func (k *counter) add(c CaseRow) error {
	if !c.Counted { // K4: not a request, never counted
		return nil
	}
	if c.ReceivedOn.IsZero() {
		k.noDate.add(c.No)
		return nil
	}
	if c.ReceivedOn.After(k.dec31) {
		return nil
	}
	answered := !c.AnsweredOn.IsZero()
	before := c.ReceivedOn.Before(k.jan1)
	var attr uint16
	if !before { // K4: received in the year
		attr |= attrNew
	}
	if before && (!answered || !c.AnsweredOn.Before(k.jan1)) { // K7: open on Jan 1
		attr |= attrCarriedIn
	}
	if !answered || c.AnsweredOn.After(k.dec31) { // K6: open on Dec 31
		attr |= attrCarriedOut
	}
	res := -1
	if answered && !c.AnsweredOn.Before(k.jan1) && !c.AnsweredOn.After(k.dec31) { // K5
		attr |= attrConcluded
		if res = c.Result.Index(); res < 0 {
			k.badResult.add(c.No)
		} else {
			attr |= uint16(res+1) << attrResShift
		}
		if res == massRepeat && !c.ReasonAsked {
			k.massNoReason.add(c.No)
		}
	}
	if attr == 0 {
		return nil
	}
	if answered && c.AnsweredOn.Before(c.ReceivedOn) {
		k.answeredEarly.add(c.No)
	}
	col := c.ApplicantType.Column()
	if col < 0 {
		k.badType.add(c.No)
	}
	attr |= uint16(col + 1)
	inc := func(row int) {
		if col >= 0 {
			k.t3[row][col]++
		}
		k.t3[row][colTotal]++
	}
	if attr&attrNew != 0 {
		inc(rowNew)
	}
	if attr&attrCarriedIn != 0 {
		inc(rowCarriedIn)
	}
	if attr&attrCarriedOut != 0 {
		inc(rowCarriedOut)
	}
	if res >= 0 {
		inc(rowResult0 + res)
	}
	k.idx.add(c.No, attr)
	return nil
}

// fill writes the counts into r; result.total is the sum of the 21 outcome rows.
func (k *counter) fill(r *Report) {
	for i := range r.Table3 {
		r.Table3[i].Cells = k.t3[i]
	}
	var total [7]int
	for i := rowResult0; i < rowTotal; i++ {
		for j := range total {
			total[j] += r.Table3[i].Cells[j]
		}
	}
	r.Table3[rowTotal].Cells = total
	r.Subtotals = nil
	for _, g := range resultGroups() {
		s := Subtotal{Group: g}
		for i := rowResult0; i < rowTotal; i++ {
			if r.Table3[i].Group == g {
				for j := range s.Cells {
					s.Cells[j] += r.Table3[i].Cells[j]
				}
			}
		}
		r.Subtotals = append(r.Subtotals, s)
	}
	r.index = k.idx
}

// Cases returns the case numbers counted in the cell (rowKey, col) of section
// 三, sorted; col is 0–6 in the order of Columns (6 = 总计). This is the
// drill-down behind every number of the HTML table.
func (r *Report) Cases(rowKey string, col int) []string {
	ri := RowIndex(rowKey)
	if ri < 0 || col < 0 || col > colTotal {
		return nil
	}
	out := []string{}
	for _, c := range r.index.chunks {
		for i, a := range c.attrs {
			if col != colTotal && int(a&attrColMask)-1 != col {
				continue
			}
			res := int(a >> attrResShift)
			var hit bool
			switch ri {
			case rowNew:
				hit = a&attrNew != 0
			case rowCarriedIn:
				hit = a&attrCarriedIn != 0
			case rowCarriedOut:
				hit = a&attrCarriedOut != 0
			case rowTotal:
				hit = res > 0
			default:
				hit = res == ri-rowResult0+1
			}
			if hit {
				out = append(out, c.no(i))
			}
		}
	}
	sort.Strings(out)
	return out
}

// Table4 column groups and outcome columns (RULES.md §2.5).
var (
	appealGroups   = []gongkai.AppealKind{gongkai.AppealReconsideration, gongkai.AppealDirectSuit, gongkai.AppealSuitAfterReview}
	appealOutcomes = []gongkai.AppealOutcome{gongkai.OutcomeUpheld, gongkai.OutcomeCorrected, gongkai.OutcomeOther, gongkai.OutcomePending}
)

// countAppeals fills Table4 under K13–K15: an appeal counts in the year it
// was filed, in the column of its status on Dec 31 of that year. It returns
// the appeals it could not place (unknown kind or outcome).
func (r *Report) countAppeals(appeals []gongkai.Appeal) sample {
	var bad sample
	dec31 := gongkai.NewDate(r.Year, 12, 31)
	for _, a := range appeals {
		if a.FiledOn.Year() != r.Year {
			continue
		}
		g := -1
		for i, k := range appealGroups {
			if a.Kind == k {
				g = i
			}
		}
		o := 3 // 尚未审结
		if a.Outcome != "" && a.Outcome != gongkai.OutcomePending && !a.DecidedOn.After(dec31) {
			o = -1
			for i, v := range appealOutcomes {
				if a.Outcome == v {
					o = i
				}
			}
		}
		if g < 0 || o < 0 {
			bad.add(a.CaseNo)
			continue
		}
		r.Table4.Cells[g*5+o]++
		r.Table4.Cells[g*5+4]++
		r.appealCases[g*5+o] = append(r.appealCases[g*5+o], a.CaseNo)
		r.appealCases[g*5+4] = append(r.appealCases[g*5+4], a.CaseNo)
	}
	return bad
}

// AppealCases returns the case numbers behind cell i (0–14) of section 四.
func (r *Report) AppealCases(i int) []string {
	if i < 0 || i >= len(r.appealCases) {
		return nil
	}
	out := append([]string(nil), r.appealCases[i]...)
	sort.Strings(out)
	return out
}

// resultGroups lists the sub-group labels of the outcome rows in table order.
func resultGroups() []string {
	var gs []string
	for _, ri := range gongkai.Results {
		if ri.Group != "" && (len(gs) == 0 || gs[len(gs)-1] != ri.Group) {
			gs = append(gs, ri.Group)
		}
	}
	return gs
}
