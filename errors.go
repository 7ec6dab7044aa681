package gongkai

import (
	"errors"
	"fmt"
)

// Error kinds, mapped once to HTTP statuses (web/) and SMTP replies (intake/smtpd).
const (
	EInvalid      = "invalid"   // bad input: 400/422, SMTP 550/554
	ENotFound     = "not_found" // 404
	EConflict     = "conflict"  // illegal transition, duplicate: 409
	EForbidden    = "forbidden" // role does not allow it: 403
	EUnauthorized = "unauthorized"
	ETooLarge     = "too_large"  // 413, SMTP 552
	ERateLimit    = "rate_limit" // 429
	EInternal     = "internal"   // 500, SMTP 451
)

// Error is a domain error with a kind and a message safe to show staff or
// applicants (Chinese). Detail for logs goes in the wrapped error.
type Error struct {
	Kind    string
	Message string
	Fields  []FieldError // for EInvalid: every bad field at once
	Err     error
}

// FieldError names one bad field of a submission.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is the sentinel for a missing row.
var ErrNotFound = &Error{Kind: ENotFound, Message: "未找到"}

// ErrorKind returns the kind of err, EInternal when it carries none.
func ErrorKind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EInternal
}

// ErrorMessage returns the safe message of err, or a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "系统内部错误，请稍后再试"
}

// Invalid returns an EInvalid error listing every bad field.
func Invalid(fields []FieldError) *Error {
	return &Error{Kind: EInvalid, Message: "提交的内容有误，请修改后重新提交", Fields: fields}
}
