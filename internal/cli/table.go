package cli

import (
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// table writes aligned columns. Cells are sanitized: values come from the
// server and may hold tabs, newlines or terminal escape sequences.
type table struct {
	tw *tabwriter.Writer
}

// newTable starts a table with a header row.
func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		io.WriteString(t.tw, cell(c))
	}
	io.WriteString(t.tw, "\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// field is one line of a single object's view.
type field struct{ name, value string }

// writeFields prints one object as aligned "name  value" lines.
func writeFields(w io.Writer, fields []field) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		io.WriteString(tw, cell(f.name)+"\t"+cell(f.value)+"\n")
	}
	return tw.Flush()
}

// cell makes s safe for one table cell: whitespace control characters
// become spaces, other control characters (ESC, for one) become U+FFFD, and
// an empty value becomes "-".
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// formatTime formats t as RFC 3339 in UTC.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// formatOptTime formats an optional time; none is shown when it is absent
// ("never" for an expiry, "-" for a last use).
func formatOptTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return formatTime(*t)
}
