package api_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// TestMFAEnrolment enrols TOTP: begin (secret, URI, QR code), confirm with
// a code computed from the secret as an authenticator app does, and the
// recovery codes.
func TestMFAEnrolment(t *testing.T) {
	e := newEnv(t)
	ada := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	tok := as(ada.Token)

	var enrol apiv1.MFAEnrolment
	t.Run("begin", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/me/mfa", nil, tok)
		want(t, res, http.StatusCreated)
		enrol = decode[apiv1.MFAEnrolment](t, res)
		u, err := url.Parse(enrol.OTPAuthURI)
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != enrol.Secret ||
			!strings.Contains(u.Query().Get("issuer"), "Acme") || !strings.Contains(u.Path, ada.Email()) {
			t.Errorf("otpauth_uri = %q (secret %q)", enrol.OTPAuthURI, enrol.Secret)
		}
		raw, err := base64.StdEncoding.DecodeString(enrol.QRCodePNG)
		if err != nil {
			t.Fatalf("qr_code_png is not base64: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("qr_code_png is not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
			t.Errorf("QR code is %v", b)
		}
		if e.me(t, ada.Token).MFAEnabled {
			t.Errorf("MFA is on before it was confirmed")
		}
		// Beginning again replaces the secret.
		res = e.do(t, "POST", "/v1/me/mfa", map[string]any{}, tok)
		want(t, res, http.StatusCreated)
		again := decode[apiv1.MFAEnrolment](t, res)
		if again.Secret == enrol.Secret {
			t.Errorf("a new enrolment has the same secret")
		}
		enrol = again
		findEvent(t, e.auditEvents(t, "action=mfa."), "mfa.enrol_start", ada.ID(), domain.ResultSuccess)
	})
	ada.MFASecret = enrol.Secret
	t.Run("a wrong code is refused", func(t *testing.T) {
		p := wantProblem(t, e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: ada.wrongCode(t)}, tok), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "code" {
			t.Errorf("errors = %+v", p.Errors)
		}
		wantProblem(t, e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: "abc"}, tok), http.StatusUnprocessableEntity)
		findEvent(t, e.auditEvents(t, "action=mfa.enable"), "mfa.enable", ada.ID(), domain.ResultFailure)
		if e.me(t, ada.Token).MFAEnabled {
			t.Errorf("MFA is on after a wrong code")
		}
	})
	t.Run("confirm", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: ada.code(t)}, tok)
		want(t, res, http.StatusOK)
		codes := decode[apiv1.RecoveryCodes](t, res).RecoveryCodes
		seen := map[string]bool{}
		for _, c := range codes {
			seen[c] = true
		}
		if len(codes) != account.RecoveryCodeCount || len(seen) != len(codes) {
			t.Errorf("recovery codes = %q, want %d distinct", codes, account.RecoveryCodeCount)
		}
		if !e.me(t, ada.Token).MFAEnabled {
			t.Errorf("MFA is off after confirming")
		}
		findEvent(t, e.auditEvents(t, "action=mfa.enable"), "mfa.enable", ada.ID(), domain.ResultSuccess)
		res = e.do(t, "GET", "/v1/users/"+ada.ID(), nil)
		want(t, res, http.StatusOK)
		if !decode[apiv1.User](t, res).MFAEnabled {
			t.Errorf("the user list does not show MFA on")
		}
	})
	t.Run("no second enrolment while on", func(t *testing.T) {
		wantProblem(t, e.do(t, "POST", "/v1/me/mfa", nil, tok), http.StatusConflict)
		wantProblem(t, e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: "123456"}, tok), http.StatusConflict)
	})
	t.Run("confirm needs an enrolment", func(t *testing.T) {
		bob := e.user(t, e.boot.Org.ID, domain.RoleMember)
		wantProblem(t, e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: "123456"}, as(bob.Token)), http.StatusConflict)
		wantProblem(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: "123456"}, as(bob.Token)), http.StatusConflict)
	})
}

