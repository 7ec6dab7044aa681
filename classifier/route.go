package classifier

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// RoutingRule sends requests whose description contains Pattern to Department
// (corpus README "Departments"). Staff edit these in the database; the shipped
// defaults come from data/routes.tsv (DefaultRoutingRules).
type RoutingRule struct {
	ID         int64  // database id; defaults carry negative ids
	Department string // 股室, e.g. "住房保障股"
	Pattern    string // a literal term, or an RE2 regex when IsRegex
	IsRegex    bool
	Priority   int // higher wins where matches overlap; default 0
	Enabled    bool
}

// Office is the department that coordinates multi-department requests and
// answers every human non-request (corpus README "Departments").
const Office = "办公室"

// DefaultRoutingRules returns the shipped default rules of a housing bureau.
func DefaultRoutingRules() []RoutingRule {
	r, err := sharedRules()
	if err != nil {
		return nil
	}
	return append([]RoutingRule(nil), r.defRoutes...)
}

type compiledRoute struct {
	RoutingRule
	pat string   // simplified literal
	re  *matcher // when IsRegex
}

// router holds the effective rules: defaults merged with staff rules.
type router struct {
	routes []compiledRoute
}

// mergeRoutes overlays staff rules on the defaults: a staff rule with the same
// id, or the same pattern and kind, replaces the default (so it can move a term
// to another department or disable it); other staff rules are added.
func mergeRoutes(defaults, custom []RoutingRule) []RoutingRule {
	out := append([]RoutingRule(nil), defaults...)
	for _, c := range custom {
		replaced := false
		for i := range out {
			if (c.ID != 0 && out[i].ID == c.ID) || (out[i].Pattern == c.Pattern && out[i].IsRegex == c.IsRegex) {
				out[i] = c
				replaced = true
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

func (r *rules) newRouter(list []RoutingRule) (*router, error) {
	rt := &router{}
	for _, rule := range list {
		if !rule.Enabled || strings.TrimSpace(rule.Pattern) == "" || rule.Department == "" {
			continue
		}
		c := compiledRoute{RoutingRule: rule}
		if rule.IsRegex {
			re, err := regexp.Compile("(?i)" + r.simp(rule.Pattern))
			if err != nil {
				return nil, fmt.Errorf("classifier: compiling routing rule %d %q: %w", rule.ID, rule.Pattern, err)
			}
			c.re = newMatcher(re)
		} else {
			c.pat = strings.ToLower(r.simp(rule.Pattern))
		}
		rt.routes = append(rt.routes, c)
	}
	return rt, nil
}

type routeHit struct {
	start, end int
	rule       *compiledRoute
	text       string
}

// match returns the non-overlapping rule hits in m: higher priority first,
// then longer terms, then earlier ones.
func (rt *router) match(m string) []routeHit {
	var all []routeHit
	var ix *textIndex // a long text's index: each term is looked up, not searched for
	var bl *runeBloom // a short one's filter: most terms have a character it lacks
	if len(m) >= runeSetMin {
		ix = indexOf(m)
	} else {
		bl = newBloom(m)
	}
	for i := range rt.routes {
		c := &rt.routes[i]
		if c.re != nil {
			for _, loc := range c.re.FindAllStringIndex(m, -1) {
				all = append(all, routeHit{loc[0], loc[1], c, m[loc[0]:loc[1]]})
			}
			continue
		}
		if !bl.has(c.pat) {
			continue
		}
		for off := 0; ; {
			s := ix.index(m, 0, off, c.pat)
			if s < 0 {
				break
			}
			all = append(all, routeHit{s, s + len(c.pat), c, c.pat})
			off = s + len(c.pat)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.rule.Priority != b.rule.Priority {
			return a.rule.Priority > b.rule.Priority
		}
		if a.end-a.start != b.end-b.start {
			return a.end-a.start > b.end-b.start
		}
		return a.start < b.start
	})
	var kept []routeHit
	for _, h := range all {
		ok := true
		for _, k := range kept {
			if h.start < k.end && h.end > k.start {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, h)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].start < kept[j].start })
	return kept
}

// route decides the department of a request from what it asks for (simplified
// text). It returns the department and the evidence for the reasons.
func (rt *router) route(m string) (dept string, hits []routeHit) {
	hits = rt.match(m)
	if len(hits) == 0 {
		return "", nil
	}
	depts := map[string]bool{}
	for _, h := range hits {
		depts[h.rule.Department] = true
	}
	if len(depts) == 1 {
		return hits[0].rule.Department, hits
	}
	return Office, hits
}

// departmentsOf lists the distinct departments of hits in order of appearance.
func departmentsOf(hits []routeHit) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range hits {
		if !seen[h.rule.Department] {
			seen[h.rule.Department] = true
			out = append(out, h.rule.Department)
		}
	}
	return out
}
