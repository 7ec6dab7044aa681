package caseflow

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gongkai"
	"gongkai/replies"
	"gongkai/store"
)

// Letters is the letter desk of a case (issue 6): the agency settings, the
// versioned templates, and each letter's way from draft through the 保密审查
// and the approval to the e-mail or the print page. Every step is one store
// transaction with its history row; a final letter sent or printed also
// concludes the case through the state machine (send_answer).
type Letters struct {
	Cases *Service
	// Agency holds the defaults of the agency settings (from the config);
	// values an admin saved in settings override them.
	Agency replies.Agency
	// Wake tells the sender that mail was queued; nil = wait for its poll.
	Wake func()
	Log  *slog.Logger

	// The templates and agency settings in effect, kept for Effective.
	effMu  sync.Mutex
	eff    *effective
	effGen atomic.Uint64 // bumped by each save of a template or the settings
}

// effective is what Effective read, and when.
type effective struct {
	set    *replies.Set
	agency replies.Agency
	gen    uint64
	at     time.Time
}

// effectiveTTL bounds how long Effective keeps what it read: a template or
// setting saved by another process (on the same database) is seen after
// at most this long; this process's own saves are seen at once.
const effectiveTTL = 10 * time.Second

// Effective returns the template set and the agency settings in effect,
// as drafting a letter uses them, for letters written outside a
// transaction of the letter desk: intake's 登记回执, rendered by the
// thousand an hour. It reads them once and keeps them until a template or
// the agency settings are saved here, or for effectiveTTL.
func (l *Letters) Effective(ctx context.Context) (*replies.Set, replies.Agency, error) {
	l.effMu.Lock()
	defer l.effMu.Unlock()
	gen := l.effGen.Load() // before the read: a save during it reads again next time
	if e := l.eff; e != nil && e.gen == gen && time.Since(e.at) < effectiveTTL {
		return e.set, e.agency, nil
	}
	e := &effective{gen: gen, at: time.Now()}
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if e.agency, err = l.agencyTx(tx); err != nil {
			return err
		}
		e.set, _, err = l.setTx(tx)
		return err
	})
	if err != nil {
		return nil, replies.Agency{}, fmt.Errorf("caseflow: reading the templates and agency settings: %w", err)
	}
	l.eff = e
	return e.set, e.agency, nil
}

func (l *Letters) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

func (l *Letters) wake() {
	if l.Wake != nil {
		l.Wake()
	}
}

// Who may do what with a letter. Final letters follow the answer's own rules
// (draft_answer, approve_answer, send_answer in actions.go); procedural
// letters are issued by the registrar or the case's handler.
var (
	letterDrafters  = []gongkai.Role{gongkai.RoleRegistrar, gongkai.RoleHandler, gongkai.RoleAdmin}
	letterReviewers = []gongkai.Role{gongkai.RoleRegistrar, gongkai.RoleApprover, gongkai.RoleAdmin}
	letterApprovers = []gongkai.Role{gongkai.RoleApprover, gongkai.RoleAdmin}
)

// Review results of the 保密审查.
const (
	ReviewPass = "通过"
	ReviewFail = "不通过"
)

// mayWrite checks that u may draft, edit or dispatch a letter of kind k on c:
// a handler only on the cases of his or her department (as for the answer
// itself), a registrar only procedural letters.
func mayWrite(c *gongkai.Case, u *gongkai.User, k replies.Kind, what string) error {
	if u == nil || !u.Active {
		return gongkai.Errorf(gongkai.EForbidden, "请先登录后再办理")
	}
	if u.Has(gongkai.RoleAdmin) {
		return nil
	}
	if !u.Has(letterDrafters...) {
		return gongkai.Errorf(gongkai.EForbidden, "%s只能由登记人员或承办人办理", what)
	}
	if k.Final() {
		if !handles(c, u) && !(what == "发出文书" && u.Has(gongkai.RoleRegistrar)) && !(closingNotice(c, k) && u.Has(gongkai.RoleRegistrar)) {
			return gongkai.Errorf(gongkai.EForbidden, "答复告知书由本案承办人（或其股室）办理，您不能%s", what)
		}
		return nil
	}
	if !u.Has(gongkai.RoleRegistrar) && !handles(c, u) {
		return gongkai.Errorf(gongkai.EForbidden, "本案不属于您或您所在的股室，您不能%s", what)
	}
	return nil
}

// DraftInput is what the handler supplies besides the case when drafting.
type DraftInput struct {
	Kind            replies.Kind // "" = the final letter for the case's result
	Missing         []string     // 补正 items (gongkai.Missing*); empty = the classifier's verdict
	Reasons         string
	Provided        []string
	OtherAgency     string
	ExtensionReason string
	Extra           map[string]string
}

