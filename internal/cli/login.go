package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	apiclient "keywarden/pkg/keywarden"
)

// totpPattern is what an authenticator app shows; anything else given as
// a code is taken for a recovery code.
var totpPattern = regexp.MustCompile(`^[0-9]{6}$`)

// normalizeCode drops the spaces some apps show inside a code ("123 456").
func normalizeCode(code string) string {
	return strings.Join(strings.Fields(code), "")
}

// loginResult is login's -o json output: never the session token, which
// only the session file holds.
type loginResult struct {
	Server      string        `json:"server"`
	SessionFile string        `json:"session_file"`
	Session     apiv1.Session `json:"session"`
	User        apiv1.User    `json:"user"`
}

func newLoginCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var email, org, totpCode, output string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login --email EMAIL",
		Short: "Log in with your email and password and store the session for the commands that follow",
		Long: `Log in with your email and password (and a code from your authenticator app
when MFA is on) and store the session in your configuration directory
(keywarden/session.json, readable by you only). Later commands use it when
neither --token nor KEYWARDEN_TOKEN is given; keywarden logout ends it.

The password is asked for on the terminal, without echo. With
--password-stdin it is read from the first line of standard input instead,
never from a flag. When MFA is on, the code comes from --totp, else from the
terminal (or the next line of standard input). --totp also takes a recovery
code.

A new user's password is a one-time password: after logging in, change it
with keywarden password change; until then nothing else works.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&email, "email", "", "your email (required)")
	cmd.Flags().StringVar(&org, "organization", "", "your organization's ID (only needed when your email is in several organizations)")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.Flags().StringVar(&totpCode, "totp", "", "the 6-digit code from your authenticator app, or a recovery code (when MFA is on)")
	addOutputFlag(cmd, &output)
	cmd.MarkFlagRequired("email")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		if strings.TrimSpace(email) == "" {
			return usageError{errors.New("--email: give the email you log in with")}
		}
		server, err := api.loginServer()
		if err != nil {
			return err
		}
		p := newPrompter(stdin, stderr)
		if !passwordStdin && !p.tty {
			return usageError{errors.New("standard input is not a terminal: pipe the password in with --password-stdin")}
		}
		password, err := p.secret("Password: ")
		if err != nil {
			return answerError("the password", "--password-stdin", err)
		}
		if password == "" {
			return usageError{errors.New("the password is empty")}
		}
		in := apiv1.Login{Email: email, Password: password, Organization: org}
		setCode(&in, totpCode)
		c := apiclient.New(server, "", newHTTPClient())
		s, err := c.Login(cmd.Context(), in)
		if apiclient.MFARequired(err) && totpCode == "" {
			code, perr := p.plain("Authentication code (or a recovery code): ")
			if errors.Is(perr, errNoAnswer) {
				return usageError{errors.New("MFA is on for this account: give the code from your authenticator app with --totp CODE")}
			}
			if perr != nil {
				return perr
			}
			setCode(&in, code)
			s, err = c.Login(cmd.Context(), in)
		}
		if apiclient.MFARequired(err) {
			return errors.New("the authentication code is wrong or has expired: try again with the current code from your authenticator app, or a recovery code")
		}
		if err != nil {
			return err
		}
		file, err := api.sessions.save(storedSession{Server: server, Token: s.Token, SessionID: s.Session.ID,
			UserID: s.User.ID, Email: s.User.Email, Role: s.User.Role, ExpiresAt: s.Session.ExpiresAt})
		if err != nil {
			// The session is open but cannot be kept: end it, so no
			// token lingers that nobody holds.
			if lerr := apiclient.New(server, s.Token, newHTTPClient()).Logout(cmd.Context()); lerr != nil {
				return fmt.Errorf("%w (and ending the session failed: %v)", err, lerr)
			}
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, loginResult{Server: server, SessionFile: file, Session: s.Session, User: s.User})
		}
		if _, err := fmt.Fprintf(stdout, "Logged in to %s as %s (%s).\nThe session lasts until %s; it is stored in %s.\n",
			cell(server), cell(s.User.Email), cell(s.User.Role), formatTime(s.Session.ExpiresAt), file); err != nil {
			return err
		}
		if s.User.MustChangePassword {
			_, err = io.WriteString(stdout, "\nYour password is a one-time password: change it now with\n  keywarden password change\nNothing else works until you do.\n")
		}
		return err
	}
	return cmd
}

// setCode puts a code where it belongs: six digits are a TOTP code,
// anything else a recovery code.
func setCode(in *apiv1.Login, code string) {
	code = normalizeCode(code)
	in.TOTPCode, in.RecoveryCode = "", ""
	switch {
	case code == "":
	case totpPattern.MatchString(code):
		in.TOTPCode = code
	default:
		in.RecoveryCode = code
	}
}

// answerError explains a missing answer on standard input.
func answerError(what, flag string, err error) error {
	if errors.Is(err, errNoAnswer) {
		return usageError{fmt.Errorf("%s: standard input is empty (%s reads it from the first line)", what, flag)}
	}
	return err
}

func newLogoutCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the stored login session and delete it",
		Args:  noArgs,
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		ss, _, err := api.sessions.load()
		var unsafe unsafeSessionError
		if err != nil && !errors.As(err, &unsafe) { // an exposed session is ended all the more
			return err
		}
		server, given := api.explicit("server", envServer, api.server)
		if ss == nil || (given && !sameServer(ss.Server, server)) {
			if !given {
				server = ""
			}
			if output == outputJSON {
				return writeJSON(stdout, logoutResult{Server: server})
			}
			_, err := io.WriteString(stdout, "Not logged in: there is no stored session"+onServer(server)+".\n")
			return err
		}
		res := logoutResult{Server: ss.Server, SessionID: ss.SessionID, LoggedOut: true}
		err = apiclient.New(ss.Server, ss.Token, newHTTPClient()).Logout(cmd.Context())
		switch {
		case isStatus(err, http.StatusUnauthorized):
			res.AlreadyEnded = true // expired or ended elsewhere
		case err != nil:
			return fmt.Errorf("end the session (the stored session is kept; run keywarden logout again): %w", err)
		}
		if err := api.sessions.remove(); err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, res)
		}
		msg := "Logged out of %s: the session ended and the stored session is deleted.\n"
		if res.AlreadyEnded {
			msg = "Logged out of %s: the session had already ended; the stored session is deleted.\n"
		}
		_, err = fmt.Fprintf(stdout, msg, cell(ss.Server))
		return err
	}
	return cmd
}

type logoutResult struct {
	Server       string `json:"server"`
	SessionID    string `json:"session_id,omitempty"`
	LoggedOut    bool   `json:"logged_out"`
	AlreadyEnded bool   `json:"already_ended,omitempty"`
}

func onServer(server string) string {
	if server == "" {
		return ""
	}
	return " for " + cell(server)
}

func newWhoamiCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the current credentials act as: user, role, organization and MFA",
		Args:  noArgs,
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		conn, err := api.authed()
		if err != nil {
			return err
		}
		me, err := conn.api().Me(cmd.Context())
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, me)
		}
		via := conn.source
		if conn.session != nil {
			via += " (until " + formatTime(conn.session.ExpiresAt) + ")"
		}
		fields := []field{
			{"User ID", me.ID},
			{"Email", me.Email},
			{"Role", me.Role},
			{"Status", me.Status},
			{"MFA", onOff(me.MFAEnabled)},
			{"Organization", me.Organization + " (" + me.OrganizationID + ")"},
			{"Server", conn.server},
			{"Credentials", via},
		}
		if me.Restricted != "" {
			fields = append(fields, field{"Restricted", me.Restricted})
		}
		return writeFields(stdout, fields)
	}
	return cmd
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func newPasswordCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newGroupCmd("password", "Change your password",
		newPasswordChangeCmd(api, stdin, stdout, stderr),
	)
}

func newPasswordChangeCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var output string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "change",
		Short: "Change your password; the current one is required",
		Long: `Change your password; the current one is required. Your other login
