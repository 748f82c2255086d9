package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// maxStdinValue bounds what --value-stdin reads; the server's own limit is
// lower, so anything longer is a mistake (a file piped in by accident).
const maxStdinValue = 4 << 10

func newSecretsCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	return newGroupCmd("secrets", "Add, list, edit, rotate and revoke client secrets (through the API)",
		newSecretsCreateCmd(api, stdin, stdout),
		newSecretsListCmd(api, stdout),
		newSecretsShowCmd(api, stdout),
		newSecretsUpdateCmd(api, stdout),
		newSecretsDeleteCmd(api, stdout),
		newSecretsRotateCmd(api, stdout),
		newRevokeAllCmd(api, stdout),
	)
}

// expiryFlags are --expires and --never-expires.
type expiryFlags struct {
	expires string
	never   bool
}

func (e *expiryFlags) add(fs *pflag.FlagSet, what string) {
	fs.StringVar(&e.expires, "expires", "", what+": a date, 2026-12-31 (the end of that day, UTC), or an RFC 3339 time")
	fs.BoolVar(&e.never, "never-expires", false, "the secret never expires (if the organization's policy allows it)")
}

// parse returns the expiry to send, or a usage error.
func (e *expiryFlags) parse() (*time.Time, error) {
	if e.expires == "" {
		return nil, nil
	}
	if e.never {
		return nil, usageError{errors.New("--expires and --never-expires: give at most one")}
	}
	return parseExpires(e.expires)
}

// parseBoth returns the expiry to send and --never-expires.
func (e *expiryFlags) parseBoth() (*time.Time, bool, error) {
	t, err := e.parse()
	return t, e.never, err
}

// parseExpires reads a date, meaning the last second of that day in UTC,
// or an RFC 3339 time.
func parseExpires(s string) (*time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		t := d.Add(24*time.Hour - time.Second)
		return &t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t, nil
	}
	return nil, usageError{fmt.Errorf("--expires %q: want a date such as 2026-12-31 (the end of that day, UTC) or an RFC 3339 time such as 2026-12-31T12:00:00Z", s)}
}

// parseSeconds reads the value of a duration flag (--grace, --quiet,
// --delay): a Go duration (24h, 90m, 3600s), a number of days (7d) or a
// number of seconds (3600). The API takes whole seconds.
func parseSeconds(flag, s string) (int, error) {
	bad := usageError{fmt.Errorf("--%s %q: want a duration such as 24h, 3600s or 7d", flag, s)}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100_000 {
			return 0, bad
		}
		d = time.Duration(days) * 24 * time.Hour
	} else if secs, err := strconv.Atoi(s); err == nil {
		if secs < 0 {
			return 0, bad
		}
		return secs, nil
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, bad
	}
	if d < 0 {
		return 0, usageError{fmt.Errorf("--%s %q: must not be negative", flag, s)}
	}
	if d%time.Second != 0 {
		return 0, usageError{fmt.Errorf("--%s %q: must be whole seconds", flag, s)}
	}
	return int(d / time.Second), nil
}

// formatSeconds shows a number of seconds as a short duration: 1h, 90m,
// 1h30m, 45s.
func formatSeconds(n int) string {
	s := (time.Duration(n) * time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// cidrFlags are --allow-cidr (and, on update, --clear-cidrs).
type cidrFlags struct {
	cidrs []string
	clear bool
}

func (c *cidrFlags) add(fs *pflag.FlagSet, update bool) {
	usage := "only authenticate from this network, e.g. 10.0.0.0/8 or 2001:db8::/32 (repeat, or separate with commas; default: from anywhere)"
	if update {
		usage = "only authenticate from this network, e.g. 10.0.0.0/8 (repeat, or separate with commas); replaces the current list"
		fs.BoolVar(&c.clear, "clear-cidrs", false, "remove the network restriction: the secret authenticates from anywhere")
	}
	fs.StringSliceVar(&c.cidrs, "allow-cidr", nil, usage)
}

// parse returns the networks to send: nil when neither flag was given.
func (c *cidrFlags) parse(fs *pflag.FlagSet) (*[]string, error) {
	set := fs.Changed("allow-cidr")
	switch {
	case set && c.clear:
		return nil, usageError{errors.New("--allow-cidr and --clear-cidrs: give at most one")}
	case c.clear:
		return &[]string{}, nil
	case !set:
		return nil, nil
	}
	// --allow-cidr "" sets an empty list: on update that would lift the
	// restriction silently, so it takes --clear-cidrs to say so.
	empty := len(c.cidrs) == 0
	for _, n := range c.cidrs {
		empty = empty || strings.TrimSpace(n) == ""
	}
	if empty {
		hint := ""
		if fs.Lookup("clear-cidrs") != nil {
			hint = "; --clear-cidrs removes the restriction"
		}
		return nil, usageError{errors.New("--allow-cidr: give a network such as 10.0.0.0/8" + hint)}
	}
	return &c.cidrs, nil
}

// readValue reads a secret value from r: all of it, less the line break
// that echo and most editors add at the end.
func readValue(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStdinValue+1))
	if err != nil {
		return "", fmt.Errorf("read the secret value from standard input: %w", err)
	}
	if len(b) > maxStdinValue {
		return "", usageError{fmt.Errorf("--value-stdin: the value on standard input is longer than %d bytes", maxStdinValue)}
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", usageError{errors.New("--value-stdin: standard input is empty; pipe the value in, or leave out --value-stdin to generate one")}
	}
	return v, nil
}

func newSecretsCreateCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var description string
	var exp expiryFlags
	var nets cidrFlags
	var valueStdin bool
	var in apiv1.CreateSecret
	cmd := &cobra.Command{
		Use:   "create CLIENT_ID --description D",
		Short: "Add a secret to a client and print its value once",
		Long: `Add a secret to a client and print its value once.

Without --value-stdin Keywarden generates the value. With --value-stdin the
value is read from standard input, never from a flag, so that it stays out of
shell history and the process list:

  keywarden secrets create kwc_… --description "migrated" --value-stdin < value.txt

With --allow-cidr the secret only authenticates from those networks; a
request from anywhere else is refused as if the secret were wrong.`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&description, "description", "", "what the secret is for (required)")
	exp.add(cmd.Flags(), "expiry (default: the longest the organization's policy allows)")
	nets.add(cmd.Flags(), false)
	cmd.Flags().BoolVar(&valueStdin, "value-stdin", false, "read the value from standard input instead of generating one")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(description) == "" {
				return usageError{errors.New("--description is required: say what the secret is for")}
			}
			expires, err := exp.parse()
			if err != nil {
				return err
			}
			cidrs, err := nets.parse(cmd.Flags())
			if err != nil {
				return err
			}
			in = apiv1.CreateSecret{Description: description, ExpiresAt: expires, NeverExpires: exp.never}
			if cidrs != nil {
				in.AllowedCIDRs = *cidrs
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if valueStdin {
				v, err := readValue(stdin)
				if err != nil {
					return view{}, err
				}
				in.Value = &v
			}
			s, err := c.CreateSecret(ctx, args[0], in)
			return view{json: s, table: func(w io.Writer) error { return printCreatedSecret(w, s, in.Value != nil) }}, err
		},
	})
	return cmd
}

// printCreatedSecret shows a new secret and its value, once; a value from
// standard input is not echoed: the caller has it already, and printing
// it would only put it in the terminal's scrollback.
func printCreatedSecret(w io.Writer, s apiv1.CreatedSecret, supplied bool) error {
	if err := printSecret(w, s.Secret); err != nil {
		return err
	}
	if supplied {
		_, err := io.WriteString(w, "\nThe value from standard input is stored; Keywarden never shows it.\n")
		return err
	}
	return printValueOnce(w, s.Value)
}

func newSecretsListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list CLIENT_ID",
		Short: "List a client's secrets (masked value, status, expiry, last use, allowed networks) and, in the table, its keys",
		Long: `List a client's secrets: masked value, status, expiry, last use and allowed
networks. The table shows the client's public keys (private_key_jwt) below
them, with the same columns; -o json lists the secrets only (client-keys list
has the keys).`,
		Args: exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		items, err := every(c.Secrets(ctx, args[0], keywarden.ListOptions{Limit: 200}))
		if err != nil {
			return view{}, err
		}
		keys, err := c.ListClientKeys(ctx, args[0])
		list := apiv1.SecretList{Items: items}
		return view{json: list, table: func(w io.Writer) error {
			if err := printSecretTable(w, list.Items); err != nil || len(keys.Items) == 0 {
				return err
			}
			if _, err := io.WriteString(w, "\nKeys (private_key_jwt):\n"); err != nil {
				return err
			}
			return printClientKeyTable(w, keys.Items)
		}}, err
	}})
	return cmd
}

func newSecretsShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show CLIENT_ID SECRET_ID",
		Short: "Show one secret (never its value)",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		s, err := c.GetSecret(ctx, args[0], args[1])
		return show(s, printSecret), err
	}})
	return cmd
}

func newSecretsUpdateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var description string
	var exp expiryFlags
	var nets cidrFlags
	var in apiv1.UpdateSecret
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID SECRET_ID",
		Short: "Change a secret's description, expiry (within the organization's policy) or allowed networks",
		Args:  exactArgs(2),
	}
	cmd.Flags().StringVar(&description, "description", "", "new description")
	exp.add(cmd.Flags(), "new expiry")
	nets.add(cmd.Flags(), true)
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			expires, err := exp.parse()
			if err != nil {
				return err
			}
			cidrs, err := nets.parse(cmd.Flags())
			if err != nil {
				return err
			}
			in = apiv1.UpdateSecret{ExpiresAt: expires, NeverExpires: exp.never, AllowedCIDRs: cidrs}
			setIfChanged(cmd.Flags(), "description", &in.Description, description)
			if in == (apiv1.UpdateSecret{}) {
				return usageError{errors.New("nothing to change: give at least one of --description, --expires, --never-expires, --allow-cidr, --clear-cidrs")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			s, err := c.UpdateSecret(ctx, args[0], args[1], in)
			return show(s, printSecret), err
		},
	})
	return cmd
}

func newSecretsDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var opts keywarden.RevokeOptions
	cmd := &cobra.Command{
		Use:     "delete CLIENT_ID SECRET_ID [--keep-tokens]",
		Aliases: []string{"revoke"},
		Short:   "Revoke a secret now; it never authenticates again",
		Long: `Revoke a secret now: it never authenticates again.

By default the access tokens the secret minted stop working now as well:
introspection reports them inactive. That is the right answer to a leak.

With --keep-tokens they keep working until they run out on their own (at most
one access-token lifetime), so that callers holding one are not cut
off mid-flight. Use it to retire a secret that nothing uses any more, never
after a leak.`,
		Args: exactArgs(2),
	}
	cmd.Flags().BoolVar(&opts.KeepTokens, "keep-tokens", false, "let the secret's access tokens run out on their own instead of stopping them now")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		s, err := c.RevokeSecret(ctx, args[0], args[1], opts)
		return show(s, printRevokedSecret), err
	}})
	return cmd
}

func printRevokedSecret(w io.Writer, s apiv1.Secret) error {
	tokens := "Its access tokens stopped working too."
	if s.KeepTokens {
		tokens = "Its access tokens keep working until they expire."
	}
	_, err := fmt.Fprintf(w, "Revoked secret %s of client %s. %s\n", cell(s.ID), cell(s.ClientID), tokens)
	return err
}

func newSecretsRotateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var grace, quiet, expires string
	var in apiv1.Rotate
	cmd := &cobra.Command{
		Use:   "rotate CLIENT_ID",
		Short: "Add a new secret and optionally let the current ones expire after a grace period",
		Long: `Add a new generated secret to a client and print its value once.

Every rotation is tracked: keywarden rotations show follows it from "started"
(the new secret has not authenticated yet) through "new_secret_in_use" to
"old_secret_idle" (the new secret works and no old one was used for the quiet
period, --quiet, default 1h): then it is safe to revoke the old secrets with
keywarden rotations complete. With --auto-complete Keywarden revokes them by
itself at that point.

When --auto-complete revokes the old secrets, their access tokens stop
working at once, unless --keep-tokens lets them run out on their own.
(rotations complete has a --keep-tokens of its own.)

With --grace, every secret that was active before expires that long from now
(or earlier, if it already would), whatever the rotation's state.`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&in.Description, "description", "", `what the new secret is for (default "Rotated <date>")`)
	cmd.Flags().StringVar(&grace, "grace", "", "let the previous secrets expire after this long: 24h, 3600s or 7d (default: they keep their expiry)")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry of the new secret: a date, 2026-12-31 (the end of that day, UTC), or an RFC 3339 time (default: the policy's maximum)")
	cmd.Flags().BoolVar(&in.AutoComplete, "auto-complete", false, "revoke the previous secrets automatically once they are idle")
	cmd.Flags().StringVar(&quiet, "quiet", "", "how long the previous secrets must go unused, after the new one has authenticated, to count as idle: 1h, 90m or 3600s (default 1h)")
	cmd.Flags().BoolVar(&in.KeepTokens, "keep-tokens", false, "with --auto-complete: when the previous secrets are revoked, let their access tokens run out instead of stopping them")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.GraceSeconds, err = secondsFlag(cmd.Flags(), "grace", grace); err != nil {
				return err
			}
			if in.QuietSeconds, err = secondsFlag(cmd.Flags(), "quiet", quiet); err != nil {
				return err
			}
			if expires != "" {
				in.ExpiresAt, err = parseExpires(expires)
			}
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			rot, err := c.RotateSecrets(ctx, args[0], in)
			return show(rot, printRotated), err
		},
	})
	return cmd
}

