// Package classifier turns an inbound message (a parsed e-mail, or free text from
// the web form or chat) into a gongkai.Verdict: what kind of message it is
// (RULES.md §7), who the applicant is, what is asked, which 股室 acts next, what
// 条例 Art. 29 requires and is missing (→ 补正, Art. 30), and whether it repeats an
// earlier request — each decision with a reason staff can read.
//
// Rules, dictionaries and routing terms are embedded plain files under data/.
package classifier

import (
	"strings"
	"sync"
	"time"
)

// Classifier classifies messages. It is read-only after New and safe for
// concurrent use.
type Classifier struct {
	r       *rules
	rt      *router
	bureaus []string // domains whose Message-IDs are the bureau's own letters
	now     func() time.Time
}

// Option configures New.
type Option func(*config)

type config struct {
	routes  []RoutingRule
	bureaus []string
	now     func() time.Time
}

// WithRoutingRules merges staff-edited routing rules (from the database) with
// the defaults: a rule with the same ID or the same pattern replaces a default
// (Enabled=false switches it off); the others are added.
func WithRoutingRules(rules []RoutingRule) Option {
	return func(c *config) { c.routes = append(c.routes, rules...) }
}

// WithBureauDomains names the bureau's mail domains (e.g. "zjj.xigong.example"):
// a reply whose In-Reply-To/References point at a Message-ID there is a followup
// even when the ID carries no 受理编号.
func WithBureauDomains(domains ...string) Option {
	return func(c *config) {
		for _, d := range domains {
			c.bureaus = append(c.bureaus, strings.ToLower(strings.TrimPrefix(d, "@")))
		}
	}
}

// WithClock sets the clock used to check that an ID's birth date is not in the
// future when a message has no Date.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

var (
	sharedOnce sync.Once
	shared     *rules
	sharedErr  error
)

// sharedRules loads the embedded data once per process.
func sharedRules() (*rules, error) {
	sharedOnce.Do(func() { shared, sharedErr = loadRules() })
	return shared, sharedErr
}

// New loads the embedded rules and dictionaries and applies the options.
func New(opts ...Option) (*Classifier, error) {
	r, err := sharedRules()
	if err != nil {
		return nil, err
	}
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	rt, err := r.newRouter(mergeRoutes(r.defRoutes, cfg.routes))
	if err != nil {
		return nil, err
	}
	return &Classifier{r: r, rt: rt, bureaus: cfg.bureaus, now: cfg.now}, nil
}

// Extract is the field extractor alone: name, ID, organisation, credit code,
// phone, e-mail, address, description, items, purpose and delivery found in one
// text. The chat-bot uses it on a single utterance.
func Extract(text string) Fields {
	r, err := sharedRules()
	if err != nil {
		return Fields{Delivery: "unspecified"}
	}
	f := r.extract(text, extractOpts{})
	out := f.Fields
	if out.ApplicantType == "" && (out.OrgName != "" || out.CreditCode != "") {
		out.ApplicantType = r.orgType(out.OrgName, out.CreditCode)
	}
	return out
}

// History answers repeat-detection questions: production backs it with the
// cases table, evaluation with the messages seen so far.
type History interface {
	// PriorRequests returns earlier requests by the same applicant (same ID
	// number, else same name), in any order; the most recent ones when it
	// returns only some.
	PriorRequests(key ApplicantKey) []Prior
}

// ApplicantKey identifies an applicant for History look-ups; fields are
// normalised (ID upper-case, phone as in the verdict, e-mail lower-case).
type ApplicantKey struct {
	IDNumber, Name, Phone, Email string
}

// Prior is one earlier request of an applicant.
type Prior struct {
	Ref         string // case number, or NNN in eval
	Description string
	Answered    bool
	At          time.Time
}
