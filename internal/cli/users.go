package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	apiclient "keywarden/pkg/keywarden"
)

// roles are the roles a user can have.
var roles = []string{"super_admin", "admin", "developer", "member"}

func checkRole(what, role string) error {
	if !slices.Contains(roles, role) {
		return usageError{fmt.Errorf("%s %q: must be one of %s", what, role, strings.Join(roles, ", "))}
	}
	return nil
}

func newUsersCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("users", "Invite, list and show users, change their roles, disable, enable and delete them (through the API)",
		newUsersListCmd(api, stdout),
		newUsersInviteCmd(api, stdout),
		newUsersShowCmd(api, stdout),
		newUsersSetRoleCmd(api, stdout),
		newUsersStatusCmd(api, stdout, true),
		newUsersStatusCmd(api, stdout, false),
		newUsersDeleteCmd(api, stdout),
	)
}

func newUsersListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's users",
		Args:  noArgs,
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		list, err := c.ListUsers(ctx)
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, list)
		}
		t := newTable(stdout, "USER ID", "EMAIL", "ROLE", "STATUS", "MFA", "CREATED")
		for _, u := range list.Items {
			t.row(u.ID, u.Email, u.Role, userStatus(u), onOff(u.MFAEnabled), formatTime(u.CreatedAt))
		}
		return t.flush()
	})
	return cmd
}

func newUsersInviteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var role, output string
	cmd := &cobra.Command{
		Use:   "invite EMAIL --role ROLE",
		Short: "Create a user with a role and print their one-time password once",
		Long: `Create a user with a role (super_admin, admin, developer or member) and print
their one-time password once. Hand it to them over a safe channel: they log in
with keywarden login and must change it before anything else works.`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&role, "role", "", "super_admin, admin, developer or member (required)")
	addOutputFlag(cmd, &output)
	cmd.MarkFlagRequired("role")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		if err := checkRole("--role", role); err != nil {
			return err
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		u, err := c.InviteUser(cmd.Context(), apiv1.InviteUser{Email: args[0], Role: role})
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, u)
		}
		if err := printUser(stdout, u.User); err != nil {
			return err
		}
		if err := printOnce(stdout, u.OneTimePassword, "one-time password"); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "Give it to %s over a safe channel. They log in with\n  keywarden login --email %s\nand must change it at once.\n", cell(u.Email), cell(u.Email))
		return err
	}
	return cmd
}

func newUsersShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show USER_ID",
		Short: "Show one user",
		Args:  exactArgs(1),
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		u, err := c.GetUser(ctx, args[0])
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, u)
		}
		return printUser(stdout, u)
	})
	return cmd
}

func newUsersSetRoleCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "set-role USER_ID ROLE",
		Short: "Change a user's role; it takes effect on their next request",
		Long: `Change a user's role (super_admin, admin, developer or member). It takes effect
on the user's next request, through any of their sessions, tokens and
personal credential. The organization's last super admin cannot be demoted.`,
		Args: exactArgs(2),
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		role := args[1]
		if err := checkRole("ROLE", role); err != nil {
			return err
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		u, err := c.UpdateUser(cmd.Context(), args[0], apiv1.UpdateUser{Role: &role})
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, u)
		}
		return printUser(stdout, u)
	}
	return cmd
}

// newUsersStatusCmd is "disable" or "enable".
func newUsersStatusCmd(api *apiFlags, stdout io.Writer, disable bool) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "enable USER_ID",
		Short: "Enable a disabled user: they can log in again (their revoked credential stays revoked)",
		Args:  exactArgs(1),
	}
	if disable {
		cmd.Use = "disable USER_ID"
		cmd.Short = "Disable a user (offboarding): their sessions, personal credential and its tokens stop working at once"
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		u, err := c.UpdateUser(ctx, args[0], apiv1.UpdateUser{Disabled: &disable})
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, u)
		}
		if err := printUser(stdout, u); err != nil {
			return err
		}
		msg := "\nEnabled. They log in with their password; a new personal credential has to be generated.\n"
		if disable {
			msg = "\nDisabled. Their sessions ended, and their personal credential and its tokens stopped working.\n"
		}
		_, err = io.WriteString(stdout, msg)
		return err
	})
	return cmd
}

func newUsersDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "delete USER_ID",
		Short: "Delete a user with their sessions and personal credential, whose tokens stop working at once",
		Args:  exactArgs(1),
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		if err := c.DeleteUser(ctx, args[0]); err != nil {
			return err
		}
		if output == outputJSON {
			// The API answers 204 without a body; say what happened.
			return writeJSON(stdout, struct {
				UserID  string `json:"user_id"`
				Deleted bool   `json:"deleted"`
			}{args[0], true})
		}
		_, err := fmt.Fprintf(stdout, "Deleted user %s. Their sessions, personal credential and its tokens stopped working.\n", cell(args[0]))
		return err
	})
	return cmd
}

func userStatus(u apiv1.User) string {
	if u.MustChangePassword && u.Status == "active" {
		return "active (one-time password)"
	}
	return u.Status
}

func printUser(w io.Writer, u apiv1.User) error {
	fields := []field{
		{"User ID", u.ID},
		{"Email", u.Email},
		{"Role", u.Role},
		{"Status", userStatus(u)},
		{"MFA", onOff(u.MFAEnabled)},
		{"Created", formatTime(u.CreatedAt)},
	}
	if u.DisabledAt != nil {
		fields = append(fields, field{"Disabled", formatTime(*u.DisabledAt)})
	}
	return writeFields(w, fields)
}
