package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"keywarden/internal/api"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// TestOrgIsolation checks that another organisation's clients and secrets
// are "not found" on every route (never 403), and that nothing changes.
func TestOrgIsolation(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	secret := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "prod"})
	res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", nil)
	want(t, res, http.StatusCreated)
	rotation := decode[apiv1.RotateResult](t, res).Rotation.ID
	want(t, e.do(t, "POST", clientPath(client.ClientID)+"/refresh-tokens", nil), http.StatusCreated)
	globex := e.newOrg(t, "Globex", "g@globex.test")
	intruder := as(globex.APIToken.Reveal())

	before := e.snapshot(t, e.boot.Org.ID, globex.Org.ID)
	for _, rt := range (&api.Handler{}).Routes() {
		if !strings.Contains(rt.Path, "{client_id}") || rt.Path == publicKeySet {
			continue
		}
		id := secret.ID
		if strings.Contains(rt.Path, "/rotations/") {
			id = rotation
		}
		path := strings.NewReplacer("{client_id}", client.ClientID, "{id}", id).Replace(rt.Path)
		var body any
		switch rt.Method + " " + rt.Path {
		case "PATCH /v1/clients/{client_id}":
			body = map[string]any{"name": "pwned", "disabled": true}
		case "POST /v1/clients/{client_id}/secrets":
			body = apiv1.CreateSecret{Description: "backdoor", Value: ptr("a-value-the-intruder-knows-123")}
		case "PATCH /v1/clients/{client_id}/secrets/{id}":
			body = map[string]any{"description": "pwned"}
		case "POST /v1/clients/{client_id}/secrets/rotate":
			body = apiv1.Rotate{GraceSeconds: ptr(0)}
		case "POST /v1/clients/{client_id}/rotations/{id}/complete":
			body = apiv1.CompleteRotation{Force: true}
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			wantProblem(t, e.do(t, rt.Method, path, body, intruder), http.StatusNotFound)
		})
	}
	t.Run("lists show only the caller's organisation", func(t *testing.T) {
		res := e.do(t, "GET", "/v1/clients", nil, intruder)
		want(t, res, http.StatusOK)
		if items := decode[apiv1.ClientList](t, res).Items; len(items) != 0 {
			t.Errorf("Globex sees %d clients of Acme: %+v", len(items), items)
		}
		res = e.do(t, "GET", "/v1/audit?limit=200", nil, intruder)
		want(t, res, http.StatusOK)
		for _, ev := range decode[apiv1.AuditList](t, res).Items {
			if ev.Target == client.ClientID || ev.Target == secret.ID || ev.Target == string(e.boot.Org.ID) || ev.ActorID == string(e.boot.User.ID) {
				t.Errorf("Globex sees Acme's audit event %+v", ev)
			}
		}
		res = e.do(t, "GET", "/v1/audit?target="+string(client.ClientID), nil, intruder)
		want(t, res, http.StatusOK)
		if items := decode[apiv1.AuditList](t, res).Items; len(items) != 0 {
			t.Errorf("Globex finds Acme's events by target: %+v", items)
		}
	})
	t.Run("policy is the caller's own", func(t *testing.T) {
		want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_never_expire": true}, intruder), http.StatusOK)
		res := e.do(t, "GET", "/v1/policy", nil)
		want(t, res, http.StatusOK)
		if decode[apiv1.Policy](t, res).AllowNeverExpire {
			t.Errorf("Globex's policy change reached Acme")
		}
	})
	after := e.snapshot(t, e.boot.Org.ID)
	before.Orgs = before.Orgs[:1]
	sameState(t, before, after, after.AuditCount-before.AuditCount)
	if len(after.Orgs[0].Clients) != 1 || len(after.Orgs[0].Clients[0].Secrets) != 2 {
		t.Errorf("Acme's clients changed: %s", dump(after.Orgs[0].Clients))
	}
}

// TestSecretOfAnotherClient checks that a secret is only found under its
// own client's path.
func TestSecretOfAnotherClient(t *testing.T) {
	e := newEnv(t)
	a, b := e.createClient(t, "A"), e.createClient(t, "B")
	secret := e.createSecret(t, a.ClientID, apiv1.CreateSecret{Description: "a"})
	before := e.snapshot(t)
	wantProblem(t, e.do(t, "GET", secretPath(b.ClientID, secret.ID), nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "PATCH", secretPath(b.ClientID, secret.ID), map[string]string{"description": "x"}), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", secretPath(b.ClientID, secret.ID), nil), http.StatusNotFound)
	sameState(t, before, e.snapshot(t), 0)
}

// TestMemberReadsButCannotWrite walks a member through the API.
func TestMemberReadsButCannotWrite(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	secret := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "prod"})
	_, tok := e.userToken(t, e.boot.Org.ID, domain.RoleMember, nil, nil)
	member := as(tok)
	res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", nil)
	want(t, res, http.StatusCreated)
	rotation := clientPath(client.ClientID) + "/rotations/" + decode[apiv1.RotateResult](t, res).Rotation.ID
	before := e.snapshot(t)
	for _, path := range []string{"/v1/clients", clientPath(client.ClientID), secretsPath(client.ClientID), secretPath(client.ClientID, secret.ID),
		clientPath(client.ClientID) + "/rotations", rotation, clientPath(client.ClientID) + "/refresh-tokens", "/v1/keys", "/v1/policy"} {
		want(t, e.do(t, "GET", path, nil, member), http.StatusOK)
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/clients", apiv1.CreateClient{Name: "x"}},
		{"PATCH", clientPath(client.ClientID), map[string]any{"name": "x"}},
		{"DELETE", clientPath(client.ClientID), nil},
		{"POST", clientPath(client.ClientID) + "/revoke-all", nil},
		{"POST", secretsPath(client.ClientID), apiv1.CreateSecret{Description: "x"}},
		{"POST", secretsPath(client.ClientID) + "/rotate", nil},
		{"PATCH", secretPath(client.ClientID, secret.ID), map[string]any{"description": "x"}},
		{"DELETE", secretPath(client.ClientID, secret.ID), nil},
		{"PATCH", "/v1/policy", map[string]any{"allow_never_expire": true}},
		{"GET", "/v1/audit", nil},
		{"POST", rotation + "/complete", apiv1.CompleteRotation{Force: true}},
		{"POST", clientPath(client.ClientID) + "/refresh-tokens", nil},
		{"POST", "/v1/keys/rotate", nil},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			wantProblem(t, e.do(t, c.method, c.path, c.body, member), http.StatusForbidden)
		})
	}
	sameState(t, before, e.snapshot(t), 0)
}

