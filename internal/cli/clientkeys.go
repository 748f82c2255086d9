package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

// maxJWKFile bounds what --jwk reads; the server refuses JWKs over 8 KiB.
const maxJWKFile = 16 << 10

func newClientKeysCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	return newGroupCmd("client-keys", "Register, list, edit and revoke clients' public keys for private_key_jwt (through the API)",
		newClientKeysCreateCmd(api, stdin, stdout),
		newClientKeysListCmd(api, stdout),
		newClientKeysShowCmd(api, stdout),
		newClientKeysUpdateCmd(api, stdout),
		newClientKeysRevokeCmd(api, stdout),
	)
}

// readJWK reads one JWK from path ("-": standard input).
func readJWK(path string, stdin io.Reader) (json.RawMessage, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageError{fmt.Errorf("--jwk: %w", err)}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxJWKFile+1))
	if err != nil {
		return nil, fmt.Errorf("read the JWK: %w", err)
	}
	if len(b) > maxJWKFile {
		return nil, usageError{fmt.Errorf("--jwk: the JWK is longer than %d bytes", maxJWKFile)}
	}
	if !json.Valid(b) {
		return nil, usageError{errors.New("--jwk: not JSON; give the public key as a JWK, e.g. {\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":…,\"y\":…,\"kid\":…}")}
	}
	return b, nil
}

func newClientKeysCreateCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var jwkPath string
	var exp expiryFlags
	var in apiv1.CreateClientKey
	cmd := &cobra.Command{
		Use:   "create CLIENT_ID (--jwk FILE | --jwks-uri URL)",
		Short: "Register a public key (JWK) a client signs private_key_jwt assertions with",
		Long: `Register a public key a client signs private_key_jwt client assertions with.

--jwk names a file holding one JWK (or - for standard input): EC P-256
(ES256) or P-384 (ES384), Ed25519 (EdDSA), or RSA of at least 2048 bits
(RS256; "alg":"PS256" for PS256). Only the public key: a JWK with private
members ("d", …) or a symmetric key is refused. Its "kid" names it in
assertion headers and is unique per client.

--jwks-uri instead registers the https URL of the client's JWK Set: the server
fetches it (through its webhook SSRF rules), caches it, and fetches it again
when an assertion names a kid it lacks, at most every 30 seconds.

  keywarden client-keys create kwc_… --jwk ci-public.jwk --description "CI"
  keywarden client-keys create kwc_… --jwks-uri https://app.example.com/jwks.json`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&jwkPath, "jwk", "", "file holding the public JWK, or - for standard input")
	cmd.Flags().StringVar(&in.JWKSURI, "jwks-uri", "", "the https URL of the client's JWK Set, instead of --jwk")
	cmd.Flags().StringVar(&in.Description, "description", "", "what the key is for")
	exp.add(cmd.Flags(), "expiry (default: the longest the organization's policy allows)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			switch {
			case jwkPath == "" && in.JWKSURI == "":
				return usageError{errors.New("--jwk is required: the file holding the client's public key as a JWK (- for standard input), or --jwks-uri")}
			case jwkPath != "" && in.JWKSURI != "":
				return usageError{errors.New("--jwk and --jwks-uri: give one")}
			}
			var err error
			in.ExpiresAt, err = exp.parse()
			in.NeverExpires = exp.never
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if jwkPath != "" {
				jwk, err := readJWK(jwkPath, stdin)
				if err != nil {
					return view{}, err
				}
				in.JWK = jwk
			}
			k, err := c.CreateClientKey(ctx, args[0], in)
			return show(k, printClientKey), err
		},
	})
	return cmd
}

func newClientKeysListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list CLIENT_ID",
		Short: "List a client's public keys: kid, algorithm, status, expiry and last use",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		list, err := c.ListClientKeys(ctx, args[0])
		return view{json: list, table: func(w io.Writer) error { return printClientKeyTable(w, list.Items) }}, err
	}})
	return cmd
}

func newClientKeysShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show CLIENT_ID KEY_ID",
		Short: "Show one public key of a client",
		Args:  exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		k, err := c.GetClientKey(ctx, args[0], args[1])
		return show(k, printClientKey), err
	}})
	return cmd
}

func newClientKeysUpdateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var description string
	var exp expiryFlags
	var in apiv1.UpdateClientKey
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID KEY_ID",
		Short: "Change a key's description or expiry (within the organization's policy)",
		Args:  exactArgs(2),
	}
	cmd.Flags().StringVar(&description, "description", "", "new description")
	exp.add(cmd.Flags(), "new expiry")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			expires, err := exp.parse()
			if err != nil {
				return err
			}
			in = apiv1.UpdateClientKey{ExpiresAt: expires, NeverExpires: exp.never}
			setIfChanged(cmd.Flags(), "description", &in.Description, description)
			if in == (apiv1.UpdateClientKey{}) {
				return usageError{errors.New("nothing to change: give at least one of --description, --expires, --never-expires")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			k, err := c.UpdateClientKey(ctx, args[0], args[1], in)
			return show(k, printClientKey), err
		},
	})
	return cmd
}

func newClientKeysRevokeCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "revoke CLIENT_ID KEY_ID",
		Aliases: []string{"delete"},
		Short:   "Revoke a key now; assertions signed with it and the access tokens it authenticated for stop working",
		Args:    exactArgs(2),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		k, err := c.RevokeClientKey(ctx, args[0], args[1])
		return show(k, func(w io.Writer, k apiv1.ClientKey) error {
			_, err := fmt.Fprintf(w, "Revoked key %s (kid %s) of client %s. Its access tokens stopped working too.\n", cell(k.ID), cell(k.KID), cell(k.ClientID))
			return err
		}), err
	}})
	return cmd
}

func printClientKeyTable(w io.Writer, keys []apiv1.ClientKey) error {
	t := newTable(w, "KEY ID", "KID", "ALG", "DESCRIPTION", "STATUS", "CREATED", "EXPIRES", "LAST USED")
	for _, k := range keys {
		t.row(k.ID, k.KID, k.Alg, k.Description, k.Status, formatTime(k.CreatedAt), formatOptTime(k.ExpiresAt, "never"), formatOptTime(k.LastUsedAt, "-"))
	}
	return t.flush()
}

func printClientKey(w io.Writer, k apiv1.ClientKey) error {
	lastUsed := formatOptTime(k.LastUsedAt, "never")
	if k.LastUsedAt != nil && k.LastUsedFrom != "" {
		lastUsed += " from " + k.LastUsedFrom
	}
	return writeFields(w, []field{
		{"Key ID", k.ID},
		{"Client ID", k.ClientID},
		{"Kid", k.KID},
		{"Algorithm", k.Alg},
		{"Thumbprint", k.Thumbprint},
		{"JWK Set URL", k.JWKSURI},
		{"Description", k.Description},
		{"Status", k.Status},
		{"Created", formatTime(k.CreatedAt) + " by " + k.CreatedBy},
		{"Expires", formatOptTime(k.ExpiresAt, "never")},
		{"Revoked", formatOptTime(k.RevokedAt, "-")},
		{"Last used", lastUsed},
	})
}
