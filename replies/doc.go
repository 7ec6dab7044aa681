// Package replies writes the agency's letters and sends them.
//
// It owns the letter templates (one plain text/template file per kind,
// embedded from templates/, editable by an admin and versioned), their
// validation at save time, rendering against a case, the e-mail that carries a
// letter (text and HTML parts, attachments, threading headers), the A4 print
// page for postal delivery, and the outbox sender that hands queued mail to the
// relay with go-smtp. It knows nothing of SQL: the outbox queue is the Queue
// interface, implemented by store/.
//
// The legal content of each letter follows RULES.md §4 (final letters: the
// common elements, the remedy clause, the outcome table) and §5 (procedural
// letters), with §3.5–§3.7 for 补正, consultations and fees.
package replies