// Draft renders a new letter of in.Kind for the case from the effective
// template and stores it as a draft, recording the template version used.
func (l *Letters) Draft(ctx context.Context, caseNo string, in DraftInput, u *gongkai.User) (*store.Letter, error) {
	var out *store.Letter
	err := l.Cases.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByNo(caseNo)
		if err != nil {
			return err
		}
		k := in.Kind
		if k == "" {
			if c.Result == "" {
				return gongkai.Errorf(gongkai.EConflict, "本案尚未拟定答复结果，请先「%s」", ActDraftAnswer.Label())
			}
			k = replies.KindForResult(c.Result)
		}
		if !k.Valid() {
			return gongkai.Errorf(gongkai.EInvalid, "未知的文书类型：%s", k)
		}
		if r, ok := k.Result(); ok && r != c.Result {
			if c.Result == "" {
				return gongkai.Errorf(gongkai.EConflict, "本案尚未拟定答复结果，请先「%s」", ActDraftAnswer.Label())
			}
			return gongkai.Errorf(gongkai.EConflict, "本案拟定的答复结果为「%s」，不能拟写「%s」", c.Result.Label(), k.Label())
		}
		if err := mayWrite(c, u, k, "拟写文书"); err != nil {
			return err
		}
		if !c.Status.Open() && k.Final() {
			sent, err := sentLetter(tx, c, replies.Kind.Final)
			if err != nil {
				return err
			}
			if !closingNotice(c, k) || sent != nil {
				return gongkai.Errorf(gongkai.EConflict, "本案已办结，不能再拟写答复告知书")
			}
		}
		agency, err := l.agencyTx(tx)
		if err != nil {
			return err
		}
		set, _, err := l.setTx(tx)
		if err != nil {
			return err
		}
		d, err := l.letterData(tx, c, k, in, agency)
		if err != nil {
			return err
		}
		r, err := set.Render(k, d)
		if err != nil {
			return err
		}
		out = &store.Letter{CaseID: c.ID, Kind: string(k), TemplateVersion: r.TemplateVersion, Title: r.Title, Body: r.Body, CreatedBy: u.Username}
		if err := tx.CreateLetter(out); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "letter_drafted",
			Detail: fmt.Sprintf("拟写文书「%s」（模板第%d版）", out.Title, out.TemplateVersion)})
	})
	return out, err
}

// letterData fills the template data from the case: applicant, request and
// dates come with the case; the 补正 items from the classifier's verdict;
// deadlines from the case's windows or, for a notice not yet sent, from the
// statutory periods counted from today.
func (l *Letters) letterData(tx *store.Tx, c *gongkai.Case, k replies.Kind, in DraftInput, agency replies.Agency) (replies.LetterData, error) {
	today := gongkai.DateOf(tx.Now)
	d := replies.LetterData{
		Agency: agency, Case: *c, Today: today,
		Reasons: strings.TrimSpace(in.Reasons), OtherAgency: strings.TrimSpace(in.OtherAgency),
		ExtensionReason: strings.TrimSpace(in.ExtensionReason), FeeYuan: c.FeeYuan, Extra: map[string]string{},
	}
	for _, p := range in.Provided {
		if p = strings.TrimSpace(p); p != "" {
			d.Provided = append(d.Provided, p)
		}
	}
	for key, v := range in.Extra {
		if v = strings.TrimSpace(v); v != "" {
			d.Extra[key] = v
		}
	}
	after := func(days int) (gongkai.Date, error) { return l.Cases.Cal.AddWorkdays(today, days) }
	if _, ok := d.Extra["correction_notice_date"]; !ok && !c.CorrectionDue.IsZero() {
		// The day the 补正告知书 went out, for the letters that recount it:
		// the letter's dispatch, else the day the 补正 was recorded.
		if day, err := correctionNoticeDay(tx, c); err != nil {
			return d, err
		} else if !day.IsZero() {
			d.Extra["correction_notice_date"] = day.Chinese()
		}
	}
	var err error
	switch k {
	case replies.KindCorrection:
		d.Missing = in.Missing
		if len(d.Missing) == 0 {
			if d.Missing, err = verdictMissing(tx, c.ID); err != nil {
				return d, err
			}
		}
		if c.CorrectionDue.IsZero() {
			if d.CorrectionDeadline, err = after(DefaultCorrectionDays); err != nil {
				return d, err
			}
		}
	case replies.KindFee:
		d.FeeDeadline = c.SuspendedUntil
		if c.Status != gongkai.StatusFee || d.FeeDeadline.IsZero() {
			if d.FeeDeadline, err = after(FeeDays); err != nil {
				return d, err
			}
		}
	case replies.KindConsultThirdParty, replies.KindConsultAgency, replies.KindReasons:
		d.ReplyDeadline = c.SuspendedUntil
		if (c.Status != gongkai.StatusConsultation && c.Status != gongkai.StatusReasons) || d.ReplyDeadline.IsZero() {
			days := ConsultationDays
			if k == replies.KindReasons {
				days = DefaultReasonsDays
			}
			if d.ReplyDeadline, err = after(days); err != nil {
				return d, err
			}
		}
	case replies.KindExtension:
		if d.ExtensionReason == "" {
			d.ExtensionReason = "【待填写：延期理由】"
		}
		if c.Extended && c.Status == gongkai.StatusConsultation && !c.SuspendedUntil.IsZero() {
			// Extended during a consultation: no due date while the clock
			// waits; the letter names the latest, counting on from the end
			// of the consultation window (RULES.md §3.6).
			if d.NewDue, err = l.Cases.Cal.AddWorkdays(c.SuspendedUntil, max(c.ClockLimit-c.ClockUsed, 0)); err != nil {
				return d, err
			}
		}
	}
	return d, nil
}

