package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
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
