package caseflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gongkai"
	"gongkai/store"
)

// Service is the case engine: filing, looking up and moving cases. Each
// method is one store transaction, its history rows included (STYLE.md habit 2).
type Service struct {
	DB  *store.DB
	Cal Calendar
	Log *slog.Logger
	// Suggest, when set, reads the text of a new case as the classifier
	// reads mail: File takes its department and, for a text that reads as
	// a 信访/complaint, its nature (the registrar confirms or changes both).
	Suggest func(subject, text string) gongkai.Verdict
	// RulesChanged is called with every routing rule after an admin edits
	// them, so the classifier reloads without a restart.
	RulesChanged func(rules []store.RoutingRule) error
	// RegisterHeld, when set (e-mail intake runs), files a message on no
	// case as a request (Intake.RegisterHeld) and returns the case number.
	RegisterHeld func(ctx context.Context, messageID int64, by, note string) (string, error)
}

// CaseFilter selects cases for a list (the inbox queues, the daily run);
// RoutingRule is an admin's department-routing rule. Both are the store's
// types, named here so that the web layer never imports store (STYLE.md).
type (
	CaseFilter  = store.CaseFilter
	RoutingRule = store.RoutingRule
)

// queryCodeAlphabet avoids look-alike characters (0/O, 1/I/L) so a code read
// over the phone survives.
const queryCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewQueryCode returns a random 8-character 查询码.
func NewQueryCode() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("caseflow: random query code: %w", err))
	}
	for i := range b {
		b[i] = queryCodeAlphabet[int(b[i])%len(queryCodeAlphabet)]
	}
	return string(b)
}

// File registers an application submitted on the web form, the API or the
// chat-bot. It validates every field at once (a *gongkai.Error of kind
// EInvalid lists them) and stores nothing on failure. A second submission with
// the same idemKey returns the first case and existing=true.
func (s *Service) File(ctx context.Context, app gongkai.Application, ch gongkai.Channel, idemKey, actor string) (c *gongkai.Case, existing bool, err error) {
	return s.FileReceived(ctx, app, ch, time.Time{}, idemKey, actor)
}

