package oauth

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/dpop"
	"keywarden/internal/httpx"
	"keywarden/internal/token"
)

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// token is RFC 6749 §4.4 and §6: parse, authenticate the client, let the
// issuer issue, render.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	grant, ok := f["grant_type"]
	switch {
	case !ok || grant == "":
		return invalidRequest("grant_type is required")
	case grant != token.GrantClientCredentials && grant != token.GrantRefreshToken:
		return errUnsupportedGrant
	}
	// A DPoP proof is checked before the client, which costs more; its
	// jti is used up only once the client is known (token.Issuer).
	var proof *dpop.Proof
	if vals := r.Header.Values("DPoP"); len(vals) > 0 {
		if len(vals) > 1 {
			return &Error{Code: "invalid_dpop_proof", Description: "send one DPoP header", Status: http.StatusBadRequest}
		}
		p, err := h.DPoP.Verify(vals[0], r.Method, h.Issuer()+"/oauth2/token", "")
		if err != nil {
			return h.dpopError(w, err)
		}
		proof = &p
	}
	auth, err := h.authenticate(r.Context(), r, f)
	if err != nil {
		return err
	}
	req := token.Request{Grant: grant, Source: httpx.ClientIP(r), Proof: proof}
	req.Scope, req.HasScope = f["scope"]
	if grant == token.GrantRefreshToken {
		if req.RefreshToken = f["refresh_token"]; req.RefreshToken == "" {
			return invalidRequest("refresh_token is required")
		}
	}
	issued, err := h.Tokens.Issue(r.Context(), auth, req)
	if err != nil {
		return h.dpopError(w, issueError(err))
	}
	h.Metrics.TokenIssued(grant)
	w.Header().Set("Pragma", "no-cache")
	if h.DPoP.RequireNonce {
		w.Header().Set("DPoP-Nonce", h.DPoP.Nonce()) // the next proof's (RFC 9449 §8.2)
	}
	return writeJSON(w, tokenResponse{AccessToken: issued.AccessToken, TokenType: issued.Claims.Type(), ExpiresIn: issued.ExpiresIn,
		Scope: issued.Scope, RefreshToken: issued.RefreshToken}) // sets Cache-Control: no-store
}

// dpopError answers a refused DPoP proof (RFC 9449 §7.1): 400 with its
// code; use_dpop_nonce brings the nonce to use (§8). Other errors pass.
func (h *Handler) dpopError(w http.ResponseWriter, err error) error {
	var e *dpop.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Code == dpop.ErrUseNonce.Code {
		w.Header().Set("DPoP-Nonce", h.DPoP.Nonce())
	}
	return &Error{Code: e.Code, Description: e.Reason, Status: http.StatusBadRequest, cause: err}
}

// introspection is RFC 7662 §2.2.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
	SecretID  string `json:"secret_id,omitempty"`
	KeyID     string `json:"key_id,omitempty"` // private_key_jwt: the client key that authenticated
	// Cnf is a bound token's key (RFC 9449 §6.2).
	Cnf *token.Confirmation `json:"cnf,omitempty"`
}

// introspect answers for tokens of the caller's organisation only: any
// client of an organisation may introspect that organisation's tokens, and
// another organisation's token is simply inactive.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	auth, err := h.authenticate(r.Context(), r, f)
	if err != nil {
		return err
	}
	tok, ok := f["token"]
	if !ok || tok == "" {
		return invalidRequest("token is required")
	}
	c, active, err := h.Tokens.Introspect(r.Context(), auth.Client.OrgID, tok)
	if err != nil {
		return err
	}
	out := introspection{Active: false}
	if active {
		out = introspection{Active: true, Scope: c.Scope, ClientID: string(c.ClientID), TokenType: c.Type(),
			Exp: c.Expiry, Iat: c.IssuedAt, Sub: c.Subject, Aud: c.Audience, Iss: c.Issuer, Jti: c.JTI, SecretID: string(c.SecretID), KeyID: string(c.KeyID), Cnf: c.Cnf}
	}
	if !acceptsJWT(r.Header.Values("Accept")) {
		return writeJSON(w, out)
	}
	// RFC 9701: the answer signed by Keywarden, for the caller (aud) at
	// one time (iat); no sub or exp of its own, so that it cannot pass for
	// an access token.
	now := time.Now()
	jwt, err := h.Keys.SignIntrospection(struct {
		Iss                string        `json:"iss"`
		Aud                string        `json:"aud"`
		Iat                int64         `json:"iat"`
		TokenIntrospection introspection `json:"token_introspection"`
	}{h.Issuer(), string(auth.Client.ID), now.Unix(), out}, now)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", introspectionJWT)
	w.Header().Set("Cache-Control", "no-store")
	_, err = io.WriteString(w, jwt)
	return err
}