// verdictMissing returns the 补正 items the classifier found missing in the
// case's request (gongkai.Verdict.MissingFields), if any.
func verdictMissing(tx *store.Tx, caseID int64) ([]string, error) {
	msgs, err := tx.MessagesForCase(caseID)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		vj, err := tx.VerdictJSON(m.ID)
		if err != nil || vj == "" {
			continue
		}
		var v gongkai.Verdict
		if json.Unmarshal([]byte(vj), &v) == nil && len(v.MissingFields) > 0 {
			return v.MissingFields, nil
		}
	}
	return nil, nil
}

// letterAndCase loads a letter and its case in tx.
func letterAndCase(tx *store.Tx, id int64) (*store.Letter, *gongkai.Case, error) {
	lt, err := tx.LetterByID(id)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.CaseByID(lt.CaseID)
	if err != nil {
		return nil, nil, err
	}
	return lt, c, nil
}

// Edit replaces the text of a letter not yet sent. An edit after the review
// or the approval sends the letter back to draft: what is reviewed and
// approved is exactly what leaves.
func (l *Letters) Edit(ctx context.Context, id int64, title, body string, u *gongkai.User) (*store.Letter, error) {
	return l.letterTx(ctx, id, func(tx *store.Tx, lt *store.Letter, c *gongkai.Case) error {
		if err := mayWrite(c, u, replies.Kind(lt.Kind), "修改文书"); err != nil {
			return err
		}
		if lt.Dispatched() {
			return gongkai.Errorf(gongkai.EConflict, "文书已发出，不能再修改")
		}
		body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
		if body == "" {
			return invalid("body", "正文不能为空")
		}
		if t := strings.TrimSpace(title); t != "" {
			lt.Title = t
		}
		again := ""
		if lt.Status != store.LetterDraft {
			again = "，须重新进行保密审查" + map[bool]string{true: "和审批", false: ""}[lt.Status == store.LetterApproved]
		}
		lt.Body, lt.Status = body, store.LetterDraft
		lt.ReviewBy, lt.ReviewAt, lt.ReviewResult, lt.ApprovedBy, lt.ApprovedAt = "", time.Time{}, "", "", time.Time{}
		if err := tx.UpdateLetter(lt); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "letter_edited", Detail: fmt.Sprintf("修改文书「%s」%s", lt.Title, again)})
	})
}

// Review records the 保密审查 of a letter and of the documents to be
// disclosed with it (RULES.md 政府信息管理; Art. 17 of the 条例): reviewer,
// time, result and note. Only a passed review lets the letter go on.
func (l *Letters) Review(ctx context.Context, id int64, u *gongkai.User, pass bool, note string) (*store.Letter, error) {
	return l.letterTx(ctx, id, func(tx *store.Tx, lt *store.Letter, c *gongkai.Case) error {
		if u == nil || !u.Active || !u.Has(letterReviewers...) {
			return gongkai.Errorf(gongkai.EForbidden, "保密审查由政府信息公开工作机构（登记人员、审批人）进行，您的角色无此权限")
		}
		if lt.Status != store.LetterDraft {
			return gongkai.Errorf(gongkai.EConflict, "只有草稿状态的文书需要保密审查（当前：%s）", LetterStatusLabel(lt.Status))
		}
		note = strings.TrimSpace(note)
		result := ReviewPass
		if !pass {
			result = ReviewFail
			if note == "" {
				return invalid("note", "保密审查不通过的，请写明原因")
			}
		} else if ph := replies.Placeholders(lt.Body); len(ph) > 0 {
			return gongkai.Errorf(gongkai.EConflict, "文书中仍有待填写的内容：%s，请先补全再送保密审查", strings.Join(ph, "、"))
		}
		lt.ReviewBy, lt.ReviewAt, lt.ReviewResult = u.Username, tx.Now, result
		if pass {
			lt.Status = store.LetterReviewed
		}
		if err := tx.UpdateLetter(lt); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "letter_reviewed",
			Detail: fmt.Sprintf("保密审查「%s」（含拟公开的信息）：%s", lt.Title, result), Reason: note})
	})
}

// Approve signs off a reviewed final letter (approver). It also approves the
// answer on the case (approve_answer) when the case still waits for it.
func (l *Letters) Approve(ctx context.Context, id int64, u *gongkai.User) (*store.Letter, error) {
	return l.letterTx(ctx, id, func(tx *store.Tx, lt *store.Letter, c *gongkai.Case) error {
		if u == nil || !u.Active || !u.Has(letterApprovers...) {
			return gongkai.Errorf(gongkai.EForbidden, "文书审批只能由审批人办理")
		}
		if !replies.Kind(lt.Kind).Final() {
			return gongkai.Errorf(gongkai.EConflict, "程序性告知书经保密审查后即可发出，无需审批")
		}
		if lt.Status != store.LetterReviewed {
			return gongkai.Errorf(gongkai.EConflict, "文书须先通过保密审查才能审批（当前：%s）", LetterStatusLabel(lt.Status))
		}
		if ph := replies.Placeholders(lt.Body); len(ph) > 0 {
			return gongkai.Errorf(gongkai.EConflict, "文书中仍有待填写的内容：%s，不能审批", strings.Join(ph, "、"))
		}
		if c.Status == gongkai.StatusDrafted {
			if err := actTx(tx, c, Input{Action: ActApproveAnswer, Actor: u, Now: tx.Now}, l.Cases.Cal); err != nil {
				return err
			}
		}
		lt.Status, lt.ApprovedBy, lt.ApprovedAt = store.LetterApproved, u.Username, tx.Now
		if err := tx.UpdateLetter(lt); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "letter_approved", Detail: fmt.Sprintf("审批通过文书「%s」", lt.Title)})
	})
}