// TestFailedAuthenticationIsAudited checks that refused uses of real tokens
// are audited with their reason, and that garbage is not.
func TestFailedAuthenticationIsAudited(t *testing.T) {
	e := newEnv(t)
	past := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	revoked := e.tokenFor(t, e.boot.User, nil, &past)
	expired := e.tokenFor(t, e.boot.User, &past, nil)
	for _, c := range []struct {
		name, token, reason string
	}{
		{"revoked", revoked, "token revoked"},
		{"expired", expired, "token expired"},
		{"garbage", "kwt_nonsense", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot(t)
			p := wantProblem(t, e.do(t, "GET", "/v1/clients", nil, as(c.token)), http.StatusUnauthorized)
			if strings.Contains(p.Detail, c.reason) && c.reason != "" {
				t.Errorf("the 401 tells the caller why (%q): every failure must look the same", p.Detail)
			}
			n := int64(0)
			if c.reason != "" {
				n = 1
			}
			sameState(t, before, e.snapshot(t), n)
			if c.reason == "" {
				return
			}
			res := e.do(t, "GET", "/v1/audit?action=api.authenticate&limit=1", nil)
			want(t, res, http.StatusOK)
			items := decode[apiv1.AuditList](t, res).Items
			if len(items) != 1 || items[0].Result != domain.ResultFailure || items[0].Detail["reason"] != c.reason || items[0].ActorID != string(e.boot.User.ID) {
				t.Errorf("audit = %+v, want one failure with reason %q by %s", items, c.reason, e.boot.User.ID)
			}
		})
	}
}

// TestPolicyLimitsExpiry checks that an expiry beyond the role's maximum is
// refused with a message that names the limit, for each role that writes.
func TestPolicyLimitsExpiry(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"max_secret_lifetime_days": map[string]int{"developer": 30, "admin": 60}}), http.StatusOK)
	for _, c := range []struct {
		role domain.Role
		days int
	}{
		{domain.RoleSuperAdmin, 90},
		{domain.RoleAdmin, 60},
		{domain.RoleDeveloper, 30},
	} {
		t.Run(string(c.role), func(t *testing.T) {
			tok := e.token
			if c.role != domain.RoleSuperAdmin {
				_, tok = e.userToken(t, e.boot.Org.ID, c.role, nil, nil)
			}
			beyond := time.Now().Add(time.Duration(c.days)*24*time.Hour + time.Hour).UTC().Truncate(time.Second)
			for name, path := range map[string]string{"create": secretsPath(client.ClientID), "rotate": secretsPath(client.ClientID) + "/rotate"} {
				t.Run(name, func(t *testing.T) {
					before := e.snapshot(t)
					p := wantProblem(t, e.do(t, "POST", path, map[string]any{"description": "x", "expires_at": beyond}, as(tok)), http.StatusUnprocessableEntity)
					if len(p.Errors) != 1 || p.Errors[0].Field != "expires_at" {
						t.Fatalf("errors = %+v, want one for expires_at", p.Errors)
					}
					msg := p.Errors[0].Message
					if !strings.Contains(msg, fmt.Sprintf("%d days", c.days)) || !strings.Contains(msg, string(c.role)) {
						t.Errorf("message %q does not name the limit (%d days for %s)", msg, c.days, c.role)
					}
					sameState(t, before, e.snapshot(t), 0)
				})
			}
			within := time.Now().Add(time.Duration(c.days)*24*time.Hour - time.Hour).UTC().Truncate(time.Second)
			s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "within", ExpiresAt: &within}, as(tok))
			if s.ExpiresAt == nil || !s.ExpiresAt.Equal(within) {
				t.Errorf("expires_at = %v, want %v", s.ExpiresAt, within)
			}
			t.Run("edit beyond the limit", func(t *testing.T) {
				before := e.snapshot(t)
				wantProblem(t, e.do(t, "PATCH", secretPath(client.ClientID, s.ID), map[string]any{"expires_at": beyond}, as(tok)), http.StatusUnprocessableEntity)
				sameState(t, before, e.snapshot(t), 0)
			})
			t.Run("no expiry means the maximum", func(t *testing.T) {
				s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "default"}, as(tok))
				max := time.Now().Add(time.Duration(c.days) * 24 * time.Hour)
				if s.ExpiresAt == nil || s.ExpiresAt.Sub(max).Abs() > time.Minute {
					t.Errorf("expires_at = %v, want about %v", s.ExpiresAt, max)
				}
			})
		})
	}
}

