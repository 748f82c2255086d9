package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

func newCredentialsCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("credentials", "Generate, show, rotate and revoke your personal API credential (a client ID and secret that act as you)",
		newCredentialsShowCmd(api, stdout),
		newCredentialsCreateCmd(api, stdout),
		newCredentialsRotateCmd(api, stdout),
		newCredentialsRevokeCmd(api, stdout),
	)
}

func newCredentialsShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "show [--user USER_ID]",
		Short: "Show your personal credential (or, for admins, a user's): its client ID and secrets, never their values",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&user, "user", "", "show this user's credential instead of yours (admins)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkUserFlag(&user),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if user != "" {
				pc, err := c.GetUserCredential(ctx, user)
				return show(pc, printUserCredential), err
			}
			pc, err := c.GetMyCredential(ctx)
			if keywarden.HasStatus(err, http.StatusNotFound) {
				return view{}, fmt.Errorf("%w; you have no personal credential yet: generate one with keywarden credentials create", err)
			}
			return show(pc, printMyCredential), err
		},
	})
	return cmd
}

// checkUserFlag refuses an empty --user: it would silently mean "mine".
func checkUserFlag(user *string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("user") && strings.TrimSpace(*user) == "" {
			return usageError{errors.New("--user: give a user ID")}
		}
		return nil
	}
}

func printMyCredential(w io.Writer, pc apiv1.PersonalCredential) error {
	return printCredential(w, pc, "none (generate one with keywarden credentials create)")
}

func printUserCredential(w io.Writer, pc apiv1.PersonalCredential) error {
	return printCredential(w, pc, "none")
}

// printCredential shows a personal credential; none is what it says when
// there is no active secret.
func printCredential(w io.Writer, pc apiv1.PersonalCredential, none string) error {
	active := none
	if pc.Active != nil {
		active = pc.Active.ID + " " + pc.Active.Masked + ", expires " + formatOptTime(pc.Active.ExpiresAt, "never")
	}
	if err := writeFields(w, []field{
		{"Client ID", pc.ClientID},
		{"User ID", pc.UserID},
		{"Active secret", active},
	}); err != nil {
		return err
	}
	if len(pc.Secrets) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return printSecretTable(w, pc.Secrets)
}

// outFile is --out FILE: the credential goes to a new file, readable by
// its owner only, instead of the terminal.
type outFile struct {
	path string
}

func (o *outFile) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.path, "out", "", "write the client ID and secret to this new file (mode 0600; an existing file is never overwritten) instead of printing the secret")
}

// create opens the file before the credential exists, so that a path that
// cannot be written costs nothing: the secret is shown only once.
func (o *outFile) create() (*os.File, error) {
	if o.path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, usageError{fmt.Errorf("--out %s: the file exists; Keywarden never overwrites one (choose another name)", o.path)}
	}
	if err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	return f, nil
}

// abandon removes the file when the credential was not created.
func (o *outFile) abandon(f *os.File) {
	if f != nil {
		f.Close()
		os.Remove(f.Name())
	}
}

// createdCredentialFile is -o json output with --out: everything but the
// secret, which is in the file.
type createdCredentialFile struct {
	ClientID  string     `json:"client_id"`
	SecretID  string     `json:"secret_id"`
	Hint      string     `json:"hint"`
	ExpiresAt *time.Time `json:"expires_at"`
	File      string     `json:"file"`
}

// deliver hands a new credential to the user: into the --out file, or on
// stdout once with the warning.
func deliver(stdout io.Writer, f *os.File, server string, pc apiv1.CreatedPersonalCredential) (view, error) {
	if f == nil {
		return show(pc, printCredentialOnce), nil
	}
	if err := writeCredentialFile(f, server, pc); err != nil {
		os.Remove(f.Name())
		// The server will not show the secret again: show it here, in
		// either output format.
		if perr := printCredentialOnce(stdout, pc); perr != nil {
			return view{}, errors.Join(err, perr)
		}
		return view{}, fmt.Errorf("%w; the credential is printed above instead", err)
	}
	return view{
		json: createdCredentialFile{ClientID: pc.ClientID, SecretID: pc.SecretID, Hint: pc.Hint, ExpiresAt: pc.ExpiresAt, File: f.Name()},
		table: message("Client ID  %s\nSecret ID  %s\nExpires    %s\n\nThe client ID and secret are in %s (readable by you only). Keep the file safe: the secret cannot be shown again.\n",
			cell(pc.ClientID), cell(pc.SecretID), formatOptTime(pc.ExpiresAt, "never"), f.Name()),
	}, nil
}

