package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Output formats.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// addOutputFlag adds -o/--output (table or json).
func addOutputFlag(cmd *cobra.Command, output *string) {
	cmd.Flags().StringVarP(output, "output", "o", outputTable, "output format: table or json")
}

func checkOutput(output string) error {
	if output != outputTable && output != outputJSON {
		return usageError{fmt.Errorf("--output %q: must be table or json", output)}
	}
	return nil
}

// writeJSON writes v as indented JSON: in json mode the CLI prints the API
// object exactly as the server sent it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a webhook URL's & stays readable
	return enc.Encode(v)
}