// TestNeverExpires checks that never_expires is refused by default and
// allowed once the policy allows it.
func TestNeverExpires(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	old := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "old"})

	t.Run("refused by default", func(t *testing.T) {
		before := e.snapshot(t)
		p := wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID), apiv1.CreateSecret{Description: "x", NeverExpires: true}), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "policy") {
			t.Errorf("errors = %+v, want one that names the policy", p.Errors)
		}
		wantProblem(t, e.do(t, "PATCH", secretPath(client.ClientID, old.ID), map[string]any{"never_expires": true}), http.StatusUnprocessableEntity)
		sameState(t, before, e.snapshot(t), 0)
	})
	t.Run("allowed by policy", func(t *testing.T) {
		res := e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_never_expire": true})
		want(t, res, http.StatusOK)
		if !decode[apiv1.Policy](t, res).AllowNeverExpire {
			t.Fatalf("allow_never_expire did not change: %s", res)
		}
		s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "forever", NeverExpires: true})
		if s.ExpiresAt != nil {
			t.Errorf("expires_at = %v, want null", s.ExpiresAt)
		}
		res = e.do(t, "PATCH", secretPath(client.ClientID, old.ID), map[string]any{"never_expires": true})
		want(t, res, http.StatusOK)
		if got := decode[apiv1.Secret](t, res); got.ExpiresAt != nil {
			t.Errorf("after never_expires, expires_at = %v", got.ExpiresAt)
		}
		res = e.do(t, "GET", secretPath(client.ClientID, s.ID), nil)
		want(t, res, http.StatusOK)
		if got := decode[apiv1.Secret](t, res); got.ExpiresAt != nil || got.Status != "active" {
			t.Errorf("read back: %+v", got)
		}
	})
	t.Run("not together with expires_at", func(t *testing.T) {
		wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID), map[string]any{
			"description": "x", "never_expires": true, "expires_at": time.Now().Add(time.Hour).UTC(),
		}), http.StatusUnprocessableEntity)
	})
}

// TestSecretValueShownOnce checks that a secret's value appears in the
// response that created it and in no other response.
func TestSecretValueShownOnce(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	gen := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "generated"})
	const suppliedValue = "correct-horse-battery-staple-42"
	sup := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "supplied", Value: ptr(suppliedValue)})
	res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{GraceSeconds: ptr(60)})
	want(t, res, http.StatusCreated)
	rot := decode[apiv1.RotateResult](t, res)
	if n := strings.Count(string(res.Body), rot.Value); n != 1 {
		t.Errorf("the rotation's answer shows the value %d times, want once (in secret)", n)
	}
	res = e.do(t, "POST", clientPath(client.ClientID)+"/refresh-tokens", nil)
	want(t, res, http.StatusCreated)
	refresh := decode[apiv1.CreatedRefreshToken](t, res)
	if !strings.HasPrefix(refresh.Value, "kwr_") || refresh.Hint != refresh.Value[len(refresh.Value)-4:] {
		t.Errorf("refresh token %+v: value and hint do not match", refresh)
	}

	t.Run("creating responses", func(t *testing.T) {
		for _, s := range []apiv1.CreatedSecret{gen, rot.CreatedSecret} {
			if !strings.HasPrefix(s.Value, "kws_") || len(s.Value) != 50 {
				t.Errorf("generated value %q: want kws_ and 50 characters", s.Value)
			}
			if s.Origin != "generated" || s.Hint != s.Value[len(s.Value)-4:] || s.Masked != "kws_…"+s.Hint {
				t.Errorf("generated secret %+v: hint and mask do not match the value", s.Secret)
			}
		}
		if sup.Value != suppliedValue || sup.Origin != "supplied" || sup.Hint != "e-42" || sup.Masked != "…e-42" {
			t.Errorf("supplied secret = %+v", sup)
		}
		for _, p := range rot.Previous {
			if strings.Contains(dump(p), gen.Value) {
				t.Errorf("rotation's previous secrets show a value")
			}
		}
	})
	values := []string{gen.Value, sup.Value, rot.Value, refresh.Value}
	var bodies []response
	bodies = append(bodies, e.do(t, "GET", secretsPath(client.ClientID), nil), e.do(t, "GET", clientPath(client.ClientID), nil))
	for _, id := range []string{gen.ID, sup.ID, rot.ID} {
		bodies = append(bodies, e.do(t, "GET", secretPath(client.ClientID, id), nil))
	}
	bodies = append(bodies,
		e.do(t, "PATCH", secretPath(client.ClientID, gen.ID), map[string]any{"description": "renamed"}),
		e.do(t, "DELETE", secretPath(client.ClientID, sup.ID), nil),
		e.do(t, "POST", clientPath(client.ClientID)+"/revoke-all", nil),
		e.do(t, "GET", secretsPath(client.ClientID), nil),
		e.do(t, "GET", clientPath(client.ClientID)+"/rotations", nil),
		e.do(t, "GET", clientPath(client.ClientID)+"/rotations/"+string(rot.Rotation.ID), nil),
		e.do(t, "GET", clientPath(client.ClientID)+"/refresh-tokens", nil),
	)
	cursor := ""
	for {
		res := e.do(t, "GET", "/v1/audit?limit=3&cursor="+cursor, nil)
		want(t, res, http.StatusOK)
		bodies = append(bodies, res)
		if cursor = decode[apiv1.AuditList](t, res).NextCursor; cursor == "" {
			break
		}
	}
	for _, b := range bodies {
		if b.Status >= 300 {
			t.Errorf("unexpected answer %s", b)
		}
		for _, v := range values {
			if strings.Contains(string(b.Body), v) {
				t.Errorf("a later response shows a secret value: %s", b)
			}
		}
	}
}

