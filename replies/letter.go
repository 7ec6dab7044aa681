package replies

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"text/template"

	"gongkai"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// LetterData is everything a letter template can read. Case and Agency give
// the applicant, the request and the dates; the other fields are set by the
// handler for the kinds that need them.
type LetterData struct {
	Agency Agency
	Case   gongkai.Case
	Today  gongkai.Date
	DocNo  string // 文号, allocated by the caller (see Agency.DocNo); "" for a draft

	Missing            []string          // 补正 items, gongkai.Missing* names (correction)
	CorrectionDeadline gongkai.Date      // 补正 deadline (correction, result.other.no_correction); defaults to Case.CorrectionDue
	NewDue             gongkai.Date      // extended deadline (extension); defaults to Case.DueOn when Case.Extended
	ExtensionReason    string            // reason in general terms (extension)
	FeeYuan            int               // amount in 元 (fee, result.other.no_fee)
	FeeDeadline        gongkai.Date      // payment deadline (fee)
	ReplyDeadline      gongkai.Date      // reply-by date of a consultation or of an Art. 35 reason request
	Reasons            string            // the handler's reasons: why the facts fit the basis (RULES.md §4.1)
	Provided           []string          // documents provided (result.disclosed, result.partial)
	OtherAgency        string            // the responsible agency (Art. 36(5)) or the co-authoring agency (Art. 34)
	Extra              map[string]string // free fields, see Kind.ExtraFields
}

// Letter is one rendered letter as the store keeps it (table letters).
type Letter struct {
	Kind            Kind
	TemplateVersion int // 0 = the shipped default
	Title           string
	DocNo           string
	Body            string // plain text; paragraphs separated by blank lines
}

// Set is a set of templates: the shipped defaults, with edited versions laid
// over them. A Set is immutable and safe for concurrent use; With returns a
// new one.
type Set struct {
	entries map[Kind]entry
}

type entry struct {
	src     string
	version int
	tmpl    *template.Template
}

var (
	defaultsOnce sync.Once
	defaultSet   *Set
)

// Defaults returns the shipped templates (version 0 of every kind).
func Defaults() *Set {
	defaultsOnce.Do(func() {
		s := &Set{entries: make(map[Kind]entry, len(kindTable))}
		for _, k := range Kinds() {
			b, err := templateFS.ReadFile("templates/" + string(k) + ".tmpl")
			if err != nil {
				panic(fmt.Sprintf("replies: shipped template %s missing: %v", k, err))
			}
			t, err := parse(k, string(b))
			if err != nil {
				panic(fmt.Sprintf("replies: shipped template %s: %v", k, err))
			}
			s.entries[k] = entry{src: string(b), tmpl: t}
		}
		defaultSet = s
	})
	return defaultSet
}

// Source is the template text of k in s ("" for an unknown kind).
func (s *Set) Source(k Kind) string { return s.entries[k].src }

// Version is the version of k's template in s (0 = shipped default).
func (s *Set) Version(k Kind) int { return s.entries[k].version }

// With returns a copy of s in which k uses text as its template, recorded as
// version. The text is checked by Validate first; s itself is unchanged.
func (s *Set) With(k Kind, text string, version int) (*Set, error) {
	if err := Validate(k, text); err != nil {
		return nil, err
	}
	t, err := parse(k, text)
	if err != nil {
		return nil, fmt.Errorf("replies: parsing %s: %w", k, err)
	}
	n := &Set{entries: make(map[Kind]entry, len(s.entries)+1)}
	for kk, e := range s.entries {
		n.entries[kk] = e
	}
	n.entries[k] = entry{src: text, version: version, tmpl: t}
	return n, nil
}

