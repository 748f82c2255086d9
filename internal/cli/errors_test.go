package cli

import (
	"testing"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	// No server runs: each of these fails before any request. A token is
	// given so that its absence is not the error.
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"clients show without an argument", []string{"clients", "show"}, "want 1 argument"},
		{"clients create with two names", []string{"clients", "create", "a", "b"}, "want 1 argument"},
		{"secrets show with one argument", []string{"secrets", "show", "kwc_x"}, "want 2 argument"},
		{"secrets list without an argument", []string{"secrets", "list"}, "want 1 argument"},
		{"bad --output", []string{"clients", "list", "-o", "yaml"}, `--output "yaml"`},
		{"bad --output on audit verify", []string{"audit", "verify", "-o", "xml"}, `--output "xml"`},
		{"unknown flag", []string{"clients", "list", "--bogus"}, "unknown flag"},
		{"unknown subcommand", []string{"clients", "bogus"}, `unknown command "bogus"`},
		{"bad --limit", []string{"clients", "list", "--limit", "many"}, "invalid argument"},
		{"negative --limit", []string{"clients", "list", "--limit", "-1"}, "--limit"},
		{"secrets create without --description", []string{"secrets", "create", "kwc_x"}, "--description is required"},
		{"bad --expires", []string{"secrets", "create", "kwc_x", "--description", "d", "--expires", "31/12/2026"}, `--expires "31/12/2026"`},
		{"--expires and --never-expires", []string{"secrets", "create", "kwc_x", "--description", "d", "--expires", "2026-12-31", "--never-expires"}, "at most one"},
		{"bad --expires on update", []string{"secrets", "update", "kwc_x", "sec_x", "--expires", "tomorrow"}, `--expires "tomorrow"`},
		{"secrets update with nothing to change", []string{"secrets", "update", "kwc_x", "sec_x"}, "nothing to change"},
		{"bad --grace", []string{"secrets", "rotate", "kwc_x", "--grace", "soon"}, `--grace "soon"`},
		{"negative --grace", []string{"secrets", "rotate", "kwc_x", "--grace", "-5s"}, "negative"},
		{"fractional --grace", []string{"secrets", "rotate", "kwc_x", "--grace", "1.5s"}, "whole seconds"},
		{"bad --expires on rotate", []string{"secrets", "rotate", "kwc_x", "--expires", "2026-13-01"}, "--expires"},
		{"clients update with nothing to change", []string{"clients", "update", "kwc_x"}, "nothing to change"},
		{"--disable and --enable", []string{"clients", "update", "kwc_x", "--disable", "--enable"}, "at most one"},
		{"bad --since", []string{"audit", "list", "--since", "yesterday"}, `--since "yesterday"`},
		{"bad --server", []string{"clients", "list", "--server", "ftp://example.com"}, "--server"},
		{"audit verify with an argument", []string{"audit", "verify", "now"}, "unexpected argument"},
		{"--allow-cidr and --clear-cidrs", []string{"secrets", "update", "kwc_x", "sec_x", "--allow-cidr", "10.0.0.0/8", "--clear-cidrs"}, "at most one"},
		{"empty --allow-cidr on update", []string{"secrets", "update", "kwc_x", "sec_x", "--allow-cidr", ""}, "--clear-cidrs removes"},
		{"empty --allow-cidr on create", []string{"secrets", "create", "kwc_x", "--description", "d", "--allow-cidr", ""}, "--allow-cidr"},
		{"--clear-cidrs on create", []string{"secrets", "create", "kwc_x", "--description", "d", "--clear-cidrs"}, "unknown flag"},
		{"bad --quiet", []string{"secrets", "rotate", "kwc_x", "--quiet", "a while"}, `--quiet "a while"`},
		{"negative --quiet", []string{"secrets", "rotate", "kwc_x", "--quiet", "-1h"}, "negative"},
		{"rotations show with one argument", []string{"rotations", "show", "kwc_x"}, "want 2 argument"},
		{"rotations complete without arguments", []string{"rotations", "complete"}, "want 2 argument"},
		{"bad --output on rotations list", []string{"rotations", "list", "kwc_x", "-o", "yaml"}, `--output "yaml"`},
		{"refresh-tokens create without a client", []string{"refresh-tokens", "create"}, "want 1 argument"},
		{"unknown refresh-tokens subcommand", []string{"refresh-tokens", "revoke", "kwc_x"}, `unknown command "revoke"`},
		{"keys list with an argument", []string{"keys", "list", "all"}, "unexpected argument"},
		{"bad --delay", []string{"keys", "rotate", "--delay", "later"}, `--delay "later"`},
		{"fractional --delay", []string{"keys", "rotate", "--delay", "1500ms"}, "whole seconds"},
		{"bad --output on keys rotate", []string{"keys", "rotate", "-o", "text"}, `--output "text"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, append(tc.args, "--token", "kwt_unused")...).fails(t, exitUsage, tc.want)
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "errors")
	const unknownClient = "kwc_0000000000000000000000"
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"unknown client", []string{"clients", "show", unknownClient}, []string{"Not Found", "no such object"}},
		{"malformed client ID", []string{"clients", "show", "../policy"}, []string{"Not Found"}},
		{"secrets of an unknown client", []string{"secrets", "list", unknownClient}, []string{"Not Found"}},
		{"delete an unknown client", []string{"clients", "delete", unknownClient}, []string{"Not Found"}},
		{"revoke an unknown secret", []string{"secrets", "delete", c.ClientID, "sec_0000000000000000000000"}, []string{"Not Found"}},
		{"expiry beyond the policy", []string{"secrets", "create", c.ClientID, "--description", "d", "--expires", "2099-12-31"},
			[]string{"Unprocessable Entity", "expires_at", "beyond the organisation's policy"}},
		{"never expires against the policy", []string{"secrets", "create", c.ClientID, "--description", "d", "--never-expires"},
			[]string{"Unprocessable Entity", "requires an expiry"}},
		{"expiry in the past", []string{"secrets", "create", c.ClientID, "--description", "d", "--expires", "2020-01-01"},
			[]string{"Unprocessable Entity", "must be in the future"}},
		{"invalid scope", []string{"clients", "create", "x", "--scope", `a\b`}, []string{"Unprocessable Entity", "scopes"}},
		{"invalid CIDR", []string{"secrets", "create", c.ClientID, "--description", "d", "--allow-cidr", "10.0.0.0/33"},
			[]string{"Unprocessable Entity", "allowed_cidrs", "not an IP network"}},
		{"quiet period too long", []string{"secrets", "rotate", c.ClientID, "--quiet", "31d"}, []string{"Unprocessable Entity", "quiet_seconds"}},
		{"unknown rotation", []string{"rotations", "show", c.ClientID, "rot_0000000000000000000000"}, []string{"Not Found"}},
		{"complete an unknown rotation", []string{"rotations", "complete", c.ClientID, "rot_0000000000000000000000", "--force"}, []string{"Not Found"}},
		{"rotations of an unknown client", []string{"rotations", "list", unknownClient}, []string{"Not Found"}},
		{"refresh token for an unknown client", []string{"refresh-tokens", "create", unknownClient}, []string{"Not Found"}},
		{"refresh tokens of an unknown client", []string{"refresh-tokens", "list", unknownClient}, []string{"Not Found"}},
		{"key delay too long", []string{"keys", "rotate", "--delay", "8d"}, []string{"Unprocessable Entity", "delay_seconds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := srv.run(t, tc.args...)
			r.fails(t, exitFailure, tc.want...)
			wantNotIn(t, "stderr", r.stderr, srv.token)
		})
	}

	t.Run("unreachable server", func(t *testing.T) {
		t.Parallel()
		r := run(t, "clients", "list", "--server", "http://127.0.0.1:1", "--token", srv.token)
		r.fails(t, exitFailure, "127.0.0.1:1")
		wantNotIn(t, "stderr", r.stderr, srv.token)
	})
}

func TestNeverExpiresOnceThePolicyAllowsIt(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "forever")
	allow := true
	p, err := keywarden.New(srv.url, srv.token, nil).UpdatePolicy(t.Context(), apiv1.UpdatePolicy{AllowNeverExpire: &allow})
	if err != nil || !p.AllowNeverExpire {
		t.Fatalf("UpdatePolicy = %+v, %v", p, err)
	}
	out := srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "forever", "--never-expires")
	wantIn(t, "create --never-expires", out, "never")
}