// TestSecretHint checks that the hint is the value's last four characters,
// also when they are not ASCII.
func TestSecretHint(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	for name, value := range map[string]string{
		"ascii":               "correct-horse-battery-staple",
		"two-byte characters": "correct-horse-battery-staple-ñéüö",
		"euro signs":          "correct-horse-battery-staple-€€€€",
		"emoji":               "correct-horse-battery-staple-🔑🔑🔑🔑",
	} {
		t.Run(name, func(t *testing.T) {
			s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: name, Value: ptr(value)})
			r := []rune(value)
			wantHint := string(r[len(r)-4:])
			if s.Hint != wantHint || s.Masked != "…"+wantHint || !utf8.ValidString(s.Hint) {
				t.Errorf("hint = %q, masked = %q; want the last four characters %q", s.Hint, s.Masked, wantHint)
			}
		})
	}
}

// TestRevokedSecretStaysRevoked checks that a revoked secret cannot be
// edited, that revoking it again changes nothing, and that it keeps its
// state in every view.
func TestRevokedSecretStaysRevoked(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_never_expire": true}), http.StatusOK)
	client := e.createClient(t, "Billing")
	s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "prod"})

	res := e.do(t, "DELETE", secretPath(client.ClientID, s.ID), nil)
	want(t, res, http.StatusOK)
	revoked := decode[apiv1.Secret](t, res)
	if revoked.Status != "revoked" || revoked.RevokedAt == nil {
		t.Fatalf("after DELETE: %+v", revoked)
	}
	before := e.snapshot(t)
	for name, body := range map[string]any{
		"description":   map[string]any{"description": "back"},
		"expiry":        map[string]any{"expires_at": time.Now().Add(24 * time.Hour).UTC()},
		"never expires": map[string]any{"never_expires": true},
		"empty patch":   map[string]any{},
	} {
		t.Run("PATCH "+name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "PATCH", secretPath(client.ClientID, s.ID), body), http.StatusConflict)
			if !strings.Contains(p.Detail, "revoked") {
				t.Errorf("detail %q does not say the secret is revoked", p.Detail)
			}
		})
	}
	t.Run("DELETE again", func(t *testing.T) {
		res := e.do(t, "DELETE", secretPath(client.ClientID, s.ID), nil)
		want(t, res, http.StatusOK)
		again := decode[apiv1.Secret](t, res)
		if again.Status != "revoked" || again.RevokedAt == nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
			t.Errorf("second DELETE: %+v, want revoked at %v", again, revoked.RevokedAt)
		}
	})
	sameState(t, before, e.snapshot(t), 0)
	t.Run("revoke-all does not count it", func(t *testing.T) {
		res := e.do(t, "POST", clientPath(client.ClientID)+"/revoke-all", nil)
		want(t, res, http.StatusOK)
		if n := decode[apiv1.RevokeAll](t, res).Revoked; n != 0 {
			t.Errorf("revoked = %d, want 0", n)
		}
	})
	for _, x := range e.listSecrets(t, client.ClientID) {
		if x.Status != "revoked" || x.RevokedAt == nil || !x.RevokedAt.Equal(*revoked.RevokedAt) || x.New {
			t.Errorf("listed: %+v", x)
		}
	}
}

// TestExpiredSecretNeverComesBack checks that an expired secret's expiry
// cannot change.
func TestExpiredSecretNeverComesBack(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_never_expire": true}), http.StatusOK)
	client := e.createClient(t, "Billing")
	old := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "old"})
	res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{GraceSeconds: ptr(0)})
	want(t, res, http.StatusCreated)
	rot := decode[apiv1.RotateResult](t, res)
	if len(rot.Previous) != 1 || rot.Previous[0].ID != old.ID || rot.Previous[0].Status != "expired" {
		t.Fatalf("grace 0: previous = %+v, want the old secret expired", rot.Previous)
	}
	if rot.New {
		t.Errorf("the only active secret is flagged new")
	}
	before := e.snapshot(t)
	for name, body := range map[string]any{
		"expiry":        map[string]any{"expires_at": time.Now().Add(24 * time.Hour).UTC()},
		"never expires": map[string]any{"never_expires": true},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, e.do(t, "PATCH", secretPath(client.ClientID, old.ID), body), http.StatusConflict)
		})
	}
	sameState(t, before, e.snapshot(t), 0)
}

