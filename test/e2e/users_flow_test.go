package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"keywarden/pkg/apiv1"
)

func TestUsersFlowSQLite(t *testing.T)   { testUsersFlow(t, newSQLite(t)) }
func TestUsersFlowPostgres(t *testing.T) { testUsersFlow(t, newPostgres(t)) }

// usersPerson is one user of the story, with every credential they are given
// or generate: none of these values may ever reach the server's log.
type usersPerson struct {
	email, role   string
	id            string
	otp, password string // one-time and chosen password
	session       string // kwu_… login session
	totpSecret    string
	recovery      []string
	clientID      string // kwp_… personal credential
	secret        string // its kws_… secret
	accessToken   string // minted at /oauth2/token with the credential
}

// usersRevealed lists every secret value of the people (and extra values) for
// the log check.
func usersRevealed(people []*usersPerson, extra ...string) []string {
	out := extra
	for _, p := range people {
		out = append(out, p.otp, p.password, p.session, p.totpSecret, p.secret, p.accessToken)
		out = append(out, p.recovery...)
	}
	return out
}

// usersProblem decodes a problem body.
func usersProblem(t *testing.T, raw []byte) apiv1.Problem {
	t.Helper()
	var p apiv1.Problem
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("not a problem document: %s", raw)
	}
	return p
}

// usersWantProblem calls the API and checks the status and that the problem's
// text holds every one of want.
func (s *server) usersWantProblem(t *testing.T, status int, token, method, path string, body any, want ...string) apiv1.Problem {
	t.Helper()
	code, raw := s.call(t, token, method, path, body, nil)
	if code != status {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, code, status, raw)
	}
	p := usersProblem(t, raw)
	for _, w := range want {
		if !strings.Contains(p.Error(), w) {
			t.Errorf("%s %s: problem %q lacks %q", method, path, p.Error(), w)
		}
	}
	return p
}

