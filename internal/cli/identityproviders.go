package cli

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newIdentityProvidersCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newGroupCmd("identity-providers", "List, add, show, change and remove the organization's OpenID Connect providers (console single sign-on)",
		newIdentityProvidersListCmd(api, stdout),
		newIdentityProvidersCreateCmd(api, stdin, stdout, stderr),
		newIdentityProvidersShowCmd(api, stdout),
		newIdentityProvidersUpdateCmd(api, stdin, stdout, stderr),
		newIdentityProvidersDeleteCmd(api, stdout),
	)
}

func newIdentityProvidersListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's identity providers (admins)",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			list, err := c.ListIdentityProviders(ctx)
			return show(list, printIdentityProviderList), err
		},
	})
	return cmd
}

func printIdentityProviderList(w io.Writer, list apiv1.IdentityProviderList) error {
	t := newTable(w, "PROVIDER ID", "NAME", "ISSUER", "CLIENT ID", "DEFAULT ROLE", "STATUS")
	for _, p := range list.Items {
		t.row(p.ID, p.Name, p.Issuer, p.ClientID, orNone(p.DefaultRole), providerStatus(p))
	}
	return t.flush()
}

func providerStatus(p apiv1.IdentityProvider) string {
	if p.Disabled {
		return "off"
	}
	return "on"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func printIdentityProvider(w io.Writer, p apiv1.IdentityProvider) error {
	secret := "none"
	if p.HasClientSecret {
		secret = "set (never shown)"
	}
	var groups []string
	for g, r := range p.GroupRoles {
		groups = append(groups, g+"="+r)
	}
	sort.Strings(groups)
	return writeFields(w, []field{
		{"Provider ID", p.ID},
		{"Name", p.Name},
		{"Issuer", p.Issuer},
		{"Client ID", p.ClientID},
		{"Client secret", secret},
		{"Scopes", "openid " + strings.Join(p.Scopes, " ")},
		{"Email claim", p.EmailClaim},
		{"Allowed domains", orNone(strings.Join(p.AllowedDomains, ", "))},
		{"Default role", orNone(p.DefaultRole)},
		{"Groups claim", orNone(p.GroupsClaim)},
		{"Group roles", orNone(strings.Join(groups, ", "))},
		{"Status", providerStatus(p)},
		{"Redirect URI", p.RedirectURI + " (register it at the provider)"},
		{"Created", formatTime(p.CreatedAt)},
		{"Updated", formatTime(p.UpdatedAt)},
	})
}

// providerFlags are the flags create and update share.
type providerFlags struct {
	name, issuer, clientID, emailClaim, defaultRole, groupsClaim string
	scopes, domains, groupRoles                                  []string
	secretStdin, disabled                                        bool
}

func (f *providerFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.issuer, "issuer", "", "the provider's issuer URL (its discovery document is at ISSUER/.well-known/openid-configuration)")
	fs.StringVar(&f.clientID, "client-id", "", "the client ID the provider gave Keywarden")
	fs.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from the terminal (no echo) or the first line of standard input")
	fs.StringSliceVar(&f.scopes, "scope", nil, "a scope to ask for besides openid (repeat, or comma-separate)")
	fs.StringVar(&f.emailClaim, "email-claim", "", "the claim that carries the email (default email)")
	fs.StringSliceVar(&f.domains, "allowed-domain", nil, "an email domain that may sign in (repeat; none: any)")
	fs.StringVar(&f.defaultRole, "default-role", "", "the role of users provisioned at their first sign-in (super_admin, admin, developer, member; empty: none)")
	fs.StringVar(&f.groupsClaim, "groups-claim", "", "the claim that lists the user's groups")
	fs.StringSliceVar(&f.groupRoles, "group-role", nil, "GROUP=ROLE: users in GROUP are provisioned with ROLE (repeat)")
	fs.BoolVar(&f.disabled, "disabled", false, "turn the provider off (no sign-in button, sign-ins refused)")
}

func (f *providerFlags) groupMap() (map[string]string, error) {
	m := map[string]string{}
	for _, gr := range f.groupRoles {
		g, r, ok := strings.Cut(gr, "=")
		if !ok || g == "" || r == "" {
			return nil, usageError{errors.New("--group-role takes GROUP=ROLE, e.g. keywarden-admins=admin")}
		}
		m[g] = r
	}
	return m, nil
}

