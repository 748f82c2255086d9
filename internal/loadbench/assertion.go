package loadbench

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionType is RFC 7523's client_assertion_type.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Assertions signs private_key_jwt client assertions for one client: each
// with a fresh jti, aud the token endpoint, exp a minute ahead, signed
// with EdDSA (the cheapest to sign, so that the load generator stays
// light).
type Assertions struct {
	clientID, aud string
	signer        jose.Signer
}

// NewAssertions returns an assertion signer for clientID at baseURL's
// token endpoint, with key (registered under kid).
func NewAssertions(baseURL, clientID, kid string, key ed25519.PrivateKey) (*Assertions, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, err
	}
	return &Assertions{clientID: clientID, aud: baseURL + "/oauth2/token", signer: s}, nil
}

// Sign returns a new assertion.
func (a *Assertions) Sign() (string, error) {
	b := make([]byte, 16)
	rand.Read(b)
	now := time.Now()
	return jwt.Signed(a.signer).Claims(jwt.Claims{Issuer: a.clientID, Subject: a.clientID, Audience: jwt.Audience{a.aud},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
		ID: base64.RawURLEncoding.EncodeToString(b)}).Serialize()
}

// AssertionTarget is a client_credentials grant at baseURL's
// /oauth2/token authenticated with private_key_jwt: every request carries
// a new assertion from a (signed as the request is made). A 200 must carry
// an access token.
func AssertionTarget(baseURL string, a *Assertions) Target {
	return Target{
		URL: baseURL + "/oauth2/token",
		Header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"},
			"Accept":       {"application/json"},
		},
		NextBody: func() []byte {
			tok, err := a.Sign()
			if err != nil {
				return nil // an empty body: the request fails, and is counted
			}
			return []byte(url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {AssertionType},
				"client_assertion": {tok}}.Encode())
		},
		Check: wantSubstring(`"access_token":"`),
	}
}