sessions end; the one in use stays.

The passwords are asked for on the terminal, without echo. With
--password-stdin they are read from standard input instead: the current
password on the first line, the new one on the second. Never from flags.`,
		Args: noArgs,
	}
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the current and the new password from the first two lines of standard input")
	addOutputFlag(cmd, &output)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		p := newPrompter(stdin, stderr)
		if !passwordStdin && !p.tty {
			return usageError{errors.New("standard input is not a terminal: pipe the current and the new password in, one per line, with --password-stdin")}
		}
		conn, err := api.authed()
		if err != nil {
			return err
		}
		current, err := p.secret("Current password: ")
		if err != nil {
			return answerError("the current password", "--password-stdin", err)
		}
		next, err := p.secret("New password: ")
		if errors.Is(err, errNoAnswer) {
			return usageError{errors.New("the new password: standard input has one line; --password-stdin reads the current password, then the new one")}
		}
		if err != nil {
			return err
		}
		if p.tty {
			again, err := p.secret("New password again: ")
			if err != nil {
				return err
			}
			if again != next {
				return usageError{errors.New("the new passwords differ; nothing changed")}
			}
		}
		if err := conn.api().ChangePassword(cmd.Context(), apiv1.ChangePassword{CurrentPassword: current, NewPassword: next}); err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, struct {
				Changed bool `json:"changed"`
			}{true})
		}
		_, err = io.WriteString(stdout, "Password changed. Your other login sessions have ended.\n")
		return err
	}
	return cmd
}

func newSessionsCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("sessions", "List and end your login sessions",
		newSessionsListCmd(api, stdout),
		newSessionsEndCmd(api, stdout),
	)
}

func newSessionsListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your open login sessions",
		Args:  noArgs,
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		list, err := c.ListSessions(ctx)
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, list)
		}
		t := newTable(stdout, "SESSION ID", "CREATED", "EXPIRES", "SOURCE", "USER AGENT", "CURRENT")
		for _, s := range list.Items {
			current := ""
			if s.Current {
				current = "yes"
			}
			t.row(s.ID, formatTime(s.CreatedAt), formatTime(s.ExpiresAt), s.Source, s.UserAgent, current)
		}
		return t.flush()
	})
	return cmd
}

func newSessionsEndCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "end SESSION_ID",
		Short: "End one of your login sessions (keywarden logout ends the stored one)",
		Args:  exactArgs(1),
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		if err := c.EndSession(ctx, args[0]); err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, struct {
				SessionID string `json:"session_id"`
				Ended     bool   `json:"ended"`
			}{args[0], true})
		}
		_, err := fmt.Fprintf(stdout, "Ended session %s.\n", cell(args[0]))
		return err
	})
	return cmd
}
