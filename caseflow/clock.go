package caseflow

import (
	"fmt"
	"time"

	"gongkai"
)

// Calendar is the working-day arithmetic the clock needs (RULES.md §3.2,
// §3.3). workday.Calendar implements it; caseflow declares it so that the
// clock can be tested with a small calendar and stays free of storage.
type Calendar interface {
	AddWorkdays(d gongkai.Date, n int) (gongkai.Date, error) // n-th working day after d (d is day 0)
	WorkdaysBetween(a, b gongkai.Date) (int, error)          // working days in (a, b]
	OnOrAfter(d gongkai.Date) (gongkai.Date, error)          // first working day >= d
	IsWorkingDay(d gongkai.Date) (bool, error)
	ReceiptDate(arrived gongkai.Date, ch gongkai.Channel) (gongkai.Date, error)
}

// Statutory and default periods, in working days.
const (
	AnswerDays            = 20 // answer period (Art. 33 para. 1)
	ExtensionDays         = 20 // one extension with the head's consent (Art. 33 para. 2)
	CorrectionNoticeDays  = 7  // 补正 notice within 7 wd of receipt (Art. 30)
	DefaultCorrectionDays = 15 // 补正 period set in the notice; the law says "reasonable" (RULES.md §3.5 [I])
	ConsultationDays      = 15 // third party / co-authoring agency reply period (Art. 32, 34)
	FeeDays               = 20 // payment window after a fee notice (国办函〔2020〕109号; RULES.md §3.7)
	DefaultReasonsDays    = 15 // Art. 35 reason request period (agency-set; RULES.md §3.8 [I])
	MaxWindowDays         = 60 // upper bound for a period typed by staff
	SoonDays              = 3  // "soon" colour threshold of Remaining
)

// Colour classes returned by Remaining.
const (
	ClassOnTime  = "ontime"  // more than SoonDays working days left
	ClassSoon    = "soon"    // SoonDays or fewer working days left, due today included
	ClassOverdue = "overdue" // due date passed
	ClassPaused  = "paused"  // clock waits (补正, consultation, fee, Art. 35): no due date
	ClassStopped = "stopped" // answered, withdrawn or not a request
)

// Register initialises the clock of a new case: the legal receipt date from
// the arrival time and channel (Art. 31, RULES.md §3.1), day 0 = that date,
// 20 working days, and the due date. The case starts in status registered;
// the clock runs from receipt whether or not staff have triaged it yet.
func Register(c *gongkai.Case, arrived time.Time, cal Calendar) error {
	if arrived.IsZero() {
		return gongkai.Errorf(gongkai.EInvalid, "缺少来件时间")
	}
	if !c.Channel.Valid() {
		return gongkai.Errorf(gongkai.EInvalid, "未知的申请渠道：%q", string(c.Channel))
	}
	recv, err := cal.ReceiptDate(gongkai.DateOf(arrived), c.Channel)
	if err != nil {
		return fmt.Errorf("caseflow: computing the receipt date: %w", err)
	}
	n := *c
	n.ArrivedAt = arrived
	n.ReceivedOn = recv
	n.Status = gongkai.StatusRegistered
	n.ClockState = gongkai.ClockRunning
	n.ClockFrom = recv
	n.ClockUsed = 0
	n.ClockLimit = AnswerDays
	n.Extended, n.ExtensionPending = false, false
	n.CorrectionDue, n.SuspendedUntil = gongkai.Date{}, gongkai.Date{}
	if n.DueOn, err = Due(&n, cal); err != nil {
		return err
	}
	*c = n
	return nil
}

// Due computes the answer due date from the clock fields: the day the count
// of used working days reaches the limit (RULES.md §3.3 clock model). It is
// the zero Date while the clock is restarting, suspended or stopped.
func Due(c *gongkai.Case, cal Calendar) (gongkai.Date, error) {
	if c.ClockState != gongkai.ClockRunning {
		return gongkai.Date{}, nil
	}
	if c.ClockFrom.IsZero() {
		return gongkai.Date{}, fmt.Errorf("caseflow: computing the due date of %s: clock has no day 0", c.No)
	}
	left := c.ClockLimit - c.ClockUsed
	var d gongkai.Date
	var err error
	if left <= 0 {
		// Nothing left when counting resumed (a stop began on the due day):
		// the answer is due at once.
		d, err = cal.OnOrAfter(c.ClockFrom)
	} else {
		d, err = cal.AddWorkdays(c.ClockFrom, left)
	}
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("caseflow: computing the due date of %s: %w", c.No, err)
	}
	return d, nil
}

// Remaining returns the working days from today to the due date (0 on the
// due day, negative when overdue) and the colour class: ClassOnTime,
// ClassSoon (≤ SoonDays left), ClassOverdue. While the clock waits it returns
// the working days the clock will have left when it runs again and
// ClassPaused; on a stopped clock 0 and ClassStopped.
func Remaining(c *gongkai.Case, today gongkai.Date, cal Calendar) (int, string, error) {
	switch c.ClockState {
	case gongkai.ClockRestarting:
		return AnswerDays, ClassPaused, nil // completion starts a fresh period (Art. 30)
	case gongkai.ClockSuspended:
		return c.ClockLimit - c.ClockUsed, ClassPaused, nil
	case gongkai.ClockStopped:
		return 0, ClassStopped, nil
	}
	due, err := Due(c, cal)
	if err != nil {
		return 0, "", err
	}
	if due.After(today) || due.Equal(today) {
		n, err := cal.WorkdaysBetween(today, due)
		if err != nil {
			return 0, "", fmt.Errorf("caseflow: counting remaining days of %s: %w", c.No, err)
		}
		if n <= SoonDays {
			return n, ClassSoon, nil
		}
		return n, ClassOnTime, nil
	}
	n, err := cal.WorkdaysBetween(due, today)
	if err != nil {
		return 0, "", fmt.Errorf("caseflow: counting overdue days of %s: %w", c.No, err)
	}
	if n == 0 {
		n = 1 // a day off after the due day: the answer can go out next working day at the earliest
	}
	return -n, ClassOverdue, nil
}

