package web

import (
	"errors"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/caseflow"
)

// settingRow is one agency setting on the settings page.
type settingRow struct {
	Key, Label, Value, Error string
	Required                 bool
}

type emailRow struct{ Username, Email string }

func (h *letterHandlers) settingsData(c *gin.Context, vals map[string]string, fieldErrs map[string]string) (gin.H, error) {
	if vals == nil {
		a, err := h.l.AgencySettings(c.Request.Context())
		if err != nil {
			return nil, err
		}
		vals = map[string]string{}
		for _, f := range caseflow.AgencyFields {
			vals[f.Key] = caseflow.AgencyValue(a, f.Key)
		}
	}
	rows := make([]settingRow, len(caseflow.AgencyFields))
	for i, f := range caseflow.AgencyFields {
		rows[i] = settingRow{Key: f.Key, Label: f.Label, Value: vals[f.Key], Required: f.Required, Error: fieldErrs[f.Key]}
	}
	emails, err := h.l.StaffEmails(c.Request.Context())
	if err != nil {
		return nil, err
	}
	var es []emailRow
	for u, e := range emails {
		es = append(es, emailRow{u, e})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Username < es[j].Username })
	return gin.H{"Title": "机关设置", "Rows": rows, "Emails": es, "Flash": c.Query("saved")}, nil
}

// settings shows the agency settings every letter uses (issue 6: configured once).
func (h *letterHandlers) settings(c *gin.Context) {
	data, err := h.settingsData(c, nil, nil)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	h.s.Render(c, http.StatusOK, "settings", data)
}

func (h *letterHandlers) settingsSave(c *gin.Context) {
	vals := map[string]string{}
	for _, f := range caseflow.AgencyFields {
		vals[f.Key] = c.PostForm(f.Key)
	}
	_, err := h.l.SaveAgency(c.Request.Context(), vals, CurrentUser(c))
	if err != nil {
		status := httpStatus(err)
		if status >= 500 {
			h.s.fail(c, err)
			return
		}
		fe := map[string]string{}
		var ge *gongkai.Error
		if errors.As(err, &ge) {
			for _, f := range ge.Fields {
				fe[f.Field] = f.Message
			}
		}
		data, derr := h.settingsData(c, vals, fe)
		if derr != nil {
			h.s.fail(c, derr)
			return
		}
		data["Error"] = gongkai.ErrorMessage(err)
		h.s.Render(c, status, "settings", data)
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/admin/settings?saved=1")
}

// staffEmailSave stores the reminder address of one staff member.
func (h *letterHandlers) staffEmailSave(c *gin.Context) {
	if err := h.l.SetStaffEmail(c.Request.Context(), c.PostForm("username"), c.PostForm("email"), CurrentUser(c)); err != nil {
		h.s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/admin/settings?saved=email")
}