// correctionNoticeDay is the day case c's 补正告知书 went out: a dispatched
// 补正告知书, else the 补正 recorded in the history; zero when neither.
func correctionNoticeDay(tx *store.Tx, c *gongkai.Case) (gongkai.Date, error) {
	lt, err := sentLetter(tx, c, isCorrection)
	if err != nil || lt != nil {
		if lt != nil {
			return gongkai.DateOf(lt.DispatchedAt), nil
		}
		return gongkai.Date{}, err
	}
	evs, err := tx.Events(c.ID)
	if err != nil {
		return gongkai.Date{}, err
	}
	for _, e := range evs {
		if e.Kind == ActRequestCorrection.EventKind() {
			return gongkai.DateOf(e.At), nil
		}
	}
	return gongkai.Date{}, nil
}

// closingNotice reports whether k is the notice of how case c already
// concluded without an answer — the 补正 or the fee period lapsed, the
// application was withdrawn — which closed the case on the day itself; the
// notice, with its remedy clause (RULES.md §4.2), follows it.
func closingNotice(c *gongkai.Case, k replies.Kind) bool {
	r, ok := k.Result()
	return ok && c.Status == gongkai.StatusClosed && r == c.Result &&
		(r == gongkai.ResultNoCorrection || r == gongkai.ResultNoFee)
}

// sentLetter returns the first letter of case c that went out and whose
// kind keep accepts, or nil.
func sentLetter(tx *store.Tx, c *gongkai.Case, keep func(replies.Kind) bool) (*store.Letter, error) {
	ls, err := tx.LettersForCase(c.ID)
	if err != nil {
		return nil, err
	}
	for _, lt := range ls {
		if lt.Dispatched() && keep(replies.Kind(lt.Kind)) {
			return lt, nil
		}
	}
	return nil, nil
}

func isCorrection(k replies.Kind) bool { return k == replies.KindCorrection }

// ready checks that a letter may leave now: reviewed (procedural) or
// approved (final), no placeholders, and for a final letter a case whose
// answer is approved. It returns whether the case concludes with it.
func ready(lt *store.Letter, c *gongkai.Case, u *gongkai.User) (concludes bool, err error) {
	k := replies.Kind(lt.Kind)
	if err := mayWrite(c, u, k, "发出文书"); err != nil {
		return false, err
	}
	if lt.Dispatched() {
		return false, gongkai.Errorf(gongkai.EConflict, "文书已于%s发出", lt.DispatchedAt.In(gongkai.Beijing).Format("2006-01-02 15:04"))
	}
	if ph := replies.Placeholders(lt.Body); len(ph) > 0 {
		return false, gongkai.Errorf(gongkai.EConflict, "文书中仍有待填写的内容：%s，不能发出", strings.Join(ph, "、"))
	}
	switch {
	case k.Final() && lt.Status != store.LetterApproved:
		return false, gongkai.Errorf(gongkai.EConflict, "答复告知书须经保密审查并由审批人审批后才能发出（当前：%s）", LetterStatusLabel(lt.Status))
	case !k.Final() && lt.Status != store.LetterReviewed:
		return false, gongkai.Errorf(gongkai.EConflict, "文书须先通过保密审查才能发出（当前：%s）", LetterStatusLabel(lt.Status))
	}
	if !k.Final() {
		return false, nil
	}
	if r, _ := k.Result(); r != c.Result {
		return false, gongkai.Errorf(gongkai.EConflict, "本案拟定的答复结果已改为「%s」，本告知书（%s）不能发出，请按新的结果重新拟写", c.Result.Label(), k.Label())
	}
	if closingNotice(c, k) {
		return false, nil // the case concluded already; the notice tells the applicant
	}
	if c.Status != gongkai.StatusApproved {
		return false, gongkai.Errorf(gongkai.EConflict, "本案答复尚未审批通过（当前：%s），不能发出答复告知书", c.Status.Label())
	}
	return true, nil
}

// dispatch gives the letter its 文号, marks it sent or printed and, for a
// final letter, concludes the case with send_answer.
func (l *Letters) dispatch(tx *store.Tx, lt *store.Letter, c *gongkai.Case, u *gongkai.User, status string, agency replies.Agency, concludes bool) error {
	if lt.DocNo == "" {
		n, err := tx.NextDocSeq(gongkai.DateOf(tx.Now).Year())
		if err != nil {
			return err
		}
		lt.DocNo = agency.DocNo(gongkai.DateOf(tx.Now).Year(), n)
	}
	if replies.Kind(lt.Kind) == replies.KindCorrection {
		if err := l.correctionSent(tx, lt, c, u); err != nil {
			return err
		}
	}
	lt.Status, lt.DispatchedAt = status, tx.Now
	if err := tx.UpdateLetter(lt); err != nil {
		return err
	}
	if concludes {
		return actTx(tx, c, Input{Action: ActSendAnswer, Actor: u, Now: tx.Now}, l.Cases.Cal)
	}
	return nil
}

