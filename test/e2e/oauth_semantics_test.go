package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/secretvalue"
	"keywarden/pkg/apiv1"
)

func TestOAuthIntrospectSQLite(t *testing.T) {
	t.Parallel()
	testOAuthIntrospect(t, newSQLite(t))
}

func TestOAuthIntrospectPostgres(t *testing.T) {
	t.Parallel()
	testOAuthIntrospect(t, newPostgres(t))
}

// testOAuthIntrospect checks what introspection (RFC 7662) says about a
// token after each thing that can happen to it, its secret or its client.
// The caller is another client of the same organisation.
func testOAuthIntrospect(t *testing.T, in *instance) {
	other := in.init(t, "Globex", "admin@globex.test") // a second organisation on the same store
	e := oauthStart(t, in)
	_, caller := e.client(t, "gateway")
	callerID := caller.ClientID
	wantActive := func(t *testing.T, tok string, want bool) oauthIntrospection {
		t.Helper()
		return e.wantActive(t, callerID, caller.Value, tok, want)
	}
	app, sec := e.client(t, "billing", "invoices:read", "invoices:write")
	// A secret that expires while the subtests run; the last one checks it.
	soon := time.Now().Add(2 * time.Second)
	short := e.secret(t, app.ClientID, apiv1.CreateSecret{Description: "short-lived", ExpiresAt: &soon})
	shortTok := e.token(t, app.ClientID, short.Value).AccessToken

	t.Run("fresh token is active with its claims", func(t *testing.T) {
		before := time.Now().Unix()
		tok := e.token(t, app.ClientID, sec.Value, "invoices:read")
		got := wantActive(t, tok.AccessToken, true)
		want := oauthIntrospection{Active: true, Scope: "invoices:read", ClientID: app.ClientID, TokenType: "Bearer",
			Sub: app.ClientID, Aud: e.srv.URL, Iss: e.srv.URL, SecretID: sec.ID, Exp: got.Iat + 86400, Iat: got.Iat, Jti: got.Jti}
		if got != want {
			t.Errorf("introspection = %+v\nwant %+v", got, want)
		}
		if got.Iat < before-1 || got.Iat > time.Now().Unix()+1 || got.Jti == "" {
			t.Errorf("iat %d (now %d), jti %q", got.Iat, before, got.Jti)
		}
		// The token's own client may introspect it too.
		e.wantActive(t, app.ClientID, sec.Value, tok.AccessToken, true)
	})

	t.Run("garbage is inactive", func(t *testing.T) {
		tok := e.token(t, app.ClientID, sec.Value).AccessToken
		parts := strings.Split(tok, ".")
		tests := []struct{ name, token string }{
			{"text", "not-a-token"},
			{"three dots", "a.b.c"},
			{"refresh token form", "kwr_0000"},
			{"bad signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
			{"alg none", "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." + parts[1] + "."},
			{"truncated", tok[:len(tok)-10]},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { wantActive(t, tc.token, false) })
		}
	})

	t.Run("revoked with RFC 7009", func(t *testing.T) {
		tok := e.token(t, app.ClientID, sec.Value).AccessToken
		kept := e.token(t, app.ClientID, sec.Value).AccessToken
		// Another client cannot revoke it: 200, and nothing changes.
		if r := e.post(t, "/oauth2/revoke", callerID, caller.Value, url.Values{"token": {tok}}); r.Status != http.StatusOK {
			t.Errorf("revoke by another client = %d: %s", r.Status, r.Body)
		}
		wantActive(t, tok, true)
		r := e.post(t, "/oauth2/revoke", app.ClientID, sec.Value, url.Values{"token": {tok}, "token_type_hint": {"access_token"}})
		if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("revoke = %d (Cache-Control %q): %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		wantActive(t, tok, false)
		wantActive(t, kept, true)
		// §2.2: an unknown or invalid token is a 200 too, and revoking twice is fine.
		tests := []struct {
			name   string
			params url.Values
		}{
			{"again", url.Values{"token": {tok}}},
			{"garbage", url.Values{"token": {"garbage"}}},
			{"unknown refresh token", url.Values{"token": {"kwr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "token_type_hint": {"refresh_token"}}},
			{"altered access token as refresh", url.Values{"token": {kept + "x"}, "token_type_hint": {"refresh_token"}}},
			{"jwt-shaped but not valid", url.Values{"token": {"a.b.c"}}},
		}
		for _, tc := range tests {
			if r := e.post(t, "/oauth2/revoke", app.ClientID, sec.Value, tc.params); r.Status != http.StatusOK {
				t.Errorf("revoke %s = %d, want 200: %s", tc.name, r.Status, r.Body)
			}
		}
		wantActive(t, kept, true)
		ev := e.audit(t, "action=access_token.revoke&target="+app.ClientID)
		if len(ev) == 0 {
			t.Error("no access_token.revoke event")
		}
		for _, x := range ev {
			if x.ActorID != app.ClientID || x.Detail["secret_id"] != sec.ID {
				t.Errorf("access_token.revoke event = %s", fmtJSON(x))
			}
		}
	})

	t.Run("secret revoked", func(t *testing.T) {
		s2 := e.secret(t, app.ClientID, apiv1.CreateSecret{Description: "second"})
		tok2 := e.token(t, app.ClientID, s2.Value).AccessToken
		tok1 := e.token(t, app.ClientID, sec.Value).AccessToken
		if got := wantActive(t, tok2, true); got.SecretID != s2.ID {
			t.Errorf("secret_id = %q, want %q", got.SecretID, s2.ID)
		}
		e.srv.must(t, http.StatusOK, e.admin, "DELETE", "/v1/clients/"+app.ClientID+"/secrets/"+s2.ID, nil, nil)
		wantActive(t, tok2, false)
		wantActive(t, tok1, true)
		e.post(t, "/oauth2/token", app.ClientID, s2.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("secret revoked gracefully keeps its tokens", func(t *testing.T) {
		s3 := e.secret(t, app.ClientID, apiv1.CreateSecret{Description: "third"})
		tok3 := e.token(t, app.ClientID, s3.Value).AccessToken
		var revoked apiv1.Secret
		e.srv.must(t, http.StatusOK, e.admin, "DELETE", "/v1/clients/"+app.ClientID+"/secrets/"+s3.ID+"?tokens=keep", nil, &revoked)
		if revoked.Status != "revoked" || !revoked.KeepTokens {
			t.Errorf("revoked secret = %s", fmtJSON(revoked))
		}
		wantActive(t, tok3, true)
		e.post(t, "/oauth2/token", app.ClientID, s3.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("disabled client", func(t *testing.T) {
		tok := e.token(t, app.ClientID, sec.Value).AccessToken
		yes, no := true, false
		e.srv.must(t, http.StatusOK, e.admin, "PATCH", "/v1/clients/"+app.ClientID, apiv1.UpdateClient{Disabled: &yes}, nil)
		wantActive(t, tok, false)
		e.post(t, "/oauth2/token", app.ClientID, sec.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
		e.srv.must(t, http.StatusOK, e.admin, "PATCH", "/v1/clients/"+app.ClientID, apiv1.UpdateClient{Disabled: &no}, nil)
		wantActive(t, tok, true)
		e.token(t, app.ClientID, sec.Value)
	})

	t.Run("deleted client", func(t *testing.T) {
		doomed, ds := e.client(t, "doomed")
		tok := e.token(t, doomed.ClientID, ds.Value).AccessToken
		wantActive(t, tok, true)
		e.srv.must(t, http.StatusNoContent, e.admin, "DELETE", "/v1/clients/"+doomed.ClientID, nil, nil)
		wantActive(t, tok, false)
		e.post(t, "/oauth2/token", doomed.ClientID, ds.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("another organisation", func(t *testing.T) {
		var oc apiv1.Client
		e.srv.must(t, http.StatusCreated, other.APIToken, "POST", "/v1/clients", apiv1.CreateClient{Name: "globex app"}, &oc)
		var osec apiv1.CreatedSecret
		e.srv.must(t, http.StatusCreated, other.APIToken, "POST", "/v1/clients/"+oc.ClientID+"/secrets", apiv1.CreateSecret{Description: "s"}, &osec)
		ours := e.token(t, app.ClientID, sec.Value).AccessToken
		theirs := e.token(t, oc.ClientID, osec.Value).AccessToken
		// Each organisation's client sees the other's token as inactive,
		// and its own as active.
		e.wantActive(t, oc.ClientID, osec.Value, ours, false)
		e.wantActive(t, oc.ClientID, osec.Value, theirs, true)
		wantActive(t, theirs, false)
		// Nor can it revoke ours.
		e.post(t, "/oauth2/revoke", oc.ClientID, osec.Value, url.Values{"token": {ours}})
		wantActive(t, ours, true)
		e.srv.must(t, http.StatusNotFound, other.APIToken, "GET", "/v1/clients/"+app.ClientID, nil, nil)
	})

	t.Run("revoke-all", func(t *testing.T) {
		breached, bs := e.client(t, "breached", "invoices:read")
		base := "/v1/clients/" + breached.ClientID
		b2 := e.secret(t, breached.ClientID, apiv1.CreateSecret{Description: "second"})
		tok1 := e.token(t, breached.ClientID, bs.Value).AccessToken
		tok2 := e.token(t, breached.ClientID, b2.Value).AccessToken
		var rt apiv1.CreatedRefreshToken
		e.srv.must(t, http.StatusCreated, e.admin, "POST", base+"/refresh-tokens", nil, &rt)
		var all apiv1.RevokeAll
		e.srv.must(t, http.StatusOK, e.admin, "POST", base+"/revoke-all", nil, &all)
		if all.Revoked != 2 {
			t.Errorf("revoke-all revoked %d secrets, want 2", all.Revoked)
		}
		wantActive(t, tok1, false)
		wantActive(t, tok2, false)
		for _, s := range []string{bs.Value, b2.Value} {
			e.post(t, "/oauth2/token", breached.ClientID, s, url.Values{"grant_type": {"client_credentials"}}).
				wantError(t, http.StatusUnauthorized, "invalid_client")
		}
		// A new secret works, but the old refresh token does not.
		fresh := e.secret(t, breached.ClientID, apiv1.CreateSecret{Description: "after the breach"})
		e.post(t, "/oauth2/token", breached.ClientID, fresh.Value, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.Value}}).
			wantError(t, http.StatusBadRequest, "invalid_grant")
		var list apiv1.RefreshTokenList
		e.srv.must(t, http.StatusOK, e.admin, "GET", base+"/refresh-tokens", nil, &list)
		for _, x := range list.Items {
			if x.Status != "revoked" {
				t.Errorf("refresh token %s is %s after revoke-all", x.ID, x.Status)
			}
		}
		wantActive(t, tok1, false)
	})

	t.Run("secret expired", func(t *testing.T) {
		oauthEventually(t, 5*time.Second, "the short-lived secret expired", func() bool {
			return e.secrets(t, app.ClientID)[short.ID].Status == "expired"
		})
		// An expired secret's tokens die with it.
		wantActive(t, shortTok, false)
		e.post(t, "/oauth2/token", app.ClientID, short.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
		// Failures are aggregated and written every --usage-flush-interval.
		oauthEventually(t, 15*time.Second, "a client.authenticate failure with reason \"secret expired\" for "+short.ID, func() bool {
			for _, ev := range e.audit(t, "action=client.authenticate&target="+app.ClientID) {
				if ev.Result == "failure" && strings.Contains(ev.Detail["secret_ids"], short.ID) && strings.Contains(ev.Detail["reasons"], "secret expired") {
					return true
				}
			}
			return false
		})
	})
}

// TestOAuthIntrospectTokenMintedRightAfterRevokeAll: revoke-all makes the
// tokens issued up to its time inactive, and JWT iat has whole seconds. A
// token minted with a new secret in the same second as the revoke-all is
// not one of the revoked tokens and must be active.
func TestOAuthIntrospectTokenMintedRightAfterRevokeAll(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t))
	_, caller := e.client(t, "gateway")
	c, _ := e.client(t, "breached", "invoices:read")
	base := "/v1/clients/" + c.ClientID
	oauthAfterSecondBoundary(t)
	start := time.Now()
	e.srv.must(t, http.StatusOK, e.admin, "POST", base+"/revoke-all", nil, nil)
	fresh := e.secret(t, c.ClientID, apiv1.CreateSecret{Description: "replacement"})
	tok := e.token(t, c.ClientID, fresh.Value).AccessToken
	if time.Now().Unix() != start.Unix() {
		t.Skip("the steps crossed a second boundary; the case needs them within one second")
	}
	if got := e.introspect(t, caller.ClientID, caller.Value, tok); !got.Active {
		t.Errorf("a token minted with the new secret after revoke-all, in the same second, is inactive " +
			"(introspection compares iat <= tokens_revoked_at in whole seconds)")
	}
}

// oauthAfterSecondBoundary waits until just after the wall clock's next
// whole second.
func oauthAfterSecondBoundary(t *testing.T) {
	t.Helper()
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now))
}

func TestOAuthRefreshTokenSQLite(t *testing.T) {
	t.Parallel()
	testOAuthRefreshToken(t, newSQLite(t))
}

func TestOAuthRefreshTokenPostgres(t *testing.T) {
	t.Parallel()
	testOAuthRefreshToken(t, newPostgres(t))
}

// testOAuthRefreshToken exchanges admin-generated refresh tokens: one use
// each, rotating, and a reuse kills the whole family and the access tokens
// it issued.
func testOAuthRefreshToken(t *testing.T, in *instance) {
	e := oauthStart(t, in)
	c, sec := e.client(t, "billing", "invoices:read")
	other, osec := e.client(t, "other", "invoices:read")
	base := "/v1/clients/" + c.ClientID
	create := func(t *testing.T) apiv1.CreatedRefreshToken {
		t.Helper()
		var rt apiv1.CreatedRefreshToken
		e.srv.must(t, http.StatusCreated, e.admin, "POST", base+"/refresh-tokens", nil, &rt)
		if !strings.HasPrefix(rt.Value, "kwr_") || rt.Status != "active" || rt.ClientID != c.ClientID {
			t.Fatalf("created refresh token = %s", fmtJSON(rt))
		}
		if d := time.Until(rt.ExpiresAt); d < 59*time.Minute || d > time.Hour+time.Minute {
			t.Errorf("refresh token expires in %v, want an hour", d)
		}
		return rt
	}
	redeem := func(t *testing.T, id, secret, value string) oauthResponse {
		t.Helper()
		return e.post(t, "/oauth2/token", id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {value}})
	}
	statuses := func(t *testing.T) map[string]string {
		t.Helper()
		var list apiv1.RefreshTokenList
		e.srv.must(t, http.StatusOK, e.admin, "GET", base+"/refresh-tokens", nil, &list)
		out := map[string]string{}
		for _, x := range list.Items {
			if strings.Contains(fmtJSON(x), "kwr_") {
				t.Errorf("the refresh token list shows a value: %s", fmtJSON(x))
			}
			out[x.ID] = x.Status
		}
		return out
	}

	t.Run("one use, rotation, and reuse revokes the family", func(t *testing.T) {
		first := create(t)
		// The value is shown once: never in the list.
		statuses(t)
		got := redeem(t, c.ClientID, sec.Value, first.Value).wantToken(t)
		if !strings.HasPrefix(got.RefreshToken, "kwr_") || got.RefreshToken == first.Value || got.Scope != "invoices:read" {
			t.Fatalf("refresh grant response = %+v", got)
		}
		if in := e.introspect(t, c.ClientID, sec.Value, got.AccessToken); !in.Active || in.SecretID != sec.ID || in.ClientID != c.ClientID {
			t.Errorf("access token from the refresh grant: %+v", in)
		}
		if st := statuses(t); st[first.ID] != "used" {
			t.Errorf("first refresh token status = %q, want used", st[first.ID])
		}

		// Reuse: invalid_grant, and the family dies with its access tokens.
		redeem(t, c.ClientID, sec.Value, first.Value).wantError(t, http.StatusBadRequest, "invalid_grant")
		e.wantActive(t, c.ClientID, sec.Value, got.AccessToken, false)
		redeem(t, c.ClientID, sec.Value, got.RefreshToken).wantError(t, http.StatusBadRequest, "invalid_grant")
		for id, st := range statuses(t) {
			if st != "revoked" {
				t.Errorf("refresh token %s is %s after the reuse, want revoked", id, st)
			}
		}
		if ev := e.audit(t, "action=refresh_token.revoke_family"); len(ev) != 1 {
			t.Errorf("refresh_token.revoke_family events = %d, want 1", len(ev))
		}
		// Client credentials still work: only the family was revoked.
		e.token(t, c.ClientID, sec.Value)
	})

	t.Run("successor chain", func(t *testing.T) {
		value := create(t).Value
		var tokens []string
		for range 3 {
			got := redeem(t, c.ClientID, sec.Value, value).wantToken(t)
			tokens = append(tokens, got.AccessToken)
			value = got.RefreshToken
		}
		for _, tok := range tokens {
			e.wantActive(t, c.ClientID, sec.Value, tok, true)
		}
	})

	t.Run("another client's refresh token", func(t *testing.T) {
		rt := create(t)
		redeem(t, other.ClientID, osec.Value, rt.Value).wantError(t, http.StatusBadRequest, "invalid_grant")
		// The owner can still use it: a stranger's attempt is not a reuse.
		redeem(t, c.ClientID, sec.Value, rt.Value).wantToken(t)
	})

	t.Run("client authentication is required", func(t *testing.T) {
		rt := create(t)
		redeem(t, "", "", rt.Value).wantError(t, http.StatusUnauthorized, "invalid_client")
		redeem(t, c.ClientID, "wrong", rt.Value).wantError(t, http.StatusUnauthorized, "invalid_client")
		redeem(t, c.ClientID, sec.Value, rt.Value).wantToken(t)
	})

	t.Run("revoked with RFC 7009", func(t *testing.T) {
		rt := create(t)
		got := redeem(t, c.ClientID, sec.Value, rt.Value).wantToken(t)
		r := e.post(t, "/oauth2/revoke", c.ClientID, sec.Value, url.Values{"token": {got.RefreshToken}, "token_type_hint": {"refresh_token"}})
		if r.Status != http.StatusOK {
			t.Fatalf("revoke refresh token = %d: %s", r.Status, r.Body)
		}
		redeem(t, c.ClientID, sec.Value, got.RefreshToken).wantError(t, http.StatusBadRequest, "invalid_grant")
		e.wantActive(t, c.ClientID, sec.Value, got.AccessToken, false)
	})

	t.Run("garbage refresh tokens", func(t *testing.T) {
		valid := create(t).Value
		tests := []struct{ name, value string }{
			{"text", "not-a-refresh-token"},
			{"a client secret", sec.Value},
			{"truncated", valid[:len(valid)-1]},
			{"an access token", e.token(t, c.ClientID, sec.Value).AccessToken},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				redeem(t, c.ClientID, sec.Value, tc.value).wantError(t, http.StatusBadRequest, "invalid_grant")
			})
		}
	})
}

func TestOAuthRotationSQLite(t *testing.T) {
	t.Parallel()
	testOAuthRotation(t, newSQLite(t))
}

func TestOAuthRotationPostgres(t *testing.T) {
	t.Parallel()
	testOAuthRotation(t, newPostgres(t))
}

// testOAuthRotation follows tracked rotations end to end, with fast usage
// flushes and background jobs.
func testOAuthRotation(t *testing.T, in *instance) {
	e := oauthStart(t, in, "--usage-flush-interval", "200ms", "--job-interval", "200ms")
	rotate := func(t *testing.T, clientID string, body apiv1.Rotate) apiv1.RotateResult {
		t.Helper()
		var rot apiv1.RotateResult
		e.srv.must(t, http.StatusCreated, e.admin, "POST", "/v1/clients/"+clientID+"/secrets/rotate", body, &rot)
		if rot.Rotation.ID == "" || rot.Rotation.NewSecret.ID != rot.ID || rot.Rotation.State != "started" || rot.Rotation.SafeToRevoke {
			t.Fatalf("rotation = %s", fmtJSON(rot))
		}
		return rot
	}
	status := func(t *testing.T, clientID, id string) apiv1.RotationStatus {
		t.Helper()
		var st apiv1.RotationStatus
		e.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/clients/"+clientID+"/rotations/"+id, nil, &st)
		if st.SafeToRevoke != (st.State == "old_secret_idle") {
			t.Errorf("rotation %s: safe_to_revoke %v in state %s", id, st.SafeToRevoke, st.State)
		}
		return st
	}
	complete := func(t *testing.T, clientID, id string, body apiv1.CompleteRotation, want int) apiv1.RotationStatus {
		t.Helper()
		var st apiv1.RotationStatus
		e.srv.must(t, want, e.admin, "POST", "/v1/clients/"+clientID+"/rotations/"+id+"/complete", body, &st)
		return st
	}
	// waitState polls until the rotation is in state, allowing only the
	// states in via on the way.
	waitState := func(t *testing.T, clientID, id, state string, via ...string) apiv1.RotationStatus {
		t.Helper()
		var st apiv1.RotationStatus
		oauthEventually(t, 10*time.Second, "rotation state "+state, func() bool {
			st = status(t, clientID, id)
			if st.State != state && !strings.Contains(strings.Join(via, ","), st.State) {
				t.Fatalf("rotation state %s on the way to %s (allowed: %v)", st.State, state, via)
			}
			return st.State == state
		})
		return st
	}

	t.Run("idle, then completed", func(t *testing.T) {
		t.Parallel()
		c, old := e.client(t, "billing")
		quiet := 1
		rot := rotate(t, c.ClientID, apiv1.Rotate{QuietSeconds: &quiet})
		if len(rot.Rotation.OldSecrets) != 1 || rot.Rotation.OldSecrets[0].ID != old.ID || rot.Rotation.QuietSeconds != 1 {
			t.Fatalf("rotation = %s", fmtJSON(rot.Rotation))
		}
		// Both secrets work during the rotation.
		oldTok := e.token(t, c.ClientID, old.Value).AccessToken
		newTok := e.token(t, c.ClientID, rot.Value).AccessToken
		if st := status(t, c.ClientID, rot.Rotation.ID); st.State != "started" && st.State != "new_secret_in_use" {
			t.Errorf("state right after both secrets were used = %s", st.State)
		}
		st := waitState(t, c.ClientID, rot.Rotation.ID, "old_secret_idle", "started", "new_secret_in_use")
		if st.NewSecret.LastUsedAt == nil || !st.SafeToRevoke {
			t.Errorf("idle rotation = %s", fmtJSON(st))
		}
		done := complete(t, c.ClientID, rot.Rotation.ID, apiv1.CompleteRotation{}, http.StatusOK)
		if done.State != "completed" || done.CompletedAt == nil || done.CompletedBy == "" || done.SafeToRevoke {
			t.Errorf("completed rotation = %s", fmtJSON(done))
		}
		if s := e.secrets(t, c.ClientID); s[old.ID].Status != "revoked" || s[rot.ID].Status != "active" {
			t.Errorf("after completion: old %s, new %s", s[old.ID].Status, s[rot.ID].Status)
		}
		e.post(t, "/oauth2/token", c.ClientID, old.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
		e.wantActive(t, c.ClientID, rot.Value, oldTok, false) // completed without keep_tokens
		e.wantActive(t, c.ClientID, rot.Value, newTok, true)
		complete(t, c.ClientID, rot.Rotation.ID, apiv1.CompleteRotation{}, http.StatusConflict)
	})

	t.Run("completion refused while the old secret is in use", func(t *testing.T) {
		t.Parallel()
		c, old := e.client(t, "shipping")
		rot := rotate(t, c.ClientID, apiv1.Rotate{}) // the default quiet period: an hour
		complete(t, c.ClientID, rot.Rotation.ID, apiv1.CompleteRotation{}, http.StatusConflict)
		oldTok := e.token(t, c.ClientID, old.Value).AccessToken
		e.token(t, c.ClientID, rot.Value)
		waitState(t, c.ClientID, rot.Rotation.ID, "new_secret_in_use", "started")
		complete(t, c.ClientID, rot.Rotation.ID, apiv1.CompleteRotation{}, http.StatusConflict)
		if s := e.secrets(t, c.ClientID); s[old.ID].Status != "active" {
			t.Fatalf("a refused completion changed the old secret: %s", s[old.ID].Status)
		}
		done := complete(t, c.ClientID, rot.Rotation.ID, apiv1.CompleteRotation{Force: true, KeepTokens: true}, http.StatusOK)
		if done.State != "completed" {
			t.Errorf("forced completion state = %s", done.State)
		}
		s := e.secrets(t, c.ClientID)
		if s[old.ID].Status != "revoked" || !s[old.ID].KeepTokens {
			t.Errorf("old secret after a forced, graceful completion = %s", fmtJSON(s[old.ID]))
		}
		e.wantActive(t, c.ClientID, rot.Value, oldTok, true) // keep_tokens: they run out on their own
		if ev := e.audit(t, "action=rotation.complete&target="+rot.Rotation.ID); len(ev) != 1 || ev[0].Detail["state_before"] != "new_secret_in_use" {
			t.Errorf("rotation.complete events = %s", fmtJSON(ev))
		}
	})

	t.Run("auto-complete", func(t *testing.T) {
		t.Parallel()
		c, old := e.client(t, "reports")
		quiet := 1
		rot := rotate(t, c.ClientID, apiv1.Rotate{QuietSeconds: &quiet, AutoComplete: true})
		e.token(t, c.ClientID, old.Value)
		newTok := e.token(t, c.ClientID, rot.Value).AccessToken
		oauthEventually(t, 10*time.Second, "the old secret revoked by auto-completion", func() bool {
			return e.secrets(t, c.ClientID)[old.ID].Status == "revoked"
		})
		st := status(t, c.ClientID, rot.Rotation.ID)
		if st.State != "completed" || st.CompletedAt == nil || !st.AutoComplete {
			t.Errorf("auto-completed rotation = %s", fmtJSON(st))
		}
		ev := e.audit(t, "action=rotation.complete&target="+rot.Rotation.ID)
		if len(ev) != 1 || ev[0].ActorKind != "system" || ev[0].Detail["revoked"] != old.ID || ev[0].Detail["client_id"] != c.ClientID {
			t.Errorf("rotation.complete events = %s", fmtJSON(ev))
		}
		e.post(t, "/oauth2/token", c.ClientID, old.Value, url.Values{"grant_type": {"client_credentials"}}).
			wantError(t, http.StatusUnauthorized, "invalid_client")
		e.wantActive(t, c.ClientID, rot.Value, newTok, true)
	})
}

func TestOAuthLastUsedSQLite(t *testing.T) {
	t.Parallel()
	testOAuthLastUsed(t, newSQLite(t))
}

func TestOAuthLastUsedPostgres(t *testing.T) {
	t.Parallel()
	testOAuthLastUsed(t, newPostgres(t))
}

// testOAuthLastUsed checks that token requests show up as last-used times:
// flushed at shutdown with the default (10 s) interval, and within a flush
// interval while running.
func testOAuthLastUsed(t *testing.T, in *instance) {
	e := oauthStart(t, in)
	c, first := e.client(t, "billing")
	second := e.secret(t, c.ClientID, apiv1.CreateSecret{Description: "second"})
	inWindow := func(t *testing.T, s apiv1.Secret, from, to time.Time) {
		t.Helper()
		if s.LastUsedAt == nil || s.LastUsedFrom != "127.0.0.1" {
			t.Fatalf("secret %s: last_used_at %v from %q, want a time from 127.0.0.1", s.ID, s.LastUsedAt, s.LastUsedFrom)
		}
		if s.LastUsedAt.Before(from.Add(-time.Second)) || s.LastUsedAt.After(to.Add(time.Second)) {
			t.Errorf("last_used_at %v, want between %v and %v", s.LastUsedAt, from, to)
		}
	}

	// The server runs with the default flush interval (10 s) and stops
	// right after the token request: shutdown must flush. The restart (in
	// the test, not a subtest: it must outlive the subtest) flushes fast.
	before := time.Now()
	e.token(t, c.ClientID, first.Value)
	after := time.Now()
	e.srv.stop(t)
	e.srv = e.in.start(t, "--usage-flush-interval", "200ms")

	t.Run("flushed at shutdown", func(t *testing.T) {
		s := e.secrets(t, c.ClientID)
		inWindow(t, s[first.ID], before, after)
		if s[second.ID].LastUsedAt != nil {
			t.Errorf("unused secret has last_used_at %v", s[second.ID].LastUsedAt)
		}
	})

	t.Run("within a flush interval", func(t *testing.T) {
		before := time.Now()
		e.token(t, c.ClientID, second.Value)
		after := time.Now()
		oauthEventually(t, 5*time.Second, "last_used_at of the second secret", func() bool {
			return e.secrets(t, c.ClientID)[second.ID].LastUsedAt != nil
		})
		inWindow(t, e.secrets(t, c.ClientID)[second.ID], before, after)
		// The aggregated audit event names the secret and the source.
		ev := e.audit(t, "action=client.authenticate&target="+c.ClientID)
		found := false
		for _, x := range ev {
			if x.Result == "success" && x.Detail["secret_id"] == second.ID && x.Source == "127.0.0.1" {
				found = true
			}
		}
		if !found {
			t.Errorf("no successful client.authenticate event for secret %s: %s", second.ID, fmtJSON(ev))
		}
	})
}

// TestOAuthTokenSourceAddress checks per-secret source restrictions and
// the failed-authentication limits, using 127.0.0.2 as a second source
// address on the loopback interface.
func TestOAuthTokenSourceAddress(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t), "--usage-flush-interval", "100ms") // aggregated failures reach the audit log soon
	from2 := oauthClientFrom(t, "127.0.0.2")
	cc := url.Values{"grant_type": {"client_credentials"}}

	t.Run("allowed cidrs", func(t *testing.T) {
		c, _ := e.client(t, "office only")
		tests := []struct {
			name       string
			cidrs      []string
			from1, fr2 int // status from 127.0.0.1 and from 127.0.0.2
		}{
			{"other network", []string{"10.0.0.0/8"}, http.StatusUnauthorized, http.StatusUnauthorized},
			{"loopback network", []string{"127.0.0.0/8"}, http.StatusOK, http.StatusOK},
			{"one address", []string{"127.0.0.1/32"}, http.StatusOK, http.StatusUnauthorized},
			{"bare address", []string{"127.0.0.2"}, http.StatusUnauthorized, http.StatusOK},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := e.secret(t, c.ClientID, apiv1.CreateSecret{Description: tc.name, AllowedCIDRs: tc.cidrs})
				for _, x := range []struct {
					from string
					hc   *http.Client
					want int
				}{{"127.0.0.1", oauthHTTP, tc.from1}, {"127.0.0.2", from2, tc.fr2}} {
					r := oauthPost(t, x.hc, e.srv.URL+"/oauth2/token", c.ClientID, s.Value, cc)
					if x.want == http.StatusOK {
						r.wantToken(t)
						continue
					}
					r.wantError(t, x.want, "invalid_client")
					oauthEventually(t, 10*time.Second, "a failure event from "+x.from+" for secret "+s.ID, func() bool {
						for _, ev := range e.audit(t, "action=client.authenticate&target="+c.ClientID) {
							if ev.Result == "failure" && strings.Contains(ev.Detail["secret_ids"], s.ID) && strings.Contains(ev.Detail["addresses"], x.from) &&
								strings.Contains(ev.Detail["reasons"], "source address not allowed for this secret") {
								return true
							}
						}
						return false
					})
				}
			})
		}
	})

	t.Run("brute force", func(t *testing.T) {
		c, s := e.client(t, "target")
		failures := 0
		var limited oauthResponse
		for range credential.ClientFailureBurst + 3 {
			// Wrong values of the generated shape: a keyed hash each, so the
			// burst ends long before the limit refills (one every 6 s).
			r := e.post(t, "/oauth2/token", c.ClientID, secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal(), cc)
			if r.Status == http.StatusTooManyRequests {
				limited = r
				break
			}
			r.wantError(t, http.StatusUnauthorized, "invalid_client")
			failures++
		}
		if limited.Status != http.StatusTooManyRequests {
			t.Fatalf("no 429 after %d wrong secrets", failures)
		}
		if failures < credential.ClientFailureBurst {
			t.Errorf("429 after %d failures, want at least the burst of %d", failures, credential.ClientFailureBurst)
		}
		limited.wantError(t, http.StatusTooManyRequests, "invalid_client")
		if ra := limited.Header.Get("Retry-After"); ra == "" || ra == "0" || strings.ContainsFunc(ra, func(r rune) bool { return r < '0' || r > '9' }) {
			t.Errorf("Retry-After = %q, want whole seconds", ra)
		}
		// The correct secret from the blocked address is refused too ...
		e.post(t, "/oauth2/token", c.ClientID, s.Value, cc).wantError(t, http.StatusTooManyRequests, "invalid_client")
		// ... but not from another address, nor another client from this one.
		oauthPost(t, from2, e.srv.URL+"/oauth2/token", c.ClientID, s.Value, cc).wantToken(t)
		bystander, bs := e.client(t, "bystander")
		e.token(t, bystander.ClientID, bs.Value)

		// The failures are aggregated: events per client and minute that
		// count them by reason and list the addresses.
		wrong := 0
		oauthEventually(t, 10*time.Second, fmt.Sprintf("%d wrong-secret failures in the audit log", failures), func() bool {
			wrong = 0
			for _, x := range e.audit(t, "action=client.authenticate&target="+c.ClientID) {
				if x.Result == "failure" && strings.Contains(x.Detail["addresses"], "127.0.0.1") {
					var n int
					for r := range strings.SplitSeq(x.Detail["reasons"], "; ") {
						if _, err := fmt.Sscanf(r, "wrong secret: %d", &n); err == nil {
							wrong += n
						}
					}
				}
			}
			return wrong == failures
		})
	})
}
