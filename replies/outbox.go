package replies

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Item is one queued outgoing message of the durable outbox (table outbox).
type Item struct {
	ID        int64
	MessageID string
	From      string   // envelope sender
	To        []string // envelope recipients
	Raw       []byte   // the message as BuildMail wrote it
	Attempts  int      // delivery attempts made before this one
}

// Queue is the durable outbox the Sender works from; store/ implements it.
// Delivery is at least once: an item handed to the relay but not yet recorded
// as sent (a crash in between) stays "sending" and is retried on restart; the
// receiving side de-duplicates by Message-ID, and the case shows the item.
type Queue interface {
	// Due returns up to limit queued items whose next attempt time is not
	// after now, and marks them "sending".
	Due(ctx context.Context, now time.Time, limit int) ([]Item, error)
	// Sent records delivery to the relay.
	Sent(ctx context.Context, id int64, at time.Time) error
	// Retry records one more failed attempt and queues the item again for next.
	Retry(ctx context.Context, id int64, next time.Time, errText string) error
	// Failed records a permanent failure, shown on the case.
	Failed(ctx context.Context, id int64, errText string) error
}

// Sender hands due outbox items to the relay with the go-smtp client:
// STARTTLS when the relay offers it (implicit TLS on port 465), AUTH PLAIN
// when Username is set, retries with exponential backoff on temporary
// failures, and marks 5xx replies to a message as permanent failures.
type Sender struct {
	Queue     Queue
	Relay     string // host:port; "" = no relay, letters wait in the outbox
	Username  string
	Password  string
	TLSConfig *tls.Config  // nil = system roots, ServerName from Relay
	Logger    *slog.Logger // nil = slog.Default()
	Now       func() time.Time
	// Backoff is the wait after the attempt-th failed attempt (1-based).
	// nil = DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// MaxAttempts is how many temporary failures make a permanent one.
	// 0 = DefaultMaxAttempts.
	MaxAttempts int
	// Poll is how often Run looks for due items. 0 = 30 s.
	Poll time.Duration
	// HelloName is the EHLO name; "" = the domain of the first sender.
	HelloName string
	// AllowInsecureAuth permits AUTH without TLS to a relay that is not on a
	// loopback address. Off by default: credentials never cross a network in
	// clear.
	AllowInsecureAuth bool
	// Batch is how many items one pass takes. 0 = 50.
	Batch int

	wakeOnce sync.Once
	wake     chan struct{}
}

// DefaultMaxAttempts with DefaultBackoff gives up after about two days,
// within the 4–5 days RFC 5321 §4.5.4.1 suggests.
const DefaultMaxAttempts = 20

