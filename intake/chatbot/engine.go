// Package chatbot is the dialog engine of the public chat page (issue 8): a
// pure state machine over a State that fills the fields of a
// gongkai.Application from free text (several at once, in any order,
// corrections at any time), validates them exactly as the web form does
// (gongkai.Application.Validate), shows a summary, and on confirmation files
// through the same path as the form. It also answers the common questions
// from RULES.md, looks up a case by 受理编号 and 查询码, and recognises
// 信访/complaints (RULES.md §7, Art. 39).
//
// The engine has no clock, storage or network of its own: Now, File, Track
// and Nature are injected, so a transcript replays identically (golden tests
// in testdata/). Service adds the sessions kept in SQLite.
package chatbot

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongkai"
)

// Stages of a conversation.
const (
	StageCollect   = ""          // filling the application (or idle)
	StageConfirm   = "confirm"   // summary shown, waiting for 确认提交
	StageComplaint = "complaint" // text read as a 信访/complaint; waiting for "坚持申请"
	StageDone      = "done"      // filed
)

// State is one conversation, stored as JSON between turns.
type State struct {
	ID  string              `json:"id"`
	App gongkai.Application `json:"app"`
	// Kind is "person" or "org" once the applicant said which; TypeFixed
	// marks an ApplicantType the applicant named exactly (not inferred).
	Kind      string `json:"kind,omitempty"`
	TypeFixed bool   `json:"type_fixed,omitempty"`
	Stage     string `json:"stage,omitempty"`
	// Asking is the field the last reply asked for: a bare answer fills it.
	Asking    string `json:"asking,omitempty"`
	Complaint string `json:"complaint,omitempty"` // the text read as a complaint
	Insisted  bool   `json:"insisted,omitempty"`  // filed as a request although it reads as a complaint
	PendingNo string `json:"pending_no,omitempty"`
	Started   bool   `json:"started,omitempty"` // an application is under way
	// The last filing.
	Filings   int    `json:"filings,omitempty"`
	CaseID    int64  `json:"case_id,omitempty"`
	CaseNo    string `json:"case_no,omitempty"`
	QueryCode string `json:"query_code,omitempty"`
}

// Filed is what filing returns to the engine.
type Filed struct {
	CaseID     int64
	No         string
	QueryCode  string
	ReceivedOn gongkai.Date
	DueOn      gongkai.Date
}

// Status is what a status query shows.
type Status struct {
	No         string
	Label      string
	ReceivedOn gongkai.Date
	DueOn      gongkai.Date
}

// Reply is the engine's answer to one user turn.
type Reply struct {
	Text   string
	Done   bool   // this turn filed the application
	CaseNo string // set when Done
	// Intent names what the turn was (for logs: never personal data).
	Intent string
}

// Engine is the dialog engine. All fields but Nature are required.
type Engine struct {
	// Now is the clock used for validation (an ID's birth date in the future).
	Now func() time.Time
	// File files a confirmed application through the same path as the web
	// form (caseflow.Service.File with gongkai.ChannelChat). A
	// *gongkai.Error of kind EInvalid lists bad fields.
	File func(ctx context.Context, app gongkai.Application, idemKey string) (Filed, error)
	// Track looks a case up by 受理编号 and 查询码; gongkai.ErrNotFound (kind
	// ENotFound) for a wrong number or code.
	Track func(ctx context.Context, no, code string) (Status, error)
	// Nature classifies a piece of free text (the classifier's
	// ClassifyText(...).Nature); nil treats everything as a request.
	Nature func(text string) gongkai.MessageKind

	lex *lexicon
}

// MaxText is the longest message the engine takes, in characters.
const MaxText = 1000

// ErrTooLong is returned for a message longer than MaxText characters.
var ErrTooLong = &gongkai.Error{Kind: gongkai.ETooLarge, Message: "消息过长（最多1000字），请分几次发送"}

// New checks the embedded data and returns an engine with the given parts.
func New(now func() time.Time, file func(context.Context, gongkai.Application, string) (Filed, error),
	track func(context.Context, string, string) (Status, error), nature func(string) gongkai.MessageKind) (*Engine, error) {
	l, err := loadLexicon()
	if err != nil {
		return nil, err
	}
	return &Engine{Now: now, File: file, Track: track, Nature: nature, lex: l}, nil
}

// Greeting is the bot's first message, shown before the user says anything.
func (e *Engine) Greeting() string { return e.lexicon().say("greeting") }

func (e *Engine) lexicon() *lexicon {
	if e.lex == nil {
		e.lex, _ = loadLexicon()
	}
	return e.lex
}

