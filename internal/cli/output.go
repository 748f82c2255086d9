package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Output formats.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// output is a command's -o/--output flag and where it prints: the one place
// that decides between JSON and the table view.
type output struct {
	format string
	w      io.Writer
}

// addOutput adds -o/--output (table or json) to cmd; results go to w.
func addOutput(cmd *cobra.Command, w io.Writer) *output {
	o := &output{w: w}
	cmd.Flags().StringVarP(&o.format, "output", "o", outputTable, "output format: table or json")
	return o
}

func (o *output) check() error {
	if o.format != outputTable && o.format != outputJSON {
		return usageError{fmt.Errorf("--output %q: must be table or json", o.format)}
	}
	return nil
}

func (o *output) json() bool { return o.format == outputJSON }

// view is what a command prints: json is the value -o json writes (the API
// object exactly as the server sent it, where there is one), table writes
// the table view. A nil part prints nothing in that format.
type view struct {
	json  any
	table func(w io.Writer) error
}

// show is the view of v: v itself as JSON, print's rendering as a table.
func show[T any](v T, print func(io.Writer, T) error) view {
	return view{json: v, table: func(w io.Writer) error { return print(w, v) }}
}

// message is a table view of one formatted line (or a few).
func message(format string, args ...any) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := fmt.Fprintf(w, format, args...)
		return err
	}
}

// then is a table view that writes a, then b.
func then(a, b func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		if err := a(w); err != nil {
			return err
		}
		return b(w)
	}
}

// print writes v in the chosen format.
func (o *output) print(v view) error {
	switch {
	case o.json() && v.json != nil:
		return writeJSON(o.w, v.json)
	case !o.json() && v.table != nil:
		return v.table(o.w)
	}
	return nil
}

// run returns the RunE of a command: it checks -o, runs fn and prints the
// view fn returns. A failed fn prints nothing, unless it failed with an
// exitError: a verdict (not verified, chain broken) that has a report.
func (o *output) run(fn func(cmd *cobra.Command, args []string) (view, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.check(); err != nil {
			return err
		}
		v, err := fn(cmd, args)
		var verdict exitError
		if err != nil && !errors.As(err, &verdict) {
			return err
		}
		if perr := o.print(v); perr != nil {
			return perr
		}
		return err
	}
}

// writeJSON writes v as indented JSON: in json mode the CLI prints the API
// object exactly as the server sent it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a webhook URL's & stays readable
	return enc.Encode(v)
}