// usersForm posts a form to an OAuth endpoint with client_secret_basic and
// returns the status and the decoded JSON body.
func (s *server) usersForm(t *testing.T, path, clientID, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s = %d: not JSON: %s", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// usersClientToken gets an access token with client_credentials.
func (s *server) usersClientToken(t *testing.T, clientID, secret string) string {
	t.Helper()
	code, body := s.usersForm(t, "/oauth2/token", clientID, secret, url.Values{"grant_type": {"client_credentials"}})
	tok, _ := body["access_token"].(string)
	if code != http.StatusOK || tok == "" {
		t.Fatalf("token for %s = %d %v", clientID, code, body)
	}
	return tok
}

// usersTOTP returns the current TOTP code. A time step works once (RFC
// 6238 §5.2), so enrolment confirms with usersPreviousTOTP and leaves the
// current step for the login that follows.
func usersTOTP(t *testing.T, secret string) string { return usersTOTPAt(t, secret, time.Now()) }

func usersPreviousTOTP(t *testing.T, secret string) string {
	return usersTOTPAt(t, secret, time.Now().Add(-30*time.Second))
}

func usersTOTPAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// usersOnboard is a new user's first steps: log in with the one-time password
// (restricted until it is changed), change it, enrol MFA, log in again
// with a code.
func usersOnboard(t *testing.T, srv *server, p *usersPerson) {
	t.Helper()
	var s apiv1.NewSession
	srv.must(t, http.StatusCreated, "", "POST", "/v1/sessions", apiv1.Login{Email: p.email, Password: p.otp}, &s)
	if !strings.HasPrefix(s.Token, "kwu_") || !s.User.MustChangePassword || s.User.ID != p.id {
		t.Fatalf("first login = %s", fmtJSON(s))
	}
	// Until the one-time password is changed only the account answers.
	srv.usersWantProblem(t, http.StatusForbidden, s.Token, "GET", "/v1/clients", nil, "one-time password")
	var me apiv1.Me
	srv.must(t, http.StatusOK, s.Token, "GET", "/v1/me", nil, &me)
	if me.Restricted == "" || me.Role != p.role {
		t.Errorf("me while restricted = %s", fmtJSON(me))
	}
	srv.usersWantProblem(t, http.StatusUnprocessableEntity, s.Token, "POST", "/v1/me/password",
		apiv1.ChangePassword{CurrentPassword: p.otp, NewPassword: "short"}, "new_password")
	srv.usersWantProblem(t, http.StatusUnprocessableEntity, s.Token, "POST", "/v1/me/password",
		apiv1.ChangePassword{CurrentPassword: "not-the-password", NewPassword: p.password}, "current_password")
	srv.must(t, http.StatusNoContent, s.Token, "POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: p.otp, NewPassword: p.password}, nil)
	srv.must(t, http.StatusOK, s.Token, "GET", "/v1/clients", nil, nil)

	var e apiv1.MFAEnrolment
	srv.must(t, http.StatusCreated, s.Token, "POST", "/v1/me/mfa", nil, &e)
	png, err := base64.StdEncoding.DecodeString(e.QRCodePNG)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || !strings.HasPrefix(e.OTPAuthURI, "otpauth://totp/") || e.Secret == "" {
		t.Fatalf("enrolment = %s… (%v)", e.OTPAuthURI, err)
	}
	p.totpSecret = e.Secret
	srv.usersWantProblem(t, http.StatusUnprocessableEntity, s.Token, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: "000000"}, "code")
	var rc apiv1.RecoveryCodes
	srv.must(t, http.StatusOK, s.Token, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: usersPreviousTOTP(t, e.Secret)}, &rc)
	if len(rc.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes = %d", len(rc.RecoveryCodes))
	}
	p.recovery = rc.RecoveryCodes

	// Logins now need the second factor.
	mfa := srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/sessions", apiv1.Login{Email: p.email, Password: p.password})
	if !strings.HasSuffix(mfa.Type, "/mfa-required") {
		t.Errorf("login without a code: %s", fmtJSON(mfa))
	}
	srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/sessions", apiv1.Login{Email: p.email, Password: p.password, TOTPCode: "000000"})
	srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/sessions", apiv1.Login{Email: p.email, Password: "wrong-password", TOTPCode: usersTOTP(t, e.Secret)})
	srv.must(t, http.StatusCreated, "", "POST", "/v1/sessions", apiv1.Login{Email: p.email, Password: p.password, TOTPCode: usersTOTP(t, e.Secret)}, &s)
	if !s.User.MFAEnabled {
		t.Errorf("user after enrolment = %s", fmtJSON(s.User))
	}
	p.session = s.Token
	// The session that changed the password is still open: end it (the
	// console's "sign out other sessions").
	var list apiv1.SessionList
	srv.must(t, http.StatusOK, p.session, "GET", "/v1/sessions", nil, &list)
	if len(list.Items) != 2 {
		t.Errorf("open sessions = %s", fmtJSON(list))
	}
	for _, x := range list.Items {
		if !x.Current {
			srv.must(t, http.StatusNoContent, p.session, "DELETE", "/v1/sessions/"+x.ID, nil, nil)
		}
	}
}

// usersGenerate creates the user's personal credential and an access token
// with it.
func usersGenerate(t *testing.T, srv *server, p *usersPerson) {
	t.Helper()
	var c apiv1.CreatedPersonalCredential
	srv.must(t, http.StatusCreated, p.session, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{}, &c)
	if !strings.HasPrefix(c.ClientID, "kwp_") || !strings.HasPrefix(c.Secret, "kws_") || c.ExpiresAt == nil {
		t.Fatalf("credential = %+v", c)
	}
	p.clientID, p.secret = c.ClientID, c.Secret
	srv.usersWantProblem(t, http.StatusConflict, p.session, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{}, "already have an active")
	p.accessToken = srv.usersClientToken(t, p.clientID, p.secret)
	var me apiv1.Me
	srv.must(t, http.StatusOK, p.accessToken, "GET", "/v1/me", nil, &me)
	if me.ID != p.id || me.Role != p.role {
		t.Fatalf("the token acts as %s (%s), want %s (%s)", me.ID, me.Role, p.id, p.role)
	}
}

