package caseflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"gongkai"
	"gongkai/store"
)

// dailyActor acts for the daily worker: it records lapses of stop windows.
var dailyActor = &gongkai.User{Username: "system", DisplayName: "系统", Roles: []gongkai.Role{gongkai.RoleAdmin}, Active: true}

// Notifier delivers a reminder to a staff member (through the outbox once
// letters are sent by mail); nil means reminders go to the history and log only.
type Notifier func(ctx context.Context, username, subject, body string) error

// DailyResult counts what one daily run did.
type DailyResult struct {
	Lapsed    int // stop windows that ran out and were recorded
	Reminders int // reminders written (one per staff member and kind)
}

// Milestones of the answer period besides the due date (RULES.md §3.9), in
// working days.
const (
	CorrectionReminderDay = 5  // after receipt: decide on a 补正, whose notice is due by day 7 (Art. 30)
	ExtensionReminderDay  = 15 // of the 20-day period: decide on an extension (Art. 33)
)

// Why a case is in a reminder. A due case is listed every working day; a
// milestone reminds each person of each case once.
const (
	whyDue        = "due"                // due within SoonDays working days, or overdue
	whyCorrection = "correction_notice"  // CorrectionReminderDay: a 补正 notice, if any, is due by day 7
	whyExtension  = "extension_decision" // ExtensionReminderDay: decide now whether to extend
)

// item is one case in a reminder, why it is there and the deadline it names.
type item struct {
	c     *gongkai.Case
	why   string
	until gongkai.Date
}

// detail is the case history's note of the reminder.
func (it item) detail(user string) string {
	switch it.why {
	case whyCorrection:
		return fmt.Sprintf("已提醒 %s：收到申请已满%d个工作日，如需补正，补正告知书最迟于%s发出", user, CorrectionReminderDay, it.until.Chinese())
	case whyExtension:
		return fmt.Sprintf("已提醒 %s：答复期限已用去%d个工作日，如需延期，须在答复期限%s届满前经负责人批准并告知申请人", user, ExtensionReminderDay, it.until.Chinese())
	}
	return fmt.Sprintf("已提醒 %s：答复期限 %s", user, it.until.Chinese())
}

// errNothingNew undoes a reminder whose cases were all reminded before.
var errNothingNew = errors.New("caseflow: nothing new to remind")

