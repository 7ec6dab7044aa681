package classifier

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"gongkai"
	"gongkai/intake"
)

// FieldScore is one row of the evaluation table.
type FieldScore struct {
	Cases   int `json:"cases"`
	Correct int `json:"correct"`
}

// Accuracy is Correct/Cases (1 when there are no cases).
func (s FieldScore) Accuracy() float64 {
	if s.Cases == 0 {
		return 1
	}
	return float64(s.Correct) / float64(s.Cases)
}

// Summary is the result of Eval.
type Summary struct {
	Fields map[string]FieldScore `json:"fields"`
	Diffs  []Diff                `json:"diffs"`
}

// Diff is one field of one message that differs from its label.
type Diff struct {
	File, Field string
	Got, Want   string
}

// evalFields are the compared fields, in schema order (corpus README "Comparing";
// purpose and the label-only keys are not compared).
var evalFields = []string{"malformed", "defects", "subject", "from_name", "from_addr", "date", "is_request", "nature",
	"case_ref", "duplicate_of", "applicant_type", "name", "id_type", "id_number", "id_valid", "org_name", "credit_code",
	"credit_code_valid", "phone", "email", "address", "description", "items", "delivery", "department",
	"missing_fields", "attachments"}

// parseEmail is intake.Parse; a variable so tests can count calls.
var parseEmail = intake.Parse

// memHistory is the evaluation's History: the requests classified so far,
// referred to by their file number (NNN).
type memHistory struct {
	mu   sync.Mutex
	reqs []memPrior
}

type memPrior struct {
	key ApplicantKey
	Prior
}

// PriorRequests matches on the ID number when both sides have one, else on the name.
func (h *memHistory) PriorRequests(k ApplicantKey) []Prior {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Prior
	for _, p := range h.reqs {
		same := false
		switch {
		case k.IDNumber != "" && p.key.IDNumber != "":
			same = k.IDNumber == p.key.IDNumber
		case k.Name != "" && p.key.Name != "":
			same = k.Name == p.key.Name
		}
		if same {
			out = append(out, p.Prior)
		}
	}
	return out
}

func (h *memHistory) add(ref string, v gongkai.Verdict, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, memPrior{key: keyOf(v), Prior: Prior{Ref: ref, Description: v.Description, At: at}})
}

type evalItem struct {
	file string
	e    *gongkai.Email
	err  error
}

// Eval runs intake.Parse and Classify over DIR/*.eml (in Date order, so that
// duplicate detection sees earlier mail first, with an in-memory History keyed
// by NNN) and compares the result with DIR/*.json per the corpus README
// "Comparing" rules. It writes a table (per field: cases, correct, accuracy),
// then every differing case.
func Eval(dir string, w io.Writer) (Summary, error) {
	c, err := New()
	if err != nil {
		return Summary{}, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		return Summary{}, fmt.Errorf("classifier: listing %s: %w", dir, err)
	}
	if len(files) == 0 {
		return Summary{}, fmt.Errorf("classifier: no .eml files in %s", dir)
	}
	var items []evalItem
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return Summary{}, fmt.Errorf("classifier: reading %s: %w", f, err)
		}
		e, perr := parseEmail(raw)
		items = append(items, evalItem{file: filepath.Base(f), e: e, err: perr})
	}
	sort.SliceStable(items, func(i, j int) bool {
		di, dj := dateOf(items[i].e), dateOf(items[j].e)
		if !di.Equal(dj) {
			return di.Before(dj)
		}
		return items[i].file < items[j].file
	})
	hist := &memHistory{}
	sum := Summary{Fields: map[string]FieldScore{}}
	type row struct {
		file      string
		got, want Label
	}
	var rows []row
	for _, it := range items {
		var v gongkai.Verdict
		if it.e == nil {
			v = gongkai.Verdict{Nature: gongkai.KindUnparsed}
		} else {
			v = c.Classify(it.e, hist)
		}
		ref := strings.TrimSuffix(it.file, ".eml")
		if v.Nature == gongkai.KindRequest {
			hist.add(ref, v, dateOf(it.e))
		}
		got := MakeLabel(it.file, it.e, v)
		lb, err := os.ReadFile(filepath.Join(dir, ref+".json"))
		if err != nil {
			continue // unlabelled message: parsed, not scored
		}
		var want Label
		if err := json.Unmarshal(lb, &want); err != nil {
			return sum, fmt.Errorf("classifier: reading label %s.json: %w", ref, err)
		}
		rows = append(rows, row{it.file, got, want})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].file < rows[j].file })
	for _, r := range rows {
		for _, f := range evalFields {
			ok, g, wv := compareField(f, r.got, r.want)
			s := sum.Fields[f]
			s.Cases++
			if ok {
				s.Correct++
			} else {
				sum.Diffs = append(sum.Diffs, Diff{File: r.file, Field: f, Got: g, Want: wv})
			}
			sum.Fields[f] = s
		}
	}
	writeReport(w, dir, len(rows), sum)
	return sum, nil
}

