package caseflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gongkai"
	"gongkai/intake"
	"gongkai/store"
)

// The staff mail view: inbound messages that are on no case — spam held
// for a person, mail that could not be parsed, consultations, complaints,
// replies that matched no case, automatic replies and bounces — until a
// registrar links each to a case or records why nothing is to be done.

// MailQueue is a tab of the mail view; the web layer names tabs through
// caseflow, never store.
type MailQueue = store.MailQueue

// The tabs of the mail view.
const (
	MailAttention = store.MailAttention
	MailAuto      = store.MailAuto
	MailHandled   = store.MailHandled
)

// mailRoles may see and handle the mail view: it shows applicants' own
// words, personal data included.
var mailRoles = []gongkai.Role{gongkai.RoleRegistrar, gongkai.RoleAdmin}

// MailLimit is the most messages one tab lists.
const MailLimit = 200

var errMailRole = gongkai.Errorf(gongkai.EForbidden, "只有登记员和管理员可以处理来信")

// Mail lists a tab of the mail view, newest first, with the size of every
// tab.
func (s *Service) Mail(ctx context.Context, q MailQueue, u *gongkai.User) ([]*gongkai.Message, map[MailQueue]int, error) {
	if !u.Has(mailRoles...) {
		return nil, nil, errMailRole
	}
	var ms []*gongkai.Message
	var counts map[MailQueue]int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if ms, err = tx.Mail(q, MailLimit); err != nil {
			return err
		}
		counts, err = tx.MailCounts()
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("caseflow: mail view: %w", err)
	}
	return ms, counts, nil
}

// MailDetail is one message as the registrar reads it.
type MailDetail struct {
	Message *gongkai.Message
	// Email is the message parsed again from its raw bytes (attachment
	// bytes left in the raw message); nil when it cannot be parsed.
	Email    *gongkai.Email
	ParseErr string
	Verdict  *gongkai.Verdict // the classifier's, when it gave one
	Case     *gongkai.Case    // the case it is linked to, if any
}

