package caseflow

import (
	"context"
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

// RunDaily performs the morning duties for today (RULES.md §3.9): it records
// expired stop windows (补正 not completed → result.other.no_correction,
// fee not paid → result.other.no_fee, consultation/Art. 35 windows ended →
// clock resumes) and reminds each handler of the cases due within 3 working
// days or overdue, and the registrars of the whole list. It is restart-safe:
// reminders_sent holds (day, user, kind), so a second run on the same day
// sends nothing twice. Days off are skipped.
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
	if len(due) == 0 && held == 0 {
		return res, nil
	}
	var registrars, approvers []string
	handlersOf := map[string][]string{} // 股室 → its handlers
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		us, err := tx.Users()
		for _, u := range us {
			if !u.Active {
				continue
			}
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
	// The handler named on the case, else every handler of its 股室; the
	// leaders, for what awaits their decision (an answer, an extension).
	byUser := map[string][]*gongkai.Case{}
	var awaiting []*gongkai.Case
	for _, c := range due {
		switch {
		case c.Assignee != "":
			byUser[c.Assignee] = append(byUser[c.Assignee], c)
		case c.Department != "":
			for _, h := range handlersOf[c.Department] {
				byUser[h] = append(byUser[h], c)
			}
		}
		if c.Status == gongkai.StatusDrafted || c.ExtensionPending {
			awaiting = append(awaiting, c)
		}
	}
	send := func(user, kind string, cases []*gongkai.Case) error {
		subject, body := reminderText(today, kind, cases, held)
		var fresh bool
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			var err error
			if fresh, err = tx.MarkReminder(today, user, kind); err != nil || !fresh {
				return err
			}
			for _, c := range cases {
				if err := tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: "system", Kind: "reminder",
					Detail: fmt.Sprintf("已提醒 %s：答复期限 %s", user, c.DueOn.Chinese())}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || !fresh {
			return err
		}
		res.Reminders++
		s.log().Info("reminder", "user", user, "kind", kind, "cases", len(cases))
		if notify != nil {
			return notify(ctx, user, subject, body)
		}
		return nil
	}
	users := make([]string, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		if err := send(u, "handler", byUser[u]); err != nil {
			return res, err
		}
	}
	if len(awaiting) > 0 {
		for _, u := range approvers {
			if err := send(u, "approval", awaiting); err != nil {
				return res, err
			}
		}
	}
	for _, u := range registrars {
		if err := send(u, "summary", due); err != nil {
			return res, err
		}
	}
	return res, nil
}

// reminderText is a reminder's subject and text; a registrar's summary also
// counts the mail waiting in 来信 (held).
func reminderText(today gongkai.Date, kind string, cases []*gongkai.Case, held int) (string, string) {
	if kind != "summary" {
		held = 0
	}
	mail := ""
	if held > 0 {
		mail = fmt.Sprintf("另有%d封来信未形成案件、待人工处理（被暂存的垃圾邮件、无法解析的邮件、咨询等），请在“来信”中查看。", held)
	}
	if len(cases) == 0 {
		return fmt.Sprintf("【来信提醒】%d封来信待处理（%s）", held, today.Chinese()), today.Chinese() + "：" + mail
	}
	var b strings.Builder
	overdue := 0
	for _, c := range cases {
		state := "即将到期"
		if c.DueOn.Before(today) {
			state = "已超期"
			overdue++
		}
		fmt.Fprintf(&b, "%s  %s  答复期限 %s（%s）  %s\n", c.No, c.Applicant.DisplayName(), c.DueOn.Chinese(), state, c.Department)
	}
	who := "您承办的"
	switch kind {
	case "summary":
		who = "全部"
	case "approval":
		who = "待您审批（答复或延期）的"
	}
	subject := fmt.Sprintf("【期限提醒】%s%d件申请即将到期或已超期（%s）", who, len(cases), today.Chinese())
	body := fmt.Sprintf("%s：以下%d件申请的答复期限在3个工作日内或已超期（其中已超期%d件）：\n\n%s\n请及时办理。", today.Chinese(), len(cases), overdue, b.String())
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
