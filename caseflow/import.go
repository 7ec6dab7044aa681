package caseflow

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gongkai"
	"gongkai/ledger"
	"gongkai/store"
)

// ImportResult counts what a ledger import did.
type ImportResult struct {
	Created, Updated, Unchanged int
	Appeals                     int
}

// Import loads a parsed ledger (contracts/ledger-import.md) in one
// transaction: all or nothing. A 受理编号 already stored is updated, never
// duplicated; an identical row leaves the case unchanged. Appeals must name a
// case of the ledger or of the store; every problem is returned, naming its
// file and line, and nothing is stored then.
func (s *Service) Import(ctx context.Context, name string, l *ledger.Ledger, actor string) (ImportResult, []error) {
	var res ImportResult
	var problems []error
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		seq := map[int]int64{}
		for _, r := range l.Cases {
			c, err := tx.CaseByNo(r.CaseNo)
			isNew := gongkai.ErrorKind(err) == gongkai.ENotFound
			if err != nil && !isNew {
				return err
			}
			if isNew {
				c = &gongkai.Case{No: r.CaseNo, QueryCode: NewQueryCode(), Nature: string(gongkai.KindRequest)}
			}
			before := *c
			applyRow(c, r)
			if err := s.importClock(c); err != nil {
				problems = append(problems, &ledger.Error{File: name, Line: r.Line, Column: "收到日期", Msg: gongkai.ErrorMessage(err)})
				continue
			}
			switch {
			case isNew:
				if err := tx.CreateCase(c, ""); err != nil {
					return err
				}
				res.Created++
			case sameImported(&before, c):
				res.Unchanged++
				continue
			default:
				if err := tx.UpdateCase(c); err != nil {
					return err
				}
				res.Updated++
			}
			kind, detail := "imported", "由台账导入："+name
			if !isNew {
				kind, detail = "import_updated", "台账重新导入，更新了案件信息："+name
			}
			if err := tx.AddEvent(&gongkai.Event{CaseID: c.ID, Actor: actor, Kind: kind, Detail: detail}); err != nil {
				return err
			}
			if y, n, ok := splitCaseNo(c.No); ok && n > seq[y] {
				seq[y] = n
			}
		}
		years := make([]int, 0, len(seq))
		for y := range seq {
			years = append(years, y)
		}
		sort.Ints(years)
		for _, y := range years {
			if err := tx.EnsureCaseSeq(y, seq[y]); err != nil {
				return err
			}
		}
		known := l.CaseNos()
		for _, a := range l.Appeals {
			c, err := tx.CaseByNo(a.CaseNo)
			if err != nil {
				if gongkai.ErrorKind(err) == gongkai.ENotFound && !known[a.CaseNo] {
					problems = append(problems, &ledger.Error{File: name, Line: a.Line, Column: "受理编号", Msg: "找不到受理编号为 " + a.CaseNo + " 的申请"})
					continue
				}
				if gongkai.ErrorKind(err) != gongkai.ENotFound {
					return err
				}
				continue // a case of this file that failed above: already reported
			}
			ap := &gongkai.Appeal{CaseID: c.ID, Kind: a.Kind, FiledOn: a.FiledOn, Outcome: a.Outcome, DecidedOn: a.DecidedOn}
			if _, err := tx.CreateAppeal(ap); err != nil {
				return err
			}
			res.Appeals++
		}
		if len(problems) > 0 {
			return errImportRejected
		}
		return nil
	})
	if err == errImportRejected {
		return ImportResult{}, problems
	}
	if err != nil {
		return ImportResult{}, []error{fmt.Errorf("caseflow: import %s: %w", name, err)}
	}
	return res, nil
}

var errImportRejected = gongkai.Errorf(gongkai.EInvalid, "台账有误，未导入任何数据")

// applyRow copies a ledger row onto a case.
func applyRow(c *gongkai.Case, r ledger.Row) {
	a := &c.Applicant
	a.Type = r.ApplicantType
	if r.ApplicantType == gongkai.NaturalPerson {
		a.Name = r.Applicant
		if r.IDNumber != "" {
			a.IDNumber, a.IDType = r.IDNumber, "居民身份证"
		}
	} else {
		a.OrgName = r.Applicant
		if r.IDNumber != "" {
			a.CreditCode = r.IDNumber
		}
	}
	if r.Phone != "" {
		a.Phone = r.Phone
	}
	if r.Email != "" {
		a.Email = strings.ToLower(r.Email)
	}
	c.Description = r.Description
	if r.Department != "" {
		c.Department = r.Department
	}
	c.Channel = r.Channel
	if c.Channel == "" {
		c.Channel = gongkai.ChannelInPerson // 渠道 not given: the ledger's date is the legal receipt date as is
	}
	c.ReceivedOn = r.ReceivedOn
	if c.ArrivedAt.IsZero() {
		c.ArrivedAt = r.ReceivedOn.Time()
	}
	c.Result, c.AnsweredOn = r.Result, r.AnsweredOn
	if len(r.Notes) > 0 {
		keys := make([]string, 0, len(r.Notes))
		for k := range r.Notes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s：%s\n", k, r.Notes[k])
		}
		c.Notes = strings.TrimSpace(b.String())
	}
}

// importClock sets status and clock of an imported case: answered cases are
// closed; open ones run from the ledger's receipt date (the ledger date is the
// legal receipt date, contracts/ledger-import.md).
func (s *Service) importClock(c *gongkai.Case) error {
	if c.Result != "" {
		c.Status, c.ClockState = gongkai.StatusClosed, gongkai.ClockStopped
		c.DueOn = gongkai.Date{}
		return nil
	}
	if c.Status == "" || c.Status == gongkai.StatusClosed {
		c.Status = gongkai.StatusProcessing
	}
	if c.ClockState == "" || c.ClockState == gongkai.ClockStopped {
		c.ClockState, c.ClockFrom, c.ClockUsed, c.ClockLimit = gongkai.ClockRunning, c.ReceivedOn, 0, 20
	}
	due, err := Due(c, s.Cal)
	if err != nil {
		return err
	}
	c.DueOn = due
	return nil
}

func sameImported(a, b *gongkai.Case) bool {
	return a.Applicant == b.Applicant && a.Description == b.Description && a.Department == b.Department &&
		a.Channel == b.Channel && a.ReceivedOn == b.ReceivedOn && a.Result == b.Result && a.AnsweredOn == b.AnsweredOn &&
		a.Notes == b.Notes && a.Status == b.Status && a.DueOn == b.DueOn
}

func splitCaseNo(no string) (int, int64, bool) {
	// GK-YYYY-NNNNNN
	if len(no) != 14 || !strings.HasPrefix(no, "GK-") || no[7] != '-' {
		return 0, 0, false
	}
	y, err1 := strconv.Atoi(no[3:7])
	n, err2 := strconv.ParseInt(no[8:], 10, 64)
	return y, n, err1 == nil && err2 == nil
}
