package intake

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"gongkai"
	"gongkai/bench/mailgen"
)

// checkBase64 compares the base64 fast paths with the reference decoder on
// one body: the full decode (bytes and partial), the counted size and the
// decoded prefixes.
func checkBase64(t *testing.T, in []byte) {
	t.Helper()
	want, wantPartial := decodeBase64BodyRef(in)
	got, partial := decodeBase64Body(in)
	if !bytes.Equal(got, want) || partial != wantPartial {
		t.Fatalf("decodeBase64Body(%q) = %q, %v; want %q, %v", in, got, partial, want, wantPartial)
	}
	if got == nil {
		t.Fatalf("decodeBase64Body(%q) = nil, want a non-nil slice", in)
	}
	size, partial := base64Size(in)
	if size != len(want) || partial != wantPartial {
		t.Fatalf("base64Size(%q) = %d, %v; want %d, %v", in, size, partial, len(want), wantPartial)
	}
	for _, k := range []int{0, 1, 2, 3, 5, 64, sniffLen, len(want) - 1, len(want)} {
		if k < 0 || k > len(want) {
			continue
		}
		if p := decodeBase64Prefix(in, k); !bytes.Equal(p[:min(k, len(p))], want[:k]) || len(p) < k {
			t.Fatalf("decodeBase64Prefix(%q, %d) = %q; want %q", in, k, p, want[:k])
		}
	}
}

func TestBase64FastPaths(t *testing.T) {
	for _, in := range []string{
		"",
		"\r\n",
		"QQ==",
		"QQ=",
		"QQ",
		"QUI=",
		"QUI",
		"QUJD",
		"QUJDRA",
		"Q",
		"QUJDR",
		"=QUJD",
		"Q=UJD",
		"QU=JD",
		"QUJ=D",
		"QUJD=",
		"QUJD====",
		"QQ==QUI=QUJD",       // streams glued together
		"QQ==\r\nQUI=\r\n",   // padding, then more
		"QQ==x",              // garbage after padding
		"QUJD\r\nRUZH\r\n",   // CRLF
		"QUJD\nRUZH\n",       // LF
		"QUJD\rRUZH\r",       // bare CR
		"QUJD RUZH\t",        // white space
		" QUJD\r\n \r\nRUZH", // indented lines
		"QU\r\nJD",           // break inside a quantum
		"Q-_A",               // URL-safe alphabet
		"QUJD!RUZH",          // stray punctuation
		"QUJD\x00\xff\x80",   // control and eight-bit bytes
		"QR==",               // non-zero unused bits
		"QUJ=\r\n=",
		"====",
		"Q===",
		"QU==\r\n--boundary",
		strings.Repeat("QUJD", 300) + "QQ",
		strings.Repeat("QUJDRUZH\r\n", 200) + "=",
	} {
		checkBase64(t, []byte(in))
	}
}

// TestBase64Random compares the fast paths with the reference on encoded
// random data, wrapped and damaged the ways mail damages it.
func TestBase64Random(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 3000; i++ {
		checkBase64(t, randomBase64(r))
	}
}

// randomBase64 is base64 of random bytes in either alphabet, padded or
// not, wrapped at a random width with CRLF, LF or CR, with random garbage,
// white space, stray padding, truncation and a second stream glued on.
func randomBase64(r *rand.Rand) []byte {
	data := make([]byte, r.IntN(2000))
	for i := range data {
		data[i] = byte(r.UintN(256))
	}
	encs := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}
	s := []byte(encs[r.IntN(len(encs))].EncodeToString(data))
	if r.IntN(4) == 0 {
		s = append(s, encs[r.IntN(len(encs))].EncodeToString(data[:r.IntN(len(data)+1)])...)
	}
	if r.IntN(4) == 0 && len(s) > 0 {
		s = s[:r.IntN(len(s))] // truncated
	}
	width := []int{76, 72, 64, 60, 1 + r.IntN(100), 1 << 20}[r.IntN(6)]
	brk := []string{"\r\n", "\n", "\r", " \r\n", "\r\n\r\n"}[r.IntN(5)]
	var b []byte
	for len(s) > width {
		b = append(append(b, s[:width]...), brk...)
		s = s[width:]
	}
	b = append(b, s...)
	if r.IntN(3) == 0 {
		b = append(b, brk...)
	}
	noise := []string{"=", "==", " ", "\t", "-", "_", "!", "\x00", "\xff", "\xe4\xb8\xad", "\r", "\n", "A", "="}
	for k := r.IntN(4); k > 0 && r.IntN(2) == 0; k-- {
		at := r.IntN(len(b) + 1)
		b = append(b[:at], append([]byte(noise[r.IntN(len(noise))]), b[at:]...)...)
	}
	return b
}

