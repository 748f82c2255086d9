package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/domain"
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

func (h *Handler) token(w http.ResponseWriter, r *http.Request) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	grant, ok := f["grant_type"]
	switch {
	case !ok || grant == "":
		return invalidRequest("grant_type is required")
	case grant != "client_credentials" && grant != "refresh_token":
		return &Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest,
			Description: "grant_type must be client_credentials or refresh_token"}
	}
	auth, err := h.authenticate(r.Context(), r, f)
	if err != nil {
		return err
	}
	requested, hasScope := f["scope"]
	scope, err := grantScopes(auth.Client.Scopes, requested, hasScope)
	if err != nil {
		return err
	}
	claims := token.NewClaims(h.Issuer(), auth.Client.OrgID, auth.Client.ID, auth.Subject, auth.SecretID, scope, auth.TokenTTL, h.now())
	resp := tokenResponse{TokenType: "Bearer", ExpiresIn: auth.TokenTTL, Scope: scope}
	if grant == "refresh_token" {
		value, ok := f["refresh_token"]
		if !ok || value == "" {
			return invalidRequest("refresh_token is required")
		}
		next, err := h.Refresh.Redeem(r.Context(), auth.Client, value, claims.JTI, time.Unix(claims.Expiry, 0), httpx.ClientIP(r))
		if errors.Is(err, token.ErrInvalidGrant) {
			return &Error{Code: "invalid_grant", Description: "the refresh token is invalid, expired, revoked or was already used", Status: http.StatusBadRequest, cause: err}
		}
		if err != nil {
			return err
		}
		resp.RefreshToken = next.Value.Reveal()
	}
	if resp.AccessToken, err = h.Keys.Mint(claims); err != nil {
		return err
	}
	h.Metrics.Tokens.WithLabelValues(grant).Inc()
	w.Header().Set("Pragma", "no-cache")
	return writeJSON(w, resp) // sets Cache-Control: no-store
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
	c, active, err := h.active(r, auth.Client.OrgID, tok)
	if err != nil {
		return err
	}
	if !active {
		return writeJSON(w, introspection{Active: false})
	}
	return writeJSON(w, introspection{Active: true, Scope: c.Scope, ClientID: string(c.ClientID), TokenType: "Bearer",
		Exp: c.Expiry, Iat: c.IssuedAt, Sub: c.Subject, Aud: c.Audience, Iss: c.Issuer, Jti: c.JTI, SecretID: string(c.SecretID)})
}

// active decides whether an access token is good now for org: signed by a
// published key, unexpired, not on the deny list, and still backed by its
// client, secret and (for a personal credential) user.
func (h *Handler) active(r *http.Request, org domain.OrgID, tok string) (token.Claims, bool, error) {
	c, err := h.Keys.Parse(tok, h.now())
	if err != nil || c.OrgID != org || h.DenyList.Contains(c.JTI) {
		return c, false, nil
	}
	st, err := h.Credentials.TokenActive(r.Context(), org, c.ClientID, c.SecretID, c.IssuedAt)
	return c, st.Active, err
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
	if strings.HasPrefix(tok, "kwr_") {
		if err := h.Refresh.Revoke(r.Context(), auth.Client, tok, httpx.ClientIP(r)); err != nil {
			return err
		}
	} else if c, err := h.Keys.Parse(tok, h.now()); err == nil && c.ClientID == auth.Client.ID {
		by := domain.ClientActor(auth.Client.OrgID, auth.Client.ID, httpx.ClientIP(r))
		if err := h.DenyList.Revoke(r.Context(), by, c); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// metadata is RFC 8414 §2.
func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) error {
	iss := h.Issuer()
	methods := []string{"client_secret_basic", "client_secret_post"}
	doc := map[string]any{
		"issuer":                                iss,
		"token_endpoint":                        iss + "/oauth2/token",
		"introspection_endpoint":                iss + "/oauth2/introspect",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"grant_types_supported":                 []string{"client_credentials", "refresh_token"},
		"response_types_supported":              []string{},
		"token_endpoint_auth_methods_supported": methods,
		"introspection_endpoint_auth_methods_supported": methods,
		"revocation_endpoint_auth_methods_supported":    methods,
		"access_token_signing_alg_values_supported":     h.Keys.Algorithms(),
		"service_documentation":                         iss + "/openapi.yaml",
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