// secondsFlag is a duration flag's value in seconds, nil when the flag was
// not given.
func secondsFlag(fs *pflag.FlagSet, flag, value string) (*int, error) {
	if !fs.Changed(flag) {
		return nil, nil
	}
	secs, err := parseSeconds(flag, value)
	if err != nil {
		return nil, err
	}
	return &secs, nil
}

// printRotated is what secrets rotate prints: the new secret, the previous
// ones, the rotation, and the value once.
func printRotated(w io.Writer, rot apiv1.RotateResult) error {
	if err := printSecret(w, rot.Secret); err != nil {
		return err
	}
	if len(rot.Previous) > 0 {
		if _, err := io.WriteString(w, "\nPrevious secrets (they keep working until the rotation completes or they expire):\n"); err != nil {
			return err
		}
		if err := printSecretTable(w, rot.Previous); err != nil {
			return err
		}
	}
	if rot.Rotation.ID != "" {
		if err := printRotationStarted(w, rot.Rotation); err != nil {
			return err
		}
	}
	return printValueOnce(w, rot.Value)
}

// secretStatus is the status with seed 003's "New" marker.
func secretStatus(s apiv1.Secret) string {
	if s.New {
		return s.Status + " (New)"
	}
	return s.Status
}

// formatCIDRs is a secret's allowed networks; "any" when it is not
// restricted.
func formatCIDRs(cidrs []string) string {
	if len(cidrs) == 0 {
		return "any"
	}
	return strings.Join(cidrs, ",")
}

func printSecretTable(w io.Writer, secrets []apiv1.Secret) error {
	t := newTable(w, "SECRET ID", "DESCRIPTION", "MASKED", "STATUS", "CREATED", "EXPIRES", "LAST USED", "ALLOWED CIDRS")
	for _, s := range secrets {
		t.row(s.ID, s.Description, s.Masked, secretStatus(s), formatTime(s.CreatedAt),
			formatOptTime(s.ExpiresAt, "never"), formatOptTime(s.LastUsedAt, "-"), formatCIDRs(s.AllowedCIDRs))
	}
	return t.flush()
}

func printSecret(w io.Writer, s apiv1.Secret) error {
	lastUsed := formatOptTime(s.LastUsedAt, "never")
	if s.LastUsedAt != nil && s.LastUsedFrom != "" {
		lastUsed += " from " + s.LastUsedFrom
	}
	revoked := formatOptTime(s.RevokedAt, "-")
	if s.RevokedAt != nil {
		if s.KeepTokens {
			revoked += " (its access tokens run out on their own)"
		} else {
			revoked += " (its access tokens stopped working)"
		}
	}
	return writeFields(w, []field{
		{"Secret ID", s.ID},
		{"Client ID", s.ClientID},
		{"Description", s.Description},
		{"Masked value", s.Masked},
		{"Status", secretStatus(s)},
		{"Origin", s.Origin},
		{"Created", formatTime(s.CreatedAt) + " by " + s.CreatedBy},
		{"Expires", formatOptTime(s.ExpiresAt, "never")},
		{"Revoked", revoked},
		{"Last used", lastUsed},
		{"Allowed CIDRs", formatCIDRs(s.AllowedCIDRs)},
	})
}

// printValueOnce prints a new secret's value on a line of its own, and
// says that it cannot be shown again.
func printValueOnce(w io.Writer, value string) error {
	return printOnce(w, value, "secret value")
}

// printOnce prints a value the server shows only once (what names it) on a
// line of its own, with the warning.
func printOnce(w io.Writer, value, what string) error {
	_, err := fmt.Fprintf(w, "\n%s\n\nThis is the only time the %s is shown: store it now. It cannot be shown again.\n", value, what)
	return err
}
