// Package gongkai holds the domain of the 依申请公开 desk: cases, applicants,
// inbound messages, history events, outcomes and the rules that sit on them.
//
// It imports only the standard library. Storage (store/), transports (web/,
// intake/smtpd, intake/imappoll) and the case engine (caseflow/) are built
// around these types; see ../shared/STYLE.md.
package gongkai
