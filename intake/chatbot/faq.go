package chatbot

// faq answers a question from answers.txt; inCollect appends the pending
// question of an application under way.
func (e *Engine) faq(st *State, m string, inCollect bool) (Reply, bool) {
	l := e.lexicon()
	if l.is("faq_help", m) {
		return e.withPrompt(st, Reply{Text: l.say("help"), Intent: "help"}, inCollect), true
	}
	if !l.is("question", m) {
		return Reply{}, false
	}
	k := l.first(m, "faq_")
	if k == "" {
		return Reply{}, false
	}
	return e.withPrompt(st, Reply{Text: l.say(k), Intent: k}, inCollect), true
}

func (e *Engine) withPrompt(st *State, r Reply, inCollect bool) Reply {
	if !inCollect || !st.Started {
		return r
	}
	l := e.lexicon()
	if st.Stage == StageConfirm {
		r.Text += "\n" + l.say("continue", "prompt", "确认无误请回复“确认提交”，需要修改请直接告诉我。")
	} else if st.Asking != "" {
		r.Text += "\n" + l.say("continue", "prompt", l.say(askKey(st, st.Asking)))
	}
	return r
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
