package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newOverviewCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "overview",
		Short: "Show the organisation's credential health: expiring and unused secrets, clients without a secret, rotations, failing webhooks, users",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		o, err := c.GetOverview(ctx)
		return show(o, printOverview), err
	}})
	return cmd
}

func printOverview(w io.Writer, o apiv1.Overview) error {
	t := newTable(w, "ITEM", "COUNT", "FIX")
	t.row("Secrets expiring within 1 day", fmt.Sprint(o.ExpiringWithin["1d"]), "keywarden secrets rotate CLIENT_ID")
	t.row("Secrets expiring within 7 days", fmt.Sprint(o.ExpiringWithin["7d"]), "")
	t.row("Secrets expiring within 14 days", fmt.Sprint(o.ExpiringWithin["14d"]), "")
	t.row(fmt.Sprintf("Secrets unused for %d days", o.UnusedDays), fmt.Sprint(o.UnusedCount), "keywarden secrets delete CLIENT_ID SECRET_ID")
	t.row("Clients without an active secret or key", fmt.Sprint(o.NoSecretCount), "keywarden secrets create CLIENT_ID")
	safe := 0
	for _, r := range o.Rotations {
		if r.SafeToRevoke {
			safe++
		}
	}
	t.row("Rotations in progress", fmt.Sprintf("%d (%d safe to complete)", len(o.Rotations), safe), "keywarden rotations complete CLIENT_ID ROTATION_ID")
	t.row("Failing webhook endpoints", fmt.Sprint(len(o.FailingWebhooks)), "keywarden webhooks show CLIENT_ID")
	t.row("Users without MFA", fmt.Sprint(len(o.UsersWithoutMFA)), "keywarden mfa enrol (as the user)")
	t.row("Users without a personal credential", fmt.Sprint(len(o.UsersWithoutCredential)), "keywarden credentials create (as the user)")
	t.row("Personal credentials to rotate", fmt.Sprint(len(o.UsersToRotate)), "keywarden credentials rotate (as the user)")
	if o.LegacyPasswordUntil != nil {
		t.row("Users relying on the legacy password (until "+o.LegacyPasswordUntil.UTC().Format("2006-01-02")+")", fmt.Sprint(len(o.LegacyPasswordUsers)),
			"keywarden credentials create (as the user)")
	}
	missing, overdue := 0, 0
	for _, c := range o.CredentialRequired {
		if c.State == "rotate" || c.State == "overdue" {
			overdue++
		} else {
			missing++
		}
	}
	t.row("Users without a required personal credential", fmt.Sprint(missing), "keywarden credentials create (as the user)")
	t.row("Users with a required rotation due or overdue", fmt.Sprint(overdue), "keywarden credentials rotate (as the user)")
	fa := o.FailedAuthentications
	spike := ""
	if fa.Spike {
		spike = " SPIKE"
	}
	t.row("Leaked values, last 30 days", fmt.Sprint(len(o.Leaks)), "keywarden leaks list")
	t.row("Failed authentications, last 24 hours", fmt.Sprintf("%d (daily average before: %.1f)%s", fa.Last24Hours, fa.DailyAverageBefore, spike), "keywarden audit list")
	return t.flush()
}
