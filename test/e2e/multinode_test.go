package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// TestMultiNodeChangesReachEveryNodePostgres runs two servers on one
// PostgreSQL database and changes things through one of them: the other
// sees each change at once (LISTEN/NOTIFY; client cache entries have no
// lifetime), not after its job interval (an hour here, so that no periodic
// reload explains what the test sees).
func TestMultiNodeChangesReachEveryNodePostgres(t *testing.T) {
	t.Parallel()
	in := newPostgres(t)
	noJobs := []string{"--job-interval", "1h"}
	a := oauthStart(t, in, noJobs...)
	b := &oauthEnv{in: in, srv: in.start(t, noJobs...), admin: a.admin, org: a.org}
	c, first := a.client(t, "billing", "invoices:read")
	second := a.secret(t, c.ClientID, apiv1.CreateSecret{Description: "second"})

	t.Run("secret revoked on B: A's tokens of it inactive", func(t *testing.T) {
		tok := a.token(t, c.ClientID, first.Value).AccessToken
		loaded := time.Now()
		a.wantActive(t, c.ClientID, second.Value, tok, true) // node A caches the client now
		b.srv.must(t, http.StatusOK, b.admin, "DELETE", "/v1/clients/"+c.ClientID+"/secrets/"+first.ID, nil, nil)
		oauthEventually(t, 2*time.Second, "node A finds a token of the secret node B revoked inactive", func() bool {
			return !a.introspect(t, c.ClientID, second.Value, tok).Active
		})
		if d := time.Since(loaded); d >= 5*time.Second {
			t.Fatalf("took %v: node A's cache entry may have expired, so this proves nothing", d)
		}
		r := a.post(t, "/oauth2/token", c.ClientID, first.Value, url.Values{"grant_type": {"client_credentials"}})
		r.wantError(t, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("access token revoked on A: inactive on B", func(t *testing.T) {
		tok := a.token(t, c.ClientID, second.Value).AccessToken
		b.wantActive(t, c.ClientID, second.Value, tok, true)
		if r := a.post(t, "/oauth2/revoke", c.ClientID, second.Value, url.Values{"token": {tok}}); r.Status != http.StatusOK {
			t.Fatalf("revoke on node A = %d: %s", r.Status, r.Body)
		}
		oauthEventually(t, 2*time.Second, "node B finds the token node A revoked inactive", func() bool {
			return !b.introspect(t, c.ClientID, second.Value, tok).Active
		})
	})

	t.Run("keys rotated on B: A publishes and signs with the new key", func(t *testing.T) {
		m := oauthDiscover(t, a.srv.URL)
		oauthAfterSecondBoundary(t) // the new key starts in a later second than the first
		zero := 0
		var k apiv1.SigningKey
		b.srv.must(t, http.StatusCreated, b.admin, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: &zero}, &k)
		oauthEventually(t, 2*time.Second, "node A's JWKS publishes the key node B created", func() bool {
			return slices.Contains(publishedKids(t, m.JWKSURI), k.ID)
		})
		tok := a.token(t, c.ClientID, second.Value).AccessToken
		_, hdr := oauthVerify(t, m.JWKSURI, m.Issuer, tok)
		if kid, _, _ := oauthHeader(hdr); kid != k.ID {
			t.Errorf("node A signs with %s, want the key node B rotated in, %s", kid, k.ID)
		}
		b.wantActive(t, c.ClientID, second.Value, tok, true)
	})
}

// publishedKids returns the key IDs of the JWKS at uri.
func publishedKids(t *testing.T, uri string) []string {
	t.Helper()
	r := oauthDo(t, oauthHTTP, "GET", uri, nil, "")
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", uri, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatalf("JWKS %s: %v", r.Body, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// TestMultiNodeDeadListenerPostgres black-holes node B's change listener
// (a TCP proxy in front of PostgreSQL drops that connection's traffic
// without closing it, and hangs its reconnections): B notices within its
// liveness check, treats the gap as missed notices, catches up while deaf,
// so that a token revoked and a secret revoked on node A are refused on B
// within 5 s; once the network is back B listens again and notices work.
// Jobs run hourly, so no periodic reload explains what B does.
func TestMultiNodeDeadListenerPostgres(t *testing.T) {
	t.Parallel()
	in := newPostgres(t)
	u, err := url.Parse(in.database)
	noErr(t, err)
	proxy := newPGProxy(t, u.Host)
	timing := []string{"--job-interval", "1h", "--listener-check", "300ms", "--listener-timeout", "300ms"}
	a := oauthStart(t, in, timing...)
	inB := *in
	inB.database = proxy.dsn(t, in.database)
	b := &oauthEnv{in: &inB, srv: inB.start(t, timing...), admin: a.admin, org: a.org}
	c, first := a.client(t, "billing", "invoices:read")
	second := a.secret(t, c.ClientID, apiv1.CreateSecret{Description: "second"})
	tok := a.token(t, c.ClientID, second.Value).AccessToken
	b.wantActive(t, c.ClientID, first.Value, tok, true) // node B caches the client now

	proxy.blackhole()
	oauthEventually(t, 5*time.Second, "node B notices that its listener is dead", func() bool {
		return strings.Contains(b.srv.logs.String(), "change notices interrupted")
	})

	revoked := time.Now()
	if r := a.post(t, "/oauth2/revoke", c.ClientID, second.Value, url.Values{"token": {tok}}); r.Status != http.StatusOK {
		t.Fatalf("revoke on node A = %d: %s", r.Status, r.Body)
	}
	oauthEventually(t, 5*time.Second, "node B refuses the access token node A revoked", func() bool {
		return !b.introspect(t, c.ClientID, first.Value, tok).Active
	})
	t.Logf("revoked token refused on node B %v after the revocation, its listener dead", time.Since(revoked).Round(time.Millisecond))

	a.srv.must(t, http.StatusOK, a.admin, "DELETE", "/v1/clients/"+c.ClientID+"/secrets/"+first.ID, nil, nil)
	oauthEventually(t, 5*time.Second, "node B refuses the secret node A revoked", func() bool {
		r := b.post(t, "/oauth2/token", c.ClientID, first.Value, url.Values{"grant_type": {"client_credentials"}})
		return r.Status == http.StatusUnauthorized
	})

	proxy.restore()
	oauthEventually(t, 10*time.Second, "node B listens again", func() bool {
		return strings.Contains(b.srv.logs.String(), "listening for changes again")
	})
	tok2 := a.token(t, c.ClientID, second.Value).AccessToken
	b.wantActive(t, c.ClientID, second.Value, tok2, true)
	if r := a.post(t, "/oauth2/revoke", c.ClientID, second.Value, url.Values{"token": {tok2}}); r.Status != http.StatusOK {
		t.Fatalf("revoke on node A = %d: %s", r.Status, r.Body)
	}
	oauthEventually(t, 2*time.Second, "node B hears of the next revocation by notice", func() bool {
		return !b.introspect(t, c.ClientID, second.Value, tok2).Active
	})
}
