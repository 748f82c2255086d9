package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/pkg/apiv1"
)

// writeJWK writes a new P-256 key's public JWK (kid) to a file and
// returns its path, and the path of a file holding the private JWK.
func writeJWK(t *testing.T, kid string) (public, private string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for path, key := range map[string]any{"pub.jwk": &k.PublicKey, "priv.jwk": k} {
		b, err := jose.JSONWebKey{Key: key, KeyID: kid}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "pub.jwk"), filepath.Join(dir, "priv.jwk")
}

func TestClientKeys(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "keys")
	pub, priv := writeJWK(t, "ci-2026")

	var k apiv1.ClientKey
	decodeJSON(t, srv.mustRun(t, "client-keys", "create", c.ClientID, "--jwk", pub, "--description", "CI", "--expires", time.Now().AddDate(0, 0, 30).UTC().Format(time.DateOnly), "-o", "json"), &k)
	if !strings.HasPrefix(k.ID, "ckey_") || k.KID != "ci-2026" || k.Alg != "ES256" || k.Status != "active" || k.ExpiresAt == nil {
		t.Fatalf("created key %+v", k)
	}
	if r := srv.run(t, "client-keys", "create", c.ClientID, "--jwk", priv); r.code == 0 || !strings.Contains(r.stderr, "private key material") {
		t.Errorf("private JWK: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := srv.run(t, "client-keys", "create", c.ClientID); r.code == 0 || !strings.Contains(r.stderr, "--jwk is required") {
		t.Errorf("no --jwk: exit %d, stderr %q", r.code, r.stderr)
	}
	var u apiv1.ClientKey
	decodeJSON(t, srv.mustRun(t, "client-keys", "create", c.ClientID, "--jwks-uri", "https://keys.example.com/jwks.json", "-o", "json"), &u)
	if u.JWKSURI != "https://keys.example.com/jwks.json" {
		t.Errorf("jwks_uri key %+v", u)
	}
	if r := srv.run(t, "client-keys", "create", c.ClientID, "--jwk", pub, "--jwks-uri", "https://x.example"); r.code == 0 || !strings.Contains(r.stderr, "give one") {
		t.Errorf("--jwk and --jwks-uri: exit %d, stderr %q", r.code, r.stderr)
	}
	table := srv.mustRun(t, "client-keys", "list", c.ClientID)
	wantIn(t, "client-keys list", table, "KEY ID", "KID", k.ID, "ci-2026", "ES256", "active")
	// The secrets list shows the keys with the secrets.
	srv.createSecret(t, c.ClientID, "prod")
	wantIn(t, "secrets list", srv.mustRun(t, "secrets", "list", c.ClientID), "SECRET ID", "Keys (private_key_jwt):", k.ID, "ci-2026")
	wantIn(t, "show", srv.mustRun(t, "client-keys", "show", c.ClientID, k.ID), "Thumbprint", k.Thumbprint)
	wantIn(t, "update", srv.mustRun(t, "client-keys", "update", c.ClientID, k.ID, "--description", "CI (old)"), "CI (old)")
	if r := srv.run(t, "client-keys", "update", c.ClientID, k.ID); r.code == 0 || !strings.Contains(r.stderr, "nothing to change") {
		t.Errorf("update without flags: exit %d, stderr %q", r.code, r.stderr)
	}
	wantIn(t, "revoke", srv.mustRun(t, "client-keys", "revoke", c.ClientID, k.ID), "Revoked key "+k.ID, "access tokens stopped working")
	var list apiv1.ClientKeyList
	decodeJSON(t, srv.mustRun(t, "client-keys", "list", c.ClientID, "-o", "json"), &list)
	if len(list.Items) != 2 || list.Items[0].Status != "revoked" {
		t.Errorf("after revoke: %+v", list)
	}
}
