package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// session onboards u on srv in an environment of their own and returns the
// flags that act as them: --server and the session's --token.
func session(t *testing.T, srv *testServer, u apiv1.InvitedUser, password string) []string {
	t.Helper()
	e := newEnv(t)
	e.login(t, srv, u.Email, u.OneTimePassword)
	e.mustRunStdin(t, u.OneTimePassword+"\n"+password+"\n", "password", "change", "--password-stdin")
	return []string{"--server", srv.url, "--token", readSession(t, e.sessionFile(t)).Token}
}

// as returns a command line with the flags that act as a user.
func as(flags []string, args ...string) []string { return append(args, flags...) }

func TestUsersInviteListShow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dev := srv.invite(t, "dev@example.com", "developer")
	member := srv.invite(t, "member@example.com", "member")

	out := srv.mustRun(t, "users", "invite", "new@example.com", "--role", "admin")
	wantIn(t, "invite", out, "new@example.com", "admin", "only time the one-time password is shown", "keywarden login --email new@example.com")
	srv.run(t, "users", "invite", "new@example.com", "--role", "admin").fails(t, exitFailure, "Conflict")
	srv.run(t, "users", "invite", "not-an-email", "--role", "member").fails(t, exitFailure, "email")

	wantIn(t, "list", srv.mustRun(t, "users", "list"), "USER ID", "admin@example.com", "super_admin", dev.ID, "member@example.com", "one-time password")
	var list apiv1.UserList
	decodeJSON(t, srv.mustRun(t, "users", "list", "-o", "json"), &list)
	if len(list.Items) != 4 {
		t.Errorf("list -o json has %d users, want 4", len(list.Items))
	}
	var u apiv1.User
	decodeJSON(t, srv.mustRun(t, "users", "show", member.ID, "-o", "json"), &u)
	if u.ID != member.ID || u.Role != "member" || u.Status != "active" {
		t.Errorf("show -o json = %+v", u)
	}
	srv.run(t, "users", "show", "usr_0000000000000000000000").fails(t, exitFailure, "Not Found")
}

func TestUsersSetRoleKeepsALastSuperAdmin(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	member := srv.invite(t, "member@example.com", "member")

	wantIn(t, "set-role", srv.mustRun(t, "users", "set-role", member.ID, "developer"), "developer")
	srv.mustRun(t, "users", "set-role", member.ID, "member")
	var me apiv1.Me
	decodeJSON(t, srv.mustRun(t, "whoami", "-o", "json"), &me)
	srv.run(t, "users", "set-role", me.ID, "admin").fails(t, exitFailure, "last")
	srv.run(t, "users", "delete", me.ID).fails(t, exitFailure, "last")
}

func TestUsersDisableEnableDelete(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	member := srv.invite(t, "member@example.com", "member")
	asMember := session(t, srv, member, "the-member-password")

	wantIn(t, "disable", srv.mustRun(t, "users", "disable", member.ID), "disabled", "Disabled.")
	run(t, as(asMember, "whoami")...).fails(t, exitFailure, "Unauthorized")
	var u apiv1.User
	decodeJSON(t, srv.mustRun(t, "users", "enable", member.ID, "-o", "json"), &u)
	if u.Status != "active" || u.DisabledAt != nil {
		t.Errorf("enable -o json = %+v", u)
	}
	wantIn(t, "delete", srv.mustRun(t, "users", "delete", member.ID), "Deleted user "+member.ID)
	srv.run(t, "users", "show", member.ID).fails(t, exitFailure, "Not Found")
}

// credentialFile creates the flags' user's personal credential into a new
// file and returns the file's content.
func credentialFile(t *testing.T, flags []string) (path, content string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "credential.env")
	stdout := mustRun(t, as(flags, "credentials", "create", "--out", path)...)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "credentials create --out", stdout, path)
	wantNotIn(t, "credentials create --out", stdout, fileSecret(string(b)))
	return path, string(b)
}

// fileSecret is the secret in a credential file.
func fileSecret(content string) string {
	_, after, _ := strings.Cut(content, "KEYWARDEN_CLIENT_SECRET=")
	return strings.TrimSpace(after)
}