// DefaultBackoff waits 1 min after the first failure, doubling up to 4 h.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Minute
	for i := 1; i < attempt && d < 4*time.Hour; i++ {
		d *= 2
	}
	return min(d, 4*time.Hour)
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) backoff(attempt int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

func (s *Sender) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (s *Sender) wakeCh() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Wake asks a running Run to look at the queue now, e.g. after a letter was
// queued. It never blocks.
func (s *Sender) Wake() {
	select {
	case s.wakeCh() <- struct{}{}:
	default:
	}
}

// Run sends due items until ctx is done, then returns nil. With no relay
// configured it sends nothing: letters wait in the outbox, visible, and are
// sent once a relay is configured and the service restarted.
func (s *Sender) Run(ctx context.Context) error {
	log := s.logger()
	if s.Relay == "" {
		log.Info("replies: no relay configured; letters wait in the outbox")
		<-ctx.Done()
		return nil
	}
	poll := s.Poll
	if poll <= 0 {
		poll = 30 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		sent, retried, failed, err := s.Flush(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("replies: outbox pass failed", "err", err)
		} else if sent+retried+failed > 0 {
			log.Info("replies: outbox pass", "sent", sent, "retried", retried, "failed", failed)
		}
		// A full batch means more may be due: go again at once.
		if err == nil && sent+retried+failed >= s.batch() {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wakeCh():
		}
	}
}

func (s *Sender) batch() int {
	if s.Batch > 0 {
		return s.Batch
	}
	return 50
}

// Flush makes one pass over the due items: it sends each over one relay
// connection and records the outcome. It returns how many were sent, queued
// for retry and failed for good; err is a queue error (a delivery problem is
// recorded on the item, not returned). With no relay it does nothing.
func (s *Sender) Flush(ctx context.Context) (sent, retried, failed int, err error) {
	if s.Relay == "" {
		return 0, 0, 0, nil
	}
	items, err := s.Queue.Due(ctx, s.now(), s.batch())
	if err != nil {
		return 0, 0, 0, fmt.Errorf("replies: taking due outbox items: %w", err)
	}
	if len(items) == 0 {
		return 0, 0, 0, nil
	}
	log := s.logger()
	// Outcomes are recorded even when ctx ends mid-pass: an item marked
	// "sending" must not be left so.
	rec := context.WithoutCancel(ctx)
	// The relay connection lives for this pass only; its watchdog (see
	// setTimeouts) is released with pass.
	pass, cancel := context.WithCancel(ctx)
	defer cancel()
	var c *smtp.Client
	defer func() {
		if c != nil {
			_ = c.Quit()
			_ = c.Close()
		}
	}()
	for i, it := range items {
		if ctx.Err() != nil {
			for _, rest := range items[i:] {
				if e := s.Queue.Retry(rec, rest.ID, s.now(), "发送被中断，等待重试"); e != nil {
					err = errors.Join(err, fmt.Errorf("replies: requeueing outbox item %d: %w", rest.ID, e))
				}
				retried++
			}
			return sent, retried, failed, err
		}
		if c == nil {
			var derr error
			c, derr = s.dial(pass, it.From)
			if derr != nil {
				// The relay is unreachable or refuses us: nothing in this
				// pass can go; every item waits for the next attempt.
				log.Warn("replies: relay unavailable", "relay", s.Relay, "err", derr)
				for _, rest := range items[i:] {
					r, f, e := s.temporary(rec, rest, "无法连接邮件中继服务器："+derr.Error())
					retried, failed = retried+r, failed+f
					err = errors.Join(err, e)
				}
				return sent, retried, failed, err
			}
		}
		outcome, serr := s.sendOne(c, it)
		var e error
		switch outcome {
		case outcomeSent:
			sent++
			log.Info("replies: letter sent", "msg_id", it.MessageID, "outbox_id", it.ID, "attempt", it.Attempts+1)
			if e = s.Queue.Sent(rec, it.ID, s.now()); e != nil {
				// Handed off but not recorded: the item stays "sending" and
				// is sent again after a restart (at least once).
				e = fmt.Errorf("replies: recording outbox item %d as sent: %w", it.ID, e)
			}
		case outcomePermanent, outcomeCrashed:
			failed++
			text := "收件服务器拒收（永久失败）：" + serr.Error()
			if outcome == outcomeCrashed {
				text = "发送时出现" + serr.Error()
				_ = c.Close()
				c = nil
			}
			log.Warn("replies: letter failed", "msg_id", it.MessageID, "outbox_id", it.ID, "err", serr)
			if e = s.Queue.Failed(rec, it.ID, text); e != nil {
				e = fmt.Errorf("replies: failing outbox item %d: %w", it.ID, e)
			}
		case outcomeTemporary, outcomeBroken:
			r, f, te := s.temporary(rec, it, "暂时无法投递："+serr.Error())
			retried, failed, e = retried+r, failed+f, te
			if outcome == outcomeBroken {
				_ = c.Close()
				c = nil
			}
		}
		if e != nil {
			err = errors.Join(err, e)
		}
	}
	return sent, retried, failed, err
}

// temporary records a temporary failure of it: a retry after the backoff, or
// a permanent failure once MaxAttempts is reached.
func (s *Sender) temporary(ctx context.Context, it Item, text string) (retried, failed int, err error) {
	attempt := it.Attempts + 1
	if attempt >= s.maxAttempts() {
		text = fmt.Sprintf("重试%d次后仍无法投递：%s", attempt, text)
		if e := s.Queue.Failed(ctx, it.ID, text); e != nil {
			return 0, 1, fmt.Errorf("replies: failing outbox item %d: %w", it.ID, e)
		}
		s.logger().Warn("replies: letter given up", "msg_id", it.MessageID, "outbox_id", it.ID, "attempts", attempt)
		return 0, 1, nil
	}
	next := s.now().Add(s.backoff(attempt))
	if e := s.Queue.Retry(ctx, it.ID, next, text); e != nil {
		return 1, 0, fmt.Errorf("replies: requeueing outbox item %d: %w", it.ID, e)
	}
	return 1, 0, nil
}