// Render writes the letter of kind k for d with the template of s.
func (s *Set) Render(k Kind, d LetterData) (Letter, error) {
	e, ok := s.entries[k]
	if !ok {
		return Letter{}, gongkai.Errorf(gongkai.EInvalid, "未知的文书类型：%s", k)
	}
	if err := checkData(k, d); err != nil {
		return Letter{}, fmt.Errorf("replies: rendering %s: %w", k, err)
	}
	body, err := execute(e.tmpl, k, d)
	if err != nil {
		return Letter{}, fmt.Errorf("replies: rendering %s: %w", k, err)
	}
	return Letter{
		Kind:            k,
		TemplateVersion: e.version,
		Title:           d.Agency.Name + k.Title(),
		DocNo:           d.DocNo,
		Body:            body,
	}, nil
}

// Preview renders an unsaved template text against d, as the editor's preview
// against a real case does. The text must pass Validate.
func Preview(k Kind, text string, d LetterData) (Letter, error) {
	s, err := Defaults().With(k, text, -1)
	if err != nil {
		return Letter{}, err
	}
	return s.Render(k, d)
}

// view is what a template sees: LetterData's fields plus derived values.
// LetterData's fields are copied rather than embedded: text/template looks a
// field up by name with reflect, and a name found only in an embedded struct
// costs a breadth-first search with allocations on every use (a fifth of the
// time of a 登记回执, rendered for each new case).
type view struct {
	Agency             Agency
	Case               gongkai.Case
	Today              gongkai.Date
	DocNo              string
	Missing            []string
	CorrectionDeadline gongkai.Date
	NewDue             gongkai.Date
	ExtensionReason    string
	FeeYuan            int
	FeeDeadline        gongkai.Date
	ReplyDeadline      gongkai.Date
	Reasons            string
	Provided           []string
	OtherAgency        string
	Extra              map[string]string

	Kind          Kind
	Title         string
	ApplicantName string // the organisation, else the person (Applicant.DisplayName)
	Basis         string // Kind.Basis
	Result        gongkai.ResultInfo
	MissingItems  []string      // Missing in Chinese (gongkai.MissingLabel)
	MissingList   []MissingItem // Missing with guidance (data/missing.tsv)
	You           string        // 您, or 贵单位 for an organisation
	// ExtensionDays is the extension granted (Art. 33: up to 20 working
	// days; the approver may grant fewer).
	ExtensionDays int
	// InConsultation: a consultation holds the answer clock (Art. 32–34):
	// an extension's NewDue is then the latest the answer can be due.
	InConsultation bool
}

// MissingItem is one 补正 item with the guidance that tells how to fix it.
type MissingItem struct {
	Label string
	Guide string
}

func newView(k Kind, d LetterData) view {
	if d.CorrectionDeadline.IsZero() {
		d.CorrectionDeadline = d.Case.CorrectionDue
	}
	if d.NewDue.IsZero() && d.Case.Extended {
		d.NewDue = d.Case.DueOn
	}
	if d.Extra == nil {
		d.Extra = map[string]string{}
	}
	v := view{
		Agency: d.Agency, Case: d.Case, Today: d.Today, DocNo: d.DocNo,
		Missing: d.Missing, CorrectionDeadline: d.CorrectionDeadline, NewDue: d.NewDue,
		ExtensionReason: d.ExtensionReason, FeeYuan: d.FeeYuan, FeeDeadline: d.FeeDeadline,
		ReplyDeadline: d.ReplyDeadline, Reasons: d.Reasons, Provided: d.Provided,
		OtherAgency: d.OtherAgency, Extra: d.Extra,
		Kind:          k,
		Title:         k.Title(),
		ApplicantName: d.Case.Applicant.DisplayName(),
		Basis:         k.Basis(),
	}
	if r, ok := k.Result(); ok {
		v.Result, _ = r.Info()
	}
	if strings.TrimSpace(v.ApplicantName) == "" {
		v.ApplicantName = "申请人" // a letter never opens with a bare "："
	}
	v.ExtensionDays = 20
	if d.Case.ExtensionDays > 0 {
		v.ExtensionDays = d.Case.ExtensionDays
	}
	v.InConsultation = d.Case.Status == gongkai.StatusConsultation
	v.You = "您"
	if d.Case.Applicant.Type.IsOrganisation() {
		v.You = "贵单位"
	}
	for _, m := range d.Missing {
		l := gongkai.MissingLabel(m)
		v.MissingItems = append(v.MissingItems, l)
		v.MissingList = append(v.MissingList, MissingItem{Label: l, Guide: missingGuide[m]})
	}
	return v
}