// testUsersFlow is issue 4's story: a super admin invites a developer and a
// member; each logs in, enrols MFA, generates a personal credential, gets a
// token with it and calls the API with their role's rights and no more;
// policy limits are refused with clear messages; offboarding kills access
// at once; a second organisation sees nothing of the first.
func testUsersFlow(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t)
	admin := boot.APIToken
	var revealedExtra []string

	dev := &usersPerson{email: "dev@acme.test", role: "developer", password: "developer-password-1"}
	member := &usersPerson{email: "member@acme.test", role: "member", password: "member-password-1"}
	for _, p := range []*usersPerson{dev, member} {
		var u apiv1.InvitedUser
		srv.must(t, http.StatusCreated, admin, "POST", "/v1/users", apiv1.InviteUser{Email: p.email, Role: p.role}, &u)
		if u.OneTimePassword == "" || !u.MustChangePassword || u.Role != p.role {
			t.Fatalf("invited = %s", fmtJSON(u))
		}
		p.id, p.otp = u.ID, u.OneTimePassword
	}
	srv.usersWantProblem(t, http.StatusConflict, admin, "POST", "/v1/users", apiv1.InviteUser{Email: "DEV@acme.test", Role: "member"})
	srv.usersWantProblem(t, http.StatusUnprocessableEntity, admin, "POST", "/v1/users", apiv1.InviteUser{Email: "x@acme.test", Role: "owner"}, "role")

	t.Run("each logs in, changes the one-time password and enrols MFA", func(t *testing.T) {
		usersOnboard(t, srv, dev)
		usersOnboard(t, srv, member)
	})

	t.Run("a member's expiry is limited to one day", func(t *testing.T) {
		far := time.Now().Add(72 * time.Hour)
		srv.usersWantProblem(t, http.StatusUnprocessableEntity, member.session, "POST", "/v1/me/credential",
			apiv1.CreatePersonalCredential{ExpiresAt: &far}, "expires_at", "beyond the organisation's policy", "role member is 1 day ")
		srv.usersWantProblem(t, http.StatusUnprocessableEntity, member.session, "POST", "/v1/me/credential",
			apiv1.CreatePersonalCredential{NeverExpires: true}, "requires an expiry")
		// A developer may go to 90 days, not beyond.
		ok := time.Now().Add(80 * 24 * time.Hour)
		tooFar := time.Now().Add(91 * 24 * time.Hour)
		srv.usersWantProblem(t, http.StatusUnprocessableEntity, dev.session, "POST", "/v1/me/credential",
			apiv1.CreatePersonalCredential{ExpiresAt: &tooFar}, "role developer is 90 days")
		var c apiv1.CreatedPersonalCredential
		srv.must(t, http.StatusCreated, dev.session, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{ExpiresAt: &ok}, &c)
		srv.must(t, http.StatusNoContent, dev.session, "DELETE", "/v1/me/credential", nil, nil)
		// Nothing of the refused requests was created.
		var pc apiv1.PersonalCredential
		if code, raw := srv.call(t, member.session, "GET", "/v1/me/credential", nil, &pc); code != http.StatusNotFound {
			t.Errorf("member's credential after refusals = %d %s", code, raw)
		}
	})

	t.Run("each generates a personal credential and gets a token with it", func(t *testing.T) {
		usersGenerate(t, srv, dev)
		usersGenerate(t, srv, member)
		// Seed 000's login shape gives a token too.
		var tok apiv1.AccessToken
		srv.must(t, http.StatusOK, "", "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.email, Password: dev.secret}, &tok)
		if tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 {
			t.Errorf("auth/login = %s", fmtJSON(tok))
		}
		srv.must(t, http.StatusOK, tok.AccessToken, "GET", "/v1/me", nil, nil)
		srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.email, Password: member.secret}, "wrong email or credential secret")
		srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.email, Password: dev.password}, "wrong email or credential secret")
	})

	var devClient apiv1.Client
	var devClientSecret apiv1.CreatedSecret
	t.Run("each calls the API with their role's rights and no more", func(t *testing.T) {
		// The member reads, and writes nothing.
		m := member.accessToken
		srv.must(t, http.StatusOK, m, "GET", "/v1/clients", nil, nil)
		srv.must(t, http.StatusOK, m, "GET", "/v1/policy", nil, nil)
		srv.must(t, http.StatusOK, m, "GET", "/v1/keys", nil, nil)
		srv.usersWantProblem(t, http.StatusForbidden, m, "POST", "/v1/clients", apiv1.CreateClient{Name: "nope"}, "member", "clients:write")
		srv.usersWantProblem(t, http.StatusForbidden, m, "PATCH", "/v1/policy", apiv1.UpdatePolicy{}, "policy:write")
		srv.usersWantProblem(t, http.StatusForbidden, m, "GET", "/v1/users", nil, "users:read")
		srv.usersWantProblem(t, http.StatusForbidden, m, "GET", "/v1/audit", nil, "audit:read")
		srv.usersWantProblem(t, http.StatusForbidden, m, "POST", "/v1/keys/rotate", apiv1.RotateKeys{}, "keys:write")

		// The developer manages clients and secrets, not users or policy.
		d := dev.accessToken
		srv.must(t, http.StatusCreated, d, "POST", "/v1/clients", apiv1.CreateClient{Name: "billing"}, &devClient)
		srv.must(t, http.StatusCreated, d, "POST", "/v1/clients/"+devClient.ClientID+"/secrets", apiv1.CreateSecret{Description: "prod"}, &devClientSecret)
		srv.usersWantProblem(t, http.StatusForbidden, m, "POST", "/v1/clients/"+devClient.ClientID+"/secrets", apiv1.CreateSecret{Description: "x"}, "secrets:write")
		srv.must(t, http.StatusOK, m, "GET", "/v1/clients/"+devClient.ClientID+"/secrets", nil, nil)
		srv.usersWantProblem(t, http.StatusForbidden, d, "GET", "/v1/users", nil, "developer", "users:read")
		srv.usersWantProblem(t, http.StatusForbidden, d, "POST", "/v1/users", apiv1.InviteUser{Email: "x@acme.test", Role: "super_admin"}, "users:write")
		srv.usersWantProblem(t, http.StatusForbidden, d, "PATCH", "/v1/users/"+member.id, apiv1.UpdateUser{}, "users:write")
		srv.usersWantProblem(t, http.StatusForbidden, d, "PATCH", "/v1/policy", apiv1.UpdatePolicy{}, "policy:write")
		srv.usersWantProblem(t, http.StatusForbidden, d, "DELETE", "/v1/users/"+member.id+"/credential", nil, "credentials:manage")
		srv.usersWantProblem(t, http.StatusForbidden, d, "GET", "/v1/audit", nil, "audit:read")
		// Sessions carry the same rights as the tokens.
		srv.usersWantProblem(t, http.StatusForbidden, member.session, "POST", "/v1/clients", apiv1.CreateClient{Name: "nope"}, "clients:write")
		srv.usersWantProblem(t, http.StatusForbidden, dev.session, "GET", "/v1/users", nil, "users:read")
	})

	t.Run("a role change takes effect on the next request", func(t *testing.T) {
		role := "developer"
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/users/"+member.id, apiv1.UpdateUser{Role: &role}, nil)
		var c apiv1.Client
		srv.must(t, http.StatusCreated, member.accessToken, "POST", "/v1/clients", apiv1.CreateClient{Name: "promoted"}, &c)
		role = "member"
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/users/"+member.id, apiv1.UpdateUser{Role: &role}, nil)
		srv.usersWantProblem(t, http.StatusForbidden, member.accessToken, "DELETE", "/v1/clients/"+c.ClientID, nil, "clients:write")
	})

	t.Run("policy switches refuse personal credentials at once", func(t *testing.T) {
		only := "super_admins"
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/policy", apiv1.UpdatePolicy{PersonalCredentials: &only}, nil)
		srv.usersWantProblem(t, http.StatusForbidden, member.session, "POST", "/v1/me/credential/rotate", apiv1.RotatePersonalCredential{}, "super admins only")
		srv.usersWantProblem(t, http.StatusUnauthorized, member.accessToken, "GET", "/v1/me", nil)
		if code, body := srv.usersForm(t, "/oauth2/token", member.clientID, member.secret, url.Values{"grant_type": {"client_credentials"}}); code != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("token while refused = %d %v", code, body)
		}
		everyone := "everyone"
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/policy", apiv1.UpdatePolicy{PersonalCredentials: &everyone}, nil)
		srv.must(t, http.StatusOK, member.accessToken, "GET", "/v1/me", nil, nil)

		refuse, off := true, false
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/policy", apiv1.UpdatePolicy{RefuseCredentialsWithMFA: &refuse}, nil)
		srv.usersWantProblem(t, http.StatusForbidden, dev.session, "POST", "/v1/me/credential/rotate", apiv1.RotatePersonalCredential{}, "MFA on")
		srv.usersWantProblem(t, http.StatusUnauthorized, dev.accessToken, "GET", "/v1/me", nil)
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/policy", apiv1.UpdatePolicy{RefuseCredentialsWithMFA: &off}, nil)
		srv.must(t, http.StatusOK, dev.accessToken, "GET", "/v1/me", nil, nil)
	})

	t.Run("offboarding kills the session, the credential and its tokens at once", func(t *testing.T) {
		oldToken := dev.accessToken
		var u apiv1.User
		disable := true
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/users/"+dev.id, apiv1.UpdateUser{Disabled: &disable}, &u)
		if u.Status != "disabled" || u.DisabledAt == nil {
			t.Fatalf("disabled user = %s", fmtJSON(u))
		}
		srv.usersWantProblem(t, http.StatusUnauthorized, dev.session, "GET", "/v1/me", nil)
		srv.usersWantProblem(t, http.StatusUnauthorized, oldToken, "GET", "/v1/me", nil)
		if code, body := srv.usersForm(t, "/oauth2/token", dev.clientID, dev.secret, url.Values{"grant_type": {"client_credentials"}}); code != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("token after offboarding = %d %v", code, body)
		}
		srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.email, Password: dev.secret})
		srv.usersWantProblem(t, http.StatusUnauthorized, "", "POST", "/v1/sessions", apiv1.Login{Email: dev.email, Password: dev.password, TOTPCode: usersTOTP(t, dev.totpSecret)})
		// The client the developer created lives on, and sees the token
		// inactive at introspection.
		code, body := srv.usersForm(t, "/oauth2/introspect", devClient.ClientID, devClientSecret.Value, url.Values{"token": {oldToken}})
		if code != http.StatusOK || body["active"] != false {
			t.Errorf("introspection of the offboarded token = %d %v", code, body)
		}
		var pc apiv1.PersonalCredential
		srv.must(t, http.StatusOK, admin, "GET", "/v1/users/"+dev.id+"/credential", nil, &pc)
		if pc.Active != nil {
			t.Errorf("the offboarded credential is still active: %s", fmtJSON(pc.Active))
		}
		// Enabling the user again does not bring the credential back.
		enable := false
		srv.must(t, http.StatusOK, admin, "PATCH", "/v1/users/"+dev.id, apiv1.UpdateUser{Disabled: &enable}, nil)
		if code, body := srv.usersForm(t, "/oauth2/token", dev.clientID, dev.secret, url.Values{"grant_type": {"client_credentials"}}); code != http.StatusUnauthorized {
			t.Errorf("token after re-enabling = %d %v", code, body)
		}
		srv.usersWantProblem(t, http.StatusUnauthorized, oldToken, "GET", "/v1/me", nil)
	})

	t.Run("a super admin revokes anyone's credential", func(t *testing.T) {
		srv.must(t, http.StatusNoContent, admin, "DELETE", "/v1/users/"+member.id+"/credential", nil, nil)
		srv.usersWantProblem(t, http.StatusUnauthorized, member.accessToken, "GET", "/v1/me", nil)
		// The member's session is not a credential: it keeps working.
		srv.must(t, http.StatusOK, member.session, "GET", "/v1/me", nil, nil)
	})

	t.Run("a second organisation sees nothing of the first", func(t *testing.T) {
		other := in.init(t, "Globex", "admin@globex.test").APIToken
		for _, path := range []string{"/v1/users/" + dev.id, "/v1/users/" + member.id + "/credential", "/v1/clients/" + devClient.ClientID,
			"/v1/clients/" + devClient.ClientID + "/secrets", "/v1/clients/" + member.clientID} {
			srv.usersWantProblem(t, http.StatusNotFound, other, "GET", path, nil)
		}
		role, disable := "super_admin", true
		srv.usersWantProblem(t, http.StatusNotFound, other, "PATCH", "/v1/users/"+member.id, apiv1.UpdateUser{Role: &role})
		srv.usersWantProblem(t, http.StatusNotFound, other, "PATCH", "/v1/users/"+member.id, apiv1.UpdateUser{Disabled: &disable})
		srv.usersWantProblem(t, http.StatusNotFound, other, "DELETE", "/v1/users/"+member.id, nil)
		srv.usersWantProblem(t, http.StatusNotFound, other, "DELETE", "/v1/users/"+member.id+"/credential", nil)
		var users apiv1.UserList
		srv.must(t, http.StatusOK, other, "GET", "/v1/users", nil, &users)
		if len(users.Items) != 1 || users.Items[0].Email != "admin@globex.test" {
			t.Errorf("the second organisation's users = %s", fmtJSON(users))
		}
		var clients apiv1.ClientList
		srv.must(t, http.StatusOK, other, "GET", "/v1/clients", nil, &clients)
		if len(clients.Items) != 0 {
			t.Errorf("the second organisation sees clients: %s", fmtJSON(clients))
		}
		// The same email may exist in both: a login then names the
		// organisation.
		var twin apiv1.InvitedUser
		srv.must(t, http.StatusCreated, other, "POST", "/v1/users", apiv1.InviteUser{Email: member.email, Role: "member"}, &twin)
		srv.usersWantProblem(t, http.StatusUnprocessableEntity, "", "POST", "/v1/sessions", apiv1.Login{Email: member.email, Password: twin.OneTimePassword}, "organization")
		var me apiv1.Me
		srv.must(t, http.StatusOK, other, "GET", "/v1/me", nil, &me)
		var s apiv1.NewSession
		srv.must(t, http.StatusCreated, "", "POST", "/v1/sessions", apiv1.Login{Email: member.email, Password: twin.OneTimePassword, Organization: me.OrganizationID}, &s)
		if s.User.ID != twin.ID {
			t.Errorf("login in the second organisation = %s", fmtJSON(s.User))
		}
		// And the first organisation's super admin cannot reach the twin.
		srv.usersWantProblem(t, http.StatusNotFound, admin, "GET", "/v1/users/"+twin.ID, nil)
		var globex apiv1.Client
		srv.must(t, http.StatusCreated, other, "POST", "/v1/clients", apiv1.CreateClient{Name: "globex"}, &globex)
		srv.usersWantProblem(t, http.StatusNotFound, member.session, "GET", "/v1/clients/"+globex.ClientID, nil)
		srv.usersWantProblem(t, http.StatusNotFound, admin, "DELETE", "/v1/clients/"+globex.ClientID, nil)
		revealedExtra = append(revealedExtra, other, twin.OneTimePassword, s.Token)
	})

	t.Run("the audit log holds logins, MFA, roles and credentials", func(t *testing.T) {
		seen := map[string]bool{}
		for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
			var list apiv1.AuditList
			srv.must(t, http.StatusOK, admin, "GET", "/v1/audit?limit=200&cursor="+url.QueryEscape(cursor), nil, &list)
			for _, e := range list.Items {
				seen[e.Action+"/"+e.Result] = true
			}
			cursor = list.NextCursor
		}
		for _, want := range []string{"user.invite/success", "user.login/success", "user.login/failure", "user.login_mfa/failure",
			"user.password_change/success", "user.password_change/failure", "mfa.enable/success", "mfa.enable/failure",
			"user.role_change/success", "credential.create/success", "credential.revoke/success", "user.disable/success", "policy.update/success"} {
			if !seen[want] {
				t.Errorf("no %s audit event", want)
			}
		}
		if t.Failed() {
			t.Logf("seen: %v", seen)
		}
	})

	srv.stop(t)
	logs := srv.logs.String()
	for _, v := range usersRevealed([]*usersPerson{dev, member}, append(revealedExtra, admin, boot.Password, devClientSecret.Value)...) {
		if v != "" && strings.Contains(logs, v) {
			t.Errorf("a secret value (…%s) appears in the server log", v[max(0, len(v)-4):])
		}
	}
	out, errOut, code := in.run(t, "", append([]string{"audit", "verify"}, in.storeArgs()...)...)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("audit verify exited %d: %s %s", code, out, errOut)
	}
}

