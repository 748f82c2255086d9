package leak

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"keywarden/internal/domain"
)

// GitHub's partner program: where its keys are published, and the
// headers of a signed report.
const (
	GitHubKeysURL        = "https://api.github.com/meta/public_keys/secret_scanning"
	HeaderGitHubKeyID    = "Github-Public-Key-Identifier"
	HeaderGitHubKeySig   = "Github-Public-Key-Signature"
	maxKeyListBytes      = 1 << 20
	gitHubKeysMaxAge     = time.Hour        // a cached list is fetched again after this
	gitHubKeysMinRefresh = 30 * time.Second // an unknown key ID fetches at most this often
)

// Errors of a partner-program report; the transport answers 401 to the
// first two and 409 to a replay.
var (
	ErrUnsigned        = errors.New("the report is not signed: " + HeaderGitHubKeyID + " and " + HeaderGitHubKeySig + " are required")
	ErrBadSignature    = errors.New("the report's signature does not verify under the reporter's published keys")
	ErrReplayed        = errors.New("this signed report was received before")
	errKeysUnavailable = errors.New("the reporter's public keys are not available")
)

// GitHubKeysOptions say where the reporter's public keys come from: a
// URL (GitHub's, or a stand-in's) fetched with Client, or a file in the
// same JSON format, read once at start.
type GitHubKeysOptions struct {
	URL    string
	File   string
	Client *http.Client // the SSRF-guarded client (webhook.NewHTTPClient)
	Now    func() time.Time
}

// GitHubKeys are the reporter's ECDSA P-256 public keys by identifier,
// cached; a report under an unknown identifier fetches the list again, at
// most every 30 s.
type GitHubKeys struct {
	o       GitHubKeysOptions
	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	fetched time.Time // when keys was fetched (zero: never)
	tried   time.Time // the last fetch, successful or not
}

// NewGitHubKeys returns the key source; with a file it reads and checks
// the file now.
func NewGitHubKeys(o GitHubKeysOptions) (*GitHubKeys, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if (o.URL == "") == (o.File == "") {
		return nil, errors.New("leak: GitHub keys need a URL or a file, not both")
	}
	k := &GitHubKeys{o: o}
	if o.File != "" {
		b, err := os.ReadFile(o.File)
		if err != nil {
			return nil, fmt.Errorf("leak: GitHub keys: %w", err)
		}
		if k.keys, err = parseKeyList(b); err != nil {
			return nil, fmt.Errorf("leak: GitHub keys %s: %w", o.File, err)
		}
	}
	return k, nil
}

// key returns the public key named id.
func (k *GitHubKeys) key(ctx context.Context, id string) (*ecdsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pub, ok := k.keys[id]
	if k.o.URL == "" {
		if !ok {
			return nil, ErrBadSignature
		}
		return pub, nil
	}
	now := k.o.Now()
	stale := k.fetched.IsZero() || now.Sub(k.fetched) > gitHubKeysMaxAge
	if (ok && !stale) || now.Sub(k.tried) < gitHubKeysMinRefresh {
		if !ok {
			if k.keys == nil {
				return nil, errKeysUnavailable
			}
			return nil, ErrBadSignature
		}
		return pub, nil
	}
	k.tried = now
	keys, err := k.fetch(ctx)
	if err != nil {
		if ok { // a stale list still verifies what it holds
			return pub, nil
		}
		return nil, fmt.Errorf("%w: %v", errKeysUnavailable, err)
	}
	k.keys, k.fetched = keys, now
	if pub, ok = keys[id]; !ok {
		return nil, ErrBadSignature
	}
	return pub, nil
}

func (k *GitHubKeys) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.o.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", k.o.URL, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyListBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyListBytes {
		return nil, fmt.Errorf("GET %s: the key list is over 1 MiB", k.o.URL)
	}
	return parseKeyList(b)
}

// parseKeyList reads GitHub's key list:
// {"public_keys": [{"key_identifier": "…", "key": "-----BEGIN PUBLIC KEY-----…"}]}.
func parseKeyList(b []byte) (map[string]*ecdsa.PublicKey, error) {
	var list struct {
		PublicKeys []struct {
			ID  string `json:"key_identifier"`
			Key string `json:"key"`
		} `json:"public_keys"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("not a key list: %w", err)
	}
	out := map[string]*ecdsa.PublicKey{}
	for _, e := range list.PublicKeys {
		blk, _ := pem.Decode([]byte(e.Key))
		if e.ID == "" || blk == nil {
			return nil, errors.New("a key without an identifier or a PEM public key")
		}
		pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", e.ID, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("key %s: not an ECDSA P-256 key", e.ID)
		}
		out[e.ID] = ec
	}
	if len(out) == 0 {
		return nil, errors.New("no keys")
	}
	return out, nil
}

// ReportGate records signed reports so that a replay is refused
// (store.Leaks.RecordLeakReport).
type ReportGate interface {
	RecordLeakReport(ctx context.Context, digest []byte, at time.Time) (bool, error)
}

// GitHubMatch is one entry of a partner-program report.
type GitHubMatch struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// GitHubLabel is one entry of the answer, in GitHub's feedback format.
type GitHubLabel struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"` // true_positive or false_positive
}

// GitHub verifies a partner-program report (body, signed under the key
// keyID with the base64 DER ECDSA signature sig), refuses a replay,
// responds to every live value and answers with GitHub's labels. Nothing
// changes unless the signature verifies and the body is well formed.
func (s *Service) GitHub(ctx context.Context, keys *GitHubKeys, gate ReportGate, now time.Time, keyID, sig string, body []byte) ([]GitHubLabel, error) {
	keyID, sig = strings.TrimSpace(keyID), strings.TrimSpace(sig)
	if keyID == "" || sig == "" {
		return nil, ErrUnsigned
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return nil, ErrBadSignature
	}
	pub, err := keys.key(ctx, keyID)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, digest[:], raw) {
		return nil, ErrBadSignature
	}
	var matches []GitHubMatch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&matches); err != nil || dec.More() {
		return nil, domain.Invalid("body", "a JSON array of {token, type, url, source}")
	}
	findings := make([]Finding, len(matches))
	for i, m := range matches {
		if m.Token == "" {
			return nil, domain.Invalid(fmt.Sprintf("body[%d].token", i), "is required")
		}
		findings[i] = Finding{Value: m.Token, SourceURL: m.URL, Source: m.Source}
	}
	if len(findings) == 0 || len(findings) > MaxFindings {
		return nil, domain.Invalid("body", fmt.Sprintf("between 1 and %d matches", MaxFindings))
	}
	seen := sha256.Sum256(append(append([]byte(sig), '\n'), body...))
	first, err := gate.RecordLeakReport(ctx, seen[:], now)
	if err != nil {
		return nil, err
	}
	if !first {
		return nil, ErrReplayed
	}
	labels, err := s.Report(ctx, "github", findings)
	if err != nil {
		return nil, err
	}
	out := make([]GitHubLabel, len(labels))
	for i, l := range labels {
		out[i] = GitHubLabel{TokenRaw: matches[i].Token, TokenType: matches[i].Type, Label: "false_positive"}
		if l.Ours() {
			out[i].Label = "true_positive"
		}
	}
	return out, nil
}

// Unavailable reports whether err means the keys could not be fetched
// (the transport answers 503: GitHub retries).
func Unavailable(err error) bool { return errors.Is(err, errKeysUnavailable) }