// FileReceived is File for an application that arrived at arrived (zero:
// now): a letter, a visit or a fax a registrar enters from paper. The legal
// receipt date follows from arrived and the channel (RULES.md §3.1).
func (s *Service) FileReceived(ctx context.Context, app gongkai.Application, ch gongkai.Channel, arrived time.Time, idemKey, actor string) (c *gongkai.Case, existing bool, err error) {
	app.Normalize()
	if errs := app.Validate(s.DB.Now()); len(errs) > 0 {
		return nil, false, gongkai.Invalid(errs)
	}
	raw, err := json.Marshal(app)
	if err != nil {
		return nil, false, fmt.Errorf("caseflow: encode application: %w", err)
	}
	if idemKey != "" {
		// The key finds the first case only for the same application: the
		// same key with another application (a client that reuses keys, a
		// form sent again after Back with something else in it) files it,
		// instead of answering with somebody else's case and 查询码.
		sum := sha256.Sum256(raw)
		idemKey += ":" + hex.EncodeToString(sum[:8])
	}
	// Classify before the write transaction: the single writer should not
	// wait on CPU work.
	var v gongkai.Verdict
	if s.Suggest != nil {
		v = s.Suggest("", app.FullDescription())
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		if idemKey != "" {
			prev, err := tx.CaseByIdemKey(idemKey)
			if err == nil {
				c, existing = prev, true
				return nil
			}
			if gongkai.ErrorKind(err) != gongkai.ENotFound {
				return err
			}
		}
		c = &gongkai.Case{
			QueryCode:   NewQueryCode(),
			Applicant:   app.Applicant(),
			Description: app.FullDescription(),
			Purpose:     app.Purpose,
			Form:        app.FormOrImplied(),
			Delivery:    app.DeliveryValue(),
			Channel:     ch,
			Nature:      string(gongkai.KindRequest),
		}
		at := arrived
		if at.IsZero() {
			at = tx.Now
		}
		if err := Register(c, at, s.Cal); err != nil {
			return err
		}
		c.Department = v.Department
		// A 信访/complaint in the form of a request is still counted as an
		// application (RULES.md §7); the nature tells the registrar that it
		// needs a 不予处理 answer or a hand-over (Art. 39), as for mail.
		flag := ""
		if v.Nature == gongkai.KindComplaint {
			c.Nature = string(gongkai.KindComplaint)
			flag = "；内容像是信访、投诉或举报，来件性质暂定为「" + gongkai.KindComplaint.Label() + "」，请登记时核实（《条例》第三十九条）"
		}
		no, err := tx.NextCaseNo(c.ReceivedOn.Year())
		if err != nil {
			return err
		}
		c.No = no
		if err := tx.CreateCase(c, idemKey); err != nil {
			return err
		}
		msg := &gongkai.Message{CaseID: c.ID, Channel: ch, ArrivedAt: at, Raw: raw, SHA256: sha(raw),
			Subject: "政府信息公开申请", From: c.Applicant.DisplayName(), Kind: gongkai.KindRequest, Source: string(ch)}
		if err := tx.CreateMessage(msg); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: actor, Kind: "registered",
			Detail: fmt.Sprintf("通过%s收到申请，受理编号 %s，收到申请之日 %s，答复期限 %s%s", ch.Label(), c.No, c.ReceivedOn.Chinese(), c.DueOn.Chinese(), flag),
			Reason: reasonsText(slices.DeleteFunc(v.Reasons, func(r gongkai.Reason) bool { return r.Field != "department" && r.Field != "nature" }))})
	})
	if err != nil {
		return nil, false, err
	}
	if s.Log != nil && !existing {
		s.Log.Info("case filed", "case_no", c.No, "channel", ch)
	}
	return c, existing, nil
}

// Track returns a case and its history for the applicant's status page. A
// wrong query code gives the same not-found answer as an unknown number.
func (s *Service) Track(ctx context.Context, no, code string) (*gongkai.Case, []gongkai.Event, error) {
	var c *gongkai.Case
	var evs []gongkai.Event
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.CaseByNo(no)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(c.QueryCode), []byte(code)) != 1 {
			return gongkai.ErrNotFound
		}
		evs, err = tx.Events(c.ID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return c, evs, nil
}

// Cases lists cases for staff.
func (s *Service) Cases(ctx context.Context, f store.CaseFilter) ([]*gongkai.Case, error) {
	var out []*gongkai.Case
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Cases(f)
		return err
	})
	return out, err
}

// CasePage lists one page of the cases f selects (f.Limit, f.Offset) and
// counts all of them, from one snapshot.
func (s *Service) CasePage(ctx context.Context, f store.CaseFilter) ([]*gongkai.Case, int, error) {
	var out []*gongkai.Case
	var total int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = tx.Cases(f); err != nil {
			return err
		}
		total, err = tx.CountCases(f)
		return err
	})
	return out, total, err
}

// Detail is everything the staff case page shows.
type Detail struct {
	Case     *gongkai.Case
	Events   []gongkai.Event
	Messages []*gongkai.Message
	Allowed  []Action
	Revealed bool // personal data shown unmasked (and logged)
}

