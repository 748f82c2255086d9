package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
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
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's users",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		list, err := c.ListUsers(ctx)
		return show(list, printUserList), err
	}})
	return cmd
}

func printUserList(w io.Writer, list apiv1.UserList) error {
	t := newTable(w, "USER ID", "EMAIL", "ROLE", "STATUS", "MFA", "CREATED")
	for _, u := range list.Items {
		t.row(u.ID, u.Email, u.Role, userStatus(u), onOff(u.MFAEnabled), formatTime(u.CreatedAt))
	}
	return t.flush()
}

func newUsersInviteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "invite EMAIL --role ROLE",
		Short: "Create a user with a role and print their one-time password once",
		Long: `Create a user with a role (super_admin, admin, developer or member) and print
their one-time password once. Hand it to them over a safe channel: they log in
with keywarden login and must change it before anything else works.`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&role, "role", "", "super_admin, admin, developer or member (required)")
	cmd.MarkFlagRequired("role")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error { return checkRole("--role", role) },
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			u, err := c.InviteUser(ctx, apiv1.InviteUser{Email: args[0], Role: role})
			return show(u, printInvitedUser), err
		},
	})
	return cmd
}

func printInvitedUser(w io.Writer, u apiv1.InvitedUser) error {
	if err := printUser(w, u.User); err != nil {
		return err
	}
	if err := printOnce(w, u.OneTimePassword, "one-time password"); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "Give it to %s over a safe channel. They log in with\n  keywarden login --email %s\nand must change it at once.\n", cell(u.Email), cell(u.Email))
	return err
}

func newUsersShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show USER_ID",
		Short: "Show one user",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		u, err := c.GetUser(ctx, args[0])
		return show(u, printUser), err
	}})
	return cmd
}

func newUsersSetRoleCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-role USER_ID ROLE",
		Short: "Change a user's role; it takes effect on their next request",
		Long: `Change a user's role (super_admin, admin, developer or member). It takes effect
on the user's next request, through any of their sessions, tokens and
personal credential. The organization's last super admin cannot be demoted.`,
		Args: exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(_ *cobra.Command, args []string) error { return checkRole("ROLE", args[1]) },
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			u, err := c.UpdateUser(ctx, args[0], apiv1.UpdateUser{Role: &args[1]})
			return show(u, printUser), err
		},
	})
	return cmd
}

// newUsersStatusCmd is "disable" or "enable".
func newUsersStatusCmd(api *apiFlags, stdout io.Writer, disable bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enable USER_ID",
		Short: "Enable a disabled user: they can log in again (their revoked credential stays revoked)",
		Args:  exactArgs(1),
	}
	msg := "\nEnabled. They log in with their password; a new personal credential has to be generated.\n"
	if disable {
		cmd.Use = "disable USER_ID"
		cmd.Short = "Disable a user (offboarding): their sessions, personal credential and its tokens stop working at once"
		msg = "\nDisabled. Their sessions ended, and their personal credential and its tokens stopped working.\n"
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		u, err := c.UpdateUser(ctx, args[0], apiv1.UpdateUser{Disabled: &disable})
		return view{json: u, table: then(func(w io.Writer) error { return printUser(w, u) }, message("%s", msg))}, err
	}})
	return cmd
}

func newUsersDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete USER_ID",
		Short: "Delete a user with their sessions and personal credential, whose tokens stop working at once",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		// The API answers 204 without a body; say what happened.
		return view{
			json: struct {
				UserID  string `json:"user_id"`
				Deleted bool   `json:"deleted"`
			}{args[0], true},
			table: message("Deleted user %s. Their sessions, personal credential and its tokens stopped working.\n", cell(args[0])),
		}, c.DeleteUser(ctx, args[0])
	}})
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
