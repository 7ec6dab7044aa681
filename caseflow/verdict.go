package caseflow

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gongkai"
	"gongkai/store"
)

// Verdict returns the classifier's verdict on a case's first classified
// message (nil when the case came by form or API, which staff filled in).
// Its evidence quotes the letter: ID and phone numbers are masked, as in
// the case history before the full data is asked for (CaseDetail).
func (s *Service) Verdict(ctx context.Context, no string) (*gongkai.Verdict, error) {
	var v *gongkai.Verdict
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByNo(no)
		if err != nil {
			return err
		}
		_, js, err := tx.FirstVerdict(c.ID)
		if err != nil || js == "" {
			return err
		}
		v = new(gongkai.Verdict)
		return json.Unmarshal([]byte(js), v)
	})
	if v != nil {
		for i := range v.Reasons {
			v.Reasons[i].Evidence = gongkai.MaskPersonal(v.Reasons[i].Evidence)
		}
	}
	return v, err
}

// OverridableFields are the verdict fields staff may change on a case.
var OverridableFields = map[string]string{"nature": "来件性质", "applicant_type": "申请人类型", "department": "承办股室"}

// Override changes one classifier verdict field on a case, records the
// override (so the inbox can show how often the classifier was right) and
// writes the change to the history, in one transaction.
func (s *Service) Override(ctx context.Context, no, field, value, reason string, u *gongkai.User) error {
	if !u.Has(gongkai.RoleRegistrar, gongkai.RoleAdmin) {
		return gongkai.Errorf(gongkai.EForbidden, "只有登记员或管理员可以修改分类结果")
	}
	label, ok := OverridableFields[field]
	if !ok {
		return gongkai.Errorf(gongkai.EInvalid, "不能修改字段 %q", field)
	}
	value = strings.TrimSpace(value)
	switch field {
	case "applicant_type":
		if !gongkai.ApplicantType(value).Valid() {
			return gongkai.Errorf(gongkai.EInvalid, "申请人类型不正确")
		}
	case "nature":
		if gongkai.MessageKind(value).Label() == "待分类" {
			return gongkai.Errorf(gongkai.EInvalid, "来件性质不正确")
		}
	case "department":
		if value == "" {
			return gongkai.Errorf(gongkai.EInvalid, "请填写承办股室")
		}
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByNo(no)
		if err != nil {
			return err
		}
		msgID, js, err := tx.FirstVerdict(c.ID)
		if err != nil {
			return err
		}
		var old string
		switch field {
		case "applicant_type":
			old, c.Applicant.Type = string(c.Applicant.Type), gongkai.ApplicantType(value)
		case "nature":
			old, c.Nature = c.Nature, value
		case "department":
			old, c.Department = c.Department, value
		}
		if old == value {
			return gongkai.Errorf(gongkai.EConflict, "%s已是“%s”", label, value)
		}
		proposed := old
		if js != "" {
			var v map[string]any
			if json.Unmarshal([]byte(js), &v) == nil {
				proposed = fmt.Sprint(v[field])
			}
		}
		if err := tx.UpdateCase(c); err != nil {
			return err
		}
		if err := tx.AddOverride(store.Override{CaseID: c.ID, MessageID: msgID, Field: field, Proposed: proposed, Chosen: value, Actor: u.Username}); err != nil {
			return err
		}
		return tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: u.Username, Kind: "verdict_overridden",
			Detail: fmt.Sprintf("将%s由“%s”改为“%s”（系统建议：“%s”）", label, old, value, proposed), Reason: reason})
	})
}

// Accuracy reports how often staff kept the classifier's proposals since a time.
func (s *Service) Accuracy(ctx context.Context, since time.Time) ([]store.FieldAccuracy, error) {
	var out []store.FieldAccuracy
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.ClassifierAccuracy(since)
		return err
	})
	return out, err
}

// RoutingRules lists the admin's department-routing rules.
func (s *Service) RoutingRules(ctx context.Context) ([]store.RoutingRule, error) {
	var out []store.RoutingRule
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.RoutingRules()
		return err
	})
	return out, err
}

// SaveRoutingRule validates and stores a rule, then calls RulesChanged so the
// running classifier picks it up without a restart.
func (s *Service) SaveRoutingRule(ctx context.Context, r store.RoutingRule, by string) error {
	r.Department, r.Pattern = strings.TrimSpace(r.Department), strings.TrimSpace(r.Pattern)
	var fields []gongkai.FieldError
	if r.Department == "" {
		fields = append(fields, gongkai.FieldError{Field: "department", Message: "请填写股室"})
	}
	if r.Pattern == "" {
		fields = append(fields, gongkai.FieldError{Field: "pattern", Message: "请填写关键词或正则表达式"})
	} else if r.IsRegex {
		if _, err := regexp.Compile(r.Pattern); err != nil {
			fields = append(fields, gongkai.FieldError{Field: "pattern", Message: "正则表达式有误：" + err.Error()})
		}
	}
	if len(fields) > 0 {
		e := gongkai.Invalid(fields)
		e.Message = fields[0].Message
		return e
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.SaveRoutingRule(&r, by) }); err != nil {
		return err
	}
	return s.rulesChanged(ctx)
}

// DeleteRoutingRule removes a rule and reloads the classifier's rules.
func (s *Service) DeleteRoutingRule(ctx context.Context, id int64) error {
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.DeleteRoutingRule(id) }); err != nil {
		return err
	}
	return s.rulesChanged(ctx)
}

func (s *Service) rulesChanged(ctx context.Context) error {
	if s.RulesChanged == nil {
		return nil
	}
	rules, err := s.RoutingRules(ctx)
	if err != nil {
		return err
	}
	return s.RulesChanged(rules)
}
