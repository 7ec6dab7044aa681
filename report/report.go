// Package report builds the annual report on government information disclosure
// (政府信息公开工作年度报告, RULES.md §2) from case data: the counts of section
// 三 and 四, the staff-entered figures of section 二, the prose of 一/五/六,
// and the consistency checks C1–C11. It renders JSON (contracts/annual-report.md),
// Markdown (shaped like the seed report), HTML and XLSX.
//
// The package is pure: the database reaches it through Source.
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gongkai"
)

// CaseRow is what the report needs of one case.
type CaseRow struct {
	No            string
	ApplicantType gongkai.ApplicantType
	ReceivedOn    gongkai.Date
	AnsweredOn    gongkai.Date // zero while open
	Result        gongkai.ResultKey
	// Counted is false for messages triaged as not requests: they are never
	// counted (K4, RULES.md §7).
	Counted bool
	// ReasonAsked tells that an Art. 35 reason request was recorded on the case;
	// C11 expects it on every 无正当理由大量反复申请 outcome.
	ReasonAsked bool
}

// Source streams the rows relevant to a year.
type Source interface {
	// EachCase calls fn for the cases received on or before Dec 31 of year whose
	// answer is empty or on/after Jan 1 of year-1 (enough for new, carried_in,
	// results and carried_out). Rows outside that window are ignored by Build,
	// so a source may pass more. An error from fn must stop the iteration and
	// be returned.
	EachCase(ctx context.Context, year int, fn func(CaseRow) error) error
	// Appeals returns the appeals filed in year (K14); others are ignored.
	Appeals(ctx context.Context, year int) ([]gongkai.Appeal, error)
}

// Counts is one line of the 第二十条第（一）项 block.
type Counts struct {
	Issued   int `json:"issued"`
	Repealed int `json:"repealed"`
	InForce  int `json:"in_force"`
}

// Proactive holds the section 二 figures, entered by staff (RULES.md §2.3, §2.8).
// Its JSON is the contract's "proactive" object.
type Proactive struct {
	Rules              Counts  `json:"rules"`
	NormativeDocuments Counts  `json:"normative_documents"`
	LicensingDecisions int     `json:"licensing_decisions"`
	Penalties          int     `json:"penalties"`
	CoerciveMeasures   int     `json:"coercive_measures"`
	FeesWanYuan        float64 `json:"fees_wan_yuan"` // 万元, printed as entered (≤ 4 decimals)
}

// Texts holds the prose sections, editable by staff. An empty Overview[1]
// （二）依申请公开 is generated from the data; an empty Other (六) gets the
// generated fee sentence; "无" is printed as is.
type Texts struct {
	Intro    string    `json:"intro"`    // 一、总体情况, the opening paragraph(s)
	Overview [5]string `json:"overview"` // （一）主动公开 … （五）监督保障, text after the head
	Problems string    `json:"problems"` // 五、存在的主要问题及改进情况
	Other    string    `json:"other"`    // 六、其他需要报告的事项
}

// Fees are the information-processing fees of the year (国办函〔2020〕109号),
// quoted in the generated sentence of section 六.
type Fees struct {
	Notices    int     `json:"notices"`     // fee notices sent
	AmountYuan float64 `json:"amount_yuan"` // collected, in 元
}

// Options are the inputs of Build that do not come from cases.
type Options struct {
	Agency             string
	Self               string // how the agency names itself in prose; default 我局
	Proactive          Proactive
	LastYearProactive  *Proactive // for C8, when known
	Texts              Texts
	Fees               Fees
	LastYearCarriedOut *[7]int // last year's printed 四, for C7, when known
}

// Row is one numeric row of the section 三 table.
type Row struct {
	Key     string `json:"key"`
	Label   string `json:"label"`             // row label as printed
	Section string `json:"section,omitempty"` // 三、本年度办理结果 for outcome rows
	Group   string `json:"group,omitempty"`   // （三）不予公开 … for sub-rows
	Cells   [7]int `json:"cells"`
}

// Subtotal is a group of section 三 that the official table prints without
// numbers; the JSON carries it for convenience (RULES.md §2.4 notes).
type Subtotal struct {
	Group string `json:"group"`
	Cells [7]int `json:"cells"`
}

// Table4 is section 四: 15 cells in contract order.
type Table4 struct {
	Cells   [15]int    `json:"cells"`
	Columns [15]string `json:"columns"` // e.g. 行政复议·结果维持, for readers of the JSON
}

// Check is one evaluated consistency rule (RULES.md §2.6).
type Check struct {
	ID      string `json:"id"`    // C1 … C11, or K4/K5/K14 for data errors
	Level   string `json:"level"` // error | warning
	Rule    string `json:"rule"`
	Column  string `json:"column"`
	Row     string `json:"row,omitempty"` // row key for per-row rules (C3)
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"` // data needed for the rule were not given
	Detail  string `json:"detail,omitempty"`
}

// Check levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
)

// Report is the annual report of one year. Its JSON is contracts/annual-report.md.
type Report struct {
	Year      int        `json:"year"`
	Agency    string     `json:"agency"`
	Columns   []string   `json:"columns"`
	Table3    []Row      `json:"table3"`
	Table4    Table4     `json:"table4"`
	Proactive Proactive  `json:"proactive"`
	Checks    []Check    `json:"checks"`
	Subtotals []Subtotal `json:"subtotals"`
	Texts     Texts      `json:"texts"` // as printed, generated parts filled in

	self        string
	fees        Fees
	index       caseIndex
	appealCases [15][]string
}