// FuzzBase64 compares the fast paths with the reference decoder.
func FuzzBase64(f *testing.F) {
	for _, s := range []string{"QQ==", "QUJD\r\nRUZH", "Q-_A=x", "QUJ=D\r\n=", "QQ==QUI=QUJD"} {
		f.Add([]byte(s))
	}
	r := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 20; i++ {
		f.Add(randomBase64(r))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkBase64(t, in)
	})
}

// checkParseOptions parses raw with the full decode (Options{}), with
// NoData and with size caps, and requires everything but Data to be equal,
// and Data to be the full Data cut at the cap (nil with NoData). It also
// compares every base64 body in the message with the reference decoder.
func checkParseOptions(t *testing.T, name string, raw []byte) {
	t.Helper()
	full, ferr := parse(raw, Options{})
	for _, opt := range []Options{{NoData: true}, {MaxAttachment: 1}, {MaxAttachment: 100}, {MaxAttachment: 4096}, {NoData: true, MaxAttachment: 100}} {
		got, err := parse(raw, opt)
		if fmt.Sprint(err) != fmt.Sprint(ferr) {
			t.Fatalf("%s %+v: err %v, full decode %v", name, opt, err, ferr)
		}
		compareEmails(t, fmt.Sprintf("%s %+v", name, opt), full, got, opt)
	}
	for _, body := range base64Bodies(raw) {
		checkBase64(t, body)
	}
}

// compareEmails requires want and got (parsed with opt) to be equal except
// for Attachment.Data, which must be want's Data as opt keeps it.
func compareEmails(t *testing.T, name string, want, got *gongkai.Email, opt Options) {
	t.Helper()
	if (want == nil) != (got == nil) {
		t.Fatalf("%s: Email %v, full decode %v", name, got, want)
	}
	if want == nil {
		return
	}
	if len(got.Attachments) != len(want.Attachments) || len(got.Embedded) != len(want.Embedded) {
		t.Fatalf("%s: %d attachments, %d embedded; full decode %d, %d", name, len(got.Attachments), len(got.Embedded), len(want.Attachments), len(want.Embedded))
	}
	for i, a := range got.Attachments {
		w := want.Attachments[i]
		wantData := w.Data
		switch {
		case opt.NoData:
			wantData = nil
		case opt.MaxAttachment > 0 && len(wantData) > opt.MaxAttachment:
			wantData = wantData[:opt.MaxAttachment]
		}
		if (a.Data == nil) != (wantData == nil) || !bytes.Equal(a.Data, wantData) {
			t.Fatalf("%s: attachment %d %q: Data %d bytes (nil %v), want %d (nil %v)", name, i, a.Name, len(a.Data), a.Data == nil, len(wantData), wantData == nil)
		}
		a.Data, w.Data = nil, nil
		if !reflect.DeepEqual(a, w) {
			t.Fatalf("%s: attachment %d:\n got  %+v\n want %+v", name, i, a, w)
		}
	}
	g, w := *got, *want
	g.Attachments, w.Attachments, g.Embedded, w.Embedded = nil, nil, nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", name, g, w)
	}
	for i := range got.Embedded {
		compareEmails(t, name, want.Embedded[i], got.Embedded[i], opt)
	}
}

// base64Bodies collects the bodies of every base64 leaf entity of raw.
func base64Bodies(raw []byte) [][]byte {
	var out [][]byte
	var walk func(e *entity)
	walk = func(e *entity) {
		if e == nil {
			return
		}
		for _, c := range e.children {
			walk(c)
		}
		walk(e.message)
		if !e.multipart() && isBase64(e) {
			out = append(out, e.body)
		}
	}
	walk(parseEntity(bytes.TrimLeft(raw, "\r\n"), 0, "", &defects{}))
	return out
}