// RunDaily performs the morning duties for today (RULES.md §3.9): it records
// expired stop windows (补正 not completed → result.other.no_correction,
// fee not paid → result.other.no_fee, consultation/Art. 35 windows ended →
// clock resumes) and reminds each active handler of the cases given to him
// (else every handler of the 股室) that are due within 3 working days or
// overdue, and of their milestones (see milestones); the approvers of what
// awaits them among the cases due; and the registrars of the whole list of
// cases due, the 补正 decisions (a 补正 is theirs to ask for), every
// milestone no handler receives, and the mail waiting in 来信. It is
// restart-safe: reminders_sent holds (day, user, kind), so a second run on
// the same day sends nothing twice, and a milestone reminded once is not
// reminded again. Days off are skipped.
func (s *Service) RunDaily(ctx context.Context, today gongkai.Date, notify Notifier) (DailyResult, error) {
	var res DailyResult
	working, err := s.Cal.IsWorkingDay(today)
	if err != nil || !working {
		return res, err
	}
	// 1. Lapses, each in its own transaction (one service call per case).
	waiting, err := s.Cases(ctx, store.CaseFilter{Statuses: []gongkai.Status{gongkai.StatusCorrection, gongkai.StatusConsultation, gongkai.StatusFee, gongkai.StatusReasons}})
	if err != nil {
		return res, err
	}
	for _, c := range waiting {
		act, ok := Expired(c, today)
		if !ok {
			continue
		}
		if _, err := s.Act(ctx, c.No, Input{Action: act, Actor: dailyActor, Reason: "期限届满，系统自动记录"}); err != nil {
			s.log().Error("record lapse", "case_no", c.No, "action", act, "err", err)
			continue
		}
		res.Lapsed++
	}
	// 2. Reminders.
	horizon, err := s.Cal.AddWorkdays(today, SoonDays)
	if err != nil {
		return res, err
	}
	due, err := s.Cases(ctx, store.CaseFilter{Statuses: []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing, gongkai.StatusDrafted, gongkai.StatusApproved}, DueBefore: horizon})
	if err != nil {
		return res, err
	}
	open, err := s.Cases(ctx, store.CaseFilter{Statuses: []gongkai.Status{gongkai.StatusRegistered, gongkai.StatusProcessing}})
	if err != nil {
		return res, err
	}
	var marks []item
	for _, c := range open {
		ms, err := milestones(c, today, s.Cal)
		if err != nil {
			s.log().Error("reminder milestones", "case_no", c.No, "err", err)
			continue
		}
		marks = append(marks, ms...)
	}
	// Mail waiting for a person (spam held, unparsable…) is in the
	// registrars' summary too, so that it is not left unseen.
	var held int
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		n, err := tx.MailCount(store.MailAttention)
		held = n
		return err
	})
	if err != nil {
		return res, err
	}
	if len(due) == 0 && len(marks) == 0 && held == 0 {
		return res, nil
	}
	var registrars, approvers []string
	handlersOf := map[string][]string{} // 股室 → its handlers
	active := map[string]bool{}         // who can be reminded
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		us, err := tx.Users()
		for _, u := range us {
			if !u.Active {
				continue
			}
			active[u.Username] = true
			if u.Has(gongkai.RoleRegistrar) {
				registrars = append(registrars, u.Username)
			}
			if u.Has(gongkai.RoleApprover) {
				approvers = append(approvers, u.Username)
			}
			if u.Has(gongkai.RoleHandler) && u.Department != "" {
				handlersOf[u.Department] = append(handlersOf[u.Department], u.Username)
			}
		}
		return err
	})
	if err != nil {
		return res, err
	}
	// The handler named on the case while active, else every handler of
	// its 股室; the leaders, for what awaits their decision (an answer, an
	// extension).
	byUser := map[string][]item{}
	toHandlers := func(it item) (reached bool) {
		switch {
		case active[it.c.Assignee]: // an assignee who left falls back to the 股室
			byUser[it.c.Assignee] = append(byUser[it.c.Assignee], it)
			return true
		case it.c.Department != "":
			for _, h := range handlersOf[it.c.Department] {
				byUser[h] = append(byUser[h], it)
			}
			return len(handlersOf[it.c.Department]) > 0
		}
		return false
	}
	var all, awaiting []item
	for _, c := range due {
		it := item{c, whyDue, c.DueOn}
		toHandlers(it)
		all = append(all, it)
		if c.Status == gongkai.StatusDrafted || c.ExtensionPending {
			awaiting = append(awaiting, it)
		}
	}
	// The registrars' summary has the 补正 decisions too (a 补正 is theirs
	// to ask for), and every milestone no handler receives (a case not
	// yet given to a 股室).
	for _, it := range marks {
		if !toHandlers(it) || it.why == whyCorrection {
			all = append(all, it)
		}
	}
	send := func(user, kind string, items []item) error {
		var fresh bool
		var sent []item
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			var err error
			if fresh, err = tx.MarkReminder(today, user, kind); err != nil || !fresh {
				return err
			}
			for _, it := range items {
				if it.why != whyDue {
					// A milestone's row has the case's receipt day for its day
					// and the case in its kind, so that the next days find it:
					// once per person and case, whichever day it went out
					// and however the due date it names moves meanwhile.
					first, err := tx.MarkReminder(it.c.ReceivedOn, user, it.why+":"+it.c.No)
					if err != nil {
						return err
					}
					if !first {
						continue
					}
				}
				if err := tx.AddEvent(&gongkai.Event{CaseID: it.c.ID, Actor: "system", Kind: "reminder", Detail: it.detail(user)}); err != nil {
					return err
				}
				sent = append(sent, it)
			}
			if len(items) > 0 && len(sent) == 0 && (kind != "summary" || held == 0) {
				return errNothingNew // milestones reminded on an earlier day: no mail, today's mark undone
			}
			return nil
		})
		if errors.Is(err, errNothingNew) {
			return nil
		}
		if err != nil || !fresh {
			return err
		}
		res.Reminders++
		s.log().Info("reminder", "user", user, "kind", kind, "cases", len(sent))
		if notify != nil {
			subject, body := reminderText(today, kind, sent, held)
			return notify(ctx, user, subject, body)
		}
		return nil
	}
	// One person's reminder failing (a mail not queued) does not keep the
	// others from theirs; the first error is returned.
	var firstErr error
	sendOn := func(user, kind string, items []item) {
		if err := send(user, kind, items); err != nil {
			s.log().Error("reminder", "user", user, "kind", kind, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		sendOn(u, "handler", byUser[u])
	}
	if len(awaiting) > 0 {
		for _, u := range approvers {
			sendOn(u, "approval", awaiting)
		}
	}
	if len(all) > 0 || held > 0 {
		for _, u := range registrars {
			sendOn(u, "summary", all)
		}
	}
	return res, firstErr
}

// milestones lists the one-time reminders c is due for on today (RULES.md
// §3.9), while it is still being worked on with its clock running:
//
//   - the 补正 decision, from day CorrectionReminderDay after receipt to the
//     last day for the notice (day 7, CorrectionNoticeDue), while no 补正 has
//     been asked for — it is asked once, so a case after a completed 补正
//     is not reminded again;
//   - the extension decision, from the day the clock has used
//     ExtensionReminderDay of its 20 days until the daily reminder of cases
//     due within SoonDays takes over, while no extension is approved or
//     pending. A period the agency set after Art. 35 reasons is not 20 days
//     and has no such milestone.
//
// Each is a window rather than its single day, so that a run missed on the
// day (server down) is caught up by the next; RunDaily reminds each person
// of each milestone once.
func milestones(c *gongkai.Case, today gongkai.Date, cal Calendar) ([]item, error) {
	if (c.Status != gongkai.StatusRegistered && c.Status != gongkai.StatusProcessing) || c.ClockState != gongkai.ClockRunning {
		return nil, nil
	}
	var out []item
	if c.CorrectionDue.IsZero() {
		last, err := CorrectionNoticeDue(c, cal)
		if err != nil {
			return nil, err
		}
		n, err := between(cal, c.ReceivedOn, today)
		if err != nil {
			return nil, err
		}
		if n >= CorrectionReminderDay && !today.After(last) {
			out = append(out, item{c, whyCorrection, last})
		}
	}
	if !c.Extended && !c.ExtensionPending && c.ClockLimit == AnswerDays {
		used, err := usedBy(c, today, cal)
		if err != nil {
			return nil, err
		}
		if used >= ExtensionReminderDay && c.ClockLimit-used > SoonDays {
			out = append(out, item{c, whyExtension, c.DueOn})
		}
	}
	return out, nil
}

// reminderText is a reminder's subject and text: the cases under a heading
// per reason, each with the deadline that reason names; a registrar's
// summary also counts the mail waiting in 来信 (held).
func reminderText(today gongkai.Date, kind string, items []item, held int) (string, string) {
	if kind != "summary" {
		held = 0
	}
	mail := ""
	if held > 0 {
		mail = fmt.Sprintf("另有%d封来信未形成案件、待人工处理（被暂存的垃圾邮件、无法解析的邮件、咨询等），请在“来信”中查看。", held)
	}
	if len(items) == 0 {
		return fmt.Sprintf("【来信提醒】%d封来信待处理（%s）", held, today.Chinese()), today.Chinese() + "：" + mail
	}
	var dues, corrections, extensions strings.Builder
	var nDue, nOverdue, nCorrection, nExtension int
	for _, it := range items {
		c := it.c
		switch it.why {
		case whyCorrection:
			nCorrection++
			fmt.Fprintf(&corrections, "%s  %s  补正告知最迟 %s  %s\n", c.No, c.Applicant.DisplayName(), it.until.Chinese(), c.Department)
		case whyExtension:
			nExtension++
			fmt.Fprintf(&extensions, "%s  %s  答复期限 %s  %s\n", c.No, c.Applicant.DisplayName(), it.until.Chinese(), c.Department)
		default:
			nDue++
			state := "即将到期"
			if it.until.Before(today) {
				state = "已超期"
				nOverdue++
			}
			fmt.Fprintf(&dues, "%s  %s  答复期限 %s（%s）  %s\n", c.No, c.Applicant.DisplayName(), it.until.Chinese(), state, c.Department)
		}
	}
	var what, sections []string
	if nDue > 0 {
		what = append(what, fmt.Sprintf("%d件即将到期或已超期", nDue))
		sections = append(sections, fmt.Sprintf("以下%d件申请的答复期限在%d个工作日内或已超期（其中已超期%d件）：\n\n%s", nDue, SoonDays, nOverdue, dues.String()))
	}
	if nCorrection > 0 {
		what = append(what, fmt.Sprintf("%d件须决定是否补正", nCorrection))
		sections = append(sections, fmt.Sprintf("以下%d件申请收到已满%d个工作日，尚未发出补正告知。如申请内容不明确、需要补正，补正告知书须一次性写明全部需补正的事项，最迟于所列日期发出（收到申请后第%d个工作日，《条例》第三十条）；无需补正的，请继续办理：\n\n%s",
			nCorrection, CorrectionReminderDay, CorrectionNoticeDays, corrections.String()))
	}
	if nExtension > 0 {
		what = append(what, fmt.Sprintf("%d件须决定是否延期", nExtension))
		sections = append(sections, fmt.Sprintf("以下%d件申请的答复期限已用去%d个工作日，请现在决定是否需要延期答复。延期须经政府信息公开工作机构负责人批准，并在答复期限届满前向申请人发出延期答复告知书（《条例》第三十三条）：\n\n%s",
			nExtension, ExtensionReminderDay, extensions.String()))
	}
	who := "您承办的"
	switch kind {
	case "summary":
		who = "全部"
	case "approval":
		who = "待您审批（答复或延期）的"
	}
	subject := fmt.Sprintf("【期限提醒】%s申请：%s（%s）", who, strings.Join(what, "，"), today.Chinese())
	body := today.Chinese() + "：\n\n" + strings.Join(sections, "\n") + "\n请及时办理。"
	if mail != "" {
		body += "\n\n" + mail
	}
	return subject, body
}

// RunDailyWorker runs RunDaily every working morning at 08:00 Beijing time
// (and at start-up if that time has passed), until ctx ends.
func (s *Service) RunDailyWorker(ctx context.Context, notify Notifier) error {
	for {
		now := s.DB.Now().In(gongkai.Beijing)
		if now.Hour() >= 8 {
			if _, err := s.RunDaily(ctx, gongkai.DateOf(now), notify); err != nil {
				s.log().Error("daily run", "err", err)
			}
		}
		next := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, gongkai.Beijing)
		if !next.After(now) {
			next = next.AddDate(0, 0, 1)
		}
		wait := time.Until(next)
		if wait > time.Hour {
			wait = time.Hour // re-check hourly: a clock change or a day-off correction is picked up
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