// introspectionJWT is RFC 9701's media type.
const introspectionJWT = "application/" + token.IntrospectionType

// acceptsJWT reports whether the Accept header values ask for a JWT
// introspection response (RFC 9701 §4): its media type with a non-zero
// quality, and preferred to JSON when both are listed.
func acceptsJWT(accept []string) bool {
	jwtQ, jsonQ := -1.0, -1.0
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			switch mt {
			case introspectionJWT:
				jwtQ = max(jwtQ, q)
			case "application/json":
				jsonQ = max(jsonQ, q)
			}
		}
	}
	return jwtQ > 0 && jwtQ >= jsonQ
}

// revoke is RFC 7009. A client may revoke its own access and refresh
// tokens; anything else, unknown or malformed gets 200 and changes nothing
// (§2.2).
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	auth, err := h.authenticate(r.Context(), r, f)
	if err != nil {
		return err
	}
	tok, ok := f["token"]
	if !ok || tok == "" {
		return invalidRequest("token is required")
	}
	switch hint := f["token_type_hint"]; hint {
	case "", "access_token", "refresh_token":
	default:
		return &Error{Code: "unsupported_token_type", Status: http.StatusBadRequest, Description: "token_type_hint must be access_token or refresh_token"}
	}
	if err := h.Tokens.Revoke(r.Context(), auth.Client, tok, httpx.ClientIP(r)); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// metadata is RFC 8414 §2, served at both well-known paths (many clients
// only try OpenID Connect Discovery's). response_types_supported is
// REQUIRED there, yet Keywarden has no authorization endpoint: it lists
// "none" (IANA's OAuth Authorization Endpoint Response Types registry),
// the response type that issues nothing through the front channel, rather
// than an empty list that strict parsers refuse (docs/oauth.md).
func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) error {
	iss := h.Issuer()
	methods := []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	doc := map[string]any{
		"issuer":                                iss,
		"token_endpoint":                        iss + "/oauth2/token",
		"introspection_endpoint":                iss + "/oauth2/introspect",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"grant_types_supported":                 []string{"client_credentials", "refresh_token"},
		"response_types_supported":              []string{"none"},
		"token_endpoint_auth_methods_supported": methods,
		"introspection_endpoint_auth_methods_supported": methods,
		"revocation_endpoint_auth_methods_supported":    methods,
		"access_token_signing_alg_values_supported":     h.Keys.Algorithms(),
		"introspection_signing_alg_values_supported":    h.Keys.Algorithms(), // RFC 9701 §7
		"dpop_signing_alg_values_supported":             dpopAlgorithms(),    // RFC 9449 §5.1
		// The algorithms of private_key_jwt client assertions (RFC 8414 §2).
		"token_endpoint_auth_signing_alg_values_supported":         credential.KeyAlgorithms,
		"introspection_endpoint_auth_signing_alg_values_supported": credential.KeyAlgorithms,
		"revocation_endpoint_auth_signing_alg_values_supported":    credential.KeyAlgorithms,
		"service_documentation":                                    iss + "/openapi.yaml",
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}

func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) error {
	body, etag := h.Keys.JWKS()
	hdr := w.Header()
	hdr.Set("Content-Type", "application/jwk-set+json")
	hdr.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(token.JWKSMaxAge.Seconds())))
	hdr.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, err := w.Write(body)
	return err
}

func dpopAlgorithms() []string {
	out := make([]string, len(dpop.Algorithms))
	for i, a := range dpop.Algorithms {
		out[i] = string(a)
	}
	return out
}