// writeCredentialFile writes the credential as KEY=value lines, which a
// shell or a .env loader can read.
func writeCredentialFile(f *os.File, server string, pc apiv1.CreatedPersonalCredential) error {
	_, err := fmt.Fprintf(f, `# Keywarden personal credential: it acts as you. Keep this file secret.
# Secret ID %s, expires %s.
KEYWARDEN_SERVER=%s
KEYWARDEN_CLIENT_ID=%s
KEYWARDEN_CLIENT_SECRET=%s
`, pc.SecretID, formatOptTime(pc.ExpiresAt, "never"), server, pc.ClientID, pc.Secret)
	if err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return nil
}

func printCredentialOnce(w io.Writer, pc apiv1.CreatedPersonalCredential) error {
	if err := writeFields(w, []field{
		{"Client ID", pc.ClientID},
		{"Secret ID", pc.SecretID},
		{"Expires", formatOptTime(pc.ExpiresAt, "never")},
	}); err != nil {
		return err
	}
	return printOnce(w, pc.Secret, "client secret")
}

func newCredentialsCreateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var exp expiryFlags
	var out outFile
	var in apiv1.CreatePersonalCredential
	cmd := &cobra.Command{
		Use:   "create [--expires DATE | --never-expires] [--out FILE]",
		Short: "Generate your personal credential and show its secret once (or write it to a file)",
		Long: `Generate your personal credential: a client ID and a secret that act as you,
with your current role. The secret is shown once; with --out it is written to
a new file, readable by you only, instead.

The expiry is yours to choose within your role's maximum in the
organization's policy (the default is that maximum). You hold at most one
active credential: rotate it (keywarden credentials rotate) or revoke it
first.

Exchange it for an access token at the server's /oauth2/token
(client_credentials), or with keywarden auth login.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&in.Description, "description", "", `what the credential is for (default "Personal credential")`)
	exp.add(cmd.Flags(), "expiry (default: the longest your role may have)")
	out.add(cmd)
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error {
			var err error
			in.ExpiresAt, in.NeverExpires, err = exp.parseBoth()
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			return out.deliver(stdout, c.server, func() (apiv1.CreatedPersonalCredential, error) { return c.CreateMyCredential(ctx, in) })
		},
	})
	return cmd
}

func newCredentialsRotateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var grace string
	var exp expiryFlags
	var out outFile
	var in apiv1.RotatePersonalCredential
	cmd := &cobra.Command{
		Use:   "rotate [--grace 1h] [--out FILE]",
		Short: "Replace your personal credential's secret; the old one keeps working for a grace period",
		Long: `Replace your personal credential's secret with a new one, shown once (or
written to --out FILE). The old secret keeps working for the grace period
(--grace, default 1h; 0 stops it now) so that whatever uses it can switch.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&in.Description, "description", "", `what the new secret is for (default "Personal credential")`)
	cmd.Flags().StringVar(&grace, "grace", "", "how long the old secret keeps working: 1h, 90m, 3600s or 7d (default 1h)")
	exp.add(cmd.Flags(), "expiry of the new secret (default: the longest your role may have)")
	out.add(cmd)
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, _ []string) error {
			var err error
			if in.ExpiresAt, in.NeverExpires, err = exp.parseBoth(); err != nil {
				return err
			}
			in.GraceSeconds, err = secondsFlag(cmd.Flags(), "grace", grace)
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			return out.deliver(stdout, c.server, func() (apiv1.CreatedPersonalCredential, error) { return c.RotateMyCredential(ctx, in) })
		},
	})
	return cmd
}

// deliver opens the --out file (if any), makes the credential with create,
// and hands it over: a file that cannot be written costs nothing, since it
// is opened first; a failed create leaves no file behind.
func (o *outFile) deliver(stdout io.Writer, server string, create func() (apiv1.CreatedPersonalCredential, error)) (view, error) {
	f, err := o.create()
	if err != nil {
		return view{}, err
	}
	pc, err := create()
	if err != nil {
		o.abandon(f)
		return view{}, err
	}
	return deliver(stdout, f, server, pc)
}

func newCredentialsRevokeCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "revoke [--user USER_ID]",
		Short: "Revoke your personal credential (or, for super admins, a user's): it and its tokens stop working at once",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&user, "user", "", "revoke this user's credential instead of yours (super admins; offboarding)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkUserFlag(&user),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			revoke, whose := c.RevokeMyCredential, "Your personal credential is"
			if user != "" {
				revoke = func(ctx context.Context) error { return c.RevokeUserCredential(ctx, user) }
				whose = "The personal credential of " + cell(user) + " is"
			}
			return view{
				json: struct {
					UserID  string `json:"user_id,omitempty"`
					Revoked bool   `json:"revoked"`
				}{user, true},
				table: message("%s revoked: its secrets and the tokens they minted stopped working.\n", whose),
			}, revoke(ctx)
		},
	})
	return cmd
}