// TestRotateGrace checks that a rotation schedules the expiry of the
// secrets that were active, and flags the new one.
func TestRotateGrace(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	first := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "first"})
	soon := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
	second := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "ends soon", ExpiresAt: &soon})
	gone := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "revoked"})
	want(t, e.do(t, "DELETE", secretPath(client.ClientID, gone.ID), nil), http.StatusOK)

	start := time.Now()
	res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{Description: "Q3", GraceSeconds: ptr(3600)})
	want(t, res, http.StatusCreated)
	rot := decode[apiv1.RotateResult](t, res)
	if got := res.Header.Get("Location"); got != secretPath(client.ClientID, rot.ID) {
		t.Errorf("Location = %q", got)
	}
	if !rot.New || rot.Status != "active" || rot.Description != "Q3" || rot.Value == "" {
		t.Errorf("new secret = %+v, want active, new, with a value", rot.Secret)
	}
	prev := map[string]apiv1.Secret{}
	for _, p := range rot.Previous {
		prev[p.ID] = p
	}
	if len(prev) != 2 || prev[first.ID].ID == "" || prev[second.ID].ID == "" {
		t.Fatalf("previous = %+v, want the two active secrets", rot.Previous)
	}
	graceEnd := start.Add(time.Hour)
	if p := prev[first.ID]; p.ExpiresAt == nil || p.ExpiresAt.Sub(graceEnd).Abs() > 5*time.Second || p.Status != "active" || p.New {
		t.Errorf("first after rotation = %+v, want active until about %v", p, graceEnd)
	}
	if p := prev[second.ID]; p.ExpiresAt == nil || !p.ExpiresAt.Equal(soon) {
		t.Errorf("a secret that ends before the grace period kept %v, want %v", p.ExpiresAt, soon)
	}

	list := e.listSecrets(t, client.ClientID)
	ids := []string{}
	for _, x := range list {
		ids = append(ids, x.ID)
		if x.New != (x.ID == rot.ID) {
			t.Errorf("secret %s (%s): new = %v", x.ID, x.Description, x.New)
		}
	}
	if want := []string{first.ID, second.ID, gone.ID, rot.ID}; !slices.Equal(ids, want) {
		t.Errorf("list order = %v, want oldest first %v", ids, want)
	}

	res = e.do(t, "GET", "/v1/audit?action=secret.schedule_expiry", nil)
	want(t, res, http.StatusOK)
	events := decode[apiv1.AuditList](t, res).Items
	if len(events) != 1 || events[0].Target != first.ID || events[0].Detail["grace_seconds"] != "3600" {
		t.Errorf("schedule_expiry events = %+v, want one for the first secret", events)
	}

	t.Run("without grace the old secrets keep their expiry", func(t *testing.T) {
		// (The client above has a rotation open: a second is a conflict.)
		client := e.createClient(t, "Ledger")
		e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "first"})
		e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "ends soon", ExpiresAt: &soon})
		e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "third"})
		before := e.listSecrets(t, client.ClientID)
		res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", nil)
		want(t, res, http.StatusCreated)
		rot2 := decode[apiv1.RotateResult](t, res)
		if !strings.HasPrefix(rot2.Description, "Rotated ") {
			t.Errorf("default description = %q", rot2.Description)
		}
		for _, p := range rot2.Previous {
			for _, b := range before {
				if b.ID == p.ID && !equalTime(b.ExpiresAt, p.ExpiresAt) {
					t.Errorf("%s: expiry moved from %v to %v", p.ID, b.ExpiresAt, p.ExpiresAt)
				}
			}
		}
		if len(rot2.Previous) != 3 {
			t.Errorf("previous = %d secrets, want 3 active ones", len(rot2.Previous))
		}
	})
}

func equalTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// TestRevokeAll checks that revoke-all revokes every secret of the client,
// and only of that client, in one request.
func TestRevokeAll(t *testing.T) {
	e := newEnv(t)
	client, bystander := e.createClient(t, "Breached"), e.createClient(t, "Bystander")
	for i := range 3 {
		e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: fmt.Sprint("s", i)})
	}
	already := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "already"})
	want(t, e.do(t, "DELETE", secretPath(client.ClientID, already.ID), nil), http.StatusOK)
	safe := e.createSecret(t, bystander.ClientID, apiv1.CreateSecret{Description: "safe"})

	res := e.do(t, "POST", clientPath(client.ClientID)+"/revoke-all", nil)
	want(t, res, http.StatusOK)
	if got := decode[apiv1.RevokeAll](t, res); got.Revoked != 3 || got.ClientID != client.ClientID {
		t.Errorf("revoke-all = %+v, want 3 revoked", got)
	}
	var at *time.Time
	for _, x := range e.listSecrets(t, client.ClientID) {
		if x.Status != "revoked" || x.RevokedAt == nil || x.New {
			t.Errorf("after revoke-all: %+v", x)
			continue
		}
		if x.ID == already.ID {
			continue
		}
		if at == nil {
			at = x.RevokedAt
		} else if !at.Equal(*x.RevokedAt) {
			t.Errorf("secrets revoked at different times (%v, %v): not one transaction", at, x.RevokedAt)
		}
	}
	if got := e.listSecrets(t, bystander.ClientID); len(got) != 1 || got[0].ID != safe.ID || got[0].Status != "active" {
		t.Errorf("the other client's secrets changed: %+v", got)
	}
	fresh := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "after the breach"})
	if fresh.Status != "active" || fresh.New {
		t.Errorf("new secret after revoke-all: %+v", fresh.Secret)
	}
}

// TestTooManyActiveSecrets checks the limit of 10 active secrets.
func TestTooManyActiveSecrets(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	var last apiv1.CreatedSecret
	for i := range 10 {
		last = e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: fmt.Sprint("s", i)})
	}
	before := e.snapshot(t)
	wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID), apiv1.CreateSecret{Description: "eleventh"}), http.StatusConflict)
	wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", nil), http.StatusConflict)
	sameState(t, before, e.snapshot(t), 0)
	want(t, e.do(t, "DELETE", secretPath(client.ClientID, last.ID), nil), http.StatusOK)
	e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "room again"})
}