// TestFastPathCorpus runs checkParseOptions over the dev and peer corpus
// and the load corpus.
func TestFastPathCorpus(t *testing.T) {
	corpus := mustCorpus(t)
	files := corpusFiles(t, corpus)
	if len(files) < 60 {
		t.Fatalf("corpus has %d messages", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkParseOptions(t, f, raw)
	}
	msgs, _ := mailgen.Corpus(40)
	for i, raw := range msgs {
		checkParseOptions(t, fmt.Sprintf("mailgen %d", i), raw)
	}
}

// attachmentMessage wraps body as a base64 attachment of type ctype named
// name, after a short text part.
func attachmentMessage(ctype, name string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n见附件\r\n--=_b\r\n")
	fmt.Fprintf(&b, "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", ctype, name, name)
	b.Write(body)
	b.WriteString("\r\n--=_b--\r\n")
	return b.Bytes()
}

// TestFastPathRandomAttachments parses messages whose binary attachments
// carry random, damaged base64, with every option.
func TestFastPathRandomAttachments(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	types := [][2]string{{"application/pdf", "a.pdf"}, {"image/png", "b.png"}, {"application/zip", "c.zip"}, {"application/octet-stream", "d.bin"}, {"text/plain", "e.txt"}}
	pdf := []byte("%PDF-1.4\n" + strings.Repeat("stream\x00\x01\x02endstream\n", 300))
	for i := 0; i < 400; i++ {
		body := randomBase64(r)
		if i%4 == 0 {
			body = []byte(base64.StdEncoding.EncodeToString(pdf[:r.IntN(len(pdf))]))
		}
		ty := types[r.IntN(len(types))]
		checkParseOptions(t, fmt.Sprintf("random %d", i), attachmentMessage(ty[0], ty[1], body))
	}
}

// FuzzParseOptions compares parsing with and without NoData and size caps
// on arbitrary messages (seeds: attachments with damaged base64).
func FuzzParseOptions(f *testing.F) {
	f.Add(attachmentMessage("application/pdf", "a.pdf", []byte("JVBERi0xLjQK\r\nQQ==")))
	f.Add(attachmentMessage("image/png", "b.png", []byte("iVBORw0KGgo=\r\nQUJ=D!")))
	f.Add(attachmentMessage("application/zip", "c.zip", []byte("UEsDBA")))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkParseOptions(t, "fuzz", raw)
	})
}

// TestParseDateQuick compares the quick path of parseDate with the long
// way on dates of the quick shape and near misses.
func TestParseDateQuick(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	var inputs []string
	for _, s := range []string{
		"Mon, 02 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 +0800",
		"2 Jan 2006 15:04:05 +0800",
		"02 Jan 2006 15:04:05 +0000",
		"Tue, 31 Feb 2024 10:00:00 +0800", // no such day
		"Xyz, 01 Jan 2024 10:00:00 +0800", // no such weekday
		"Mon, 01 Foo 2024 10:00:00 +0800", // no such month
		"Mon, 01 Jan 2024 25:00:00 +0800",
		"Mon, 01 Jan 2024 10:61:00 +0800",
		"Mon, 01 Jan 2024 10:00:00 +9999",
		"Mon, 01 Jan 2024 10:00:00 -0000",
		"Fri, 01 Jan 2024 10:00:00 +0800", // wrong weekday: ignored by both
		"mon, 01 jan 2024 10:00:00 +0800",
		"MON, 01 JAN 2024 10:00:00 +0800",
		"Mon, 01 Jan 2024 10:00:00 +0800 (CST)",
		"Mon, 01 Jan 2024 10:00:00 GMT",
		"Mon, 01 Jan 2024 10:00 +0800",
		"Mon, 1 Jan 24 10:00:00 +0800",
		"Mon,01 Jan 2024 10:00:00 +0800",
		"Mon, 001 Jan 2024 10:00:00 +0800",
		"Mon, 01 Jan 2024 10:00:00 +08000",
		"Mon, 01 Jan 2024 10:00:00 +080",
		"Mon, 01 Jan 2024 10:00:00 UTC+8",
		"Mon, 01 Jan 2024 10:00:00 +08:00",
	} {
		inputs = append(inputs, s)
	}
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo", "jan"}
	days := []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Abc", ""}
	for i := 0; i < 5000; i++ {
		s := fmt.Sprintf("%d %s %04d %02d:%02d:%02d %c%02d%02d", r.IntN(33), months[r.IntN(len(months))], 1900+r.IntN(200),
			r.IntN(26), r.IntN(62), r.IntN(62), "+-"[r.IntN(2)], r.IntN(25), r.IntN(61))
		if r.IntN(2) == 0 {
			s = fmt.Sprintf("%02d", r.IntN(33)) + s[strings.IndexByte(s, ' '):]
		}
		if d := days[r.IntN(len(days))]; d != "" {
			s = d + ", " + s
		}
		inputs = append(inputs, s)
	}
	quick := 0
	for _, s := range inputs {
		got, ok := parseDateQuick(s)
		if !ok {
			continue
		}
		quick++
		want := parseDateSlow(s)
		gn, go_ := got.Zone()
		wn, wo := want.Zone()
		if !got.Equal(want) || gn != wn || go_ != wo || got.Location().String() != want.Location().String() || got.String() != want.String() {
			t.Errorf("%q: quick %v, long way %v", s, got, want)
		}
	}
	if quick < len(inputs)/4 {
		t.Errorf("quick path took %d of %d dates", quick, len(inputs))
	}
	if _, ok := parseDateQuick("Mon, 02 Jan 2006 15:04:05 -0700"); !ok {
		t.Error("quick path refused the common shape")
	}
}
