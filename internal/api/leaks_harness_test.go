package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// gitHubReporter stands in for GitHub's partner program: its own P-256
// key, published in a key list file the server reads.
type gitHubReporter struct {
	keyID string
	key   *ecdsa.PrivateKey
	file  string
}

func newGitHubReporter(t *testing.T) *gitHubReporter {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	g := &gitHubReporter{keyID: "stand-in-key-1", key: key, file: filepath.Join(t.TempDir(), "github-keys.json")}
	list, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{
		"key_identifier": g.keyID, "key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true,
	}}})
	if err := os.WriteFile(g.file, list, 0o600); err != nil {
		t.Fatal(err)
	}
	return g
}

// sign returns the headers that sign body as GitHub does.
func (g *gitHubReporter) sign(t *testing.T, body []byte) []reqOpt {
	t.Helper()
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, g.key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return []reqOpt{header("Github-Public-Key-Identifier", g.keyID), header("Github-Public-Key-Signature", base64.StdEncoding.EncodeToString(sig))}
}
