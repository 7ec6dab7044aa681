package web

import (
	"container/list"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"gongkai"
)

// Failed status lookups (受理编号 + 查询码, on the status page and the API)
// are limited so that a 查询码 cannot be found by trying codes: per client
// address, and per case number so that an attacker who changes address
// still gets only so many tries at one case. A lookup that succeeds does not
// count. A case number takes ten times as many failures as a client: its
// limit only has to stop many addresses guessing together (with 31⁸ codes,
// 100 tries per window are nothing), and a stranger who wants to keep its
// applicant out must fail from ten addresses, every window.
const (
	lookupFailLimit     = 10               // failures per client per window
	lookupCaseFailLimit = 100              // failures per case number per window
	lookupFailWindow    = 15 * time.Minute // from a key's first failure
	// lookupMaxKeys bounds memory under an attack from many addresses
	// (about 150 bytes a key). Making room evicts the oldest windows: to
	// push a locked key out an attacker must fail with about
	// lookupMaxKeys/2 fresh addresses and case numbers, each of them a
	// wasted try, to win lookupFailLimit more tries at the case they are after.
	lookupMaxKeys = 10000
	// lookupMaxKeyLen caps what of a case number a key keeps (real ones
	// are 14 characters); the number comes from the request.
	lookupMaxKeyLen = 40
)

// lookupLimiter counts failures per key in a window that starts at the
// key's first failure. A lookup takes a slot of every key before the code
// is checked and gives it back when the code was right, so that many
// requests sent at once cannot try more codes than the limit.
type lookupLimiter struct {
	limit     int // per client; a case number's is caseLimit
	caseLimit int
	window    time.Duration
	maxKeys   int
	now       func() time.Time

	mu    sync.Mutex
	keys  map[string]*lookupEntry
	order *list.List // of *lookupEntry, oldest window first
}

type lookupEntry struct {
	key    string
	start  time.Time
	fails  int  // failures in the window, lookups in flight included
	logged bool // this lockout has been logged
	elem   *list.Element
}

// lookupTicket holds the slots one lookup took.
type lookupTicket struct {
	entries []*lookupEntry
}

func newLookupLimiter(limit, caseLimit int, window time.Duration, maxKeys int, now func() time.Time) *lookupLimiter {
	return &lookupLimiter{limit: limit, caseLimit: caseLimit, window: window, maxKeys: maxKeys, now: now,
		keys: map[string]*lookupEntry{}, order: list.New()}
}

// acquire takes a slot of every key, or none and returns how long until
// the last locked key of them opens again.
func (l *lookupLimiter) acquire(keys ...string) (*lookupTicket, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var wait time.Duration
	for _, k := range keys {
		if e := l.keys[k]; e != nil && e.fails >= l.limitOf(k) {
			wait = max(wait, min(e.start.Add(l.window).Sub(now), l.window))
		}
	}
	if wait > 0 {
		return nil, wait
	}
	t := &lookupTicket{}
	for _, k := range keys {
		e := l.keys[k]
		if e == nil {
			e = l.add(k, now)
		}
		e.fails++
		t.entries = append(t.entries, e)
	}
	return t, 0
}

// done settles a ticket: a failed lookup keeps its slots, a good one gives
// them back. It returns the keys this failure locked, for the log.
func (l *lookupLimiter) done(t *lookupTicket, failed bool) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var locked []string
	for _, e := range t.entries {
		if l.keys[e.key] != e {
			continue // the window ended or the key was evicted meanwhile
		}
		if !failed {
			e.fails--
			if e.fails <= 0 {
				l.remove(e)
			} else if e.fails < l.limitOf(e.key) {
				e.logged = false
			}
			continue
		}
		if e.fails >= l.limitOf(e.key) && !e.logged {
			e.logged = true
			locked = append(locked, e.key)
		}
	}
	return locked
}

// limitOf is the failures a key takes in a window.
func (l *lookupLimiter) limitOf(key string) int {
	if strings.HasPrefix(key, "no:") {
		return l.caseLimit
	}
	return l.limit
}

// sweep drops the entries whose window has ended, oldest first. Entries
// are in the order of their start, as long as the clock does not go back
// (time.Now's monotonic reading).
func (l *lookupLimiter) sweep(now time.Time) {
	for f := l.order.Front(); f != nil; f = l.order.Front() {
		e := f.Value.(*lookupEntry)
		if now.Before(e.start.Add(l.window)) {
			return
		}
		l.remove(e)
	}
}