// MailMessage loads a message for the mail view. The view is logged, as
// the text may hold personal data.
func (s *Service) MailMessage(ctx context.Context, id int64, u *gongkai.User) (*MailDetail, error) {
	if !u.Has(mailRoles...) {
		return nil, errMailRole
	}
	d := &MailDetail{}
	var raw []byte
	var verdict string
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		m, err := tx.MessageByID(id)
		if err != nil {
			return err
		}
		d.Message = m
		if m.CaseID != 0 {
			if d.Case, err = tx.CaseByID(m.CaseID); err != nil {
				return err
			}
		}
		raw, verdict, err = tx.MessageRaw(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log().Info("message viewed", "user", u.Username, "message_id", id)
	d.read(raw, verdict)
	return d, nil
}

// CaseMessage loads a message of case no for reading on the case: for the
// staff who may see the applicant's personal data on it (the registrar,
// the case's handler) and admins. The letter is the applicant's own words
// with their personal data, so the reading is written to the case history.
func (s *Service) CaseMessage(ctx context.Context, no string, id int64, u *gongkai.User) (*MailDetail, error) {
	d := &MailDetail{}
	var raw []byte
	var verdict string
	err := s.DB.Update(ctx, func(tx *store.Tx) (err error) {
		if d.Message, d.Case, err = caseMessageTx(tx, no, id, u, "阅读来信原文"); err != nil {
			return err
		}
		raw, verdict, err = tx.MessageRaw(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	d.read(raw, verdict)
	return d, nil
}

// caseMessageTx loads message id of case no for u — the registrar, the
// case's handler, admins — and writes the reading (what) to its history.
func caseMessageTx(tx *store.Tx, no string, id int64, u *gongkai.User, what string) (*gongkai.Message, *gongkai.Case, error) {
	m, err := tx.MessageByID(id)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.CaseByNo(no)
	if err != nil {
		return nil, nil, err
	}
	if m.CaseID != c.ID {
		return nil, nil, gongkai.Errorf(gongkai.ENotFound, "案件 %s 没有这封来信", no)
	}
	if !u.SeesPersonalData(c) && !u.Has(gongkai.RoleAdmin) {
		return nil, nil, gongkai.Errorf(gongkai.EForbidden, "只有登记员、本案承办人和管理员可以%s", what)
	}
	err = tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "pii_viewed", Detail: fmt.Sprintf("%s（来信 %d）", what, id)})
	return m, c, err
}

// read fills the parsed view of a message from its raw bytes and stored
// verdict. What could be read is shown even when parsing failed (a message
// without a header block keeps its text).
func (d *MailDetail) read(raw []byte, verdict string) {
	if verdict != "" {
		var v gongkai.Verdict
		if json.Unmarshal([]byte(verdict), &v) == nil {
			d.Verdict = &v
		}
	}
	em, err := parseForView(raw)
	if err != nil || em == nil {
		d.ParseErr = parseErrorText(err)
	}
	if em != nil && (em.Text != "" || len(em.Attachments) > 0) {
		d.Email = em
	}
}

// MailAttachment returns attachment n (0-based, in the order the mail view
// lists them) of message id, for the 来信 view.
func (s *Service) MailAttachment(ctx context.Context, id int64, n int, u *gongkai.User) (*gongkai.Attachment, error) {
	if !u.Has(mailRoles...) {
		return nil, errMailRole
	}
	var raw []byte
	err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
		raw, _, err = tx.MessageRaw(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return attachmentOf(raw, n)
}

// CaseMessageAttachment returns attachment n of a message of case no, on
// the terms of CaseMessage (the download is in the case history).
func (s *Service) CaseMessageAttachment(ctx context.Context, no string, id int64, n int, u *gongkai.User) (*gongkai.Attachment, error) {
	raw, err := s.caseMessageRaw(ctx, no, id, u, fmt.Sprintf("下载来信附件第%d个", n+1))
	if err != nil {
		return nil, err
	}
	return attachmentOf(raw, n)
}

// attachmentOf parses raw again, with the attachments' bytes, and returns
// attachment n.
func attachmentOf(raw []byte, n int) (a *gongkai.Attachment, err error) {
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, gongkai.Errorf(gongkai.ENotFound, "附件无法读取")
		}
	}()
	em, err := intake.ParseWith(raw, intake.Options{})
	if err != nil || em == nil || n < 0 || n >= len(em.Attachments) {
		return nil, gongkai.Errorf(gongkai.ENotFound, "附件不存在")
	}
	return &em.Attachments[n], nil
}

// CaseMessageRaw returns the raw bytes of a message of case no for
// download, on the terms of CaseMessage.
func (s *Service) CaseMessageRaw(ctx context.Context, no string, id int64, u *gongkai.User) ([]byte, error) {
	return s.caseMessageRaw(ctx, no, id, u, "下载来信原件")
}

// caseMessageRaw is CaseMessageRaw, the history saying what was taken.
func (s *Service) caseMessageRaw(ctx context.Context, no string, id int64, u *gongkai.User, what string) ([]byte, error) {
	var raw []byte
	err := s.DB.Update(ctx, func(tx *store.Tx) (err error) {
		if _, _, err = caseMessageTx(tx, no, id, u, what); err != nil {
			return err
		}
		raw, _, err = tx.MessageRaw(id)
		return err
	})
	return raw, err
}

// parseErrorText says in Chinese why a message could not be parsed.
func parseErrorText(err error) string {
	switch {
	case err == nil:
		return "无法解析"
	case errors.Is(err, intake.ErrEmpty):
		return "无法解析：邮件是空的"
	case errors.Is(err, intake.ErrNoHeader):
		return "无法解析：没有信头，不是标准格式的邮件"
	}
	return "无法解析：" + err.Error()
}

// parseForView parses raw bytes for reading; a panic in the parser is an
// error here too, as in intake.
func parseForView(raw []byte) (em *gongkai.Email, err error) {
	defer func() {
		if p := recover(); p != nil {
			em, err = nil, fmt.Errorf("解析程序出错：%v", p)
		}
	}()
	return intake.ParseWith(raw, intake.Options{NoData: true})
}

// maxMailNote bounds the note on a handled message.
const maxMailNote = 500

// mailNote trims the note a registrar gives with an action on a message
// (label names it in the error) and bounds it; with an example it is
// required, and the error shows the example.
func mailNote(note, label, example string) (string, error) {
	note = strings.TrimSpace(note)
	if note == "" && example != "" {
		return "", gongkai.Errorf(gongkai.EInvalid, "请写明%s（例如：%s）", label, example)
	}
	if utf8.RuneCountInString(note) > maxMailNote {
		return "", gongkai.Errorf(gongkai.EInvalid, "%s最多 %d 字", label, maxMailNote)
	}
	return note, nil
}

// HandleMail records that nothing more is to be done with a message on no
// case, and why.
func (s *Service) HandleMail(ctx context.Context, id int64, note string, u *gongkai.User) error {
	if !u.Has(mailRoles...) {
		return errMailRole
	}
	note, err := mailNote(note, "处理情况", "确认为垃圾邮件；已电话答复咨询")
	if err != nil {
		return err
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.HandleMessage(id, u.Username, note) }); err != nil {
		return err
	}
	s.log().Info("message handled", "user", u.Username, "message_id", id)
	return nil
}

