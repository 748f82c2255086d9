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

// The login tests follow a developer through the stored session: each
// starts its own server and works in its own environment (a private
// configuration directory), so they all run in parallel.

const newPassword = "a-new-and-long-password"

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

// login logs u in on srv with password, storing the session in e.
func (e env) login(t *testing.T, srv *testServer, email, password string, flags ...string) string {
	t.Helper()
	return e.mustRunStdin(t, password+"\n", append([]string{"login", "--email", email, "--password-stdin", "--server", srv.url}, flags...)...)
}

// onboard invites a developer, logs them in with the one-time password and
// changes it to newPassword: e then holds an unrestricted session.
func onboard(t *testing.T, srv *testServer, e env) apiv1.InvitedUser {
	t.Helper()
	dev := srv.invite(t, "dev@example.com", "developer")
	e.login(t, srv, dev.Email, dev.OneTimePassword)
	e.mustRunStdin(t, dev.OneTimePassword+"\n"+newPassword+"\n", "password", "change", "--password-stdin")
	return dev
}

// enrolMFA turns MFA on for e's user and returns the TOTP secret and the
// recovery codes. A TOTP time step works once (RFC 6238 §5.2): it confirms
// with the previous step's code (within the allowed drift), so that the
// current one is still good for a login.
func enrolMFA(t *testing.T, e env) (string, []string) {
	t.Helper()
	var en mfaEnrolResult
	decodeJSON(t, e.mustRun(t, "mfa", "enrol", "-o", "json"), &en)
	code, err := totp.GenerateCode(en.Secret, time.Now().Add(-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var rc apiv1.RecoveryCodes
	decodeJSON(t, e.mustRun(t, "mfa", "confirm", "--code", code, "-o", "json"), &rc)
	if len(rc.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes = %v", rc.RecoveryCodes)
	}
	return en.Secret, rc.RecoveryCodes
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

func wantNoFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s: %v, want no file", path, err)
	}
}

func TestLoginStoresARestrictedSession(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	file := e.sessionFile(t)
	dev := srv.invite(t, "dev@example.com", "developer")

	out := e.login(t, srv, dev.Email, dev.OneTimePassword)
	wantIn(t, "login", out, "Logged in to "+srv.url+" as dev@example.com (developer)", file, "one-time password", "keywarden password change")
	wantNotIn(t, "login", out, "kwu_", dev.OneTimePassword)
	checkMode(t, filepath.Dir(file), 0o700)
	checkMode(t, file, 0o600)
	if ss := readSession(t, file); ss.Server != srv.url || !strings.HasPrefix(ss.Token, "kwu_") || ss.UserID != dev.ID || ss.Email != dev.Email || ss.ExpiresAt.Before(time.Now()) {
		t.Errorf("stored session = %+v", ss)
	}

	// Until the one-time password is changed, only the account works.
	wantIn(t, "whoami", e.mustRun(t, "whoami"), dev.ID, "developer", "Acme", srv.url, tokenFromSession, "one-time password")
	e.run(t, "clients", "list").fails(t, exitFailure, "one-time password")
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	dev := srv.invite(t, "dev@example.com", "developer")
	e.login(t, srv, dev.Email, dev.OneTimePassword)

	e.runStdin(t, dev.OneTimePassword+"\n"+newPassword+"\n", "password", "change").fails(t, exitUsage, "--password-stdin")
	e.runStdin(t, "not-the-password\n"+newPassword+"\n", "password", "change", "--password-stdin").fails(t, exitFailure, "current_password")
	e.runStdin(t, dev.OneTimePassword+"\n", "password", "change", "--password-stdin").fails(t, exitUsage, "one line")
	wantIn(t, "password change", e.mustRunStdin(t, dev.OneTimePassword+"\n"+newPassword+"\n", "password", "change", "--password-stdin"), "Password changed")

	// The session survives the change and now reaches the API with the
	// developer's rights, and no more.
	e.mustRun(t, "clients", "list")
	e.run(t, "users", "list").fails(t, exitFailure, "Forbidden")
}

func TestMFAEnrolAndConfirm(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	onboard(t, srv, e)

	qr := filepath.Join(t.TempDir(), "qr.png")
	wantIn(t, "enrol", e.mustRun(t, "mfa", "enrol", "--qr", qr), "otpauth://totp/", "keywarden mfa confirm --code")
	checkMode(t, qr, 0o600)
	if png, err := os.ReadFile(qr); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("QR file is not a PNG (%v)", err)
	}
	e.run(t, "mfa", "enrol", "--qr", qr).fails(t, exitUsage, "never overwrites")
	if en := readEnrolment(t, e); en.Secret == "" || !strings.HasPrefix(en.OTPAuthURI, "otpauth://") || en.MFAEnabled {
		t.Fatalf("enrol -o json = %+v", en)
	}
	e.run(t, "mfa", "confirm", "--code", "000000").fails(t, exitFailure, "code")

	enrolMFA(t, e)
	wantIn(t, "whoami after enrolment", e.mustRun(t, "whoami"), "MFA           on")
}