// correctionSent ties a 补正告知书 going out to the case: the notice is
// given once (Art. 30; RULES.md §3.5), so a second one is refused; and a
// case not yet waiting for the 补正 starts waiting now — the clock stops —
// with the deadline the letter states.
func (l *Letters) correctionSent(tx *store.Tx, lt *store.Letter, c *gongkai.Case, u *gongkai.User) error {
	// lt itself has not gone out yet (ready refuses a letter that has).
	if o, err := sentLetter(tx, c, isCorrection); err != nil || o != nil {
		if err == nil {
			err = gongkai.Errorf(gongkai.EConflict, "补正告知应一次性发出，本案已发出过补正告知书（%s），不能再发（《条例》第三十条）", o.DocNo)
		}
		return err
	}
	if c.Status == gongkai.StatusCorrection {
		return nil
	}
	// The registrar's action, done by the letter: whoever sends the
	// letter, the history says the 补正 was asked for by it.
	actor := u
	if !u.Has(gongkai.RoleRegistrar, gongkai.RoleAdmin) {
		actor = &gongkai.User{Username: u.Username, Roles: []gongkai.Role{gongkai.RoleRegistrar}, Active: true}
	}
	// The letter states the deadline it was drafted with (letterData):
	// DefaultCorrectionDays working days after the day it was drafted.
	deadline, err := l.Cases.Cal.AddWorkdays(gongkai.DateOf(lt.CreatedAt), DefaultCorrectionDays)
	if err != nil {
		return err
	}
	days, err := l.Cases.Cal.WorkdaysBetween(gongkai.DateOf(tx.Now), deadline)
	if err != nil {
		return err
	}
	if days < 1 {
		return gongkai.Errorf(gongkai.EConflict, "补正告知书所写的补正期限（%s）已到，请重新拟写后再发出", deadline)
	}
	if !strings.Contains(lt.Body, deadline.Chinese()) {
		// An edited letter must not tell the applicant one deadline while
		// the case runs to another.
		return gongkai.Errorf(gongkai.EConflict, "补正告知书中未写明补正期限%s（本案将按此期限计算），请修改后再发出", deadline.Chinese())
	}
	return actTx(tx, c, Input{Action: ActRequestCorrection, Actor: actor, Now: tx.Now, Days: days,
		Reason: "补正告知书" + lt.DocNo + "发出"}, l.Cases.Cal)
}