func TestCredentialsCreateOut(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	asDev := session(t, srv, srv.invite(t, "dev@example.com", "developer"), "the-developer-password")

	path, content := credentialFile(t, asDev)
	checkMode(t, path, 0o600)
	wantIn(t, "the credential file", content, "KEYWARDEN_SERVER="+srv.url, "KEYWARDEN_CLIENT_ID=kwp_", "KEYWARDEN_CLIENT_SECRET=kws_")
	run(t, as(asDev, "credentials", "rotate", "--out", path)...).fails(t, exitUsage, "never overwrites")
	if after, _ := os.ReadFile(path); string(after) != content {
		t.Error("the existing file changed")
	}
	run(t, as(asDev, "credentials", "create")...).fails(t, exitFailure, "already have an active personal credential")
	// A refused request leaves no file behind.
	second := filepath.Join(t.TempDir(), "second.env")
	run(t, as(asDev, "credentials", "create", "--out", second)...).fails(t, exitFailure)
	wantNoFile(t, second)
}

func TestCredentialsShow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dev := srv.invite(t, "dev@example.com", "developer")
	asDev := session(t, srv, dev, "the-developer-password")
	asMember := session(t, srv, srv.invite(t, "member@example.com", "member"), "the-member-password")
	_, content := credentialFile(t, asDev)

	var pc apiv1.PersonalCredential
	decodeJSON(t, mustRun(t, as(asDev, "credentials", "show", "-o", "json")...), &pc)
	if pc.UserID != dev.ID || pc.Active == nil || !strings.HasPrefix(pc.ClientID, "kwp_") {
		t.Fatalf("show -o json = %+v", pc)
	}
	show := mustRun(t, as(asDev, "credentials", "show")...)
	wantIn(t, "show", show, pc.ClientID, pc.Active.Masked)
	wantNotIn(t, "show", show, fileSecret(content))
	wantIn(t, "show --user as super admin", srv.mustRun(t, "credentials", "show", "--user", dev.ID), pc.ClientID)
	run(t, as(asMember, "credentials", "show")...).fails(t, exitFailure, "keywarden credentials create")
	run(t, as(asMember, "credentials", "show", "--user", dev.ID)...).fails(t, exitFailure, "Forbidden")
}

func TestAuthLoginActsAsTheUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dev := srv.invite(t, "dev@example.com", "developer")
	_, content := credentialFile(t, session(t, srv, dev, "the-developer-password"))
	secret := fileSecret(content)
	e := newEnv(t)

	var tok apiv1.AccessToken
	decodeJSON(t, e.mustRunStdin(t, secret+"\n", "auth", "login", "--email", dev.Email, "--secret-stdin", "--server", srv.url, "-o", "json"), &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 {
		t.Fatalf("auth login -o json = %+v", tok)
	}
	wantIn(t, "whoami with the access token", e.mustRun(t, "whoami", "--server", srv.url, "--token", tok.AccessToken), dev.ID, "developer")
	table := e.mustRunStdin(t, secret+"\n", "auth", "login", "--email", dev.Email, "--secret-stdin", "--server", srv.url)
	if first, _, _ := strings.Cut(table, "\n"); strings.Count(first, ".") != 2 || !strings.Contains(table, "24h") {
		t.Errorf("auth login table output:\n%s", table)
	}
	r := e.runStdin(t, "kws_wrong\n", "auth", "login", "--email", dev.Email, "--secret-stdin", "--server", srv.url)
	r.fails(t, exitFailure, "wrong email or credential secret")
	wantNotIn(t, "stderr", r.stderr, "kws_wrong")
}

func TestCredentialsRotate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	asDev := session(t, srv, srv.invite(t, "dev@example.com", "developer"), "the-developer-password")
	credentialFile(t, asDev)

	wantIn(t, "rotate", mustRun(t, as(asDev, "credentials", "rotate", "--grace", "1h")...), "only time the client secret is shown", "kws_")
	var pc apiv1.PersonalCredential
	decodeJSON(t, mustRun(t, as(asDev, "credentials", "show", "-o", "json")...), &pc)
	if len(pc.Secrets) != 2 || pc.Active == nil || pc.Active.ID == pc.Secrets[0].ID || pc.Secrets[0].ExpiresAt == nil ||
		time.Until(*pc.Secrets[0].ExpiresAt) > time.Hour {
		t.Errorf("after rotate: %+v", pc)
	}
	var created apiv1.CreatedPersonalCredential
	decodeJSON(t, mustRun(t, as(asDev, "credentials", "rotate", "--grace", "0", "-o", "json")...), &created)
	if !strings.HasPrefix(created.Secret, "kws_") || created.ClientID != pc.ClientID {
		t.Errorf("rotate -o json = %+v", created)
	}
	out := filepath.Join(t.TempDir(), "rotated.env")
	var inFile createdCredentialFile
	decodeJSON(t, mustRun(t, as(asDev, "credentials", "rotate", "--out", out, "-o", "json")...), &inFile)
	b, err := os.ReadFile(out)
	if err != nil || inFile.File != out || inFile.ClientID != pc.ClientID || !strings.Contains(string(b), "KEYWARDEN_CLIENT_SECRET=kws_") {
		t.Errorf("rotate --out -o json = %+v (file: %v)", inFile, err)
	}
	checkMode(t, out, 0o600)
}