func readEnrolment(t *testing.T, e env) mfaEnrolResult {
	t.Helper()
	var en mfaEnrolResult
	decodeJSON(t, e.mustRun(t, "mfa", "enrol", "-o", "json"), &en)
	return en
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	onboard(t, srv, e)
	file := e.sessionFile(t)
	token := readSession(t, file).Token

	wantIn(t, "logout", e.mustRun(t, "logout"), "Logged out of "+srv.url)
	wantNoFile(t, file)
	e.run(t, "whoami").fails(t, exitUsage, "keywarden login")
	// The token itself is dead, not only forgotten.
	e.run(t, "whoami", "--server", srv.url, "--token", token).fails(t, exitFailure, "Unauthorized")
	wantIn(t, "second logout", e.mustRun(t, "logout"), "Not logged in")
}

func TestLoginWithMFA(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	dev := onboard(t, srv, e)
	secret, recovery := enrolMFA(t, e)
	e.mustRun(t, "logout")
	file := e.sessionFile(t)

	e.runStdin(t, newPassword+"\n", "login", "--email", dev.Email, "--password-stdin", "--server", srv.url).fails(t, exitUsage, "--totp")
	e.runStdin(t, newPassword+"\n", "login", "--email", dev.Email, "--password-stdin", "--server", srv.url, "--totp", "000000").fails(t, exitFailure, "code is wrong")
	wantNoFile(t, file)

	// The code on the line after the password.
	code, _ := totp.GenerateCode(secret, time.Now())
	var res loginResult
	decodeJSON(t, e.login(t, srv, dev.Email, newPassword+"\n"+code, "-o", "json"), &res)
	if res.Server != srv.url || res.SessionFile != file || res.User.ID != dev.ID || !res.User.MFAEnabled || !res.Session.Current {
		t.Errorf("login -o json = %+v", res)
	}
	checkMode(t, file, 0o600)

	// A recovery code works once, through --totp, and replaces the stored
	// session; without --server the stored session's server is used.
	first := readSession(t, file).SessionID
	e.mustRunStdin(t, newPassword+"\n", "login", "--email", dev.Email, "--password-stdin", "--totp", recovery[0])
	if ss := readSession(t, file); ss.SessionID == first || ss.Server != srv.url {
		t.Errorf("login with the stored server: session %+v", ss)
	}
	e.runStdin(t, newPassword+"\n", "login", "--email", dev.Email, "--password-stdin", "--totp", recovery[0]).fails(t, exitFailure)

	// mfa disable needs a good code.
	e.run(t, "mfa", "disable", "--code", "000000").fails(t, exitFailure, "code")
	wantIn(t, "mfa disable", e.mustRun(t, "mfa", "disable", "--code", recovery[1]), "MFA is off")
}