// TestClientPagination pages through 5 clients two at a time.
func TestClientPagination(t *testing.T) {
	e := newEnv(t)
	var want5 []string
	for i := range 5 {
		want5 = append(want5, e.createClient(t, fmt.Sprint("client ", i)).ClientID)
	}
	var got []string
	var sizes []int
	cursor := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatalf("pagination does not end")
		}
		path := "/v1/clients?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		res := e.do(t, "GET", path, nil)
		want(t, res, http.StatusOK)
		list := decode[apiv1.ClientList](t, res)
		sizes = append(sizes, len(list.Items))
		for _, c := range list.Items {
			got = append(got, c.ClientID)
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("page sizes = %v, want [2 2 1]", sizes)
	}
	if !slices.Equal(got, want5) {
		t.Errorf("clients = %v, want %v in creation order", got, want5)
	}
	t.Run("exact multiple has no empty last page", func(t *testing.T) {
		res := e.do(t, "GET", "/v1/clients?limit=5", nil)
		want(t, res, http.StatusOK)
		if l := decode[apiv1.ClientList](t, res); len(l.Items) != 5 || l.NextCursor != "" {
			t.Errorf("limit=5 over 5: %d items, next_cursor %q", len(l.Items), l.NextCursor)
		}
	})
	t.Run("default page", func(t *testing.T) {
		res := e.do(t, "GET", "/v1/clients", nil)
		want(t, res, http.StatusOK)
		if l := decode[apiv1.ClientList](t, res); len(l.Items) != 5 || l.NextCursor != "" {
			t.Errorf("default: %d items, next_cursor %q", len(l.Items), l.NextCursor)
		}
	})
}

// TestAuditListing checks audit pagination and filters.
func TestAuditListing(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "prod"})
	want(t, e.do(t, "PATCH", clientPath(client.ClientID), map[string]any{"description": "x"}), http.StatusOK)
	want(t, e.do(t, "DELETE", secretPath(client.ClientID, s.ID), nil), http.StatusOK)
	// org.init, client.create, secret.create, client.update, secret.revoke

	var all []apiv1.AuditEvent
	cursor := ""
	for {
		res := e.do(t, "GET", "/v1/audit?limit=2&cursor="+cursor, nil)
		want(t, res, http.StatusOK)
		l := decode[apiv1.AuditList](t, res)
		all = append(all, l.Items...)
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	var actions []string
	for i, ev := range all {
		actions = append(actions, ev.Action)
		if i > 0 && ev.Seq >= all[i-1].Seq {
			t.Errorf("events not newest first: %d after %d", ev.Seq, all[i-1].Seq)
		}
	}
	if want := []string{"secret.revoke", "client.update", "secret.create", "client.create", "org.init"}; !slices.Equal(actions, want) {
		t.Errorf("actions = %v, want %v", actions, want)
	}

	filter := func(q string) []string {
		t.Helper()
		res := e.do(t, "GET", "/v1/audit?"+q, nil)
		want(t, res, http.StatusOK)
		var out []string
		for _, ev := range decode[apiv1.AuditList](t, res).Items {
			out = append(out, ev.Action)
		}
		return out
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	past := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)) // with an offset
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"action=secret.", []string{"secret.revoke", "secret.create"}},
		{"action=client.update", []string{"client.update"}},
		{"action=client", nil},
		{"target=" + string(client.ClientID), []string{"client.update", "client.create"}},
		{string("actor=" + string(e.boot.User.ID)), []string{"secret.revoke", "client.update", "secret.create", "client.create"}},
		{string("actor=" + string(e.boot.User.ID) + "&action=client."), []string{"client.update", "client.create"}},
		{"since=" + future, nil},
		{"until=" + past, nil},
		{"since=" + past + "&until=" + future + "&action=secret.revoke", []string{"secret.revoke"}},
	} {
		t.Run(c.query, func(t *testing.T) {
			if got := filter(c.query); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestClientLifecycle creates, edits, disables and deletes a client.
func TestClientLifecycle(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "  Billing  ", Scopes: []string{"b", "a", "b"}})
	want(t, res, http.StatusCreated)
	c := decode[apiv1.Client](t, res)
	if c.Name != "Billing" || !slices.Equal(c.Scopes, []string{"b", "a"}) || c.Status != "active" || !c.CreatedAt.Equal(c.UpdatedAt) {
		t.Errorf("created: %+v, want the name trimmed and duplicate scopes dropped", c)
	}
	res = e.do(t, "GET", res.Header.Get("Location"), nil)
	want(t, res, http.StatusOK)
	if got := decode[apiv1.Client](t, res); got.ClientID != c.ClientID {
		t.Errorf("Location leads to %+v", got)
	}
	res = e.do(t, "PATCH", clientPath(c.ClientID), map[string]any{"scopes": []string{}, "token_ttl_seconds": 600, "disabled": true})
	want(t, res, http.StatusOK)
	if got := decode[apiv1.Client](t, res); len(got.Scopes) != 0 || got.TokenTTLSeconds != 600 || got.Status != "disabled" || got.Name != "Billing" || !got.UpdatedAt.After(c.UpdatedAt) {
		t.Errorf("patched: %+v", got)
	}
	t.Run("empty patch changes nothing", func(t *testing.T) {
		before := e.snapshot(t)
		want(t, e.do(t, "PATCH", clientPath(c.ClientID), map[string]any{}), http.StatusOK)
		sameState(t, before, e.snapshot(t), 0)
	})
	s := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "prod"})
	res = e.do(t, "DELETE", clientPath(c.ClientID), nil)
	want(t, res, http.StatusNoContent)
	if len(res.Body) != 0 {
		t.Errorf("204 with a body: %q", res.Body)
	}
	wantProblem(t, e.do(t, "GET", clientPath(c.ClientID), nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", secretPath(c.ClientID, s.ID), nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", clientPath(c.ClientID), nil), http.StatusNotFound)
	if got := e.snapshot(t); len(got.Orgs[0].Clients) != 0 {
		t.Errorf("clients left: %s", dump(got.Orgs[0].Clients))
	}
}