// SendMail sends a letter to the applicant by e-mail: text and HTML parts,
// the attachments (the disclosed documents), its own Message-ID (kept on the
// letter and the outbox item, so that replies thread back to the case) and
// In-Reply-To the applicant's request when it came by e-mail. The mail is
// queued in the outbox in the same transaction; the sender delivers it.
func (l *Letters) SendMail(ctx context.Context, id int64, u *gongkai.User, atts []gongkai.Attachment) (*store.Letter, error) {
	lt, err := l.dispatchTx(ctx, id, u, func(tx *store.Tx, lt *store.Letter, c *gongkai.Case, agency replies.Agency, concludes bool) error {
		to := strings.TrimSpace(c.Applicant.Email)
		if to == "" {
			return gongkai.Errorf(gongkai.EConflict, "申请人未留电子邮箱，请打印后邮寄")
		}
		if agency.Email == "" {
			return gongkai.Errorf(gongkai.EConflict, "未配置本机关的电子邮箱（机关设置），不能以电子邮件发出")
		}
		if err := l.dispatch(tx, lt, c, u, store.LetterSent, agency, concludes); err != nil {
			return err
		}
		addr := to
		if name := c.Applicant.DisplayName(); name != "" {
			addr = fmt.Sprintf("%q <%s>", name, to)
		}
		m, err := agency.LetterMail(replies.Letter{Kind: replies.Kind(lt.Kind), TemplateVersion: lt.TemplateVersion, Title: lt.Title, DocNo: lt.DocNo, Body: lt.Body}, c.No, addr, tx.Now)
		if err != nil {
			return err
		}
		if irt, refs, err := requestThread(tx, c.ID); err != nil {
			return err
		} else if irt != "" {
			m.InReplyTo, m.References = irt, refs
		}
		m.Attachments = atts
		raw, err := replies.BuildMail(m)
		if err != nil {
			return err
		}
		from, rcpt, err := replies.Envelope(m)
		if err != nil {
			return err
		}
		lt.MessageID = m.MessageID
		if err := tx.UpdateLetter(lt); err != nil {
			return err
		}
		if _, err := tx.QueueMail(c.ID, lt.ID, m.MessageID, from, rcpt, raw); err != nil {
			return err
		}
		names := make([]string, len(atts))
		for i, a := range atts {
			names[i] = a.Name
		}
		detail := fmt.Sprintf("以电子邮件发出文书「%s」（%s）至 %s，Message-ID <%s>", lt.Title, lt.DocNo, to, m.MessageID)
		if len(names) > 0 {
			detail += "，附件：" + strings.Join(names, "、")
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "letter_sent", Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	l.log().Info("letter queued", "case_id", lt.CaseID, "letter_id", lt.ID, "msg_id", lt.MessageID)
	l.wake()
	return lt, nil
}

// requestThread returns the Message-ID of the applicant's request (the
// first e-mail of the case) and the References to send, or "" when the case
// did not come by e-mail.
func requestThread(tx *store.Tx, caseID int64) (string, []string, error) {
	msgs, err := tx.MessagesForCase(caseID)
	if err != nil {
		return "", nil, err
	}
	for _, m := range msgs {
		if m.Channel == gongkai.ChannelEmail && m.MessageID != "" {
			return m.MessageID, []string{m.MessageID}, nil
		}
	}
	return "", nil, nil
}

// MarkPrinted records that a letter was printed for post: it gets its 文号
// and is kept on the case as dispatched; a final letter concludes the case.
func (l *Letters) MarkPrinted(ctx context.Context, id int64, u *gongkai.User) (*store.Letter, error) {
	return l.dispatchTx(ctx, id, u, func(tx *store.Tx, lt *store.Letter, c *gongkai.Case, agency replies.Agency, concludes bool) error {
		if err := l.dispatch(tx, lt, c, u, store.LetterPrinted, agency, concludes); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "letter_printed",
			Detail: fmt.Sprintf("打印文书「%s」（%s）邮寄送达", lt.Title, lt.DocNo)})
	})
}

// letterTx runs fn in one write transaction on letter id and its case, and
// returns the letter as fn left it.
func (l *Letters) letterTx(ctx context.Context, id int64, fn func(tx *store.Tx, lt *store.Letter, c *gongkai.Case) error) (*store.Letter, error) {
	var lt *store.Letter
	err := l.Cases.DB.Update(ctx, func(tx *store.Tx) error {
		var c *gongkai.Case
		var err error
		if lt, c, err = letterAndCase(tx, id); err != nil {
			return err
		}
		return fn(tx, lt, c)
	})
	return lt, err
}

// dispatchTx runs fn in one transaction on letter id once it may go out
// (ready): with its case, the agency settings, and whether it concludes
// the case. It returns the letter as fn left it.
func (l *Letters) dispatchTx(ctx context.Context, id int64, u *gongkai.User,
	fn func(tx *store.Tx, lt *store.Letter, c *gongkai.Case, agency replies.Agency, concludes bool) error) (*store.Letter, error) {
	return l.letterTx(ctx, id, func(tx *store.Tx, lt *store.Letter, c *gongkai.Case) error {
		concludes, err := ready(lt, c, u)
		if err != nil {
			return err
		}
		if k := replies.Kind(lt.Kind); k.Final() && closingNotice(c, k) {
			if sent, err := sentLetter(tx, c, replies.Kind.Final); err != nil || sent != nil {
				if err == nil {
					err = gongkai.Errorf(gongkai.EConflict, "本案的办结告知书已发出，不能再发")
				}
				return err
			}
		}
		agency, err := l.agencyTx(tx)
		if err != nil {
			return err
		}
		return fn(tx, lt, c, agency, concludes)
	})
}

// PrintPage renders the A4 print page of a letter: the dispatched letter with
// its 文号 and date, or a draft for checking (no 文号 yet, today's date).
func (l *Letters) PrintPage(ctx context.Context, id int64) ([]byte, error) {
	var lt *store.Letter
	var agency replies.Agency
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if lt, err = tx.LetterByID(id); err != nil {
			return err
		}
		agency, err = l.agencyTx(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	date := gongkai.DateOf(l.Cases.DB.Now())
	if !lt.DispatchedAt.IsZero() {
		date = gongkai.DateOf(lt.DispatchedAt)
	}
	return replies.PrintHTML(agency, replies.Letter{Kind: replies.Kind(lt.Kind), Title: lt.Title, DocNo: lt.DocNo, Body: lt.Body, TemplateVersion: lt.TemplateVersion}, date)
}

// LetterStatusLabel is the Chinese name of a letter status.
func LetterStatusLabel(s string) string {
	switch s {
	case store.LetterDraft:
		return "草稿"
	case store.LetterReviewed:
		return "已通过保密审查"
	case store.LetterApproved:
		return "已审批"
	case store.LetterSent:
		return "已发送"
	case store.LetterPrinted:
		return "已打印邮寄"
	}
	return s
}

// OutboxStatusLabel is the Chinese name of an outbox item status.
func OutboxStatusLabel(s string) string {
	switch s {
	case store.OutboxRender:
		return "正在生成"
	case store.OutboxQueued:
		return "等待发送"
	case store.OutboxSending:
		return "正在发送"
	case store.OutboxSent:
		return "已交中继服务器"
	case store.OutboxFailed:
		return "发送失败"
	}
	return s
}

// AgencyField is one agency setting (table settings, key agency.*).
type AgencyField struct {
	Key      string // settings key without the "agency." prefix
	Label    string
	Required bool
}

// AgencyFields lists the agency settings in the order of the settings page.
var AgencyFields = []AgencyField{
	{"name", "机关名称", true},
	{"short_name", "机关简称（用于文号）", false},
	{"office", "政府信息公开工作机构", true},
	{"address", "通信地址", false},
	{"postcode", "邮政编码", false},
	{"phone", "联系电话", true},
	{"email", "电子邮箱（发信地址）", false},
	{"review_body", "行政复议机关", true},
	{"court", "行政诉讼管辖法院", true},
	{"docno_pattern", "文号格式（{short} 简称，{year} 年份，{n} 序号）", false},
}

// agencyField points at the field of a that key names.
func agencyField(a *replies.Agency, key string) *string {
	switch key {
	case "name":
		return &a.Name
	case "short_name":
		return &a.ShortName
	case "office":
		return &a.Office
	case "address":
		return &a.Address
	case "postcode":
		return &a.Postcode
	case "phone":
		return &a.Phone
	case "email":
		return &a.Email
	case "review_body":
		return &a.ReviewBody
	case "court":
		return &a.Court
	case "docno_pattern":
		return &a.DocNoPattern
	}
	return nil
}

// AgencyValue returns the value of the agency setting key.
func AgencyValue(a replies.Agency, key string) string {
	if p := agencyField(&a, key); p != nil {
		return *p
	}
	return ""
}

func (l *Letters) agencyTx(tx *store.Tx) (replies.Agency, error) {
	a := l.Agency
	m, err := tx.SettingsPrefix("agency.")
	if err != nil {
		return a, err
	}
	for _, f := range AgencyFields {
		if v, ok := m["agency."+f.Key]; ok {
			*agencyField(&a, f.Key) = v
		}
	}
	return a, nil
}

// AgencySettings returns the effective agency settings: the configured
// defaults with the values an admin saved laid over them.
func (l *Letters) AgencySettings(ctx context.Context) (replies.Agency, error) {
	var a replies.Agency
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		a, err = l.agencyTx(tx)
		return err
	})
	return a, err
}

