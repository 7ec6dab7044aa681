package intake

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gongkai"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// dumpEmail writes a stable, human-readable dump of a parsed Email.
func dumpEmail(b *strings.Builder, em *gongkai.Email, indent string) {
	p := func(k string, v any) { fmt.Fprintf(b, "%s%s: %v\n", indent, k, v) }
	q := func(k, v string) { fmt.Fprintf(b, "%s%s: %q\n", indent, k, v) }
	q("MessageID", em.MessageID)
	p("InReplyTo", em.InReplyTo)
	p("References", em.References)
	q("Subject", em.Subject)
	q("FromName", em.FromName)
	q("FromAddr", em.FromAddr)
	q("ReplyTo", em.ReplyTo)
	p("To", em.To)
	date := ""
	if !em.Date.IsZero() {
		date = em.Date.Format(time.RFC3339)
	}
	p("Date", date)
	p("MediaType", em.MediaType)
	p("ReportType", em.ReportType)
	p("Malformed", em.Malformed)
	p("Defects", em.Defects)
	keys := make([]string, 0, len(em.Header))
	for k := range em.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range em.Header[k] {
			fmt.Fprintf(b, "%sHeader %s: %q\n", indent, k, v)
		}
	}
	block := func(k, v string) {
		fmt.Fprintf(b, "%s%s:\n", indent, k)
		if v == "" {
			return
		}
		for _, l := range strings.Split(v, "\n") {
			fmt.Fprintf(b, "%s  | %s\n", indent, l)
		}
	}
	block("Text", em.Text)
	block("HTMLText", em.HTMLText)
	block("NewText", em.NewText)
	block("Quoted", em.Quoted)
	for i, a := range em.Attachments {
		fmt.Fprintf(b, "%sAttachment %d: name=%q type=%s sniffed=%s size=%d inline=%v\n", indent, i, a.Name, a.ContentType, a.Sniffed, a.Size, a.Inline)
		if a.Text != "" {
			block("  Text", a.Text)
		}
	}
	for i, e := range em.Embedded {
		fmt.Fprintf(b, "%sEmbedded %d:\n", indent, i)
		dumpEmail(b, e, indent+"    ")
	}
}

// goldenCases are tricky messages whose whole parse is pinned.
var goldenCases = []struct{ name, path string }{
	{"dev002_gbk_foxmail", "dev/002.eml"},
	{"dev006_html_table", "dev/006.eml"},
	{"dev010_bounce", "dev/010.eml"},
	{"dev012_reply", "dev/012.eml"},
	{"dev013_forward", "dev/013.eml"},
	{"dev015_boundary_mismatch", "dev/015.eml"},
	{"dev016_utf8_over_gbk", "dev/016.eml"},
	{"dev017_big5", "dev/017.eml"},
	{"dev034_docx_rfc2231", "dev/034.eml"},
	{"peer_encoded_word_split", "peer/Kopano-dev/kopano-core/encoded-word-split.eml"},
	{"peer_illegal_boundary", "peer/mikel/mail/raw_email_with_illegal_boundary.eml"},
	{"peer_multipart_defective", "peer/demisto/parse-emails/multipart-defective.eml"},
	{"peer_failure_ndr", "peer/php-mime-mail-parser/php-mime-mail-parser/failure.eml"},
	{"peer_report_422", "peer/mikel/mail/report_422.eml"},
}

func TestGolden(t *testing.T) {
	corpus := mustCorpus(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(corpus, tc.path))
			if err != nil {
				t.Fatal(err)
			}
			em, _ := parse(raw, Options{})
			var b strings.Builder
			dumpEmail(&b, em, "")
			got := b.String()
			gf := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(gf, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run go test -update and review the diff):\n%s", tc.path, gf, firstDiff(got, string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}
