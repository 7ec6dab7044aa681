package gongkai

import "time"

// Email is what intake makes of one raw e-mail: decoded headers, the text a
// person wrote, attachments, and what was wrong with it. It is pure data;
// intake.Parse builds it and the classifier reads it.
type Email struct {
	MessageID  string   // without angle brackets
	InReplyTo  []string // without angle brackets
	References []string // without angle brackets

	Subject  string
	FromName string
	FromAddr string // as written (compare case-insensitively)
	ReplyTo  string // first Reply-To address, lower case
	To       []string
	Date     time.Time // with the sender's own offset; zero when missing or unreadable

	// Header keeps every header field, keys in canonical MIME form
	// ("Auto-Submitted"), values decoded where they carry encoded words.
	Header map[string][]string

	MediaType  string // top-level media type, e.g. "multipart/report"
	ReportType string // report-type parameter of a multipart/report

	Text     string // the body as text: text/plain preferred, else HTML turned into text
	HTMLText string // the HTML alternative turned into text ("" when there is none)
	NewText  string // Text without the quoted history of a reply or forward header
	Quoted   string // the quoted history that NewText leaves out

	Attachments []Attachment
	// Embedded holds message/rfc822 (or text/rfc822-headers) parts, e.g. the
	// original inside a bounce or a forwarded mail.
	Embedded []*Email

	Malformed bool     // breaks MIME/RFC 5322 so that a strict reader cannot read it as declared
	Defects   []string // boundary_mismatch, charset_mislabel, truncated, missing_close_boundary, raw_8bit_header, raw_8bit_filename, encoded_word_split
}

// Attachment is one named leaf part of an e-mail.
type Attachment struct {
	Name        string // decoded file name (RFC 2231 or RFC 2047)
	ContentType string // as declared
	Sniffed     string // as detected from the bytes
	Size        int
	Data        []byte `json:"-"`
	Text        string // extracted text for text, HTML and .docx attachments
	Inline      bool
}

// MessageKind is what an inbound message turned out to be.
type MessageKind string

// Kinds of inbound message (corpus README "Nature"; RULES.md §7).
const (
	KindRequest        MessageKind = "request"
	KindComplaint      MessageKind = "complaint_petition"
	KindConsultation   MessageKind = "consultation"
	KindPublication    MessageKind = "publication"
	KindConfirmReissue MessageKind = "confirm_reissue"
	KindAutoReply      MessageKind = "auto_reply"
	KindBounce         MessageKind = "bounce"
	KindSpam           MessageKind = "spam"
	KindFollowup       MessageKind = "followup"
	KindUnparsed       MessageKind = "unparsed" // could not be parsed at all; needs a person
	KindPending        MessageKind = ""         // stored, not yet classified
)

// Label is the Chinese name staff see.
func (k MessageKind) Label() string {
	switch k {
	case KindRequest:
		return "信息公开申请"
	case KindComplaint:
		return "信访举报投诉"
	case KindConsultation:
		return "咨询"
	case KindPublication:
		return "要求提供公开出版物"
	case KindConfirmReissue:
		return "要求确认或重新出具"
	case KindAutoReply:
		return "自动回复"
	case KindBounce:
		return "退信"
	case KindSpam:
		return "垃圾邮件"
	case KindFollowup:
		return "已有案件的来信"
	case KindUnparsed:
		return "无法解析（需人工处理）"
	}
	return "待分类"
}

// Message is one inbound message kept verbatim: an e-mail, a web-form post, a
// chat transcript. Raw bytes are never altered; the case links to it.
type Message struct {
	ID         int64
	CaseID     int64 // 0 when not (yet) linked to a case
	Channel    Channel
	ArrivedAt  time.Time
	Raw        []byte
	SHA256     string
	MessageID  string // RFC 5322 Message-ID, without brackets
	Subject    string
	From       string
	Kind       MessageKind
	Malformed  bool
	Defects    []string
	ParseError string // why parsing failed, for staff
	Source     string // "smtp", "imap:INBOX", "web", "chat", "api"

	// A message on no case is handled by a person: linked to a case, or
	// closed with a note (the staff mail view).
	HandledBy   string
	HandledAt   time.Time
	HandledNote string
}
