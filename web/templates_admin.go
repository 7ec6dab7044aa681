package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"gongkai"
	"gongkai/replies"
)

// templateRow is one kind in the template list.
type templateRow struct {
	Kind, Label, By, At string
	Version             int
	Final, Fallback     bool
}

// templates lists every letter kind with the version in use.
func (h *letterHandlers) templates(c *gin.Context) {
	list, err := h.l.TemplateList(c.Request.Context())
	if err != nil {
		h.s.fail(c, err)
		return
	}
	rows := make([]templateRow, len(list))
	for i, t := range list {
		rows[i] = templateRow{Kind: string(t.Kind), Label: t.Label, By: t.By, At: fmtTime(t.At), Version: t.Version, Final: t.Final, Fallback: t.Fallback}
	}
	h.s.Render(c, http.StatusOK, "templates", gin.H{"Title": "文书模板", "Rows": rows, "Flash": c.Query("saved")})
}

// templateEditData is the editor page: the text, the field help, the
// problems found at save time and the preview.
func (h *letterHandlers) templateEditData(c *gin.Context, k replies.Kind, text string) (gin.H, error) {
	cur, version, hist, err := h.l.Template(c.Request.Context(), k)
	if err != nil {
		return nil, err
	}
	if text == "" {
		text = cur
	}
	type histRow struct {
		Version   int
		By, At    string
		IsCurrent bool
	}
	var hs []histRow
	for _, v := range hist {
		hs = append(hs, histRow{v.Version, v.CreatedBy, fmtTime(v.CreatedAt), v.Version == version})
	}
	return gin.H{"Title": "编辑模板：" + k.Label(), "Kind": string(k), "KindLabel": k.Label(), "Basis": k.Basis(), "Text": text,
		"Version": version, "History": hs, "Fields": replies.TemplateFields(), "Extra": k.ExtraFields(), "CaseNo": c.PostForm("case_no")}, nil
}

func (h *letterHandlers) templateEdit(c *gin.Context) {
	k := replies.Kind(c.Param("kind"))
	data, err := h.templateEditData(c, k, "")
	if err != nil {
		h.s.fail(c, err)
		return
	}
	h.s.Render(c, http.StatusOK, "templates_edit", data)
}

// templateSave previews (do=preview) or saves (do=save) the edited text. A
// text that fails replies.Validate is refused with each line and reason.
func (h *letterHandlers) templateSave(c *gin.Context) {
	k := replies.Kind(c.Param("kind"))
	if !k.Valid() {
		h.s.errorPage(c, http.StatusNotFound, "未知的文书类型")
		return
	}
	text := c.PostForm("text")
	data, err := h.templateEditData(c, k, text)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	if c.PostForm("do") == "preview" {
		l, err := h.l.PreviewTemplate(c.Request.Context(), k, text, c.PostForm("case_no"))
		if err != nil {
			h.templateProblems(c, data, err)
			return
		}
		data["Preview"] = l
		h.s.Render(c, http.StatusOK, "templates_edit", data)
		return
	}
	v, err := h.l.SaveTemplate(c.Request.Context(), k, text, CurrentUser(c))
	if err != nil {
		h.templateProblems(c, data, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/staff/admin/templates?saved="+string(k)+"&v="+strconv.Itoa(v))
}

// templateProblems shows why a text was refused: each problem with its
// line, as replies.Validate reports it.
func (h *letterHandlers) templateProblems(c *gin.Context, data gin.H, err error) {
	status := httpStatus(err)
	if status >= 500 {
		h.s.fail(c, err)
		return
	}
	var ge *gongkai.Error
	var problems []string
	if errors.As(err, &ge) {
		for _, f := range ge.Fields {
			problems = append(problems, f.Message)
		}
	}
	var ve *replies.ValidationError
	if errors.As(err, &ve) {
		problems = problems[:0]
		for _, p := range ve.Problems {
			problems = append(problems, p.String())
		}
	}
	data["Error"] = gongkai.ErrorMessage(err)
	data["Problems"] = problems
	h.s.Render(c, status, "templates_edit", data)
}