// TestMFALogin checks that a user with MFA needs a TOTP or recovery code
// to log in, that each recovery code works once, and that failures are
// audited.
func TestMFALogin(t *testing.T) {
	e := newEnv(t)
	ada := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	recovery := e.enrolMFA(t, ada)
	login := func(totp, rec string) apiv1.Login {
		return apiv1.Login{Email: ada.Email(), Password: ada.Password, TOTPCode: totp, RecoveryCode: rec}
	}

	t.Run("password alone asks for the code", func(t *testing.T) {
		before := auditHead(t, e)
		res := e.do(t, "POST", "/v1/sessions", login("", ""), noAuth())
		p := wantProblemType(t, res, http.StatusUnauthorized, "mfa-required")
		if !strings.Contains(p.Detail, "totp_code") {
			t.Errorf("detail %q does not say what to send", p.Detail)
		}
		if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="keywarden"` {
			t.Errorf("WWW-Authenticate = %q", got)
		}
		if len(cookies(res)) != 0 {
			t.Errorf("cookies set: %v", res.Header["Set-Cookie"])
		}
		if got := auditHead(t, e); got != before {
			t.Errorf("asking for the code added %d audit events", got-before)
		}
	})
	t.Run("a wrong password does not reveal MFA", func(t *testing.T) {
		ben := e.user(t, e.boot.Org.ID, domain.RoleMember)
		e.enrolMFA(t, ben)
		res := e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: ben.Email(), Password: "not the password"}, noAuth())
		wantProblem(t, res, http.StatusUnauthorized)
		res = e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: ben.Email(), Password: "not the password", TOTPCode: ben.code(t)}, noAuth())
		wantProblem(t, res, http.StatusUnauthorized)
	})
	t.Run("a wrong code", func(t *testing.T) {
		wantProblemType(t, e.do(t, "POST", "/v1/sessions", login(ada.wrongCode(t), ""), noAuth()), http.StatusUnauthorized, "mfa-required")
		wantProblemType(t, e.do(t, "POST", "/v1/sessions", login("", "aaaaa-bbbbb"), noAuth()), http.StatusUnauthorized, "mfa-required")
		ev := findEvent(t, e.auditEvents(t, "action=user.login_mfa"), "user.login_mfa", ada.ID(), domain.ResultFailure)
		if ev.Detail["reason"] == "" {
			t.Errorf("no reason: %+v", ev)
		}
	})
	t.Run("the TOTP code", func(t *testing.T) {
		s := e.login(t, login(ada.code(t), ""))
		if s.User.ID != ada.ID() || !s.User.MFAEnabled {
			t.Errorf("session user = %+v", s.User)
		}
		want(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "with MFA"}, as(s.Token)), http.StatusCreated)
		ev := findEvent(t, e.auditEvents(t, "action=user.login"), "user.login", ada.ID(), domain.ResultSuccess)
		if ev.Detail["mfa"] != "passed" {
			t.Errorf("login event detail = %v", ev.Detail)
		}
	})
	t.Run("a recovery code works once", func(t *testing.T) {
		// Case and the dash do not matter.
		e.login(t, login("", strings.ToUpper(strings.ReplaceAll(recovery[0], "-", ""))))
		wantProblemType(t, e.do(t, "POST", "/v1/sessions", login("", recovery[0]), noAuth()), http.StatusUnauthorized, "mfa-required")
		ev := findEvent(t, e.auditEvents(t, "action=mfa.recovery_code_used"), "mfa.recovery_code_used", ada.ID(), domain.ResultSuccess)
		if ev.Detail["remaining"] != "9" {
			t.Errorf("remaining = %q, want 9", ev.Detail["remaining"])
		}
		e.login(t, login("", recovery[1]))
	})
	t.Run("a TOTP code works once", func(t *testing.T) {
		// RFC 6238 §5.2: the verifier MUST NOT accept the second attempt
		// of an OTP after a successful validation.
		code := ada.code(t)
		e.login(t, login(code, ""))
		wantProblemType(t, e.do(t, "POST", "/v1/sessions", login(code, ""), noAuth()), http.StatusUnauthorized, "mfa-required")
	})
}

// TestMFADisable checks that turning MFA off needs a code.
func TestMFADisable(t *testing.T) {
	e := newEnv(t)
	ada := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	recovery := e.enrolMFA(t, ada)
	tok := as(ada.Token)

	for name, code := range map[string]string{"no code": "", "wrong code": "12345", "used-up style": "zzzzz-zzzzz"} {
		t.Run(name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: code}, tok), http.StatusUnprocessableEntity)
			if len(p.Errors) != 1 || p.Errors[0].Field != "code" {
				t.Errorf("errors = %+v", p.Errors)
			}
		})
	}
	wantProblem(t, e.do(t, "POST", "/v1/me/mfa/disable", map[string]any{}, tok), http.StatusUnprocessableEntity)
	if !e.me(t, ada.Token).MFAEnabled {
		t.Fatalf("MFA is off after refused attempts")
	}
	findEvent(t, e.auditEvents(t, "action=mfa.disable"), "mfa.disable", ada.ID(), domain.ResultFailure)

	t.Run("with a recovery code", func(t *testing.T) {
		want(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: recovery[3]}, tok), http.StatusNoContent)
		if e.me(t, ada.Token).MFAEnabled {
			t.Errorf("MFA still on")
		}
		findEvent(t, e.auditEvents(t, "action=mfa.disable"), "mfa.disable", ada.ID(), domain.ResultSuccess)
		e.login(t, apiv1.Login{Email: ada.Email(), Password: ada.Password})
		wantProblem(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: recovery[4]}, tok), http.StatusConflict)
	})
	t.Run("with a TOTP code", func(t *testing.T) {
		bob := e.user(t, e.boot.Org.ID, domain.RoleMember)
		codes := e.enrolMFA(t, bob)
		want(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: bob.code(t)}, as(bob.Token)), http.StatusNoContent)
		// The old recovery codes died with the enrolment.
		e.enrolMFA(t, bob)
		wantProblemType(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: bob.Email(), Password: bob.Password, RecoveryCode: codes[0]}, noAuth()),
			http.StatusUnauthorized, "mfa-required")
	})
}

// TestRequireMFA checks the policy that makes every user enrol MFA: until
// they do, their sessions are restricted to enrolling.
func TestRequireMFA(t *testing.T) {
	e := newEnv(t)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	enrolled := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	e.enrolMFA(t, enrolled)
	cred := e.generate(t, dev.Token, nil)

	res := e.do(t, "PATCH", "/v1/policy", map[string]any{"require_mfa": true})
	want(t, res, http.StatusOK)
	if !decode[apiv1.Policy](t, res).RequireMFA {
		t.Fatalf("require_mfa is not on")
	}
	session := e.login(t, apiv1.Login{Email: dev.Email(), Password: dev.Password}).Token
	tok := as(session)

	t.Run("restricted until enrolment", func(t *testing.T) {
		for _, path := range []string{"/v1/clients", "/v1/policy", "/v1/me/credential"} {
			p := wantProblemType(t, e.do(t, "GET", path, nil, tok), http.StatusForbidden, "restricted")
			if !strings.Contains(p.Detail, "MFA") || !strings.Contains(p.Detail, "POST /v1/me/mfa") {
				t.Errorf("GET %s: detail %q does not say what to do", path, p.Detail)
			}
		}
		if m := e.me(t, session); !strings.Contains(m.Restricted, "MFA") {
			t.Errorf("GET /v1/me restricted = %q", m.Restricted)
		}
		want(t, e.do(t, "GET", "/v1/sessions", nil, tok), http.StatusOK)
	})
	t.Run("an enrolled user is not", func(t *testing.T) {
		s := e.login(t, apiv1.Login{Email: enrolled.Email(), Password: enrolled.Password, TOTPCode: enrolled.code(t)})
		want(t, e.do(t, "GET", "/v1/clients", nil, as(s.Token)), http.StatusOK)
	})
	t.Run("API tokens and personal credentials are not restricted", func(t *testing.T) {
		want(t, e.do(t, "GET", "/v1/clients", nil, as(dev.Token)), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/clients", nil, as(e.personalToken(t, cred.ClientID, cred.Secret))), http.StatusOK)
	})
	t.Run("enrolling lifts the restriction", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/me/mfa", nil, tok)
		want(t, res, http.StatusCreated)
		dev.MFASecret = decode[apiv1.MFAEnrolment](t, res).Secret
		want(t, e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: dev.code(t)}, tok), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/clients", nil, tok), http.StatusOK)
		if m := e.me(t, session); m.Restricted != "" || !m.MFAEnabled {
			t.Errorf("after enrolling: %+v", m)
		}
	})
	t.Run("disabling MFA restricts again", func(t *testing.T) {
		want(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: dev.code(t)}, tok), http.StatusNoContent)
		wantProblemType(t, e.do(t, "GET", "/v1/clients", nil, tok), http.StatusForbidden, "restricted")
	})
	t.Run("turning the policy off lifts it", func(t *testing.T) {
		want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"require_mfa": false}), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/clients", nil, tok), http.StatusOK)
	})
}

// TestRefuseCredentialsWithMFA checks the policy switch that refuses the
// personal credentials of users with MFA on.
func TestRefuseCredentialsWithMFA(t *testing.T) {
	e := newEnv(t)
	withMFA := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	cred := e.generate(t, withMFA.Token, nil)
	access := e.personalToken(t, cred.ClientID, cred.Secret)
	e.enrolMFA(t, withMFA)
	without := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	want(t, e.do(t, "GET", "/v1/me", nil, as(access)), http.StatusOK) // off by default

	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"refuse_credentials_with_mfa": true}), http.StatusOK)
	t.Run("the MFA user's credential is refused", func(t *testing.T) {
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(access)), http.StatusUnauthorized)
		res := e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(cred.ClientID, cred.Secret))
		if res.Status != http.StatusUnauthorized {
			t.Errorf("token endpoint: %s", res)
		}
		wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: withMFA.Email(), Password: cred.Secret}, noAuth()), http.StatusUnauthorized)
		want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(withMFA.Token)), http.StatusNoContent)
		p := wantProblem(t, e.do(t, "POST", "/v1/me/credential", nil, as(withMFA.Token)), http.StatusForbidden)
		if !strings.Contains(p.Detail, "MFA") {
			t.Errorf("detail %q does not say why", p.Detail)
		}
	})
	t.Run("a user without MFA keeps theirs", func(t *testing.T) {
		c := e.generate(t, without.Token, nil)
		want(t, e.do(t, "GET", "/v1/me", nil, as(e.personalToken(t, c.ClientID, c.Secret))), http.StatusOK)
	})
	t.Run("turning MFA off allows it again", func(t *testing.T) {
		want(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: withMFA.code(t)}, as(withMFA.Token)), http.StatusNoContent)
		c := e.generate(t, withMFA.Token, nil)
		e.personalToken(t, c.ClientID, c.Secret)
	})
}