// SaveAgency stores the agency settings (admin only) after checking that
// letters can be written with them (replies.Agency.Validate).
func (l *Letters) SaveAgency(ctx context.Context, vals map[string]string, u *gongkai.User) (replies.Agency, error) {
	var a replies.Agency
	if u == nil || !u.Has(gongkai.RoleAdmin) {
		return a, gongkai.Errorf(gongkai.EForbidden, "只有管理员可以修改机关设置")
	}
	m := map[string]string{}
	for _, f := range AgencyFields {
		v := strings.TrimSpace(vals[f.Key])
		*agencyField(&a, f.Key) = v
		m["agency."+f.Key] = v
	}
	if err := a.Validate(); err != nil {
		return a, err
	}
	err := l.Cases.DB.Update(ctx, func(tx *store.Tx) error { return tx.SetSettings(m) })
	if err == nil {
		l.effGen.Add(1)
		l.log().Info("agency settings saved", "by", u.Username)
	}
	return a, err
}

// StaffEmails returns the reminder address of every staff member.
func (l *Letters) StaffEmails(ctx context.Context) (map[string]string, error) {
	var m map[string]string
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		m, err = tx.UserEmails()
		return err
	})
	return m, err
}

// SetStaffEmail stores a staff member's reminder address (admin only).
func (l *Letters) SetStaffEmail(ctx context.Context, username, email string, u *gongkai.User) error {
	if u == nil || !u.Has(gongkai.RoleAdmin) {
		return gongkai.Errorf(gongkai.EForbidden, "只有管理员可以修改工作人员邮箱")
	}
	if email = strings.TrimSpace(email); email != "" && (!strings.Contains(email, "@") || strings.ContainsAny(email, " <>,")) {
		return invalid("email", "电子邮箱“%s”格式不正确", email)
	}
	return l.Cases.DB.Update(ctx, func(tx *store.Tx) error { return tx.SetUserEmail(username, email) })
}

// setTx is the effective template set: the shipped defaults with the newest
// stored version of each kind laid over them. A stored version that no
// longer passes validation (rules tightened since) is skipped and logged, so
// letters fall back to the shipped text rather than fail.
func (l *Letters) setTx(tx *store.Tx) (*replies.Set, []store.TemplateVersion, error) {
	set := replies.Defaults()
	vs, err := tx.LatestTemplates()
	if err != nil {
		return nil, nil, err
	}
	for _, v := range vs {
		k := replies.Kind(v.Key)
		if !k.Valid() {
			continue
		}
		n, err := set.With(k, v.Body, v.Version)
		if err != nil {
			l.log().Warn("stored template skipped", "kind", k, "version", v.Version, "err", err)
			continue
		}
		set = n
	}
	return set, vs, nil
}

// TemplateInfo is one line of the template list.
type TemplateInfo struct {
	Kind      replies.Kind
	Label     string
	Final     bool
	Version   int // 0 = shipped default
	By        string
	At        time.Time
	Fallback  bool // the newest stored version is invalid; the default is used
	StoredMax int
}

// TemplateList lists every kind with the version in use.
func (l *Letters) TemplateList(ctx context.Context) ([]TemplateInfo, error) {
	var out []TemplateInfo
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		set, vs, err := l.setTx(tx)
		if err != nil {
			return err
		}
		latest := map[string]store.TemplateVersion{}
		for _, v := range vs {
			latest[v.Key] = v
		}
		for _, k := range replies.Kinds() {
			ti := TemplateInfo{Kind: k, Label: k.Label(), Final: k.Final(), Version: set.Version(k)}
			if v, ok := latest[string(k)]; ok {
				ti.StoredMax, ti.By, ti.At = v.Version, v.CreatedBy, v.CreatedAt
				ti.Fallback = v.Version != ti.Version
			}
			out = append(out, ti)
		}
		return nil
	})
	return out, err
}

