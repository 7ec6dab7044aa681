package intake

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gongkai"
)

// corpusFiles lists every message file of the corpus: dev/*.eml and all
// of peer/ except licences and SOURCES.md.
func corpusFiles(t testing.TB, corpus string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		base := d.Name()
		rel, _ := filepath.Rel(corpus, p)
		switch {
		case strings.HasPrefix(rel, "dev"+string(filepath.Separator)):
			if strings.HasSuffix(base, ".eml") {
				out = append(out, p)
			}
		case strings.HasPrefix(rel, "peer"+string(filepath.Separator)):
			if isPeerMessage(base) {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func isPeerMessage(base string) bool {
	upper := strings.ToUpper(base)
	return !strings.HasPrefix(upper, "LICENSE") && !strings.Contains(upper, "LICENSE") &&
		base != "SOURCES.md" && base != "AGPL-3"
}

// peerCase says what one peer fixture must come out as. defect is the
// defect it must carry ("" = it must not be Malformed, "*" = any defect);
// check holds assertions on the decoded content.
type peerCase struct {
	defect string
	check  func(t *testing.T, em *gongkai.Email)
}

func contains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s = %q, want it to contain %q", what, got, want)
	}
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func attachmentNames(em *gongkai.Email) string {
	var n []string
	for _, a := range em.Attachments {
		n = append(n, a.Name)
	}
	return strings.Join(n, "|")
}

// peerCases covers every fixture in peer/SOURCES.md. The broken ones must
// be flagged; the charset ones must decode to the right script — these
// assertions fail if gb2312 were read as strict GB2312, Big5 as GBK, or a
// label were trusted over the bytes.
var peerCases = map[string]peerCase{
	"demisto/parse-emails/chinese_big5_encoding.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "圖形碼") // Traditional 圖, not 图
	}},
	"demisto/parse-emails/chinese_gb2312_encoding.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "你好，我是程序员，很高兴认识你")
	}},
	"demisto/parse-emails/chinese_gbk_encoding.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "你好，中国")
	}},
	"demisto/parse-emails/chinese_email_test.eml": {DefectRaw8bitHeader, func(t *testing.T, em *gongkai.Email) {
		equal(t, "Subject", em.Subject, "示例邮件")
		contains(t, "Text", em.Text, "这是一个示例邮件")
	}},
	"demisto/parse-emails/multipart-defective.eml": {DefectBoundaryMismatch, func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "test")
		equal(t, "attachments", attachmentNames(em), "Signatur.png")
	}},
	"demisto/parse-emails/test-unknown-8bit.eml": {"*", func(t *testing.T, em *gongkai.Email) {
		equal(t, "FromAddr", em.FromAddr, "test@test.com")
		equal(t, "FromName", em.FromName, "test")
		contains(t, "Header Bcc", em.Header["Bcc"][0], "משה") // damaged UTF-8 stays UTF-8
	}},
	"Kopano-dev/kopano-core/big5.eml": {DefectRaw8bitHeader, func(t *testing.T, em *gongkai.Email) {
		equal(t, "Subject", em.Subject, "養樂多線上訂購") // raw Big5 bytes, read with the body's charset
		equal(t, "FromName", em.FromName, "養樂多")
	}},
	"Kopano-dev/kopano-core/gb2312_18030.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "FromName", em.FromName, "梁祐晟") // 祐 is not in GB2312
		contains(t, "Header To", em.Header["To"][0], "林慶美")
		equal(t, "To", strings.Join(em.To, ","), "other.address@some.domain")
	}},
	"Kopano-dev/kopano-core/encoded-word-split.eml": {DefectEncodedWordSplit, func(t *testing.T, em *gongkai.Email) {
		if !strings.HasPrefix(em.Subject, "☺ vų.") {
			t.Errorf("Subject = %q, want the split ☺ and the UTF-16 run rejoined", em.Subject)
		}
		contains(t, "Defects", strings.Join(em.Defects, ","), DefectBadHeaderLine)
		equal(t, "MessageID", em.MessageID, "0@localhost")
	}},
	"Kopano-dev/kopano-core/unknown-text-charset.eml": {DefectCharsetMislabel, func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "☺")
	}},
	"SpamScope/mail-parser/mail_test_12": {DefectCharsetMislabel, func(t *testing.T, em *gongkai.Email) {
		equal(t, "Subject", em.Subject, "代开各地增值税发票")
		equal(t, "FromName", em.FromName, "张先生")
		contains(t, "Text", em.Text, "我公司可代开各类增值税发票") // UTF-8 body under a GB2312 label
	}},
	"SpamScope/mail-parser/mail_malformed_2": {"*", func(t *testing.T, em *gongkai.Email) {
		equal(t, "ReportType", em.ReportType, "delivery-status")
		if len(em.Embedded) != 1 {
			t.Fatalf("Embedded = %d, want the returned headers", len(em.Embedded))
		}
		equal(t, "Embedded Subject", em.Embedded[0].Subject, "Trabajo perfecto a distancia")
		contains(t, "Text", em.Text, "delivery problems")
	}},
	"php-mime-mail-parser/php-mime-mail-parser/failure.eml": {DefectMissingCloseBoundary, func(t *testing.T, em *gongkai.Email) {
		contains(t, "Text", em.Text, "次の受信者またはグル") // Japanese in a gb2312 label: needs GBK
		contains(t, "Text", em.Text, "配信に失敗しました")
	}},
	"php-mime-mail-parser/php-mime-mail-parser/m0018": {DefectTruncated, func(t *testing.T, em *gongkai.Email) {
		equal(t, "attachments", attachmentNames(em), "사진.JPG|ATT00001.txt")
		contains(t, "Text", em.Text, "My traveling companions!")
		contains(t, "ATT00001 text", em.Attachments[1].Text, "sent from my iPhone")
	}},
	"Webklex/php-imap/gbk_charset.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "Hi")
	}},
	"Webklex/php-imap/ks_c_5601-1987_headers.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "Subject", em.Subject, "RE: 회원님께 Ersi님이 메시지를 보냈습니다.")
		equal(t, "FromName", em.FromName, "김 현진")
	}},
	"Webklex/php-imap/issue-410.eml": {"", func(t *testing.T, em *gongkai.Email) {
		contains(t, "Subject", em.Subject, "「ガーデン&エクステリア」専門店")
		contains(t, "attachments", attachmentNames(em), "「ガーデン&エクステリア」専門店")
	}},
	"Webklex/php-imap/example_bounce.eml": {DefectMissingCloseBoundary, func(t *testing.T, em *gongkai.Email) {
		if len(em.Embedded) != 1 {
			t.Fatalf("Embedded = %d, want the returned message", len(em.Embedded))
		}
		equal(t, "Embedded FromName", em.Embedded[0].FromName, "Süderbar Foo (SI) GmbH")
		equal(t, "Embedded MessageID", em.Embedded[0].MessageID, "UyVznI5nOyYGnv7Ij0hi6ro4gvxwGT999eQAtc4o@127.0.0.1")
	}},
	"jhillyerd/enmime/chardet-success-big-5.raw": {DefectCharsetMislabel, func(t *testing.T, em *gongkai.Email) {
		contains(t, "Text", em.Text, "顏之推") // Traditional, not 颜之推
		contains(t, "Text", em.Text, "音辭第十八")
	}},
	"jhillyerd/enmime/bad-final-boundary.raw": {DefectMissingCloseBoundary, func(t *testing.T, em *gongkai.Email) {
		equal(t, "Text", em.Text, "A text section")
		equal(t, "attachments", attachmentNames(em), "foo_9E5D72.zip")
	}},
	"jhillyerd/enmime/multipart-wo-boundary.raw": {DefectBoundaryMismatch, func(t *testing.T, em *gongkai.Email) {
		contains(t, "Text", em.Text, "multipart message without boundary")
		equal(t, "MediaType", em.MediaType, "multipart/report")
	}},
	"jhillyerd/enmime/mime-bad-8bit-filename.raw": {DefectRaw8bitFilename, func(t *testing.T, em *gongkai.Email) {
		equal(t, "attachments", attachmentNames(em), "管理.doc")
	}},
	"jhillyerd/enmime/multimixed-no-closing-boundary.raw": {DefectMissingCloseBoundary, func(t *testing.T, em *gongkai.Email) {
		contains(t, "HTMLText", em.HTMLText, "Hello,")
	}},
	"jhillyerd/enmime/simple_dsn.raw": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "ReportType", em.ReportType, "delivery-status")
		equal(t, "Date", em.Date.Format(time.RFC3339), "1994-07-07T17:16:05-04:00")
	}},
	"mikel/mail/content_transfer_encoding_empty.eml": {DefectRaw8bitHeader, func(t *testing.T, em *gongkai.Email) {
		contains(t, "Subject", em.Subject, "大家說英語") // Big5 once misread as Latin-1, repaired
		contains(t, "Text", em.Text, "軟體帝國更新迅速")
	}},
	"mikel/mail/japanese_shift_jis.eml": {"", func(t *testing.T, em *gongkai.Email) {
		contains(t, "Text", em.Text, "このメールはテスト用のメールです。")
	}},
	"mikel/mail/raw_email_with_illegal_boundary.eml": {DefectBoundaryMismatch, func(t *testing.T, em *gongkai.Email) {
		contains(t, "Text", em.Text, "This is an outlook test")
		contains(t, "HTMLText", em.HTMLText, "So there.")
		equal(t, "FromAddr", em.FromAddr, "email_test@me.nowhere")
	}},
	"mikel/mail/raw_email_with_partially_quoted_subject.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "Subject", em.Subject, `Re: Test: "漢字" mid "漢字" tail`)
		contains(t, "Text", em.Text, "우리는 하나님을 믿습니다")
	}},
	"mikel/mail/report_422.eml": {"", func(t *testing.T, em *gongkai.Email) {
		equal(t, "ReportType", em.ReportType, "delivery-status")
		if len(em.Embedded) != 1 {
			t.Fatalf("Embedded = %d, want the text/rfc822-headers part", len(em.Embedded))
		}
		equal(t, "Embedded Subject", em.Embedded[0].Subject, "Wanted")
	}},
	"nodemailer/mailparser/delivery-status.eml": {"", func(t *testing.T, em *gongkai.Email) {
		if len(em.Embedded) != 1 {
			t.Fatalf("Embedded = %d, want the returned message", len(em.Embedded))
		}
		equal(t, "Embedded Subject", em.Embedded[0].Subject, "Example Subject")
		equal(t, "Embedded MessageID", em.Embedded[0].MessageID, "xxxxx@email.amazonses.com")
		contains(t, "Embedded Text", em.Embedded[0].Text, "Message")
	}},
}