var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
}

func parse(k Kind, text string) (*template.Template, error) {
	return template.New(string(k)).Option("missingkey=zero").Funcs(funcs).Parse(text)
}

// maxBody bounds a rendered letter, so that a runaway edited template cannot
// fill memory.
const maxBody = 256 << 10

var errTooLong = errors.New("letter too long")

type limitWriter struct {
	bytes.Buffer
}

// Write refuses to grow the letter beyond maxBody.
func (w *limitWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > maxBody {
		return 0, errTooLong
	}
	return w.Buffer.Write(p)
}

func execute(t *template.Template, k Kind, d LetterData) (string, error) {
	var w limitWriter
	w.Grow(4 << 10)
	if err := t.Execute(&w, newView(k, d)); err != nil {
		return "", err
	}
	return tidy(w.String()), nil
}

// tidy trims trailing blanks on each line (keeping the full-width indent at
// the start), folds runs of blank lines left by template actions into one, and
// trims the ends.
func tidy(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	blank := 0 // blank lines held back
	for line := range strings.Lines(s) {
		line = strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), " \t")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
			if blank > 0 {
				b.WriteString("\n")
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}

// checkData refuses to render a letter whose legally required facts are
// missing (RULES.md §5 "must contain"), so that no letter goes out with a
// blank deadline.
func checkData(k Kind, d LetterData) error {
	var fe []gongkai.FieldError
	add := func(field, msg string) { fe = append(fe, gongkai.FieldError{Field: field, Message: msg}) }
	v := newView(k, d)
	switch k {
	case KindCorrection:
		if len(d.Missing) == 0 {
			add("missing", "补正告知书须一次性列明全部需要补正的事项（《条例》第三十条）")
		}
		if v.CorrectionDeadline.IsZero() {
			add("correction_deadline", "补正告知书须写明补正期限")
		}
	case KindExtension:
		if v.NewDue.IsZero() {
			add("new_due", "延期答复告知书须写明延长后的答复期限")
		}
	case KindFee:
		if d.FeeYuan <= 0 {
			add("fee_yuan", "收费通知书须写明收费金额")
		}
		if d.FeeDeadline.IsZero() {
			add("fee_deadline", "收费通知书须写明缴费期限")
		}
	case KindConsultAgency:
		if strings.TrimSpace(d.OtherAgency) == "" {
			add("other_agency", "征求意见函须写明被征求意见的机关")
		}
		fallthrough
	case KindConsultThirdParty, KindReasons:
		if d.ReplyDeadline.IsZero() {
			add("reply_deadline", "须写明答复期限")
		}
	}
	if k.remedyDue() {
		if strings.TrimSpace(d.Agency.ReviewBody) == "" {
			add("agency.review_body", "未配置行政复议机关，无法写明救济途径")
		}
		if strings.TrimSpace(d.Agency.Court) == "" {
			add("agency.court", "未配置行政诉讼管辖法院，无法写明救济途径")
		}
	}
	if len(fe) > 0 {
		return gongkai.Invalid(fe)
	}
	return nil
}

// placeholderRE finds the 【待填写：…】 marks a template leaves for the handler.
var placeholderRE = regexp.MustCompile(`【待填写：[^】]*】`)

// Placeholders lists the unfilled 【待填写：…】 marks in a rendered body, so
// the inbox can stop a letter from being approved with blanks in it.
func Placeholders(body string) []string { return placeholderRE.FindAllString(body, -1) }
