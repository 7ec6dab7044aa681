package classifier

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gongkai/internal/testkit"
)

// devCorpus is the labelled dev corpus, beside the repository
// (shared/corpus/dev); GONGKAI_CORPUS_DEV overrides it.
func devCorpus(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GONGKAI_CORPUS_DEV"); p != "" {
		if m, _ := filepath.Glob(filepath.Join(p, "*.eml")); len(m) > 0 {
			return p
		}
	}
	return testkit.CorpusDir(t, "dev")
}

// bar is issue 5's acceptance bar per field.
var bar = map[string]float64{
	"is_request": 0.95, "nature": 0.95, "applicant_type": 0.95, "department": 0.95,
	"id_number": 0.95, "phone": 0.95, "missing_fields": 0.95, "description": 0.90,
}

func TestEvalDevCorpusMeetsBar(t *testing.T) {
	var out bytes.Buffer
	sum, err := Eval(devCorpus(t), &out)
	if err != nil {
		t.Fatalf("Eval: %v", err)
	}
	t.Log("\n" + out.String())
	for f, min := range bar {
		s := sum.Fields[f]
		if s.Cases == 0 {
			t.Errorf("%s: no cases scored", f)
			continue
		}
		if s.Accuracy() < min {
			t.Errorf("%s: accuracy %.3f (%d/%d), want ≥ %.2f", f, s.Accuracy(), s.Correct, s.Cases, min)
		}
	}
}