func TestUsersCLISQLite(t *testing.T)   { testUsersCLI(t, newSQLite(t)) }
func TestUsersCLIPostgres(t *testing.T) { testUsersCLI(t, newPostgres(t)) }

// testUsersCLI is the same story through the keywarden binary: a super
// admin invites a developer, who logs in (the session is stored in their
// configuration directory with mode 0600), changes the one-time password,
// enrols MFA, downloads a personal credential to a file and gets a token
// with it; offboarding stops all of it.
func testUsersCLI(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t)
	home := t.TempDir()
	config := filepath.Join(home, "config")
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + config, "KEYWARDEN_TOKEN=", "KEYWARDEN_SERVER="}
	cli := func(t *testing.T, stdin string, args ...string) (string, string, int) {
		t.Helper()
		user := &instance{dataDir: in.dataDir, env: env}
		return user.run(t, stdin, args...)
	}
	mustCLI := func(t *testing.T, stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, stdin, args...)
		if code != 0 {
			t.Fatalf("keywarden %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	asAdmin := func(args ...string) []string { return append(args, "--server", srv.URL, "--token", boot.APIToken) }

	var invited apiv1.InvitedUser
	if err := json.Unmarshal([]byte(mustCLI(t, "", asAdmin("users", "invite", "dev@acme.test", "--role", "developer", "-o", "json")...)), &invited); err != nil {
		t.Fatal(err)
	}
	const password = "the-developer-password"
	out := mustCLI(t, invited.OneTimePassword+"\n", "login", "--email", "dev@acme.test", "--password-stdin", "--server", srv.URL)
	if !strings.Contains(out, "one-time password") {
		t.Errorf("login output:\n%s", out)
	}
	file := filepath.Join(config, "keywarden", "session.json")
	for path, want := range map[string]os.FileMode{filepath.Dir(file): 0o700, file: 0o600} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %04o", path, err, info, want)
		}
	}
	mustCLI(t, invited.OneTimePassword+"\n"+password+"\n", "password", "change", "--password-stdin")

	var e struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "", "mfa", "enrol", "-o", "json")), &e); err != nil || e.Secret == "" {
		t.Fatalf("mfa enrol -o json: %v", err)
	}
	mustCLI(t, "", "mfa", "confirm", "--code", usersPreviousTOTP(t, e.Secret))
	mustCLI(t, "", "logout")
	if _, errOut, code := cli(t, password+"\n", "login", "--email", "dev@acme.test", "--password-stdin", "--server", srv.URL); code != 2 || !strings.Contains(errOut, "--totp") {
		t.Errorf("login without a code: exit %d, %s", code, errOut)
	}
	mustCLI(t, password+"\n"+usersTOTP(t, e.Secret)+"\n", "login", "--email", "dev@acme.test", "--password-stdin", "--server", srv.URL)
	if out := mustCLI(t, "", "whoami"); !strings.Contains(out, "developer") || !strings.Contains(out, "MFA           on") {
		t.Errorf("whoami:\n%s", out)
	}

	credFile := filepath.Join(home, "credential.env")
	mustCLI(t, "", "credentials", "create", "--out", credFile)
	info, err := os.Stat(credFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credential file: %v %v", err, info)
	}
	b, _ := os.ReadFile(credFile)
	vars := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			vars[k] = v
		}
	}
	if vars["KEYWARDEN_SERVER"] != srv.URL || !strings.HasPrefix(vars["KEYWARDEN_CLIENT_SECRET"], "kws_") {
		t.Fatalf("credential file:\n%s", b)
	}
	access := srv.usersClientToken(t, vars["KEYWARDEN_CLIENT_ID"], vars["KEYWARDEN_CLIENT_SECRET"])
	var tok apiv1.AccessToken
	if err := json.Unmarshal([]byte(mustCLI(t, vars["KEYWARDEN_CLIENT_SECRET"]+"\n", "auth", "login", "--email", "dev@acme.test", "--secret-stdin", "-o", "json")), &tok); err != nil {
		t.Fatal(err)
	}
	if out := mustCLI(t, "", "whoami", "--token", tok.AccessToken, "--server", srv.URL); !strings.Contains(out, invited.ID) {
		t.Errorf("whoami with the auth login token:\n%s", out)
	}
	if _, errOut, code := cli(t, "", "users", "list"); code != 1 || !strings.Contains(errOut, "Forbidden") {
		t.Errorf("users list as a developer: exit %d, %s", code, errOut)
	}

	mustCLI(t, "", asAdmin("users", "disable", invited.ID)...)
	for _, token := range []string{"", access, tok.AccessToken} {
		args := []string{"whoami"}
		if token != "" {
			args = append(args, "--token", token, "--server", srv.URL)
		}
		if _, errOut, code := cli(t, "", args...); code != 1 || !strings.Contains(errOut, "Unauthorized") {
			t.Errorf("whoami after offboarding: exit %d, %s", code, errOut)
		}
	}
	if out := mustCLI(t, "", "logout"); !strings.Contains(out, "already ended") {
		t.Errorf("logout after offboarding:\n%s", out)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("session file after logout: %v", err)
	}

	srv.stop(t)
	logs := srv.logs.String()
	for _, v := range []string{boot.APIToken, invited.OneTimePassword, password, e.Secret, vars["KEYWARDEN_CLIENT_SECRET"], access, tok.AccessToken} {
		if strings.Contains(logs, v) {
			t.Errorf("a secret value (…%s) appears in the server log", v[len(v)-4:])
		}
	}
}