// TestBodyLimit checks the 64 KiB bound exactly.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	padded := func(n int) raw {
		b := `{"name":"x"}`
		return raw(b + strings.Repeat(" ", n-len(b)))
	}
	want(t, e.do(t, "POST", "/v1/clients", padded(api.MaxBodyBytes)), http.StatusCreated)
	before := e.snapshot(t)
	wantProblem(t, e.do(t, "POST", "/v1/clients", padded(api.MaxBodyBytes+1)), http.StatusRequestEntityTooLarge)
	sameState(t, before, e.snapshot(t), 0)
}

// TestContentTypeParameters checks that application/json with parameters,
// and no Content-Type at all, are accepted.
func TestContentTypeParameters(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "a"}, header("Content-Type", "application/json; charset=utf-8")), http.StatusCreated)
	want(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "b"}, header("Content-Type", "")), http.StatusCreated)
}

// TestProblemIsNeverA5xx sends a burst of odd requests to every route and
// checks that each is a 4xx problem.
func TestProblemIsNeverA5xx(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	secret := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "x"})
	bodies := []raw{`{"name":"\ud800","token_ttl_seconds":-5}`, `{"description":"\u0000"}`, `{"expires_at":"9999-12-31T23:59:59Z"}`,
		`{"expires_at":"0001-01-01T00:00:00Z"}`, `{"grace_seconds":9223372036854775807}`, `{"scopes":[""]}`,
		`{"max_secret_lifetime_days":{"":1}}`, "\xff\xfe", raw(`{"value":"` + strings.Repeat("é", 300) + `"}`), raw(`{"a":` + strings.Repeat("[", 10000) + `}`)}
	before := e.snapshot(t)
	for _, rt := range (&api.Handler{}).Routes() {
		if rt.Method != "POST" && rt.Method != "PATCH" {
			continue
		}
		path := strings.NewReplacer("{client_id}", client.ClientID, "{id}", secret.ID).Replace(rt.Path)
		for i, b := range bodies {
			t.Run(fmt.Sprintf("%s %s/%d", rt.Method, rt.Path, i), func(t *testing.T) {
				res := e.do(t, rt.Method, path, b)
				if res.Status < 400 || res.Status >= 500 {
					t.Errorf("status %d for %.60q: %s", res.Status, b, res)
					return
				}
				wantProblem(t, res, res.Status)
			})
		}
	}
	sameState(t, before, e.snapshot(t), 0)
}

// TestRotationTracking follows a rotation from its start to completion.
func TestRotationTracking(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	old := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "old"})
	res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{QuietSeconds: ptr(120), KeepTokens: true})
	want(t, res, http.StatusCreated)
	rr := decode[apiv1.RotateResult](t, res)
	r := rr.Rotation
	if r.State != "started" || r.SafeToRevoke || r.NewSecret.ID != rr.ID || len(r.OldSecrets) != 1 || r.OldSecrets[0].ID != old.ID ||
		r.QuietSeconds != 120 || !r.KeepTokens || r.CompletedAt != nil || r.StartedBy != string(e.boot.User.ID) {
		t.Fatalf("rotation = %+v", r)
	}
	path := clientPath(client.ClientID) + "/rotations/" + r.ID

	t.Run("listed", func(t *testing.T) {
		res := e.do(t, "GET", clientPath(client.ClientID)+"/rotations", nil)
		want(t, res, http.StatusOK)
		if items := decode[apiv1.RotationList](t, res).Items; len(items) != 1 || items[0].ID != r.ID {
			t.Errorf("rotations = %+v", items)
		}
	})
	t.Run("not complete while the new secret is unused", func(t *testing.T) {
		before := e.snapshot(t)
		p := wantProblem(t, e.do(t, "POST", path+"/complete", nil), http.StatusConflict)
		if !strings.Contains(p.Detail, "force") {
			t.Errorf("detail %q does not say how to complete anyway", p.Detail)
		}
		sameState(t, before, e.snapshot(t), 0)
	})
	t.Run("forced", func(t *testing.T) {
		res := e.do(t, "POST", path+"/complete", apiv1.CompleteRotation{Force: true})
		want(t, res, http.StatusOK)
		done := decode[apiv1.RotationStatus](t, res)
		if done.State != "completed" || done.CompletedAt == nil || done.CompletedBy != string(e.boot.User.ID) {
			t.Errorf("after complete: %+v", done)
		}
		// The rotation was started with keep_tokens: completing it, even
		// without keep_tokens, revokes the old secrets gracefully.
		if len(done.OldSecrets) != 1 || done.OldSecrets[0].Status != "revoked" || !done.OldSecrets[0].KeepTokens {
			t.Errorf("old secrets after completing a keep_tokens rotation: %+v", done.OldSecrets)
		}
		if done.NewSecret.Status != "active" {
			t.Errorf("new secret after complete: %+v", done.NewSecret)
		}
	})
	t.Run("completed once", func(t *testing.T) {
		before := e.snapshot(t)
		wantProblem(t, e.do(t, "POST", path+"/complete", apiv1.CompleteRotation{Force: true}), http.StatusConflict)
		sameState(t, before, e.snapshot(t), 0)
	})
	t.Run("abandoned when the new secret is revoked", func(t *testing.T) {
		res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", nil)
		want(t, res, http.StatusCreated)
		rr := decode[apiv1.RotateResult](t, res)
		want(t, e.do(t, "DELETE", secretPath(client.ClientID, rr.ID), nil), http.StatusOK)
		res = e.do(t, "GET", clientPath(client.ClientID)+"/rotations/"+string(rr.Rotation.ID), nil)
		want(t, res, http.StatusOK)
		if got := decode[apiv1.RotationStatus](t, res); got.State != "abandoned" {
			t.Errorf("state = %q, want abandoned", got.State)
		}
		wantProblem(t, e.do(t, "POST", clientPath(client.ClientID)+"/rotations/"+string(rr.Rotation.ID)+"/complete", apiv1.CompleteRotation{Force: true}), http.StatusConflict)
	})
	t.Run("invalid quiet period", func(t *testing.T) {
		before := e.snapshot(t)
		for _, q := range []int{-1, 30*24*3600 + 1} {
			wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{QuietSeconds: ptr(q)}), http.StatusUnprocessableEntity)
		}
		sameState(t, before, e.snapshot(t), 0)
	})
}

