package classifier

import (
	"time"

	"gongkai"
)

// Label is one line of `gongkai parse --json`: the label-schema object of the
// corpus README, keys in the schema's order, plus "file" first. The label-only
// keys (description_keywords, tags, note) are read from label files and left out
// of parser output.
type Label struct {
	File                string   `json:"file"`
	Malformed           bool     `json:"malformed"`
	Defects             []string `json:"defects"`
	Subject             string   `json:"subject"`
	FromName            string   `json:"from_name"`
	FromAddr            string   `json:"from_addr"`
	Date                string   `json:"date"`
	IsRequest           bool     `json:"is_request"`
	Nature              string   `json:"nature"`
	CaseRef             string   `json:"case_ref"`
	DuplicateOf         string   `json:"duplicate_of"`
	ApplicantType       string   `json:"applicant_type"`
	Name                string   `json:"name"`
	IDType              string   `json:"id_type"`
	IDNumber            string   `json:"id_number"`
	IDValid             *bool    `json:"id_valid"`
	OrgName             string   `json:"org_name"`
	CreditCode          string   `json:"credit_code"`
	CreditCodeValid     *bool    `json:"credit_code_valid"`
	Phone               string   `json:"phone"`
	Email               string   `json:"email"`
	Address             string   `json:"address"`
	Description         string   `json:"description"`
	DescriptionKeywords []string `json:"description_keywords,omitempty"`
	Items               []string `json:"items"`
	Purpose             string   `json:"purpose"`
	Delivery            string   `json:"delivery"`
	Department          string   `json:"department"`
	MissingFields       []string `json:"missing_fields"`
	Attachments         []string `json:"attachments"`
	Tags                []string `json:"tags,omitempty"`
	Note                string   `json:"note,omitempty"`
}

// MakeLabel builds the label-schema object of one parsed and classified e-mail.
// e may be nil when the message could not be parsed at all.
func MakeLabel(file string, e *gongkai.Email, v gongkai.Verdict) Label {
	l := Label{
		File: file, Defects: []string{}, IsRequest: v.IsRequest, Nature: string(v.Nature),
		CaseRef: v.CaseRef, DuplicateOf: v.DuplicateOf, ApplicantType: string(v.ApplicantType),
		Name: v.Name, IDType: v.IDType, IDNumber: v.IDNumber, IDValid: v.IDValid,
		OrgName: v.OrgName, CreditCode: v.CreditCode, CreditCodeValid: v.CreditCodeValid,
		Phone: v.Phone, Email: v.Email, Address: v.Address, Description: v.Description,
		Items: nonNil(v.Items), Purpose: v.Purpose, Delivery: v.Delivery, Department: v.Department,
		MissingFields: nonNil(v.MissingFields), Attachments: []string{},
	}
	if l.Delivery == "" {
		l.Delivery = "unspecified"
	}
	if e == nil {
		return l
	}
	l.Malformed = e.Malformed
	l.Defects = nonNil(e.Defects)
	l.Subject, l.FromName, l.FromAddr = e.Subject, e.FromName, e.FromAddr
	if !e.Date.IsZero() {
		l.Date = e.Date.Format(time.RFC3339)
	}
	for _, a := range e.Attachments {
		if a.Name != "" {
			l.Attachments = append(l.Attachments, a.Name)
		}
	}
	return l
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