func TestSessionsListAndEnd(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	dev := onboard(t, srv, e)
	e.login(t, srv, dev.Email, newPassword) // a second session; the first stays open

	var list apiv1.SessionList
	decodeJSON(t, e.mustRun(t, "sessions", "list", "-o", "json"), &list)
	current := ""
	for _, s := range list.Items {
		if s.Current {
			current = s.ID
		}
	}
	if len(list.Items) != 2 || current != readSession(t, e.sessionFile(t)).SessionID {
		t.Fatalf("sessions = %+v", list.Items)
	}
	for _, s := range list.Items {
		if !s.Current {
			wantIn(t, "sessions end", e.mustRun(t, "sessions", "end", s.ID), "Ended session "+s.ID)
		}
	}
	out := e.mustRun(t, "sessions", "list")
	if strings.Count(out, "ses_") != 1 || !strings.Contains(out, "yes") || !strings.Contains(out, userAgent) {
		t.Errorf("sessions after ending the others:\n%s", out)
	}
}

// TestStoredSessionGoesToItsServerOnly: the stored session's token is only
// sent to the server it was opened on, and --token and KEYWARDEN_TOKEN win
// over it.
func TestStoredSessionGoesToItsServerOnly(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	onboard(t, srv, e)

	e.run(t, "whoami", "--server", "http://127.0.0.1:1").fails(t, exitUsage, "no API token for http://127.0.0.1:1: the stored login session is for "+srv.url)
	wantIn(t, "whoami on the same server with a trailing slash", e.with(envServer, srv.url+"/").mustRun(t, "whoami"), "dev@example.com")
	wantIn(t, "whoami with "+envToken, e.with(envToken, srv.token, envServer, srv.url).mustRun(t, "whoami"), "admin@example.com", envToken)
	wantIn(t, "whoami with --token", e.with(envServer, srv.url).mustRun(t, "whoami", "--token", srv.token), "admin@example.com", "--token")
}

func TestExposedSessionFileIsRefused(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits")
	}
	srv, e := startServer(t), newEnv(t)
	dev := onboard(t, srv, e)
	file := e.sessionFile(t)
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.run(t, "whoami")
	r.fails(t, exitFailure, "open to other users")
	wantNotIn(t, "stderr", r.stderr, "kwu_")

	// logout still ends it, and a new login replaces the file 0600.
	token := readSession(t, file).Token
	wantIn(t, "logout of an exposed session", e.mustRun(t, "logout"), "Logged out")
	e.run(t, "whoami", "--server", srv.url, "--token", token).fails(t, exitFailure, "Unauthorized")
	e.login(t, srv, dev.Email, newPassword)
	checkMode(t, file, 0o600)
}

func TestExpiredOrDamagedSessionFile(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	dev := onboard(t, srv, e)
	file := e.sessionFile(t)

	ss := readSession(t, file)
	ss.ExpiresAt = time.Now().Add(-time.Minute)
	if _, err := (sessionStore{getenv: e.getenv}).save(ss); err != nil {
		t.Fatal(err)
	}
	e.run(t, "whoami").fails(t, exitFailure, "expired", "keywarden login")

	// A damaged file does not block a new login.
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.run(t, "whoami").fails(t, exitFailure, "damaged")
	e.login(t, srv, dev.Email, newPassword)
	e.mustRun(t, "whoami")
}

func TestDisabledUsersSessionStopsWorking(t *testing.T) {
	t.Parallel()
	srv, e := startServer(t), newEnv(t)
	dev := onboard(t, srv, e)
	srv.mustRun(t, "users", "disable", dev.ID)
	e.run(t, "whoami").fails(t, exitFailure, "Unauthorized")
	wantIn(t, "logout of an ended session", e.mustRun(t, "logout"), "already ended")
	wantNoFile(t, e.sessionFile(t))
}

// TestLoginNeedsStdinFlag checks that a password is never read from a
// pipe unless asked to.
func TestLoginNeedsStdinFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runStdin(t, "a-password\n", "login", "--email", "a@example.com").fails(t, exitUsage, "not a terminal")
	e.runStdin(t, "a-password\n", "auth", "login", "--email", "a@example.com").fails(t, exitUsage, "not a terminal")
	e.runStdin(t, "", "login", "--email", "a@example.com", "--password-stdin").fails(t, exitUsage, "standard input is empty")
	r := e.runStdin(t, "pw\n", "login", "--email", "a@example.com", "--password-stdin", "--server", "http://127.0.0.1:1")
	r.fails(t, exitFailure, "127.0.0.1:1")
	wantNotIn(t, "stderr", r.stderr, "pw")
}