// CorrectionNoticeDue is the last day for the 补正 notice: the 7th working day
// after the legal receipt date (Art. 30; RULES.md §3.3 example 2024-12-20 → 2024-12-31).
func CorrectionNoticeDue(c *gongkai.Case, cal Calendar) (gongkai.Date, error) {
	d, err := cal.AddWorkdays(c.ReceivedOn, CorrectionNoticeDays)
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("caseflow: computing the 补正 notice deadline of %s: %w", c.No, err)
	}
	return d, nil
}

// Expired reports which window of c has run out by today and the action a
// worker should record: correction_lapsed and fee_lapsed close the case as
// result.other.no_correction / no_fee (concluding on the recording day, K5);
// consultation_lapsed and reasons_lapsed let the clock run again from the
// day after the window (Art. 32: a silent third party leaves the decision to
// the agency; Art. 34: a silent agency consents). A window runs out at the
// end of its last day, so today must be after it.
func Expired(c *gongkai.Case, today gongkai.Date) (Action, bool) {
	end, act := gongkai.Date{}, Action("")
	switch c.Status {
	case gongkai.StatusCorrection:
		end, act = c.CorrectionDue, ActCorrectionLapsed
	case gongkai.StatusConsultation:
		end, act = c.SuspendedUntil, ActConsultationLapsed
	case gongkai.StatusFee:
		end, act = c.SuspendedUntil, ActFeeLapsed
	case gongkai.StatusReasons:
		end, act = c.SuspendedUntil, ActReasonsLapsed
	default:
		return "", false
	}
	if end.IsZero() || !today.After(end) {
		return "", false
	}
	return act, true
}

// between counts working days in (a, b] with a wrapped error.
func between(cal Calendar, a, b gongkai.Date) (int, error) {
	n, err := cal.WorkdaysBetween(a, b)
	if err != nil {
		return 0, fmt.Errorf("caseflow: counting working days from %s to %s: %w", a, b, err)
	}
	return n, nil
}

// addDays is AddWorkdays with a wrapped error.
func addDays(cal Calendar, d gongkai.Date, n int) (gongkai.Date, error) {
	r, err := cal.AddWorkdays(d, n)
	if err != nil {
		return gongkai.Date{}, fmt.Errorf("caseflow: adding %d working days to %s: %w", n, d, err)
	}
	return r, nil
}

// usedBy is the count of used working days if the clock ran up to on.
func usedBy(c *gongkai.Case, on gongkai.Date, cal Calendar) (int, error) {
	if c.ClockState != gongkai.ClockRunning {
		return c.ClockUsed, nil
	}
	n, err := between(cal, c.ClockFrom, on)
	if err != nil {
		return 0, err
	}
	// on may precede day 0 when an internet-channel receipt falls on the next
	// working day and staff act earlier: nothing has been used yet.
	return c.ClockUsed + max(n, 0), nil
}

// suspend stops counting at x, the dispatch day of a consultation letter,
// fee notice or reason request (RULES.md §3.3): the working days in
// (ClockFrom, x] are used, nothing after x counts until resume. A stop cannot
// revive a period that has already run out, so it is refused after the due day.
func suspend(c *gongkai.Case, x gongkai.Date, cal Calendar) error {
	used, err := usedBy(c, x, cal)
	if err != nil {
		return err
	}
	if used > c.ClockLimit {
		return gongkai.Errorf(gongkai.EConflict, "答复期限已于%s届满，已逾期的期限不能再中止计算，请尽快答复", c.DueOn)
	}
	c.ClockUsed, c.ClockFrom, c.ClockState = used, x, gongkai.ClockSuspended
	return nil
}

// resume lets the clock run again after y, the end of a stop: the working
// days in (x, y] were excluded and counting resumes with the first working
// day after y (RULES.md §3.3).
func resume(c *gongkai.Case, y gongkai.Date) {
	c.ClockFrom, c.ClockState = y, gongkai.ClockRunning
	c.SuspendedUntil = gongkai.Date{}
}

// stop ends the clock on on (answer dispatched, withdrawal, lapse, not a
// request), keeping the used count so that lateness stays visible.
func stop(c *gongkai.Case, on gongkai.Date, cal Calendar) error {
	used, err := usedBy(c, on, cal)
	if err != nil {
		return err
	}
	c.ClockUsed, c.ClockFrom, c.ClockState = used, on, gongkai.ClockStopped
	c.SuspendedUntil = gongkai.Date{}
	c.ExtensionPending = false
	return nil
}

// dueLabel renders a due date for the history, naming why there is none.
func dueLabel(c *gongkai.Case) string {
	switch {
	case !c.DueOn.IsZero():
		return c.DueOn.String()
	case c.ClockState == gongkai.ClockRestarting:
		return "补正期间暂停（收到补正材料后重新计算）"
	case c.ClockState == gongkai.ClockSuspended:
		return "中止计算"
	case c.ClockState == gongkai.ClockStopped:
		return "停止计算"
	}
	return "未定"
}