// Turn takes one user message, updates st and returns the reply.
func (e *Engine) Turn(ctx context.Context, st *State, text string) Reply {
	l := e.lexicon()
	text = gongkai.Clean(text)
	m := fold(text)
	if text == "" {
		return Reply{Text: l.say("greeting"), Intent: "greeting"}
	}

	// Starting over beats everything.
	if l.is("cancel", m) {
		id, n := st.ID, st.Filings
		*st = State{ID: id, Filings: n}
		return Reply{Text: l.say("cancel"), Intent: "cancel"}
	}
	// A status query by 受理编号 (+ 查询码), at any stage.
	if r, ok := e.status(ctx, st, m); ok {
		return r
	}

	prefix := ""
	switch st.Stage {
	case StageDone:
		if l.is("new", m) {
			id, n := st.ID, st.Filings
			*st = State{ID: id, Filings: n, Started: true}
			st.Asking = "description"
			return Reply{Text: l.say("new") + "\n" + l.say("ask_description"), Intent: "new"}
		}
		if r, ok := e.faq(st, m, false); ok {
			return r
		}
		return Reply{Text: l.say("done", "no", st.CaseNo), Intent: "done"}
	case StageComplaint:
		switch {
		case l.is("insist", m):
			st.Insisted, st.Stage, st.Started = true, StageCollect, true
			st.App.Description = st.Complaint
			prefix = l.say("complaint_insist", "text", st.Complaint)
			// the rest of the message may carry fields ("坚持申请，我叫张三")
			f := e.parse(st, m)
			delete(f.vals, "description")
			return e.advance(ctx, st, f, prefix, "complaint_insist")
		case l.isAll("ack", m) || l.isAll("deny", m):
			*st = State{ID: st.ID, Filings: st.Filings}
			return Reply{Text: l.say("complaint_drop"), Intent: "complaint_drop"}
		}
		if r, ok := e.faq(st, m, false); ok {
			return r
		}
		f := e.parse(st, m)
		if f.vals["description"] == "" {
			return Reply{Text: l.say("complaint_again"), Intent: "complaint"}
		}
		// A new, different request: start from it.
		st.Stage, st.Complaint = StageCollect, ""
		return e.collect(ctx, st, m, f)
	case StageConfirm:
		if l.isAll("confirm", m) {
			return e.file(ctx, st)
		}
		if l.isAll("deny", m) {
			return Reply{Text: l.say("edit"), Intent: "edit"}
		}
	}
	f := e.parse(st, m)
	if f.empty() {
		if r, ok := e.faq(st, m, true); ok {
			return r
		}
		if l.isAll("greeting", m) {
			return e.withPrompt(st, Reply{Text: l.say("greeting"), Intent: "greeting"}, true)
		}
	}
	return e.collect(ctx, st, m, f)
}

// collect applies what a message says to the application.
func (e *Engine) collect(ctx context.Context, st *State, m string, f found) Reply {
	l := e.lexicon()
	if f.empty() && f.target != "" {
		return Reply{Text: l.say("ask_correct", "label", fieldLabel(st, f.target)), Intent: "edit"}
	}
	if f.empty() {
		if e.Nature != nil && !st.Insisted && e.Nature(m) == gongkai.KindComplaint {
			return e.complaint(st, m)
		}
		if !st.Started && st.Stage == StageCollect {
			return Reply{Text: l.say("unknown"), Intent: "unknown"}
		}
		if st.Asking == "name" || st.Asking == "legal_rep" {
			return Reply{Text: l.say("ask_name_bare"), Intent: "collect"}
		}
		if st.Stage == StageConfirm {
			return Reply{Text: l.say("edit"), Intent: "edit"}
		}
		return Reply{Text: l.say("unknown") + "\n" + l.say(askKey(st, st.Asking)), Intent: "unknown"}
	}
	// A new description is checked for a complaint before it is taken
	// (RULES.md §7: 信访/投诉/举报 in the form of a request).
	if d := f.vals["description"]; d != "" && !st.Insisted && e.Nature != nil {
		if e.Nature(m) == gongkai.KindComplaint || e.Nature(d) == gongkai.KindComplaint {
			// keep whatever else the message said
			delete(f.vals, "description")
			e.apply(st, f)
			return e.complaint(st, d)
		}
	}
	return e.advance(ctx, st, f, "", "collect")
}

// complaint points a 信访/complaint to the right channel and waits for "坚持申请".
func (e *Engine) complaint(st *State, text string) Reply {
	st.Stage, st.Complaint = StageComplaint, text
	return Reply{Text: e.lexicon().say("complaint"), Intent: "complaint"}
}

// advance applies f, validates, and asks for the next missing field or shows
// the summary.
func (e *Engine) advance(ctx context.Context, st *State, f found, prefix, intent string) Reply {
	l := e.lexicon()
	st.Started = true
	recorded := e.apply(st, f)
	var parts []string
	if prefix != "" {
		parts = append(parts, prefix)
	}
	problems := e.check(st)
	// Only acknowledge what survived validation.
	var ok []string
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.field] = true
	}
	for _, fld := range canonical(recorded) {
		if !bad[fld] {
			ok = append(ok, fieldLabel(st, fld))
		}
	}
	if len(ok) > 0 {
		parts = append(parts, l.say("recorded", "fields", strings.Join(ok, "、")))
	}
	for _, p := range problems {
		parts = append(parts, p.text)
	}
	next := e.next(st)
	if next == "" {
		st.Stage, st.Asking = StageConfirm, ""
		parts = append(parts, l.say("summary", "lines", summary(st)))
		return Reply{Text: strings.Join(parts, "\n"), Intent: "confirm"}
	}
	st.Stage = StageCollect
	if len(problems) > 0 && problems[0].field == next {
		// the problem line already says what to fix
		st.Asking = next
		if next == "name" || next == "legal_rep" || next == "description" {
			return Reply{Text: strings.Join(parts, "\n"), Intent: intent}
		}
	}
	st.Asking = next
	parts = append(parts, l.say(askKey(st, next)))
	return Reply{Text: strings.Join(parts, "\n"), Intent: intent}
}