func (l *lookupLimiter) add(k string, now time.Time) *lookupEntry {
	for len(l.keys) >= l.maxKeys && l.order.Len() > 0 {
		l.remove(l.order.Front().Value.(*lookupEntry))
	}
	e := &lookupEntry{key: k, start: now}
	e.elem = l.order.PushBack(e)
	l.keys[k] = e
	return e
}

func (l *lookupLimiter) remove(e *lookupEntry) {
	l.order.Remove(e.elem)
	delete(l.keys, e.key)
}

// size is how many keys the limiter holds.
func (l *lookupLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// addressKey is the key of a client address for the limits: an IPv6
// client by its /64, which one subscriber usually holds whole (so that it
// cannot walk past a limit address by address), an IPv4 one as it is.
func addressKey(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		if a = a.Unmap(); a.Is6() {
			p, _ := a.Prefix(64)
			return p.String()
		}
		return a.String()
	}
	return ip
}

// lookupKeys are the keys a lookup counts against: the client's address
// (addressKey) and the case number asked about; an unknown address counts
// only against the case number.
func lookupKeys(clientIP, no string) []string {
	var keys []string
	if clientIP != "" {
		ip := "ip:" + addressKey(clientIP)
		if len(ip) > lookupMaxKeyLen+3 {
			ip = ip[:lookupMaxKeyLen+3]
		}
		keys = append(keys, ip)
	}
	if no != "" {
		if len(no) > lookupMaxKeyLen {
			no = no[:lookupMaxKeyLen]
		}
		keys = append(keys, "no:"+no)
	}
	return keys
}

// refusal is what a locked lookup is told: in plain words, how long to wait.
func refusal(wait time.Duration) string {
	return fmt.Sprintf("查询失败次数过多，请%d分钟后再试。", max(1, int((wait+time.Minute-1)/time.Minute)))
}

// limited runs lookup, a status lookup of case no for the client at ip,
// under the limit: when the client or the case number is locked it
// returns an ERateLimit error with the refusal to show, and how long to
// wait, and lookup is not run (the code is not checked at all). A wrong
// number or code counts against both keys, any other outcome does not;
// each lockout is logged once, without the 查询码.
func (s *Server) limited(ip, no string, lookup func() error) (time.Duration, error) {
	if s.lookups == nil { // not serving (a test of the chat-bot alone)
		return 0, lookup()
	}
	t, wait := s.lookups.acquire(lookupKeys(ip, no)...)
	if t == nil {
		return wait, gongkai.Errorf(gongkai.ERateLimit, "%s", refusal(wait))
	}
	err := lookup()
	for _, k := range s.lookups.done(t, gongkai.ErrorKind(err) == gongkai.ENotFound) {
		by := "client"
		if strings.HasPrefix(k, "no:") {
			by = "case"
		}
		s.Log.Warn("status lookups locked after failures", "by", by, "key", k, "ip", ip, "case_no", no,
			"failures", s.lookups.limitOf(k), "window", s.lookups.window.String())
	}
	return 0, err
}

// track is the status lookup of the status page and the API, under the
// limit (Retry-After set when refused).
func (s *Server) track(c *gin.Context, no, code string) (cs *gongkai.Case, evs []gongkai.Event, err error) {
	wait, err := s.limited(c.ClientIP(), no, func() (err error) {
		cs, evs, err = s.Cases.Track(c.Request.Context(), no, code)
		return err
	})
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	return cs, evs, err
}

// clientKey is the context key of the client's address (withClient).
type clientKey struct{}

// withClient is the request's context with the client's address, for the
// status lookups made further down (the chat-bot's, LimitedLookup).
func withClient(c *gin.Context) context.Context {
	return context.WithValue(c.Request.Context(), clientKey{}, c.ClientIP())
}

// LimitedLookup runs lookup, a status lookup of case no made for a client
// of this server (the chat-bot's status query), under the status page's
// limit (the client is the address withClient put in ctx).
func (s *Server) LimitedLookup(ctx context.Context, no string, lookup func() error) error {
	ip, _ := ctx.Value(clientKey{}).(string)
	_, err := s.limited(ip, no, lookup)
	return err
}
