package replies

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gongkai"
)

// Problem is one reason a template text is refused: where (Line, Col; 0 when
// the problem is an element missing from the whole letter) and why, in Chinese.
type Problem struct {
	Line   int
	Col    int
	Reason string
}

// String is the problem as the editor shows it, e.g. 第3行第5列：不存在字段“Foo”.
func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("第%d行第%d列：%s", p.Line, p.Col, p.Reason)
	case p.Line > 0:
		return fmt.Sprintf("第%d行：%s", p.Line, p.Reason)
	}
	return p.Reason
}

// ValidationError lists everything wrong with a template text. Validate
// returns it wrapped in a *gongkai.Error of kind EInvalid, so web/ maps it to
// 422 and shows Message; errors.As finds the problems.
type ValidationError struct {
	Kind     Kind
	Problems []Problem
}

// Error joins the problems in one Chinese sentence for staff.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("模板“%s”不能保存：%s", e.Kind.Label(), strings.Join(parts, "；"))
}

// Validate checks a template text for kind k at save time (issue 6): it must
// parse, render against SampleData without error, and the rendered letter must
// contain the elements the law requires of that kind — the legal basis, the
// remedy clause in every final letter (RULES.md §4.1–§4.2), the missing items
// and deadline of a 补正 notice (§3.5), the new deadline of an extension
// (§3.4), and so on. Elements are checked in the output, not the source, so an
// admin may write them literally or with {{…}} fields.
func Validate(k Kind, text string) error {
	if !k.Valid() {
		return gongkai.Errorf(gongkai.EInvalid, "未知的文书类型：%s", k)
	}
	ve := &ValidationError{Kind: k}
	if strings.TrimSpace(text) == "" {
		ve.Problems = append(ve.Problems, Problem{Reason: "模板内容为空"})
		return wrapValidation(ve)
	}
	t, err := parse(k, text)
	if err != nil {
		ve.Problems = append(ve.Problems, templateProblem(err))
		return wrapValidation(ve)
	}
	sample := SampleData()
	out, err := execute(t, k, sample)
	if err != nil {
		ve.Problems = append(ve.Problems, templateProblem(err))
		return wrapValidation(ve)
	}
	// Branches the sample does not take must render too.
	for _, d := range sampleVariants() {
		if _, err := execute(t, k, d); err != nil {
			ve.Problems = append(ve.Problems, templateProblem(err))
			return wrapValidation(ve)
		}
	}
	for _, n := range requirements(k, sample) {
		if !n.ok(out) {
			ve.Problems = append(ve.Problems, Problem{Reason: "缺少" + n.what})
		}
	}
	if k == KindExtension && len(ve.Problems) == 0 {
		// Extended during a consultation the letter takes its other branch
		// (InConsultation), which must say as much.
		susp := SampleData()
		susp.Case.Status = gongkai.StatusConsultation
		if out, err := execute(t, k, susp); err == nil {
			for _, n := range requirements(k, susp) {
				if !n.ok(out) {
					ve.Problems = append(ve.Problems, Problem{Reason: "缺少" + n.what + "（征求意见期间延期时）"})
				}
			}
		}
	}
	if len(ve.Problems) > 0 {
		return wrapValidation(ve)
	}
	return nil
}

func wrapValidation(ve *ValidationError) error {
	fe := make([]gongkai.FieldError, len(ve.Problems))
	for i, p := range ve.Problems {
		fe[i] = gongkai.FieldError{Field: "template", Message: p.String()}
	}
	return &gongkai.Error{Kind: gongkai.EInvalid, Message: ve.Error(), Fields: fe, Err: ve}
}

// need is one required element of a rendered letter.
type need struct {
	what string // Chinese, completes "缺少…"
	ok   func(out string) bool
}

func contains(s string) func(string) bool {
	return func(out string) bool { return strings.Contains(out, s) }
}

func containsAny(ss ...string) func(string) bool {
	return func(out string) bool {
		for _, s := range ss {
			if strings.Contains(out, s) {
				return true
			}
		}
		return false
	}
}

// articleRE picks the checkable parts of a legal basis: article numbers and
// document numbers such as 〔2020〕109号.
var articleRE = regexp.MustCompile(`第[一二三四五六七八九十百零]+条|〔\d{4}〕\d+号`)