// CaseDetail loads a case for a staff member. With reveal, and only when the
// user's role needs personal data, the view is unmasked and the view is
// written to the case history in the same transaction.
func (s *Service) CaseDetail(ctx context.Context, no string, u *gongkai.User, reveal bool) (*Detail, error) {
	d := &Detail{}
	load := func(tx *store.Tx) error {
		c, err := tx.CaseByNo(no)
		if err != nil {
			return err
		}
		d.Case = c
		if reveal && u.SeesPersonalData(c) {
			d.Revealed = true
			if err := tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "pii_viewed", Detail: "查看了申请人完整的证件号码和联系电话"}); err != nil {
				return err
			}
		}
		if d.Events, err = tx.Events(c.ID); err != nil {
			return err
		}
		d.Messages, err = tx.MessagesForCase(c.ID)
		return err
	}
	var err error
	if reveal {
		err = s.DB.Update(ctx, load)
	} else {
		err = s.DB.View(ctx, load)
	}
	if err != nil {
		return nil, err
	}
	if !d.Revealed {
		// The history quotes the letter (the classifier's evidence, a
		// follow-up's subject): its ID and phone numbers are masked as
		// the applicant's fields are.
		for i := range d.Events {
			d.Events[i].Detail = gongkai.MaskPersonal(d.Events[i].Detail)
			d.Events[i].Reason = gongkai.MaskPersonal(d.Events[i].Reason)
		}
	}
	d.Allowed = AllowedOn(d.Case, u, gongkai.DateOf(s.DB.Now()))
	return d, nil
}

// Act applies one state-machine action to a case in one transaction: the
// role and state checks, the clock, the new due date and the history rows.
func (s *Service) Act(ctx context.Context, no string, in Input) (*gongkai.Case, error) {
	var c *gongkai.Case
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CaseByNo(no); err != nil {
			return err
		}
		if in.Now.IsZero() {
			in.Now = tx.Now
		}
		if err := checkAssignee(tx, c, in); err != nil {
			return err
		}
		return actTx(tx, c, in, s.Cal)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Message returns a stored message's raw bytes (staff view of the original).
func (s *Service) Message(ctx context.Context, id int64) (*gongkai.Message, error) {
	var m *gongkai.Message
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if m, err = tx.MessageByID(id); err != nil {
			return err
		}
		m.Raw, _, err = tx.MessageRaw(id)
		return err
	})
	return m, err
}

// checkAssignee refuses to hand a case to somebody who cannot work on it:
// no such user, an account switched off, no handler role, or a handler of
// another 股室 than the one named.
func checkAssignee(tx *store.Tx, c *gongkai.Case, in Input) error {
	if (in.Action != ActAssign && in.Action != ActRegister) || strings.TrimSpace(in.Assignee) == "" {
		return nil
	}
	name := strings.TrimSpace(in.Assignee)
	if strings.TrimSpace(in.Department) == "" {
		in.Department = c.Department // the case keeps its 股室
	}
	u, _, err := tx.UserByUsername(name)
	switch {
	case gongkai.ErrorKind(err) == gongkai.ENotFound:
		return invalid("assignee", "没有用户名为“%s”的工作人员", name)
	case err != nil:
		return err
	case !u.Active:
		return invalid("assignee", "“%s”的账号已停用，不能承办", name)
	case !u.Has(gongkai.RoleHandler):
		return invalid("assignee", "“%s”没有承办人角色，不能承办案件", name)
	case u.Department != "" && strings.TrimSpace(in.Department) != "" && u.Department != strings.TrimSpace(in.Department):
		return invalid("assignee", "“%s”属于“%s”，不是“%s”", name, u.Department, strings.TrimSpace(in.Department))
	}
	return nil
}

// actTx applies a state-machine action in the caller's transaction: Apply,
// the case update and the history rows. Service.Act, letters (a letter
// leaving and the case concluding are one commit) and intake (a correction
// received by mail) all go through it.
func actTx(tx *store.Tx, c *gongkai.Case, in Input, cal Calendar) error {
	evs, err := Apply(c, in, cal)
	if err != nil {
		return err
	}
	if err := tx.UpdateCase(c); err != nil {
		return err
	}
	for i := range evs {
		evs[i].CaseID = c.ID
		if err := tx.AddEvent(&evs[i]); err != nil {
			return err
		}
	}
	return nil
}
