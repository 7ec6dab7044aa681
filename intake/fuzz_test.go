package intake

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"gongkai"
)

// FuzzParse feeds arbitrary bytes to the parser (without ParseWith's
// recover, so a panic is a failure) and checks its promises: an Email for
// every input, Malformed exactly when there are defects, only the
// documented errors, and valid UTF-8 in every decoded string. Seeds are
// every corpus message; when the corpus is absent only the built-in seeds
// are used.
func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@b.example\r\nSubject: =?utf-8?q?=E7=94?= =?utf-8?q?=B3?=\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\n\r\nz"))
	f.Add([]byte("Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n1f64rtDFz6K5q7+q"))
	if corpus, ok := corpusDir(); ok {
		for _, p := range corpusFiles(f, corpus) {
			raw, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	} else {
		f.Log("shared/corpus not found: fuzzing from built-in seeds only")
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		em, err := parse(raw, Options{MaxAttachment: 1 << 10})
		if em == nil {
			t.Fatal("nil Email")
		}
		if err != nil && !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNoHeader) {
			t.Fatalf("unexpected error %v", err)
		}
		checkEmail(t, em, 0)
	})
}

func checkEmail(t *testing.T, em *gongkai.Email, depth int) {
	t.Helper()
	if em.Malformed != (len(em.Defects) > 0) {
		t.Fatalf("Malformed=%v, Defects=%v", em.Malformed, em.Defects)
	}
	for name, s := range map[string]string{
		"Subject": em.Subject, "FromName": em.FromName, "FromAddr": em.FromAddr,
		"Text": em.Text, "HTMLText": em.HTMLText, "NewText": em.NewText, "Quoted": em.Quoted,
	} {
		if !utf8.ValidString(s) {
			t.Fatalf("%s is not valid UTF-8: %q", name, s)
		}
	}
	if em.FromAddr != strings.TrimSpace(em.FromAddr) || strings.ContainsAny(em.FromAddr, "<>\r\n") {
		t.Fatalf("FromAddr %q not a trimmed addr-spec", em.FromAddr)
	}
	for k, vs := range em.Header {
		for _, v := range vs {
			if !utf8.ValidString(v) {
				t.Fatalf("Header %s is not valid UTF-8: %q", k, v)
			}
		}
	}
	for _, a := range em.Attachments {
		if !utf8.ValidString(a.Name) || !utf8.ValidString(a.Text) {
			t.Fatalf("attachment %q: invalid UTF-8", a.Name)
		}
		if len(a.Data) > 1<<10 || a.Size < len(a.Data) {
			t.Fatalf("attachment %q: Data %d bytes, Size %d", a.Name, len(a.Data), a.Size)
		}
	}
	if depth > maxDepth+1 {
		t.Fatalf("embedded nesting deeper than %d", maxDepth)
	}
	for _, e := range em.Embedded {
		checkEmail(t, e, depth+1)
	}
}
