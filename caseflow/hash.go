package caseflow

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// sha is the content hash of a received message, half of its
// de-duplication key (with the Message-ID): SHA-256 of the message without
// the trace fields the mail system adds on the way. The same message
// delivered twice — by two routes (the SMTP listener and the polled
// mailbox), again after an answer got lost, or read again from a server
// that rewrote its headers — differs only in them, and is stored once.
func sha(raw []byte) string {
	h := sha256.New()
	rest, skipping := raw, false
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if len(bytes.TrimRight(line, "\r\n")) == 0 { // the end of the header
			h.Write(line)
			h.Write(rest)
			break
		}
		if line[0] != ' ' && line[0] != '\t' { // not a continuation line
			name := line
			if i := bytes.IndexByte(line, ':'); i >= 0 {
				name = line[:i]
			}
			skipping = isTraceField(string(bytes.TrimSpace(name)))
		}
		if !skipping {
			h.Write(line)
		}
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum)
}

// isTraceField reports whether a header field is one a mail system adds in
// transit (RFC 5321 §4.4, RFC 5322 §3.6.7, RFC 8601, RFC 8617, and the
// delivery and filter fields of common servers) rather than the sender.
func isTraceField(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "received", "return-path", "delivered-to", "x-original-to", "x-received", "received-spf",
		"authentication-results", "arc-seal", "arc-message-signature", "arc-authentication-results",
		"x-envelope-from", "x-envelope-to", "envelope-to", "x-delivered-to", "x-rcpt-to", "x-uid", "status", "x-status", "x-keywords", "lines", "content-length":
		return true
	}
	return strings.HasPrefix(n, "x-spam-") || strings.HasPrefix(n, "x-virus-") || strings.HasPrefix(n, "x-ms-exchange-organization-")
}