// requirements lists what a letter of kind k rendered for sample d must show.
func requirements(k Kind, d LetterData) []need {
	v := newView(k, d)
	var ns []need
	add := func(what string, ok func(string) bool) { ns = append(ns, need{what, ok}) }

	// Common elements (RULES.md §4.1): addressee, request, receipt date, contact.
	if k != KindConsultThirdParty && k != KindConsultAgency {
		add("申请人名称（可用 {{.ApplicantName}}）", contains(v.ApplicantName))
	}
	add("申请内容（可用 {{.Case.Description}}）", contains(d.Case.Description))
	add("收到申请之日（可用 {{.Case.ReceivedOn.Chinese}}）", contains(d.Case.ReceivedOn.Chinese()))
	add("联系电话（可用 {{.Agency.Phone}}）", contains(d.Agency.Phone))

	for _, a := range articleRE.FindAllString(k.Basis(), -1) {
		add(fmt.Sprintf("法律依据：正文须引用“%s”（本类文书的依据为%s）", a, k.Basis()), contains(a))
	}
	if k.remedyDue() {
		add("救济途径：须写明可在六十日内向复议机关申请行政复议（可用 {{.Agency.ReviewBody}}）",
			func(out string) bool {
				return strings.Contains(out, "行政复议") && strings.Contains(out, d.Agency.ReviewBody) &&
					containsAny("六十日", "60日", "60 日")(out)
			})
		add("救济途径：须写明可在六个月内向人民法院提起行政诉讼（可用 {{.Agency.Court}}）",
			func(out string) bool {
				return strings.Contains(out, "行政诉讼") && strings.Contains(out, d.Agency.Court) &&
					containsAny("六个月", "6个月", "6 个月")(out)
			})
	}

	switch k {
	case KindReceipt:
		add("受理编号（可用 {{.Case.No}}）", contains(d.Case.No))
		add("查询码（可用 {{.Case.QueryCode}}）", contains(d.Case.QueryCode))
		add("答复期限（可用 {{.Case.DueOn.Chinese}}）", contains(d.Case.DueOn.Chinese()))
	case KindCorrection:
		for _, m := range v.MissingItems {
			add(fmt.Sprintf("补正事项“%s”：须逐项列明（可用 {{range .MissingItems}}）", m), contains(m))
		}
		add("补正期限（可用 {{.CorrectionDeadline.Chinese}}）", contains(v.CorrectionDeadline.Chinese()))
	case KindExtension:
		add("延长后的答复期限（可用 {{.NewDue.Chinese}}）", contains(v.NewDue.Chinese()))
		add("延期理由（可用 {{.ExtensionReason}}）", contains(d.ExtensionReason))
	case KindFee:
		add("收费金额（可用 {{.FeeYuan}}）", contains(strconv.Itoa(d.FeeYuan)))
		add("缴费期限（可用 {{.FeeDeadline.Chinese}}）", contains(d.FeeDeadline.Chinese()))
	case KindReasons, KindConsultThirdParty:
		add("答复期限（可用 {{.ReplyDeadline.Chinese}}）", contains(d.ReplyDeadline.Chinese()))
	case KindConsultAgency:
		add("被征求意见的机关（可用 {{.OtherAgency}}）", contains(d.OtherAgency))
		add("答复期限（可用 {{.ReplyDeadline.Chinese}}）", contains(d.ReplyDeadline.Chinese()))
	}

	if r, ok := k.Result(); ok {
		switch r {
		case gongkai.ResultDisclosed, gongkai.ResultPartial:
			for _, p := range d.Provided {
				add(fmt.Sprintf("提供的信息“%s”：须逐项列明（可用 {{range .Provided}}）", p), contains(p))
			}
		}
		switch r {
		case gongkai.ResultDisclosed:
		case gongkai.ResultNoCorrection:
			add("补正期限（可用 {{.CorrectionDeadline.Chinese}}）", contains(v.CorrectionDeadline.Chinese()))
		case gongkai.ResultNoFee:
			add("收费金额（可用 {{.FeeYuan}}）", contains(strconv.Itoa(d.FeeYuan)))
		default:
			// Reasons are required for every refusal (Art. 36(3), 37; RULES.md §4.1).
			add("理由（可用 {{.Reasons}}）", contains(d.Reasons))
		}
	}
	return ns
}

// templateErrRE splits a text/template error: name, line, optional column,
// optional "executing … at <…>:" context, and the message.
var templateErrRE = regexp.MustCompile(`^template: [^:]*:(\d+)(?::(\d+))?: (?:executing "[^"]*" at <([^>]*)>: )?(.*)$`)

var actionStartRE = regexp.MustCompile(` in action started at [^:]*:(\d+)$`)

type errRule struct {
	re   *regexp.Regexp
	repl string
}

var errRules = mustErrRules()

func mustErrRules() []errRule {
	rows, err := tsvRows("data/errors.tsv")
	if err != nil {
		panic(err)
	}
	out := make([]errRule, 0, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			panic(fmt.Sprintf("replies: data/errors.tsv: bad row %q", r))
		}
		out = append(out, errRule{regexp.MustCompile(r[0]), r[1]})
	}
	return out
}

// templateProblem turns a text/template parse or execution error into a
// Problem with its line and a Chinese reason.
func templateProblem(err error) Problem {
	if errors.Is(err, errTooLong) {
		return Problem{Reason: "正文过长（可能是循环失控）"}
	}
	msg := err.Error()
	var p Problem
	at := ""
	if m := templateErrRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Col, _ = strconv.Atoi(m[2])
		msg = m[4]
		if m[3] != "" {
			at = "（位于 " + m[3] + "）"
		}
	}
	// An error inside an action is best located where the action starts.
	if m := actionStartRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Col = 0
		msg = strings.TrimSuffix(msg, m[0])
	}
	p.Reason = translate(msg) + at
	return p
}

func translate(msg string) string {
	for _, r := range errRules {
		if r.re.MatchString(msg) {
			return r.re.ReplaceAllString(msg, r.repl)
		}
	}
	return "模板错误：" + msg
}
