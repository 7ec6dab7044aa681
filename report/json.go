package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSON writes the report as contracts/annual-report.md describes it,
// indented, with Chinese text unescaped.
func (r *Report) JSON(out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: writing json: %w", err)
	}
	return nil
}
