package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
	"keywarden/internal/server"
)

func newImportCmd(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Bulk-load data into the store directly (migrations, seeding)", Args: noArgs}
	cmd.AddCommand(newImportClientsCmd(stdin, stdout, stderr, getenv))
	return cmd
}

func newImportClientsCmd(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "clients --org ORG_ID FILE|-",
		Short: "Import clients and their secrets from NDJSON (one client a line), a few thousand a transaction",
		Long: `Import clients and their secrets from NDJSON, one client a line:

  {"client_id":"kwc_…","name":"billing","description":"…","scopes":["invoices:read"],
   "token_ttl_seconds":0,"secrets":[{"value":"kws_…","description":"…",
   "expires_at":"2027-01-01T00:00:00Z","never_expires":false,"allowed_cidrs":["10.0.0.0/8"]}]}

Only "name" is required; without "client_id" a new ID is made. A value in
Keywarden's own format (kws_…, from another installation) is stored as a
generated secret; any other value as a supplied one, hashed with argon2id (much
slower). Expiries follow the organisation's policy for a super admin. The
command reads the store directly (same --database and master key as the
server, which may keep running: its nodes hear of the import), stores
` + fmt.Sprint(server.ImportBatch) + ` clients a transaction with one audit event (client.import) each, and
sends no webhook events. A line that does not validate, or an ID that exists,
stops the import: the batches before it stay imported.`,
		Args: cobra.ExactArgs(1),
	}
	l := config.Register(cmd.Flags(), "data-dir", "database", "master-key-file", "dev")
	cmd.Flags().StringVar(&org, "org", "", "organisation ID to import into (required)")
	cmd.MarkFlagRequired("org")
	cmd.RunE = addOutput(cmd, stdout).run(func(cmd *cobra.Command, args []string) (view, error) {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return view{}, err
		}
		in := stdin
		if args[0] != "-" {
			f, err := os.Open(args[0])
			if err != nil {
				return view{}, err
			}
			defer f.Close()
			in = f
		}
		clients, secrets, err := server.ImportClients(cmd.Context(), cfg, org, in, func(clients, secrets int) {
			fmt.Fprintf(stderr, "imported %d clients, %d secrets\n", clients, secrets)
		})
		if err != nil {
			return view{}, fmt.Errorf("import (%d clients and %d secrets imported before it stopped): %w", clients, secrets, err)
		}
		return view{
			json:  map[string]int{"clients": clients, "secrets": secrets},
			table: message("imported %d clients with %d secrets\n", clients, secrets),
		}, nil
	})
	return cmd
}
