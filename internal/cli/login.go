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
	"keywarden/pkg/keywarden"
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
	var email, org, totpCode, provider string
	var passwordStdin, sso bool
	cmd := &cobra.Command{
		Use:   "login --email EMAIL | --sso --organization ORG_ID --provider PROVIDER_ID",
		Short: "Log in with your email and password, or your identity provider, and store the session for the commands that follow",
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
with keywarden password change; until then nothing else works.

With --sso, sign in through your organization's identity provider instead
(docs/oidc.md): keywarden listens on a loopback port, prints the address to
open in your browser, and takes the session the console sends back there
(--organization and --provider are on the console's Policy page).`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&email, "email", "", "your email (required)")
	cmd.Flags().StringVar(&org, "organization", "", "your organization's ID (only needed when your email is in several organizations)")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.Flags().StringVar(&totpCode, "totp", "", "the 6-digit code from your authenticator app, or a recovery code (when MFA is on)")
	cmd.Flags().BoolVar(&sso, "sso", false, "sign in through your organization's identity provider in the browser")
	cmd.Flags().StringVar(&provider, "provider", "", "with --sso: the identity provider's ID (idp_…)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		login: true,
		check: func(*cobra.Command, []string) error {
			switch {
			case sso && (email != "" || passwordStdin || totpCode != ""):
				return usageError{errors.New("--sso signs in at your identity provider: give no --email, --password-stdin or --totp")}
			case sso && (org == "" || provider == ""):
				return usageError{errors.New("--sso needs --organization ORG_ID and --provider PROVIDER_ID (the console's Policy page shows them)")}
			case !sso && strings.TrimSpace(email) == "":
				return usageError{errors.New("--email: give the email you log in with (or --sso)")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if sso {
				s, err := ssoLogin(ctx, c, stderr, org, provider)
				if err != nil {
					return view{}, err
				}
				file, err := keepSession(ctx, api.sessions, c.server, s)
				if err != nil {
					return view{}, err
				}
				return show(loginResult{Server: c.server, SessionFile: file, Session: s.Session, User: s.User}, printLoggedIn), nil
			}
			p := newPrompter(stdin, stderr)
			if !passwordStdin && !p.tty {
				return view{}, usageError{errors.New("standard input is not a terminal: pipe the password in with --password-stdin")}
			}
			password, err := p.secret("Password: ")
			if err != nil {
				return view{}, answerError("the password", "--password-stdin", err)
			}
			if password == "" {
				return view{}, usageError{errors.New("the password is empty")}
			}
			s, err := login(ctx, c, p, apiv1.Login{Email: email, Password: password, Organization: org}, totpCode)
			if err != nil {
				return view{}, err
			}
			file, err := keepSession(ctx, api.sessions, c.server, s)
			if err != nil {
				return view{}, err
			}
			return show(loginResult{Server: c.server, SessionFile: file, Session: s.Session, User: s.User}, printLoggedIn), nil
		},
	})
	return cmd
}

// login opens a session. Without a code (totpCode) for an account with
// MFA on, it asks for one.
func login(ctx context.Context, c conn, p *prompter, in apiv1.Login, totpCode string) (apiv1.NewSession, error) {
	setCode(&in, totpCode)
	s, err := c.Login(ctx, in)
	if keywarden.MFARequired(err) && totpCode == "" {
		code, perr := p.plain("Authentication code (or a recovery code): ")
		if errors.Is(perr, errNoAnswer) {
			return s, usageError{errors.New("MFA is on for this account: give the code from your authenticator app with --totp CODE")}
		}
		if perr != nil {
			return s, perr
		}
		setCode(&in, code)
		s, err = c.Login(ctx, in)
	}
	if keywarden.MFARequired(err) {
		return s, errors.New("the authentication code is wrong or has expired: try again with the current code from your authenticator app, or a recovery code")
	}
	return s, err
}

// keepSession stores a new session. When it cannot be kept, the session
// is ended, so that no token lingers that nobody holds.
func keepSession(ctx context.Context, sessions sessionStore, server string, s apiv1.NewSession) (string, error) {
	file, err := sessions.save(storedSession{Server: server, Token: s.Token, SessionID: s.Session.ID,
		UserID: s.User.ID, Email: s.User.Email, Role: s.User.Role, ExpiresAt: s.Session.ExpiresAt})
	if err != nil {
		if lerr := newSDK(server, s.Token).Logout(ctx); lerr != nil {
			return "", fmt.Errorf("%w (and ending the session failed: %v)", err, lerr)
		}
		return "", err
	}
	return file, nil
}

func printLoggedIn(w io.Writer, res loginResult) error {
	if _, err := fmt.Fprintf(w, "Logged in to %s as %s (%s).\nThe session lasts until %s; it is stored in %s.\n",
		cell(res.Server), cell(res.User.Email), cell(res.User.Role), formatTime(res.Session.ExpiresAt), res.SessionFile); err != nil {
		return err
	}
	if res.User.MustChangePassword {
		_, err := io.WriteString(w, "\nYour password is a one-time password: change it now with\n  keywarden password change\nNothing else works until you do.\n")
		return err
	}
	return nil
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
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the stored login session and delete it",
		Args:  noArgs,
	}
	// Not api.run: logout works on the stored session alone, even one the
	// other commands refuse.
	cmd.RunE = addOutput(cmd, stdout).run(func(cmd *cobra.Command, args []string) (view, error) {
		ss, _, err := api.sessions.load()
		var unsafe unsafeSessionError
		if err != nil && !errors.As(err, &unsafe) { // an exposed session is ended all the more
			return view{}, err
		}
		server, given := api.explicit("server", envServer, api.server)
		if ss == nil || (given && !sameServer(ss.Server, server)) {
			if !given {
				server = ""
			}
			return view{json: logoutResult{Server: server}, table: message("Not logged in: there is no stored session%s.\n", onServer(server))}, nil
		}
		res := logoutResult{Server: ss.Server, SessionID: ss.SessionID, LoggedOut: true}
		err = newSDK(ss.Server, ss.Token).Logout(cmd.Context())
		switch {
		case keywarden.HasStatus(err, http.StatusUnauthorized):
			res.AlreadyEnded = true // expired or ended elsewhere
		case err != nil:
			return view{}, fmt.Errorf("end the session (the stored session is kept; run keywarden logout again): %w", err)
		}
		if err := api.sessions.remove(); err != nil {
			return view{}, err
		}
		msg := "Logged out of %s: the session ended and the stored session is deleted.\n"
		if res.AlreadyEnded {
			msg = "Logged out of %s: the session had already ended; the stored session is deleted.\n"
		}
		return view{json: res, table: message(msg, cell(ss.Server))}, nil
	})
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
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the current credentials act as: user, role, organization and MFA",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		me, err := c.GetMe(ctx)
		return view{json: me, table: func(w io.Writer) error { return printWhoami(w, me, c.connection) }}, err
	}})
	return cmd
}