// ReopenMail undoes the archiving of a message (archived by mistake): it
// is waiting for staff again, to be linked, registered or archived anew.
// The log keeps who did it and what the archive said.
func (s *Service) ReopenMail(ctx context.Context, id int64, u *gongkai.User) error {
	if !u.Has(mailRoles...) {
		return errMailRole
	}
	var was *gongkai.Message
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if was, err = tx.MessageByID(id); err != nil {
			return err
		}
		return tx.ReopenMessage(id)
	})
	if err != nil {
		return err
	}
	s.log().Info("message reopened", "user", u.Username, "message_id", id, "archived_by", was.HandledBy, "archived_note", was.HandledNote)
	return nil
}

// LinkMail attaches a message on no case to the case numbered caseNo (a
// reply that matched no case, 补正 material sent from another address…).
// The case's history says so; a correction received this way is recorded
// on the case page by the registrar, as on paper. It returns the case
// number as written in the store.
func (s *Service) LinkMail(ctx context.Context, id int64, caseNo, note string, u *gongkai.User) (string, error) {
	if !u.Has(mailRoles...) {
		return "", errMailRole
	}
	caseNo = strings.ToUpper(strings.TrimSpace(caseNo))
	if reCaseNo.FindString(caseNo) != caseNo {
		return "", gongkai.Errorf(gongkai.EInvalid, "受理编号格式应为 GK-年份-六位数字，例如 GK-2026-000123")
	}
	note, err := mailNote(note, "说明", "")
	if err != nil {
		return "", err
	}
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByNo(caseNo)
		if err != nil {
			return err
		}
		m, err := tx.MessageByID(id)
		if err != nil {
			return err
		}
		if err := tx.LinkMessage(id, c.ID, u.Username, note); err != nil {
			return err
		}
		detail := fmt.Sprintf("将来信“%s”（%s，%s）关联到本案", oneLine(m.Subject), m.Kind.Label(), m.ArrivedAt.In(gongkai.Beijing).Format("2006-01-02 15:04"))
		if c.Status == gongkai.StatusCorrection {
			detail += "；本案正在补正中，如为补正材料，请在本页登记“收到补正”"
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "message_linked", Detail: detail, Reason: note})
	})
	if err != nil {
		return "", err
	}
	s.log().Info("message linked", "user", u.Username, "message_id", id, "case", caseNo)
	return caseNo, nil
}

