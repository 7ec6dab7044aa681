// Package intake turns raw e-mail bytes into a *gongkai.Email: decoded
// headers, the text a person wrote, attachments and what was wrong with the
// message. It is pure: no I/O, no clock, no logging.
//
// It is built to be tolerant, because mail to a government mailbox comes
// from every client there is (corpus README, "What a parser must get
// right"): Foxmail, Outlook, QQ Mail and Coremail encoded words inside
// quoted display names, gb2312 labels over GBK bytes, utf-8 labels over GBK
// bytes, boundaries that match no delimiter, missing final boundaries, raw
// eight-bit headers and file names. go-message's strict header reader is
// tried first; where it or the MIME rules give up, a fallback of our own
// recovers what it can and records a defect. A message that breaks a rule a
// strict reader depends on comes back with Malformed set, never dropped
// (STYLE.md habit 5: never lose input).
package intake

// Defect names, as in the corpus README label schema. Email.Malformed is
// set exactly when at least one defect was found.
const (
	// DefectBoundaryMismatch: the declared boundary matches no delimiter
	// line (or is missing, or is an unquoted token a strict reader cuts
	// short at a tspecial such as '=').
	DefectBoundaryMismatch = "boundary_mismatch"
	// DefectCharsetMislabel: the bytes are not in the declared charset (or
	// the label is unknown); they were decoded as what they really are.
	DefectCharsetMislabel = "charset_mislabel"
	// DefectTruncated: the message ends early: a multipart without any
	// body, base64 that stops in the middle of a quantum.
	DefectTruncated = "truncated"
	// DefectMissingCloseBoundary: a multipart has no closing delimiter.
	DefectMissingCloseBoundary = "missing_close_boundary"
	// DefectRaw8bitHeader: eight-bit bytes in a header field value.
	DefectRaw8bitHeader = "raw_8bit_header"
	// DefectRaw8bitFilename: eight-bit bytes in a filename or name
	// parameter.
	DefectRaw8bitFilename = "raw_8bit_filename"
	// DefectEncodedWordSplit: a multi-byte character is split across two
	// RFC 2047 encoded words.
	DefectEncodedWordSplit = "encoded_word_split"
	// DefectBadHeaderLine is not in the corpus list: a line inside a header
	// block that is neither a field nor a continuation (a strict reader
	// stops there). The message is still Malformed.
	DefectBadHeaderLine = "bad_header_line"
)

// Options tune ParseWith.
type Options struct {
	// MaxAttachment caps the bytes kept in Attachment.Data per attachment;
	// 0 means no cap. A larger attachment keeps its first MaxAttachment
	// bytes, its full decoded size in Attachment.Size, and its Text, which
	// is extracted from the whole file before the cut. Cutting is a storage
	// policy, not a fault of the message, so it adds no defect.
	MaxAttachment int
	// NoData leaves Attachment.Data nil, for callers that keep the raw
	// message and want only what an attachment is (caseflow stores name,
	// types and size). Size, Sniffed, Text and Defects are exactly as
	// without it, but a base64 attachment whose text is not extracted
	// (PDF, images, archives…) is only decoded as far as sniffing its
	// type needs; its size is counted from the encoded body.
	NoData bool
}

// maxDepth bounds MIME nesting (multiparts and message/rfc822 inside each
// other) so that hostile input cannot exhaust the stack.
const maxDepth = 24
