package chatbot

import (
	"context"
	"strings"
	"unicode/utf8"

	"gongkai"
)

// status answers a 受理编号 (+ 查询码) query.
func (e *Engine) status(ctx context.Context, st *State, m string) (Reply, bool) {
	l := e.lexicon()
	no := strings.ToUpper(reCaseNo.FindString(m))
	rest := reCaseNo.ReplaceAllString(m, " ")
	code := ""
	if mm := reQCode.FindStringSubmatch(rest); mm != nil {
		code = strings.ToUpper(mm[1])
	}
	switch {
	case no == "" && st.PendingNo == "":
		return Reply{}, false
	case no == "" && code == "":
		// After "GK-…" the next message is the code; anything else goes on
		// with the conversation.
		st.PendingNo = ""
		if !reAlnum.MatchString(m) || utf8.RuneCountInString(m) > 12 {
			return Reply{}, false
		}
		return e.withPrompt(st, Reply{Text: l.say("status_not_found"), Intent: "status"}, true), true
	case no == "":
		no = st.PendingNo
	case code == "" && strings.Contains(rest, "申请公开") && !l.is("question", rest):
		// "我之前申请过GK-…。现在另外申请公开…": a new request that mentions
		// an earlier case goes on as the request, not as a status query.
		return Reply{}, false
	case code == "":
		st.PendingNo = no
		return Reply{Text: l.say("status_ask_code"), Intent: "status"}, true
	}
	st.PendingNo = ""
	s, err := e.Track(ctx, no, code)
	if err != nil {
		switch gongkai.ErrorKind(err) {
		case gongkai.ENotFound:
			return e.withPrompt(st, Reply{Text: l.say("status_not_found"), Intent: "status"}, true), true
		case gongkai.ERateLimit: // too many wrong codes: how long to wait
			return Reply{Text: gongkai.ErrorMessage(err), Intent: "status"}, true
		}
		return Reply{Text: l.say("status_failed"), Intent: "status"}, true
	}
	r := Reply{Text: l.say("status_found", "no", s.No, "status", s.Label, "received", s.ReceivedOn.Chinese(), "due", s.DueOn.Chinese()), Intent: "status"}
	return e.withPrompt(st, r, true), true
}