// RegisterHeld files a message on no case as a request: spam held for a
// person that turns out to be a real application, a consultation that asks
// for information after all. The message is parsed and classified again and
// registered like any e-mail request (received on the day it arrived, with
// its 登记回执), in the transaction that links it; the history says who
// registered it and why. A message that cannot be parsed is refused: staff
// read the original and register it from what it says.
func (in *Intake) RegisterHeld(ctx context.Context, id int64, by, note string) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var raws []store.PendingRaw
	err := in.Cases.DB.View(ctx, func(tx *store.Tx) error {
		m, err := tx.MessageByID(id)
		if err != nil {
			return err
		}
		if err := heldOK(m); err != nil {
			return err
		}
		raws, err = tx.RawMessages([]int64{id})
		return err
	})
	if err != nil {
		return "", err
	}
	if len(raws) != 1 {
		return "", gongkai.Errorf(gongkai.ENotFound, "来信不存在")
	}
	p := storedParsed(raws[0])
	in.parseOne(p)
	if p.email == nil {
		return "", gongkai.Errorf(gongkai.EInvalid, "这封来信无法解析，不能据此自动登记；请下载原件查看，按其内容另行登记后再关联")
	}
	was := p.verdict.Nature
	p.verdict.Nature = gongkai.KindRequest
	p.verdict.Reasons = append(p.verdict.Reasons, gongkai.Reason{Field: "nature", Rule: "工作人员登记为信息公开申请（原分类：" + was.Label() + "）", Evidence: note})
	if err := p.encode(); err != nil {
		return "", err
	}
	var no string
	ps := []*parsed{p}
	err = in.filingTx(&ps, func(fn func(*store.Tx) error) error { return in.Cases.DB.Update(ctx, fn) }, func(tx *store.Tx) error {
		m, err := tx.MessageByID(id)
		if err != nil {
			return err
		}
		if err := heldOK(m); err != nil {
			return err
		}
		if err := in.markRepeat(tx, p); err != nil {
			return err
		}
		c, err := in.newCase(tx, p, p.email, p.verdict, p.arrived)
		if err != nil {
			return err
		}
		if err := tx.LinkMessage(id, c.ID, by, note); err != nil {
			return err
		}
		m.CaseID, m.Kind = c.ID, gongkai.KindRequest
		if err := tx.UpdateMessage(m, p.verdictJSON); err != nil {
			return err
		}
		no = c.No
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: by, Kind: "registered_from_mail",
			Detail: fmt.Sprintf("将暂存的来信“%s”（原分类：%s）登记为信息公开申请", oneLine(m.Subject), was.Label()), Reason: note})
	})
	if err != nil {
		return "", err
	}
	in.log().Info("held message registered", "user", by, "message_id", id, "case", no)
	return no, nil
}

// heldOK refuses a message that is already on a case or handled.
func heldOK(m *gongkai.Message) error {
	switch {
	case m.CaseID != 0:
		return gongkai.Errorf(gongkai.EConflict, "这封来信已关联到案件，不能再登记")
	case m.HandledBy != "":
		return gongkai.Errorf(gongkai.EConflict, "这封来信已由 %s 处理", m.HandledBy)
	}
	return nil
}

// RegisterMail files a message on no case as a request (Intake.RegisterHeld,
// wired in as Service.RegisterHeld) for a registrar or admin; the reason is
// required.
func (s *Service) RegisterMail(ctx context.Context, id int64, note string, u *gongkai.User) (string, error) {
	if !u.Has(mailRoles...) {
		return "", errMailRole
	}
	if s.RegisterHeld == nil {
		return "", gongkai.Errorf(gongkai.EConflict, "未启用邮件收信，不能据来信登记")
	}
	note, err := mailNote(note, "登记理由", "误判为垃圾邮件，实为信息公开申请")
	if err != nil {
		return "", err
	}
	return s.RegisterHeld(ctx, id, u.Username, note)
}