// problem is a field the applicant must say again, with the reason.
type problem struct {
	field, text string
}

// check validates the application as the form does and clears every value
// that is wrong (so that it is asked again), returning why.
func (e *Engine) check(st *State) []problem {
	l := e.lexicon()
	var out []problem
	a := st.App
	a.Normalize()
	if st.Kind == "" {
		a.ApplicantType = string(gongkai.NaturalPerson) // validate the fields given so far
	}
	for _, fe := range a.Validate(e.Now()) {
		p := fieldPtr(&st.App, fe.Field)
		if p == nil || *p == "" {
			continue // missing, asked in turn
		}
		out = append(out, problem{fe.Field, badValue(l, st, fe) + retry(fe.Field)})
		*p = ""
		if fe.Field == "id_number" {
			st.App.IDType = ""
		}
	}
	if d := st.App.Description; d != "" && st.App.DocNo == "" && l.is("vague", fold(d)) {
		out = append(out, problem{"description", l.say("vague", "text", d)})
		st.App.Description = ""
	}
	return out
}

// badValue says what is wrong with a field, in the form's words.
func badValue(l *lexicon, st *State, fe gongkai.FieldError) string {
	label := fieldLabel(st, fe.Field)
	if strings.HasPrefix(fe.Message, label) {
		return fe.Message + "。"
	}
	return l.say("bad_value", "label", label, "reason", fe.Message)
}

// retry adds the question after a bad value when it is a short one.
func retry(field string) string {
	switch field {
	case "name", "legal_rep":
		return "请重新告诉我。"
	}
	return ""
}

// next returns the first missing field, in the order the bot asks them.
func (e *Engine) next(st *State) string {
	a := &st.App
	switch {
	case a.Description == "" && a.DocNo == "":
		return "description"
	case st.Kind == "":
		return "applicant_type"
	}
	if st.Kind == "org" {
		switch {
		case a.OrgName == "":
			return "org_name"
		case a.CreditCode == "":
			return "credit_code"
		case a.LegalRep == "":
			return "legal_rep"
		case a.Name == "":
			return "name"
		}
	} else {
		switch {
		case a.Name == "":
			return "name"
		case a.IDNumber == "":
			return "id_number"
		}
	}
	switch {
	case a.Phone == "":
		return "phone"
	case a.Delivery == "":
		return "delivery"
	}
	switch gongkai.Deliveries[a.Delivery] {
	case "电子邮件":
		if a.Email == "" {
			return "email"
		}
	case "纸质":
		if a.Address == "" {
			return "address"
		}
	}
	return ""
}

// askKey is the question for a field.
func askKey(st *State, field string) string {
	switch field {
	case "":
		return "ask_description"
	case "name":
		if st.Kind == "org" {
			return "ask_contact_name"
		}
		return "ask_name"
	}
	return "ask_" + field
}

// file files the confirmed application.
func (e *Engine) file(ctx context.Context, st *State) Reply {
	l := e.lexicon()
	if e.next(st) != "" {
		return e.advance(ctx, st, found{}, "", "collect")
	}
	key := "chat:" + st.ID
	if st.Filings > 0 {
		key += "#" + itoa(st.Filings+1)
	}
	app := st.App
	app.Form = app.FormOrImplied()
	fc, err := e.File(ctx, app, key)
	if err != nil {
		var ge *gongkai.Error
		if errors.As(err, &ge) && ge.Kind == gongkai.EInvalid {
			parts := []string{l.say("file_invalid")}
			for _, fe := range ge.Fields {
				parts = append(parts, badValue(l, st, fe))
				if p := fieldPtr(&st.App, fe.Field); p != nil {
					*p = ""
				}
			}
			st.Stage = StageCollect
			st.Asking = e.next(st)
			if st.Asking != "" {
				parts = append(parts, l.say(askKey(st, st.Asking)))
			}
			return Reply{Text: strings.Join(parts, "\n"), Intent: "file_invalid"}
		}
		return Reply{Text: l.say("file_failed"), Intent: "file_failed"}
	}
	st.Stage, st.Asking = StageDone, ""
	st.Filings++
	st.CaseID, st.CaseNo, st.QueryCode = fc.CaseID, fc.No, fc.QueryCode
	return Reply{Text: l.say("filed", "no", fc.No, "code", fc.QueryCode, "received", fc.ReceivedOn.Chinese(), "due", fc.DueOn.Chinese()),
		Done: true, CaseNo: fc.No, Intent: "filed"}
}
