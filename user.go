package gongkai

import "strings"

// Role is a staff role; a user may hold several.
type Role string

// Staff roles.
const (
	RoleRegistrar Role = "registrar" // 登记员: triage, registration, 补正, sees full applicant data
	RoleHandler   Role = "handler"   // 承办人: drafts answers in a department
	RoleApprover  Role = "approver"  // 审批人 (负责人): approves extensions and answers (Art. 33)
	RoleAdmin     Role = "admin"     // 管理员: users, templates, calendar, routing rules, settings
)

// Roles lists every role.
var Roles = []Role{RoleRegistrar, RoleHandler, RoleApprover, RoleAdmin}

// Label is the Chinese name of the role.
func (r Role) Label() string {
	switch r {
	case RoleRegistrar:
		return "登记员"
	case RoleHandler:
		return "承办人"
	case RoleApprover:
		return "审批人"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if v == r {
			return true
		}
	}
	return false
}

// User is a staff account.
type User struct {
	ID          int64
	Username    string
	DisplayName string
	Roles       []Role
	Department  string
	Active      bool
}

// Has reports whether u holds any of the roles.
func (u *User) Has(roles ...Role) bool {
	if u == nil {
		return false
	}
	for _, have := range u.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// SeesPersonalData reports whether the user's role needs applicant ID numbers
// and phones unmasked: the registrar (identity check, contact) and the handler
// of the case. Every unmasked view is logged in the case history.
func (u *User) SeesPersonalData(c *Case) bool {
	if u.Has(RoleRegistrar) {
		return true
	}
	return u.Has(RoleHandler) && c != nil && c.Assignee == u.Username
}

// RolesString joins roles with commas, as stored.
func RolesString(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// ParseRoles splits a comma-separated list, dropping unknown names.
func ParseRoles(s string) []Role {
	var out []Role
	for _, p := range strings.Split(s, ",") {
		if r := Role(strings.TrimSpace(p)); r.Valid() {
			out = append(out, r)
		}
	}
	return out
}