// Row keys of section 三 other than the outcome keys (contracts/annual-report.md).
const (
	KeyNew         = "new"
	KeyCarriedIn   = "carried_in"
	KeyResultTotal = "result.total"
	KeyCarriedOut  = "carried_out"
)

// Row positions in Table3.
const (
	rowNew        = 0
	rowCarriedIn  = 1
	rowResult0    = 2 // first of the 21 outcome rows
	rowTotal      = rowResult0 + 21
	rowCarriedOut = rowTotal + 1
	nRows         = rowCarriedOut + 1
	colTotal      = 6
)

// Build counts the cases of year from src and evaluates the checks.
// The report is returned even when checks fail; see OK.
func Build(ctx context.Context, src Source, year int, opt Options) (*Report, error) {
	if len(gongkai.Results) != 21 || len(gongkai.ApplicantTypes) != 6 {
		return nil, fmt.Errorf("report: building %d: domain has %d outcome rows and %d columns, want 21 and 6", year, len(gongkai.Results), len(gongkai.ApplicantTypes))
	}
	r := &Report{Year: year, Agency: opt.Agency, Proactive: opt.Proactive, self: opt.Self, fees: opt.Fees}
	if r.self == "" {
		r.self = w("self")
	}
	for _, t := range gongkai.ApplicantTypes {
		r.Columns = append(r.Columns, string(t))
	}
	r.Columns = append(r.Columns, w("t3.total"))
	r.Table3 = emptyTable3()
	for g, kind := range appealGroups {
		for i, o := range []string{"t4.upheld", "t4.corrected", "t4.other", "t4.pending", "t4.total"} {
			r.Table4.Columns[g*5+i] = groupLabel(kind) + "·" + w(o)
		}
	}

	c := newCounter(year)
	if err := src.EachCase(ctx, year, c.add); err != nil {
		return nil, fmt.Errorf("report: reading cases of %d: %w", year, err)
	}
	c.fill(r)

	appeals, err := src.Appeals(ctx, year)
	if err != nil {
		return nil, fmt.Errorf("report: reading appeals of %d: %w", year, err)
	}
	bad := r.countAppeals(appeals)
	last, err := src.Appeals(ctx, year-1)
	if err != nil {
		return nil, fmt.Errorf("report: reading appeals of %d: %w", year-1, err)
	}
	lastRecon := 0
	for _, a := range last {
		if a.FiledOn.Year() == year-1 && a.Kind == gongkai.AppealReconsideration {
			lastRecon++
		}
	}

	r.Texts = r.prose(opt.Texts)
	r.Checks = r.check(opt, c, bad, lastRecon)
	return r, nil
}

// emptyTable3 returns the 25 rows with their keys and labels (RULES.md §2.4).
func emptyTable3() []Row {
	rows := make([]Row, 0, nRows)
	rows = append(rows, Row{Key: KeyNew, Label: w("t3.new")}, Row{Key: KeyCarriedIn, Label: w("t3.carried_in")})
	for _, ri := range gongkai.Results {
		rows = append(rows, Row{Key: string(ri.Key), Label: ri.Label, Section: w("t3.results"), Group: ri.Group})
	}
	rows = append(rows, Row{Key: KeyResultTotal, Label: w("t3.result_total"), Section: w("t3.results")}, Row{Key: KeyCarriedOut, Label: w("t3.carried_out")})
	return rows
}

// RowIndex returns the position of a row key in Table3, or -1.
func RowIndex(key string) int {
	switch key {
	case KeyNew:
		return rowNew
	case KeyCarriedIn:
		return rowCarriedIn
	case KeyResultTotal:
		return rowTotal
	case KeyCarriedOut:
		return rowCarriedOut
	}
	if i := gongkai.ResultKey(key).Index(); i >= 0 {
		return rowResult0 + i
	}
	return -1
}

// Row returns the row of Table3 with the given key.
func (r *Report) Row(key string) (Row, bool) {
	i := RowIndex(key)
	if i < 0 || i >= len(r.Table3) {
		return Row{}, false
	}
	return r.Table3[i], true
}

// Published is a year's report as it was published (定稿): its JSON
// (contracts/annual-report.md), who published it and when.
type Published struct {
	Year int
	JSON string
	By   string
	At   time.Time
}

// Report decodes the published report.
func (p *Published) Report() (*Report, error) {
	var r Report
	if err := json.Unmarshal([]byte(p.JSON), &r); err != nil {
		return nil, fmt.Errorf("report: reading the published report of %d: %w", p.Year, err)
	}
	return &r, nil
}

// Differs reports whether r prints anything other than the published
// report: a figure, a row or the prose. The checks are left out: C7 of a
// published report changes when the year before is published later.
func (p *Published) Differs(r *Report) (bool, error) {
	pub, err := p.Report()
	if err != nil {
		return false, err
	}
	now := *r
	pub.Checks, now.Checks = nil, nil
	a, err := json.Marshal(pub)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(now)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(a, b), nil
}

// OK reports whether no error-level check failed (`gongkai report` exits 3 otherwise).
func (r *Report) OK() bool { return len(r.Errors()) == 0 }

// Errors returns the error-level checks that did not pass.
func (r *Report) Errors() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK && c.Level == LevelError {
			out = append(out, c)
		}
	}
	return out
}

// Failed returns the checks that did not pass, errors and warnings.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}