func (f *providerFlags) secret(stdin io.Reader, stderr io.Writer) (string, error) {
	s, err := newPrompter(stdin, stderr).secret("Client secret: ")
	if err != nil {
		return "", answerError("the client secret", "--client-secret-stdin", err)
	}
	return strings.TrimSpace(s), nil
}

func newIdentityProvidersCreateCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var f providerFlags
	cmd := &cobra.Command{
		Use:   "create NAME --issuer URL --client-id ID [--client-secret-stdin] [flags]",
		Short: "Add an OpenID Connect provider the organization signs in through (super admins)",
		Long: `Add an OpenID Connect provider: the console's sign-in page of the organization
(/ui/login?org=ORG_ID) shows "Sign in with NAME". Register the redirect URI this
prints at the provider. A person is linked to the user with their verified email,
or provisioned at their first sign-in with the role a --group-role maps one of
their groups to, else --default-role (none: not provisioned). The client secret is
asked for on the terminal without echo (or read from standard input) with
--client-secret-stdin, never from a flag; it is stored sealed and never shown.`,
		Args: exactArgs(1),
	}
	f.register(cmd)
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			groups, err := f.groupMap()
			if err != nil {
				return view{}, err
			}
			in := apiv1.CreateIdentityProvider{Name: args[0], Issuer: f.issuer, ClientID: f.clientID, Scopes: f.scopes,
				EmailClaim: f.emailClaim, AllowedDomains: f.domains, DefaultRole: f.defaultRole, GroupsClaim: f.groupsClaim,
				GroupRoles: groups, Disabled: f.disabled}
			if f.secretStdin {
				if in.ClientSecret, err = f.secret(stdin, stderr); err != nil {
					return view{}, err
				}
			}
			p, err := c.CreateIdentityProvider(ctx, in)
			return show(p, printIdentityProvider), err
		},
	})
	return cmd
}

func newIdentityProvidersShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show PROVIDER_ID",
		Short: "Show an identity provider and the redirect URI to register at it (admins)",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			p, err := c.GetIdentityProvider(ctx, args[0])
			return show(p, printIdentityProvider), err
		},
	})
	return cmd
}

func newIdentityProvidersUpdateCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var f providerFlags
	var enable bool
	cmd := &cobra.Command{
		Use:   "update PROVIDER_ID [flags]",
		Short: "Change an identity provider: only the flags given (super admins)",
		Args:  exactArgs(1),
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.name, "name", "", "the name on the sign-in button")
	cmd.Flags().BoolVar(&enable, "enabled", false, "turn the provider back on")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			var in apiv1.UpdateIdentityProvider
			fl := cmd.Flags()
			str := func(name string, v string) *string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			list := func(name string, v []string) *[]string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			in.Name, in.Issuer, in.ClientID = str("name", f.name), str("issuer", f.issuer), str("client-id", f.clientID)
			in.EmailClaim, in.DefaultRole, in.GroupsClaim = str("email-claim", f.emailClaim), str("default-role", f.defaultRole), str("groups-claim", f.groupsClaim)
			in.Scopes, in.AllowedDomains = list("scope", f.scopes), list("allowed-domain", f.domains)
			if fl.Changed("group-role") {
				groups, err := f.groupMap()
				if err != nil {
					return view{}, err
				}
				in.GroupRoles = &groups
			}
			switch {
			case fl.Changed("disabled") && fl.Changed("enabled"):
				return view{}, usageError{errors.New("give --disabled or --enabled, not both")}
			case fl.Changed("disabled"):
				in.Disabled = &f.disabled
			case fl.Changed("enabled"):
				off := !enable
				in.Disabled = &off
			}
			if f.secretStdin {
				s, err := f.secret(stdin, stderr)
				if err != nil {
					return view{}, err
				}
				in.ClientSecret = &s
			}
			p, err := c.UpdateIdentityProvider(ctx, args[0], in)
			return show(p, printIdentityProvider), err
		},
	})
	return cmd
}

func newIdentityProvidersDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete PROVIDER_ID",
		Short: "Remove an identity provider; its users stay (super admins)",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			err := c.DeleteIdentityProvider(ctx, args[0])
			return view{
				json: struct {
					ID      string `json:"id"`
					Deleted bool   `json:"deleted"`
				}{args[0], true},
				table: message("Deleted identity provider %s. Nobody signs in through it any more; its users stay.\n", cell(args[0])),
			}, err
		},
	})
	return cmd
}