// TestPeerCorpus parses every peer fixture (none may panic or be lost),
// checks that the broken ones are flagged and the clean ones are not, and
// runs the content assertions. A fixture without a case fails the test, so
// that a new fixture cannot slip through unchecked.
func TestPeerCorpus(t *testing.T) {
	corpus := mustCorpus(t)
	peer := filepath.Join(corpus, "peer")
	seen := map[string]bool{}
	for _, f := range corpusFiles(t, corpus) {
		rel, err := filepath.Rel(peer, f)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			em, err := parse(raw, Options{})
			if em == nil {
				t.Fatal("nil Email")
			}
			if err != nil {
				t.Errorf("Parse error %v on a message with headers", err)
			}
			tc, ok := peerCases[rel]
			if !ok {
				t.Fatalf("no peerCases entry for %s", rel)
			}
			if em.Malformed != (len(em.Defects) > 0) {
				t.Errorf("Malformed=%v with Defects %v", em.Malformed, em.Defects)
			}
			switch tc.defect {
			case "":
				if em.Malformed {
					t.Errorf("clean fixture flagged Malformed: %v", em.Defects)
				}
			case "*":
				if !em.Malformed {
					t.Error("broken fixture not flagged Malformed")
				}
			default:
				if !slices.Contains(em.Defects, tc.defect) {
					t.Errorf("Defects = %v, want %s", em.Defects, tc.defect)
				}
			}
			tc.check(t, em)
		})
	}
	for rel := range peerCases {
		if !seen[rel] {
			t.Errorf("peer fixture %s is missing from the corpus", rel)
		}
	}
}