func printWhoami(w io.Writer, me apiv1.Me, c connection) error {
	via := c.source
	if c.session != nil {
		via += " (until " + formatTime(c.session.ExpiresAt) + ")"
	}
	fields := []field{
		{"User ID", me.ID},
		{"Email", me.Email},
		{"Role", me.Role},
		{"Status", me.Status},
		{"MFA", onOff(me.MFAEnabled)},
		{"Organization", me.Organization + " (" + me.OrganizationID + ")"},
		{"Server", c.server},
		{"Credentials", via},
	}
	if me.Restricted != "" {
		fields = append(fields, field{"Restricted", me.Restricted})
	}
	return writeFields(w, fields)
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
	var passwordStdin bool
	var p *prompter
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
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error {
			p = newPrompter(stdin, stderr)
			if !passwordStdin && !p.tty {
				return usageError{errors.New("standard input is not a terminal: pipe the current and the new password in, one per line, with --password-stdin")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			in, err := readPasswords(p)
			if err != nil {
				return view{}, err
			}
			return view{
				json: struct {
					Changed bool `json:"changed"`
				}{true},
				table: message("Password changed. Your other login sessions have ended.\n"),
			}, c.ChangePassword(ctx, in)
		},
	})
	return cmd
}

// readPasswords reads the current and the new password (twice on a
// terminal).
func readPasswords(p *prompter) (apiv1.ChangePassword, error) {
	current, err := p.secret("Current password: ")
	if err != nil {
		return apiv1.ChangePassword{}, answerError("the current password", "--password-stdin", err)
	}
	next, err := p.secret("New password: ")
	if errors.Is(err, errNoAnswer) {
		return apiv1.ChangePassword{}, usageError{errors.New("the new password: standard input has one line; --password-stdin reads the current password, then the new one")}
	}
	if err != nil {
		return apiv1.ChangePassword{}, err
	}
	if p.tty {
		again, err := p.secret("New password again: ")
		if err != nil {
			return apiv1.ChangePassword{}, err
		}
		if again != next {
			return apiv1.ChangePassword{}, usageError{errors.New("the new passwords differ; nothing changed")}
		}
	}
	return apiv1.ChangePassword{CurrentPassword: current, NewPassword: next}, nil
}

func newSessionsCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("sessions", "List and end your login sessions",
		newSessionsListCmd(api, stdout),
		newSessionsEndCmd(api, stdout),
	)
}

func newSessionsListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your open login sessions",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		items, err := every(c.Sessions(ctx, keywarden.ListOptions{Limit: 200}))
		list := apiv1.SessionList{Items: items}
		return show(list, printSessionList), err
	}})
	return cmd
}

func printSessionList(w io.Writer, list apiv1.SessionList) error {
	t := newTable(w, "SESSION ID", "CREATED", "EXPIRES", "SOURCE", "USER AGENT", "CURRENT")
	for _, s := range list.Items {
		current := ""
		if s.Current {
			current = "yes"
		}
		t.row(s.ID, formatTime(s.CreatedAt), formatTime(s.ExpiresAt), s.Source, s.UserAgent, current)
	}
	return t.flush()
}

func newSessionsEndCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "end SESSION_ID",
		Short: "End one of your login sessions (keywarden logout ends the stored one)",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		return view{
			json: struct {
				SessionID string `json:"session_id"`
				Ended     bool   `json:"ended"`
			}{args[0], true},
			table: message("Ended session %s.\n", cell(args[0])),
		}, c.EndSession(ctx, args[0])
	}})
	return cmd
}