func dateOf(e *gongkai.Email) time.Time {
	if e == nil || e.Date.IsZero() {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return e.Date
}

// normLoose is the normalisation of phone, email, address and description:
// full-width forms folded to ASCII, white space removed, ASCII lower-cased.
func normLoose(s string) string {
	s = foldWidth(s)
	s = strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		return r
	}, s)
	return strings.ToLower(squeeze(s))
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// compareField compares one field per the README "Comparing" rules.
func compareField(f string, got, want Label) (bool, string, string) {
	switch f {
	case "malformed":
		return got.Malformed == want.Malformed, js(got.Malformed), js(want.Malformed)
	case "defects":
		return sameSet(got.Defects, want.Defects), js(got.Defects), js(want.Defects)
	case "subject":
		return got.Subject == want.Subject, got.Subject, want.Subject
	case "from_name":
		return got.FromName == want.FromName, got.FromName, want.FromName
	case "from_addr":
		return got.FromAddr == want.FromAddr, got.FromAddr, want.FromAddr
	case "date":
		return got.Date == want.Date, got.Date, want.Date
	case "is_request":
		return got.IsRequest == want.IsRequest, js(got.IsRequest), js(want.IsRequest)
	case "nature":
		return got.Nature == want.Nature, got.Nature, want.Nature
	case "case_ref":
		return got.CaseRef == want.CaseRef, got.CaseRef, want.CaseRef
	case "duplicate_of":
		return got.DuplicateOf == want.DuplicateOf, got.DuplicateOf, want.DuplicateOf
	case "applicant_type":
		return got.ApplicantType == want.ApplicantType, got.ApplicantType, want.ApplicantType
	case "name":
		return got.Name == want.Name, got.Name, want.Name
	case "id_type":
		return got.IDType == want.IDType, got.IDType, want.IDType
	case "id_number":
		return got.IDNumber == want.IDNumber, got.IDNumber, want.IDNumber
	case "id_valid":
		return reflect.DeepEqual(got.IDValid, want.IDValid), js(got.IDValid), js(want.IDValid)
	case "org_name":
		return got.OrgName == want.OrgName, got.OrgName, want.OrgName
	case "credit_code":
		return got.CreditCode == want.CreditCode, got.CreditCode, want.CreditCode
	case "credit_code_valid":
		return reflect.DeepEqual(got.CreditCodeValid, want.CreditCodeValid), js(got.CreditCodeValid), js(want.CreditCodeValid)
	case "phone":
		return normLoose(got.Phone) == normLoose(want.Phone), got.Phone, want.Phone
	case "email":
		return normLoose(got.Email) == normLoose(want.Email), got.Email, want.Email
	case "address":
		return normLoose(got.Address) == normLoose(want.Address), got.Address, want.Address
	case "description":
		d := normLoose(got.Description)
		var miss []string
		for _, k := range want.DescriptionKeywords {
			if !strings.Contains(d, normLoose(k)) {
				miss = append(miss, k)
			}
		}
		if len(miss) == 0 {
			return true, "", ""
		}
		return false, got.Description, "缺少关键词 " + js(miss)
	case "items":
		return len(got.Items) == len(want.Items), fmt.Sprintf("%d项 %s", len(got.Items), js(got.Items)), fmt.Sprintf("%d项", len(want.Items))
	case "delivery":
		return got.Delivery == want.Delivery, got.Delivery, want.Delivery
	case "department":
		return got.Department == want.Department, got.Department, want.Department
	case "missing_fields":
		return sameSet(got.MissingFields, want.MissingFields), js(got.MissingFields), js(want.MissingFields)
	case "attachments":
		return reflect.DeepEqual(nonNil(got.Attachments), nonNil(want.Attachments)), js(got.Attachments), js(want.Attachments)
	}
	return false, "", ""
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func writeReport(w io.Writer, dir string, n int, s Summary) {
	fmt.Fprintf(w, "评估目录 %s：%d 封带标注的邮件\n\n", dir, n)
	fmt.Fprintf(w, "%-18s %6s %8s %9s\n", "field", "cases", "correct", "accuracy")
	for _, f := range evalFields {
		fs := s.Fields[f]
		fmt.Fprintf(w, "%-18s %6d %8d %8.1f%%\n", f, fs.Cases, fs.Correct, 100*fs.Accuracy())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "比较规则：布尔、枚举、case_ref、duplicate_of、id_number、credit_code、name、org_name 逐字比较；")
	fmt.Fprintln(w, "phone、email、address 先规范化（全角转半角、去除空白、英文小写）再比较；missing_fields、defects 按集合比较，attachments 按列表比较；")
	fmt.Fprintln(w, "description：两边同样规范化（全角转半角、去除空白、英文小写）后，标注的每个 description_keywords 都须出现在抽取结果中；")
	fmt.Fprintln(w, "items 只比较条数；purpose 与 tags、note 不比较。")
	fmt.Fprintln(w)
	if len(s.Diffs) == 0 {
		fmt.Fprintln(w, "没有差异。")
		return
	}
	fmt.Fprintf(w, "差异（%d 处）：\n", len(s.Diffs))
	for _, d := range s.Diffs {
		fmt.Fprintf(w, "%s %-16s got %s\n%s %-16s want %s\n", d.File, d.Field, quoteIfEmpty(d.Got), strings.Repeat(" ", len(d.File)), "", quoteIfEmpty(d.Want))
	}
}

func quoteIfEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