// TestRevokeKeepsTokens checks the two revocation modes of DELETE.
func TestRevokeKeepsTokens(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	for _, c := range []struct {
		query string
		keep  bool
	}{{"", false}, {"?tokens=revoke", false}, {"?tokens=keep", true}} {
		t.Run("tokens="+c.query, func(t *testing.T) {
			s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "x"})
			res := e.do(t, "DELETE", secretPath(client.ClientID, s.ID)+c.query, nil)
			want(t, res, http.StatusOK)
			if got := decode[apiv1.Secret](t, res); got.Status != "revoked" || got.KeepTokens != c.keep {
				t.Errorf("revoked: %+v, want keep_tokens %v", got, c.keep)
			}
		})
	}
}

// TestAllowedCIDRs checks that networks are stored in canonical form and
// that bad ones are refused.
func TestAllowedCIDRs(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	s := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "office", AllowedCIDRs: []string{"203.0.113.77/24", "2001:db8::1"}})
	if want := []string{"203.0.113.0/24", "2001:db8::1/128"}; !slices.Equal(s.AllowedCIDRs, want) {
		t.Errorf("allowed_cidrs = %v, want %v", s.AllowedCIDRs, want)
	}
	before := e.snapshot(t)
	for _, bad := range [][]string{{"10.0.0.0/33"}, {"example.com"}, {""}, slices.Repeat([]string{"10.0.0.1"}, 51)} {
		wantProblem(t, e.do(t, "PATCH", secretPath(client.ClientID, s.ID), map[string]any{"allowed_cidrs": bad}), http.StatusUnprocessableEntity)
		wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID), apiv1.CreateSecret{Description: "x", AllowedCIDRs: bad}), http.StatusUnprocessableEntity)
	}
	sameState(t, before, e.snapshot(t), 0)
	res := e.do(t, "PATCH", secretPath(client.ClientID, s.ID), map[string]any{"allowed_cidrs": []string{}})
	want(t, res, http.StatusOK)
	if got := decode[apiv1.Secret](t, res); len(got.AllowedCIDRs) != 0 {
		t.Errorf("after [] allowed_cidrs = %v", got.AllowedCIDRs)
	}
}

// TestRefreshTokens checks that revoke-all revokes a client's refresh
// tokens with its secrets.
func TestRefreshTokens(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	res := e.do(t, "POST", clientPath(client.ClientID)+"/refresh-tokens", nil)
	want(t, res, http.StatusCreated)
	created := decode[apiv1.CreatedRefreshToken](t, res)
	if created.Status != "active" || created.UsedAt != nil || created.ExpiresAt.Before(time.Now()) {
		t.Errorf("created: %+v", created.RefreshToken)
	}
	want(t, e.do(t, "POST", clientPath(client.ClientID)+"/revoke-all", nil), http.StatusOK)
	res = e.do(t, "GET", clientPath(client.ClientID)+"/refresh-tokens", nil)
	want(t, res, http.StatusOK)
	if items := decode[apiv1.RefreshTokenList](t, res).Items; len(items) != 1 || items[0].Status != "revoked" || items[0].RevokedAt == nil {
		t.Errorf("after revoke-all: %+v", items)
	}
}

// TestSigningKeys rolls the signing key.
func TestSigningKeys(t *testing.T) {
	e := newEnv(t)
	list := func() []apiv1.SigningKey {
		res := e.do(t, "GET", "/v1/keys", nil)
		want(t, res, http.StatusOK)
		return decode[apiv1.SigningKeyList](t, res).Items
	}
	signing := func(keys []apiv1.SigningKey) []string {
		var out []string
		for _, k := range keys {
			if k.Signing {
				out = append(out, k.ID)
			}
		}
		return out
	}
	first := list()
	if len(first) != 1 || len(signing(first)) != 1 {
		t.Fatalf("keys at start = %+v", first)
	}
	res := e.do(t, "POST", "/v1/keys/rotate", nil)
	want(t, res, http.StatusCreated)
	if k := decode[apiv1.SigningKey](t, res); k.Signing || !k.ActiveFrom.After(time.Now()) {
		t.Errorf("a key rotated with the default delay signs at once: %+v", k)
	}
	if got := signing(list()); !slices.Equal(got, signing(first)) {
		t.Errorf("signing keys = %v, want still %v", got, signing(first))
	}
	res = e.do(t, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: ptr(0)})
	want(t, res, http.StatusCreated)
	now := decode[apiv1.SigningKey](t, res)
	if !now.Signing {
		t.Errorf("a key rotated with delay 0 does not sign: %+v", now)
	}
	keys := list()
	if got := signing(keys); len(keys) != 3 || !slices.Equal(got, []string{now.ID}) {
		t.Errorf("keys = %+v, want 3 with only %s signing", keys, now.ID)
	}
}

// publicKeySet is the one route with a client ID that every organisation's
// clients answer: the published webhook public keys, for receivers that
// hold no credential (like /.well-known/jwks.json).
const publicKeySet = "/v1/webhook-keys/{client_id}"
