package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"keywarden/pkg/apiv1"
)

// userEnv points the configuration directory at a fresh temporary one and
// clears KEYWARDEN_TOKEN and KEYWARDEN_SERVER, so that only the stored
// session (or flags) give credentials. It returns the session file's path.
// It sets process environment variables: its callers cannot run in
// parallel.
func userEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg-config"))
	t.Setenv("AppData", filepath.Join(home, "AppData"))
	t.Setenv(envToken, "")
	t.Setenv(envServer, "")
	p, err := sessionStore{getenv: os.Getenv}.path()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runStdin runs Main with input on os.Stdin (a pipe, not a terminal). It
// replaces os.Stdin: its callers cannot run in parallel.
func runStdin(t *testing.T, input string, args ...string) result {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(input)
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	defer func() {
		os.Stdin = old
		r.Close()
	}()
	return run(t, args...)
}

func mustRunStdin(t *testing.T, input string, args ...string) string {
	t.Helper()
	r := runStdin(t, input, args...)
	if r.code != 0 {
		t.Fatalf("keywarden %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// invite invites a user through the CLI with the server's super admin
// token.
func (s *testServer) invite(t *testing.T, email, role string) apiv1.InvitedUser {
	t.Helper()
	var u apiv1.InvitedUser
	decodeJSON(t, s.mustRun(t, "users", "invite", email, "--role", role, "-o", "json"), &u)
	if u.OneTimePassword == "" || u.Role != role || !u.MustChangePassword {
		t.Fatalf("invited %+v", u)
	}
	return u
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

func readSession(t *testing.T, path string) storedSession {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ss storedSession
	if err := json.Unmarshal(b, &ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestLoginSession follows a new developer: log in with the one-time
// password, change it, enrol MFA, log out and in again with a code. It sets
// environment variables and replaces os.Stdin, so it cannot run in
// parallel.
func TestLoginSession(t *testing.T) {
	srv := startServer(t)
	file := userEnv(t)
	dev := srv.invite(t, "dev@example.com", "developer")
	const newPassword = "a-new-and-long-password"

	t.Run("login with the one-time password stores the session", func(t *testing.T) {
		out := mustRunStdin(t, dev.OneTimePassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--server", srv.url)
		for _, want := range []string{"Logged in to " + srv.url + " as dev@example.com (developer)", file, "one-time password", "keywarden password change"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "kwu_") || strings.Contains(out, dev.OneTimePassword) {
			t.Errorf("output shows the session token or the password:\n%s", out)
		}
		checkMode(t, filepath.Dir(file), 0o700)
		checkMode(t, file, 0o600)
		ss := readSession(t, file)
		if ss.Server != srv.url || !strings.HasPrefix(ss.Token, "kwu_") || ss.UserID != dev.ID || ss.Email != "dev@example.com" || ss.ExpiresAt.Before(time.Now()) {
			t.Errorf("stored session = %+v", ss)
		}
	})

	t.Run("a restricted session only reaches the account", func(t *testing.T) {
		out := mustRun(t, "whoami")
		for _, want := range []string{dev.ID, "developer", "Acme", srv.url, tokenFromSession, "one-time password"} {
			if !strings.Contains(out, want) {
				t.Errorf("whoami lacks %q:\n%s", want, out)
			}
		}
		r := run(t, "clients", "list")
		if r.code != exitFailure || !strings.Contains(r.stderr, "one-time password") {
			t.Errorf("clients list while restricted: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("password change needs the current one and reads stdin only with --password-stdin", func(t *testing.T) {
		r := runStdin(t, dev.OneTimePassword+"\n"+newPassword+"\n", "password", "change")
		if r.code != exitUsage || !strings.Contains(r.stderr, "--password-stdin") {
			t.Errorf("without --password-stdin: exit %d, stderr %q", r.code, r.stderr)
		}
		r = runStdin(t, "not-the-password\n"+newPassword+"\n", "password", "change", "--password-stdin")
		if r.code != exitFailure || !strings.Contains(r.stderr, "current_password") {
			t.Errorf("wrong current password: exit %d, stderr %q", r.code, r.stderr)
		}
		r = runStdin(t, dev.OneTimePassword+"\n", "password", "change", "--password-stdin")
		if r.code != exitUsage || !strings.Contains(r.stderr, "one line") {
			t.Errorf("one line: exit %d, stderr %q", r.code, r.stderr)
		}
		out := mustRunStdin(t, dev.OneTimePassword+"\n"+newPassword+"\n", "password", "change", "--password-stdin")
		if !strings.Contains(out, "Password changed") {
			t.Errorf("output:\n%s", out)
		}
		// The session survives the change and now reaches the API with
		// the developer's rights, and no more.
		mustRun(t, "clients", "list")
		r = run(t, "users", "list")
		if r.code != exitFailure || !strings.Contains(r.stderr, "Forbidden") {
			t.Errorf("users list as a developer: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	var secret string
	var recovery []string
	t.Run("mfa enrol writes the QR code and confirm turns MFA on", func(t *testing.T) {
		qr := filepath.Join(t.TempDir(), "qr.png")
		out := mustRun(t, "mfa", "enrol", "--qr", qr)
		if !strings.Contains(out, "otpauth://totp/") || !strings.Contains(out, "keywarden mfa confirm --code") {
			t.Errorf("enrol output:\n%s", out)
		}
		checkMode(t, qr, 0o600)
		png, err := os.ReadFile(qr)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("QR file is not a PNG (%v)", err)
		}
		r := run(t, "mfa", "enrol", "--qr", qr)
		if r.code != exitUsage || !strings.Contains(r.stderr, "never overwrites") {
			t.Errorf("enrol onto an existing file: exit %d, stderr %q", r.code, r.stderr)
		}

		var e mfaEnrolResult
		decodeJSON(t, mustRun(t, "mfa", "enrol", "-o", "json"), &e)
		if e.Secret == "" || !strings.HasPrefix(e.OTPAuthURI, "otpauth://") || e.MFAEnabled {
			t.Fatalf("enrol -o json = %+v", e)
		}
		secret = e.Secret
		r = run(t, "mfa", "confirm", "--code", "000000")
		if r.code != exitFailure || !strings.Contains(r.stderr, "code") {
			t.Errorf("a wrong code: exit %d, stderr %q", r.code, r.stderr)
		}
		// A TOTP time step works once (RFC 6238 §5.2): confirm with the
		// previous step's code (within the allowed drift), so that the
		// current one is still good for the login below.
		code, err := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var rc apiv1.RecoveryCodes
		decodeJSON(t, mustRun(t, "mfa", "confirm", "--code", code, "-o", "json"), &rc)
		if len(rc.RecoveryCodes) != 10 {
			t.Fatalf("recovery codes = %v", rc.RecoveryCodes)
		}
		recovery = rc.RecoveryCodes
		if out := mustRun(t, "whoami"); !strings.Contains(out, "MFA           on") {
			t.Errorf("whoami after enrolment:\n%s", out)
		}
	})

	t.Run("logout ends the session and deletes the file", func(t *testing.T) {
		token := readSession(t, file).Token
		out := mustRun(t, "logout")
		if !strings.Contains(out, "Logged out of "+srv.url) {
			t.Errorf("logout output:\n%s", out)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("session file after logout: %v", err)
		}
		r := run(t, "whoami")
		if r.code != exitUsage || !strings.Contains(r.stderr, "keywarden login") {
			t.Errorf("whoami after logout: exit %d, stderr %q", r.code, r.stderr)
		}
		// The token itself is dead, not only forgotten.
		r = run(t, "whoami", "--server", srv.url, "--token", token)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Unauthorized") {
			t.Errorf("whoami with the ended session: exit %d, stderr %q", r.code, r.stderr)
		}
		if out := mustRun(t, "logout"); !strings.Contains(out, "Not logged in") {
			t.Errorf("second logout:\n%s", out)
		}
	})

	t.Run("login with MFA asks for the code", func(t *testing.T) {
		r := runStdin(t, newPassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--server", srv.url)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--totp") {
			t.Errorf("no code: exit %d, stderr %q", r.code, r.stderr)
		}
		r = runStdin(t, newPassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--server", srv.url, "--totp", "000000")
		if r.code != exitFailure || !strings.Contains(r.stderr, "code is wrong") {
			t.Errorf("wrong code: exit %d, stderr %q", r.code, r.stderr)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("a failed login stored a session: %v", err)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		var res loginResult
		decodeJSON(t, mustRunStdin(t, newPassword+"\n"+code+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--server", srv.url, "-o", "json"), &res)
		if res.Server != srv.url || res.SessionFile != file || res.User.ID != dev.ID || !res.User.MFAEnabled || !res.Session.Current {
			t.Errorf("login -o json = %+v", res)
		}
		checkMode(t, file, 0o600)
		// A recovery code works once, through --totp, and replaces the
		// stored session.
		first := readSession(t, file).SessionID
		mustRunStdin(t, newPassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--totp", recovery[0])
		if ss := readSession(t, file); ss.SessionID == first || ss.Server != srv.url {
			t.Errorf("login with the stored server: session %+v", ss)
		}
		r = runStdin(t, newPassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--totp", recovery[0])
		if r.code != exitFailure {
			t.Errorf("a used recovery code: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("sessions list and end", func(t *testing.T) {
		var list apiv1.SessionList
		decodeJSON(t, mustRun(t, "sessions", "list", "-o", "json"), &list)
		current := ""
		for _, s := range list.Items {
			if s.Current {
				current = s.ID
			}
		}
		if len(list.Items) < 2 || current != readSession(t, file).SessionID {
			t.Fatalf("sessions = %+v", list.Items)
		}
		for _, s := range list.Items {
			if !s.Current {
				if out := mustRun(t, "sessions", "end", s.ID); !strings.Contains(out, "Ended session "+s.ID) {
					t.Errorf("end output:\n%s", out)
				}
			}
		}
		out := mustRun(t, "sessions", "list")
		if strings.Count(out, "ses_") != 1 || !strings.Contains(out, "yes") {
			t.Errorf("sessions after ending the others:\n%s", out)
		}
	})

	t.Run("the stored session goes only to its own server", func(t *testing.T) {
		r := run(t, "whoami", "--server", "http://127.0.0.1:1")
		if r.code != exitUsage || !strings.Contains(r.stderr, "no API token for http://127.0.0.1:1: the stored login session is for "+srv.url) {
			t.Errorf("another server: exit %d, stderr %q", r.code, r.stderr)
		}
		t.Setenv(envServer, srv.url+"/")
		if out := mustRun(t, "whoami"); !strings.Contains(out, "dev@example.com") {
			t.Errorf("the same server with a trailing slash:\n%s", out)
		}
	})

	t.Run("KEYWARDEN_TOKEN and --token win over the stored session", func(t *testing.T) {
		t.Setenv(envToken, srv.token)
		t.Setenv(envServer, srv.url)
		out := mustRun(t, "whoami")
		if !strings.Contains(out, "admin@example.com") || !strings.Contains(out, envToken) {
			t.Errorf("whoami with %s:\n%s", envToken, out)
		}
		t.Setenv(envToken, "")
		out = mustRun(t, "whoami", "--token", srv.token)
		if !strings.Contains(out, "admin@example.com") || !strings.Contains(out, "--token") {
			t.Errorf("whoami with --token:\n%s", out)
		}
	})

	t.Run("a session file open to others is refused", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no permission bits")
		}
		if err := os.Chmod(file, 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, "whoami")
		if r.code != exitFailure || !strings.Contains(r.stderr, "open to other users") || strings.Contains(r.stderr, "kwu_") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		// logout still ends it, and a new login replaces the file 0600.
		token := readSession(t, file).Token
		if out := mustRun(t, "logout"); !strings.Contains(out, "Logged out") {
			t.Errorf("logout of an exposed session:\n%s", out)
		}
		if r := run(t, "whoami", "--server", srv.url, "--token", token); r.code != exitFailure || !strings.Contains(r.stderr, "Unauthorized") {
			t.Errorf("the exposed session still works: exit %d, stderr %q", r.code, r.stderr)
		}
		// The current TOTP step is used up: log in with a recovery code.
		mustRunStdin(t, newPassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--totp", recovery[1], "--server", srv.url)
		checkMode(t, file, 0o600)
	})

	t.Run("an expired stored session says to log in again", func(t *testing.T) {
		ss := readSession(t, file)
		ss.ExpiresAt = time.Now().Add(-time.Minute)
		if _, err := (sessionStore{getenv: os.Getenv}).save(ss); err != nil {
			t.Fatal(err)
		}
		r := run(t, "whoami")
		if r.code != exitFailure || !strings.Contains(r.stderr, "expired") || !strings.Contains(r.stderr, "keywarden login") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("a damaged session file does not block a new login", func(t *testing.T) {
		if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, "whoami")
		if r.code != exitFailure || !strings.Contains(r.stderr, "damaged") {
			t.Errorf("whoami: exit %d, stderr %q", r.code, r.stderr)
		}
		mustRunStdin(t, newPassword+"\n", "login", "--email", "dev@example.com", "--password-stdin", "--totp", recovery[2], "--server", srv.url)
		mustRun(t, "whoami")
	})

	t.Run("mfa disable needs a code", func(t *testing.T) {
		r := run(t, "mfa", "disable", "--code", "000000")
		if r.code != exitFailure || !strings.Contains(r.stderr, "code") {
			t.Errorf("wrong code: exit %d, stderr %q", r.code, r.stderr)
		}
		out := mustRun(t, "mfa", "disable", "--code", recovery[3])
		if !strings.Contains(out, "MFA is off") {
			t.Errorf("disable output:\n%s", out)
		}
	})

	t.Run("a disabled user's stored session stops working", func(t *testing.T) {
		mustRun(t, "users", "disable", dev.ID, "--server", srv.url, "--token", srv.token)
		r := run(t, "whoami")
		if r.code != exitFailure || !strings.Contains(r.stderr, "Unauthorized") {
			t.Errorf("whoami of a disabled user: exit %d, stderr %q", r.code, r.stderr)
		}
		if out := mustRun(t, "logout"); !strings.Contains(out, "already ended") {
			t.Errorf("logout of an ended session:\n%s", out)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("session file after logout: %v", err)
		}
	})
}

// TestLoginNeedsStdinFlag checks that a password is never read from a
// pipe unless asked to. It replaces os.Stdin, so it cannot run in
// parallel.
func TestLoginNeedsStdinFlag(t *testing.T) {
	userEnv(t)
	for _, args := range [][]string{
		{"login", "--email", "a@example.com"},
		{"auth", "login", "--email", "a@example.com"},
	} {
		r := runStdin(t, "a-password\n", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "not a terminal") || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	r := runStdin(t, "", "login", "--email", "a@example.com", "--password-stdin")
	if r.code != exitUsage || !strings.Contains(r.stderr, "standard input is empty") {
		t.Errorf("empty stdin: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runStdin(t, "pw\n", "login", "--email", "a@example.com", "--password-stdin", "--server", "http://127.0.0.1:1")
	if r.code != exitFailure || !strings.Contains(r.stderr, "127.0.0.1:1") || strings.Contains(r.stderr, "pw") {
		t.Errorf("unreachable server: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestUsersAndCredentials runs the users and credentials commands as a
// super admin and as the users they invite. It replaces os.Stdin, so it
// cannot run in parallel.
func TestUsersAndCredentials(t *testing.T) {
	srv := startServer(t)
	userEnv(t)
	dev := srv.invite(t, "dev@example.com", "developer")
	member := srv.invite(t, "member@example.com", "member")

	// session logs a user in, changes the one-time password and returns a
	// session token: the flags to act as them.
	session := func(t *testing.T, u apiv1.InvitedUser) []string {
		t.Helper()
		mustRunStdin(t, u.OneTimePassword+"\n", "login", "--email", u.Email, "--password-stdin", "--server", srv.url)
		mustRunStdin(t, u.OneTimePassword+"\nthe-"+u.Role+"-password\n", "password", "change", "--password-stdin")
		p, err := sessionStore{getenv: os.Getenv}.path()
		if err != nil {
			t.Fatal(err)
		}
		return []string{"--server", srv.url, "--token", readSession(t, p).Token}
	}

	t.Run("invite prints the one-time password once with a warning", func(t *testing.T) {
		out := srv.mustRun(t, "users", "invite", "new@example.com", "--role", "admin")
		for _, want := range []string{"new@example.com", "admin", "only time the one-time password is shown", "keywarden login --email new@example.com"} {
			if !strings.Contains(out, want) {
				t.Errorf("invite output lacks %q:\n%s", want, out)
			}
		}
		r := srv.run(t, "users", "invite", "new@example.com", "--role", "admin")
		if r.code != exitFailure || !strings.Contains(r.stderr, "Conflict") {
			t.Errorf("a duplicate email: exit %d, stderr %q", r.code, r.stderr)
		}
		r = srv.run(t, "users", "invite", "not-an-email", "--role", "member")
		if r.code != exitFailure || !strings.Contains(r.stderr, "email") {
			t.Errorf("a bad email: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("list and show", func(t *testing.T) {
		out := srv.mustRun(t, "users", "list")
		for _, want := range []string{"USER ID", "admin@example.com", "super_admin", dev.ID, "member@example.com", "one-time password"} {
			if !strings.Contains(out, want) {
				t.Errorf("list lacks %q:\n%s", want, out)
			}
		}
		var list apiv1.UserList
		decodeJSON(t, srv.mustRun(t, "users", "list", "-o", "json"), &list)
		if len(list.Items) != 4 {
			t.Errorf("list -o json has %d users", len(list.Items))
		}
		var u apiv1.User
		decodeJSON(t, srv.mustRun(t, "users", "show", member.ID, "-o", "json"), &u)
		if u.ID != member.ID || u.Role != "member" || u.Status != "active" {
			t.Errorf("show -o json = %+v", u)
		}
		r := srv.run(t, "users", "show", "usr_0000000000000000000000")
		if r.code != exitFailure || !strings.Contains(r.stderr, "Not Found") {
			t.Errorf("unknown user: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("set-role, and the last super admin is protected", func(t *testing.T) {
		out := srv.mustRun(t, "users", "set-role", member.ID, "developer")
		if !strings.Contains(out, "developer") {
			t.Errorf("set-role output:\n%s", out)
		}
		srv.mustRun(t, "users", "set-role", member.ID, "member")
		var me apiv1.Me
		decodeJSON(t, srv.mustRun(t, "whoami", "-o", "json"), &me)
		r := srv.run(t, "users", "set-role", me.ID, "admin")
		if r.code != exitFailure || !strings.Contains(r.stderr, "last") {
			t.Errorf("demote the last super admin: exit %d, stderr %q", r.code, r.stderr)
		}
		r = srv.run(t, "users", "delete", me.ID)
		if r.code != exitFailure || !strings.Contains(r.stderr, "last") {
			t.Errorf("delete the last super admin: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	devFlags := session(t, dev)
	memberFlags := session(t, member)
	asDev := func(args ...string) []string { return append(args, devFlags...) }
	asMember := func(args ...string) []string { return append(args, memberFlags...) }

	var devCred apiv1.CreatedPersonalCredential
	t.Run("credentials create --out writes a private file and never overwrites", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "credential.env")
		stdout := mustRun(t, asDev("credentials", "create", "--out", out)...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		checkMode(t, out, 0o600)
		content := string(b)
		for _, want := range []string{"KEYWARDEN_SERVER=" + srv.url, "KEYWARDEN_CLIENT_ID=kwp_", "KEYWARDEN_CLIENT_SECRET=kws_"} {
			if !strings.Contains(content, want) {
				t.Errorf("file lacks %q:\n%s", want, content)
			}
		}
		secret := content[strings.Index(content, "KEYWARDEN_CLIENT_SECRET=")+len("KEYWARDEN_CLIENT_SECRET="):]
		devCred.Secret = strings.TrimSpace(secret)
		if strings.Contains(stdout, devCred.Secret) || !strings.Contains(stdout, out) {
			t.Errorf("stdout shows the secret or not the file:\n%s", stdout)
		}
		r := run(t, asDev("credentials", "rotate", "--out", out)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "never overwrites") {
			t.Errorf("--out onto an existing file: exit %d, stderr %q", r.code, r.stderr)
		}
		if after, _ := os.ReadFile(out); string(after) != content {
			t.Error("the existing file changed")
		}
		r = run(t, asDev("credentials", "create")...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "already have an active personal credential") {
			t.Errorf("a second credential: exit %d, stderr %q", r.code, r.stderr)
		}
		// A refused request leaves no file behind.
		second := filepath.Join(t.TempDir(), "second.env")
		r = run(t, asDev("credentials", "create", "--out", second)...)
		if _, err := os.Stat(second); r.code != exitFailure || !os.IsNotExist(err) {
			t.Errorf("refused create with --out: exit %d, file %v", r.code, err)
		}
	})

	t.Run("credentials show", func(t *testing.T) {
		var pc apiv1.PersonalCredential
		decodeJSON(t, mustRun(t, asDev("credentials", "show", "-o", "json")...), &pc)
		if pc.UserID != dev.ID || pc.Active == nil || !strings.HasPrefix(pc.ClientID, "kwp_") {
			t.Fatalf("show -o json = %+v", pc)
		}
		devCred.ClientID = pc.ClientID
		out := mustRun(t, asDev("credentials", "show")...)
		if !strings.Contains(out, pc.ClientID) || !strings.Contains(out, pc.Active.Masked) || strings.Contains(out, devCred.Secret) {
			t.Errorf("show:\n%s", out)
		}
		if out := srv.mustRun(t, "credentials", "show", "--user", dev.ID); !strings.Contains(out, pc.ClientID) {
			t.Errorf("show --user as super admin:\n%s", out)
		}
		r := run(t, asMember("credentials", "show")...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "keywarden credentials create") {
			t.Errorf("show without a credential: exit %d, stderr %q", r.code, r.stderr)
		}
		r = run(t, asMember("credentials", "show", "--user", dev.ID)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Forbidden") {
			t.Errorf("show --user as a member: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("auth login exchanges the secret for a token that acts as the user", func(t *testing.T) {
		var tok apiv1.AccessToken
		decodeJSON(t, mustRunStdin(t, devCred.Secret+"\n", "auth", "login", "--email", dev.Email, "--secret-stdin", "--server", srv.url, "-o", "json"), &tok)
		if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 {
			t.Fatalf("auth login -o json = %+v", tok)
		}
		out := mustRun(t, "whoami", "--server", srv.url, "--token", tok.AccessToken)
		if !strings.Contains(out, dev.ID) || !strings.Contains(out, "developer") {
			t.Errorf("whoami with the access token:\n%s", out)
		}
		table := mustRunStdin(t, devCred.Secret+"\n", "auth", "login", "--email", dev.Email, "--secret-stdin", "--server", srv.url)
		if first, _, _ := strings.Cut(table, "\n"); strings.Count(first, ".") != 2 || !strings.Contains(table, "24h") {
			t.Errorf("auth login table output:\n%s", table)
		}
		r := runStdin(t, "kws_wrong\n", "auth", "login", "--email", dev.Email, "--secret-stdin", "--server", srv.url)
		if r.code != exitFailure || !strings.Contains(r.stderr, "wrong email or credential secret") || strings.Contains(r.stderr, "kws_wrong") {
			t.Errorf("a wrong secret: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("rotate prints the new secret once; the old one keeps its grace", func(t *testing.T) {
		out := mustRun(t, asDev("credentials", "rotate", "--grace", "1h")...)
		if !strings.Contains(out, "only time the client secret is shown") || !strings.Contains(out, "kws_") {
			t.Errorf("rotate output:\n%s", out)
		}
		var pc apiv1.PersonalCredential
		decodeJSON(t, mustRun(t, asDev("credentials", "show", "-o", "json")...), &pc)
		if len(pc.Secrets) != 2 || pc.Active == nil || pc.Active.ID == pc.Secrets[0].ID || pc.Secrets[0].ExpiresAt == nil ||
			time.Until(*pc.Secrets[0].ExpiresAt) > time.Hour {
			t.Errorf("after rotate: %+v", pc)
		}
		var created apiv1.CreatedPersonalCredential
		decodeJSON(t, mustRun(t, asDev("credentials", "rotate", "--grace", "0", "-o", "json")...), &created)
		if !strings.HasPrefix(created.Secret, "kws_") || created.ClientID != pc.ClientID {
			t.Errorf("rotate -o json = %+v", created)
		}
		out = filepath.Join(t.TempDir(), "rotated.env")
		var inFile createdCredentialFile
		decodeJSON(t, mustRun(t, asDev("credentials", "rotate", "--out", out, "-o", "json")...), &inFile)
		b, err := os.ReadFile(out)
		if err != nil || inFile.File != out || inFile.ClientID != pc.ClientID || !strings.Contains(string(b), "KEYWARDEN_CLIENT_SECRET=kws_") {
			t.Errorf("rotate --out -o json = %+v (file: %v)", inFile, err)
		}
		checkMode(t, out, 0o600)
	})

	t.Run("policy limits are refused with clear messages", func(t *testing.T) {
		r := run(t, asMember("credentials", "create", "--expires", time.Now().AddDate(0, 0, 3).Format(time.DateOnly))...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "expires_at") || !strings.Contains(r.stderr, "1 day ") {
			t.Errorf("a member beyond 1 day: exit %d, stderr %q", r.code, r.stderr)
		}
		r = run(t, asMember("credentials", "create", "--never-expires")...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "requires an expiry") {
			t.Errorf("never expires: exit %d, stderr %q", r.code, r.stderr)
		}
		var created apiv1.CreatedPersonalCredential
		decodeJSON(t, mustRun(t, asMember("credentials", "create", "-o", "json")...), &created)
		if created.ExpiresAt == nil || time.Until(*created.ExpiresAt) > 24*time.Hour {
			t.Errorf("a member's default expiry: %+v", created.ExpiresAt)
		}
	})

	t.Run("revoke: own, and another user's by a super admin", func(t *testing.T) {
		r := run(t, asDev("credentials", "revoke", "--user", member.ID)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Forbidden") {
			t.Errorf("a developer revoking another's: exit %d, stderr %q", r.code, r.stderr)
		}
		out := srv.mustRun(t, "credentials", "revoke", "--user", member.ID)
		if !strings.Contains(out, member.ID) || !strings.Contains(out, "stopped working") {
			t.Errorf("revoke --user output:\n%s", out)
		}
		var pc apiv1.PersonalCredential
		decodeJSON(t, srv.mustRun(t, "credentials", "show", "--user", member.ID, "-o", "json"), &pc)
		if pc.Active != nil {
			t.Errorf("member's credential still active: %+v", pc.Active)
		}
		if out := mustRun(t, asDev("credentials", "revoke")...); !strings.Contains(out, "Your personal credential is revoked") {
			t.Errorf("revoke output:\n%s", out)
		}
	})

	t.Run("disable, enable and delete", func(t *testing.T) {
		out := srv.mustRun(t, "users", "disable", member.ID)
		if !strings.Contains(out, "disabled") || !strings.Contains(out, "Disabled.") {
			t.Errorf("disable output:\n%s", out)
		}
		r := run(t, asMember("whoami")...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Unauthorized") {
			t.Errorf("a disabled member's session: exit %d, stderr %q", r.code, r.stderr)
		}
		var u apiv1.User
		decodeJSON(t, srv.mustRun(t, "users", "enable", member.ID, "-o", "json"), &u)
		if u.Status != "active" || u.DisabledAt != nil {
			t.Errorf("enable -o json = %+v", u)
		}
		out = srv.mustRun(t, "users", "delete", member.ID)
		if !strings.Contains(out, "Deleted user "+member.ID) {
			t.Errorf("delete output:\n%s", out)
		}
		r = srv.run(t, "users", "show", member.ID)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Not Found") {
			t.Errorf("show a deleted user: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestUsersUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"login without --email", []string{"login"}, "required flag"},
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
			r := run(t, append(tc.args, "--token", "kwt_unused")...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
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