// Template returns the text of k in use and its stored versions, newest first.
func (l *Letters) Template(ctx context.Context, k replies.Kind) (text string, version int, history []store.TemplateVersion, err error) {
	if !k.Valid() {
		return "", 0, nil, gongkai.Errorf(gongkai.ENotFound, "未知的文书类型：%s", k)
	}
	err = l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		set, _, err := l.setTx(tx)
		if err != nil {
			return err
		}
		text, version = set.Source(k), set.Version(k)
		history, err = tx.TemplateVersions(string(k))
		return err
	})
	return text, version, history, err
}

// SaveTemplate checks text with replies.Validate (the error lists the line
// and the reason) and stores it as a new version of k (admin only).
func (l *Letters) SaveTemplate(ctx context.Context, k replies.Kind, text string, u *gongkai.User) (int, error) {
	if u == nil || !u.Has(gongkai.RoleAdmin) {
		return 0, gongkai.Errorf(gongkai.EForbidden, "只有管理员可以修改文书模板")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if err := replies.Validate(k, text); err != nil {
		return 0, err
	}
	var v int
	err := l.Cases.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		v, err = tx.SaveTemplate(string(k), text, u.Username)
		return err
	})
	if err == nil {
		l.effGen.Add(1)
		l.log().Info("template saved", "kind", k, "version", v, "by", u.Username)
	}
	return v, err
}

// PreviewTemplate renders an unsaved template text against a real case (by
// its 受理编号), or against the sample case when caseNo is empty.
func (l *Letters) PreviewTemplate(ctx context.Context, k replies.Kind, text, caseNo string) (replies.Letter, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if strings.TrimSpace(caseNo) == "" {
		return replies.Preview(k, text, replies.SampleData())
	}
	var d replies.LetterData
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByNo(strings.TrimSpace(caseNo))
		if err != nil {
			return err
		}
		agency, err := l.agencyTx(tx)
		if err != nil {
			return err
		}
		d, err = l.letterData(tx, c, k, DraftInput{}, agency)
		return err
	})
	if err != nil {
		return replies.Letter{}, err
	}
	return replies.Preview(k, text, d)
}

// Section is what the case page shows of letters: the letters with their
// state, the outbox items with delivery state, and delivery problems.
type Section struct {
	Letters  []*store.Letter
	Outbox   []*store.OutboxEntry
	Problems []string             // permanent failures and bounces, for the warning box
	Kinds    []replies.Kind       // procedural kinds u may draft
	Final    replies.Kind         // the final letter kind for the case's result ("" = none yet)
	Missing  []MissingChoice      // 补正 items to choose from
	Extra    []replies.ExtraField // free fields of every kind, for the draft form
	Bounces  []gongkai.Event      // letter_bounced history rows
}

// MissingChoice is one 补正 item offered on the draft form.
type MissingChoice struct {
	Key, Label string
}

// CaseSection loads the letters part of the case page.
func (l *Letters) CaseSection(ctx context.Context, caseID int64) (*Section, error) {
	s := &Section{}
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByID(caseID)
		if err != nil {
			return err
		}
		if s.Letters, err = tx.LettersForCase(caseID); err != nil {
			return err
		}
		if s.Outbox, err = tx.OutboxOfCase(caseID); err != nil {
			return err
		}
		evs, err := tx.Events(caseID)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.Kind == "letter_bounced" {
				s.Bounces = append(s.Bounces, e)
				s.Problems = append(s.Problems, e.At.In(gongkai.Beijing).Format("2006-01-02 15:04")+" "+e.Detail)
			}
		}
		for _, o := range s.Outbox {
			if o.Status == store.OutboxFailed {
				s.Problems = append(s.Problems, fmt.Sprintf("邮件 <%s> 发送失败：%s", o.MessageID, o.LastError))
			}
		}
		if c.Result != "" {
			s.Final = replies.KindForResult(c.Result)
		}
		return nil
	})
	seen := map[string]bool{}
	for _, k := range replies.Kinds() {
		if !k.Final() {
			s.Kinds = append(s.Kinds, k)
		}
		for _, f := range k.ExtraFields() {
			if !seen[f.Key] {
				seen[f.Key] = true
				s.Extra = append(s.Extra, f)
			}
		}
	}
	for _, m := range []string{gongkai.MissingName, gongkai.MissingIDNumber, gongkai.MissingOrgName, gongkai.MissingCreditCode, gongkai.MissingContact, gongkai.MissingDescription} {
		s.Missing = append(s.Missing, MissingChoice{m, gongkai.MissingLabel(m)})
	}
	return s, err
}

// LetterDetail loads a letter with its case and the outbox items that carry
// it, for the letter page.
func (l *Letters) LetterDetail(ctx context.Context, id int64) (*store.Letter, *gongkai.Case, []*store.OutboxEntry, error) {
	var lt *store.Letter
	var c *gongkai.Case
	var items []*store.OutboxEntry
	err := l.Cases.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if lt, c, err = letterAndCase(tx, id); err != nil {
			return err
		}
		all, err := tx.OutboxOfCase(c.ID)
		for _, o := range all {
			if o.LetterID == lt.ID {
				items = append(items, o)
			}
		}
		return err
	})
	return lt, c, items, err
}