func TestCredentialsPolicyLimits(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	asMember := session(t, srv, srv.invite(t, "member@example.com", "member"), "the-member-password")

	run(t, as(asMember, "credentials", "create", "--expires", time.Now().AddDate(0, 0, 3).Format(time.DateOnly))...).fails(t, exitFailure, "expires_at", "1 day ")
	run(t, as(asMember, "credentials", "create", "--never-expires")...).fails(t, exitFailure, "requires an expiry")
	var created apiv1.CreatedPersonalCredential
	decodeJSON(t, mustRun(t, as(asMember, "credentials", "create", "-o", "json")...), &created)
	if created.ExpiresAt == nil || time.Until(*created.ExpiresAt) > 24*time.Hour {
		t.Errorf("a member's default expiry: %+v", created.ExpiresAt)
	}
}

func TestCredentialsRevoke(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	member := srv.invite(t, "member@example.com", "member")
	asDev := session(t, srv, srv.invite(t, "dev@example.com", "developer"), "the-developer-password")
	credentialFile(t, asDev)
	credentialFile(t, session(t, srv, member, "the-member-password"))

	run(t, as(asDev, "credentials", "revoke", "--user", member.ID)...).fails(t, exitFailure, "Forbidden")
	wantIn(t, "revoke --user", srv.mustRun(t, "credentials", "revoke", "--user", member.ID), member.ID, "stopped working")
	var pc apiv1.PersonalCredential
	decodeJSON(t, srv.mustRun(t, "credentials", "show", "--user", member.ID, "-o", "json"), &pc)
	if pc.Active != nil {
		t.Errorf("member's credential still active: %+v", pc.Active)
	}
	wantIn(t, "revoke", mustRun(t, as(asDev, "credentials", "revoke")...), "Your personal credential is revoked")
}

func TestUsersUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"login without --email", []string{"login"}, "--email: give the email"},
		{"login with an argument", []string{"login", "me", "--email", "a@example.com"}, "unexpected argument"},
		{"login with a bad --output", []string{"login", "--email", "a@example.com", "-o", "yaml"}, `--output "yaml"`},
		{"invite without --role", []string{"users", "invite", "a@example.com"}, "required flag"},
		{"invite with a bad role", []string{"users", "invite", "a@example.com", "--role", "boss"}, `--role "boss"`},
		{"invite without an email", []string{"users", "invite", "--role", "member"}, "want 1 argument"},
		{"set-role with a bad role", []string{"users", "set-role", "usr_x", "root"}, `ROLE "root"`},
		{"set-role with one argument", []string{"users", "set-role", "usr_x"}, "want 2 argument"},
		{"users show without an argument", []string{"users", "show"}, "want 1 argument"},
		{"users disable without an argument", []string{"users", "disable"}, "want 1 argument"},
		{"unknown users subcommand", []string{"users", "promote", "usr_x"}, `unknown command "promote"`},
		{"credentials create with both expiries", []string{"credentials", "create", "--expires", "2026-12-31", "--never-expires"}, "at most one"},
		{"credentials create with a bad expiry", []string{"credentials", "create", "--expires", "31/12/2026"}, `--expires "31/12/2026"`},
		{"credentials rotate with a bad grace", []string{"credentials", "rotate", "--grace", "soon"}, `--grace "soon"`},
		{"credentials revoke with an empty --user", []string{"credentials", "revoke", "--user", ""}, "--user"},
		{"credentials show with an argument", []string{"credentials", "show", "usr_x"}, "unexpected argument"},
		{"mfa confirm without --code", []string{"mfa", "confirm"}, "required flag"},
		{"mfa disable without --code", []string{"mfa", "disable"}, "required flag"},
		{"mfa disable with an empty code", []string{"mfa", "disable", "--code", " "}, "--code"},
		{"mfa enrol with an empty --qr", []string{"mfa", "enrol", "--qr", ""}, "--qr"},
		{"auth login without --email", []string{"auth", "login"}, "required flag"},
		{"sessions end without an argument", []string{"sessions", "end"}, "want 1 argument"},
		{"whoami with a bad --output", []string{"whoami", "-o", "xml"}, `--output "xml"`},
		{"password change with an argument", []string{"password", "change", "secret"}, "unexpected argument"},
		{"password with an unknown subcommand", []string{"password", "reset"}, `unknown command "reset"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, append(tc.args, "--token", "kwt_unused")...).fails(t, exitUsage, tc.want)
		})
	}
}

func TestUsersHelpGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"help-login", []string{"login", "--help"}},
		{"help-users", []string{"users", "--help"}},
		{"help-users-invite", []string{"users", "invite", "--help"}},
		{"help-credentials", []string{"credentials", "--help"}},
		{"help-credentials-create", []string{"credentials", "create", "--help"}},
		{"help-credentials-rotate", []string{"credentials", "rotate", "--help"}},
		{"help-auth-login", []string{"auth", "login", "--help"}},
		{"help-mfa", []string{"mfa", "--help"}},
		{"help-mfa-enrol", []string{"mfa", "enrol", "--help"}},
		{"help-password-change", []string{"password", "change", "--help"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			assertGolden(t, tc.name, []byte(r.stdout))
		})
	}
}

func TestSameServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", true},
		{"HTTPS://Keys.Example.com", "https://keys.example.com", true},
		{"https://keys.example.com/kw", "https://keys.example.com/kw/", true},
		{"https://keys.example.com", "http://keys.example.com", false},
		{"https://keys.example.com", "https://keys.example.com:8443", false},
		{"https://keys.example.com/a", "https://keys.example.com/b", false},
		{"https://keys.example.com", "https://keys.example.com.evil.test", false},
	}
	for _, tc := range tests {
		if got := sameServer(tc.a, tc.b); got != tc.want {
			t.Errorf("sameServer(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestUserConfigDir(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios" || runtime.GOOS == "plan9" {
		t.Skip("XDG rules apply to other systems")
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if d, err := userConfigDir(env(map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"})); err != nil || d != "/x" {
		t.Errorf("XDG_CONFIG_HOME: %q, %v", d, err)
	}
	if d, err := userConfigDir(env(map[string]string{"HOME": "/h"})); err != nil || d != "/h/.config" {
		t.Errorf("HOME: %q, %v", d, err)
	}
	if _, err := userConfigDir(env(map[string]string{"XDG_CONFIG_HOME": "rel"})); err == nil {
		t.Error("a relative XDG_CONFIG_HOME is accepted")
	}
	if _, err := userConfigDir(env(nil)); err == nil {
		t.Error("no HOME is accepted")
	}
}

// TestSessionFileModes checks that save creates the directory 0700 and
// the file 0600, and tightens a directory that exists with looser modes.
func TestSessionFileModes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits")
	}
	cfg := filepath.Join(t.TempDir(), "cfg")
	store := sessionStore{getenv: func(k string) string {
		if k == "XDG_CONFIG_HOME" || k == "HOME" {
			return cfg
		}
		return ""
	}}
	p, err := store.path()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	want := storedSession{Server: "http://127.0.0.1:1", Token: "kwu_x", SessionID: "ses_1", ExpiresAt: time.Now().Add(time.Hour).UTC().Truncate(time.Second)}
	if _, err := store.save(want); err != nil {
		t.Fatal(err)
	}
	checkMode(t, filepath.Dir(p), 0o700)
	checkMode(t, p, 0o600)
	got, _, err := store.load()
	if err != nil || got == nil || *got != want {
		t.Errorf("load = %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the session file", len(entries))
	}
	if err := store.remove(); err != nil {
		t.Fatal(err)
	}
	if got, _, err := store.load(); got != nil || err != nil {
		t.Errorf("load after remove = %+v, %v", got, err)
	}
	if err := store.remove(); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}
