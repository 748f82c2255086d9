package keywarden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"keywarden/pkg/apiv1"
)

// Limits on what the client reads from the server.
const (
	maxResponseBytes = 32 << 20 // a page of audit events is far smaller
	maxProblemBytes  = 1 << 20
)

// Client calls the /v1 admin API of one Keywarden server with one API
// token. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseErr error
	token   string
	http    *http.Client
}

// New returns a client for the server at baseURL (e.g.
// "https://keys.example.com", optionally with a path prefix) that
// authenticates with token. A nil httpClient means http.DefaultClient.
// A malformed baseURL is reported by every call.
func New(baseURL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{token: token, http: httpClient}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.RawQuery != "", u.Fragment != "":
		// Not the url.Parse error: it would echo the URL, which may hold
		// credentials.
		c.baseErr = errors.New("apiclient: the server URL must be an absolute http(s) URL without query or fragment")
	default:
		c.base = u
	}
	return c
}

// AuditQuery selects audit events; zero fields do not filter.
type AuditQuery struct {
	Action string    // e.g. "secret.rotate"
	Actor  string    // actor ID
	Target string    // the ID of the object acted on
	Since  time.Time // events at or after
	Until  time.Time // events before
	Cursor string    // next_cursor of the previous page
	Limit  int       // page size; 0 means the server's default
}

// Health reports whether the server is up (GET /healthz, which needs no
// token).
func (c *Client) Health(ctx context.Context) (apiv1.Health, error) {
	var out apiv1.Health
	err := c.do(ctx, http.MethodGet, "/healthz", nil, nil, &out, false)
	return out, err
}

// CreateClient registers a client.
func (c *Client) CreateClient(ctx context.Context, in apiv1.CreateClient) (apiv1.Client, error) {
	var out apiv1.Client
	err := c.do(ctx, http.MethodPost, "/v1/clients", nil, in, &out, true)
	return out, err
}

// ListClients returns one page of clients. An empty cursor starts at the
// beginning; limit 0 means the server's default page size.
func (c *Client) ListClients(ctx context.Context, cursor string, limit int) (apiv1.ClientList, error) {
	var out apiv1.ClientList
	err := c.do(ctx, http.MethodGet, "/v1/clients", pageQuery(cursor, limit), nil, &out, true)
	return out, err
}

// GetClient returns one client.
func (c *Client) GetClient(ctx context.Context, clientID string) (apiv1.Client, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.Client{}, err
	}
	var out apiv1.Client
	err = c.do(ctx, http.MethodGet, p, nil, nil, &out, true)
	return out, err
}

// UpdateClient changes the fields of in that are set.
func (c *Client) UpdateClient(ctx context.Context, clientID string, in apiv1.UpdateClient) (apiv1.Client, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.Client{}, err
	}
	var out apiv1.Client
	err = c.do(ctx, http.MethodPatch, p, nil, in, &out, true)
	return out, err
}

// DeleteClient deletes a client and revokes its secrets.
func (c *Client) DeleteClient(ctx context.Context, clientID string) error {
	p, err := clientPath(clientID)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil, nil, true)
}

// RevokeAll revokes every secret of a client at once (the breach
// response).
func (c *Client) RevokeAll(ctx context.Context, clientID string) (apiv1.RevokeAll, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.RevokeAll{}, err
	}
	var out apiv1.RevokeAll
	err = c.do(ctx, http.MethodPost, p+"/revoke-all", nil, nil, &out, true)
	return out, err
}

// CreateSecret adds a secret to a client. The answer holds the secret's
// value, which the server never shows again.
func (c *Client) CreateSecret(ctx context.Context, clientID string, in apiv1.CreateSecret) (apiv1.CreatedSecret, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.CreatedSecret{}, err
	}
	var out apiv1.CreatedSecret
	err = c.do(ctx, http.MethodPost, p+"/secrets", nil, in, &out, true)
	return out, err
}

// ListSecrets returns a client's secrets, oldest first, without values.
func (c *Client) ListSecrets(ctx context.Context, clientID string) (apiv1.SecretList, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.SecretList{}, err
	}
	var out apiv1.SecretList
	err = c.do(ctx, http.MethodGet, p+"/secrets", nil, nil, &out, true)
	return out, err
}

// GetSecret returns one secret of a client, without its value.
func (c *Client) GetSecret(ctx context.Context, clientID, secretID string) (apiv1.Secret, error) {
	p, err := secretPath(clientID, secretID)
	if err != nil {
		return apiv1.Secret{}, err
	}
	var out apiv1.Secret
	err = c.do(ctx, http.MethodGet, p, nil, nil, &out, true)
	return out, err
}

// UpdateSecret changes a secret's description or expiry.
func (c *Client) UpdateSecret(ctx context.Context, clientID, secretID string, in apiv1.UpdateSecret) (apiv1.Secret, error) {
	p, err := secretPath(clientID, secretID)
	if err != nil {
		return apiv1.Secret{}, err
	}
	var out apiv1.Secret
	err = c.do(ctx, http.MethodPatch, p, nil, in, &out, true)
	return out, err
}

// RevokeSecret revokes (deletes) one secret. Revoking a revoked secret is
// not an error. By default the access tokens the secret minted stop working
// at once; with keepTokens they stay valid until they expire on their own
// (?tokens=keep, for a graceful retirement).
func (c *Client) RevokeSecret(ctx context.Context, clientID, secretID string, keepTokens bool) (apiv1.Secret, error) {
	p, err := secretPath(clientID, secretID)
	if err != nil {
		return apiv1.Secret{}, err
	}
	var q url.Values
	if keepTokens {
		q = url.Values{"tokens": {"keep"}}
	}
	var out apiv1.Secret
	err = c.do(ctx, http.MethodDelete, p, q, nil, &out, true)
	return out, err
}

// Rotate adds a new secret to a client and, with in.GraceSeconds set,
// schedules the previously active secrets to expire after the grace period.
func (c *Client) Rotate(ctx context.Context, clientID string, in apiv1.Rotate) (apiv1.RotateResult, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.RotateResult{}, err
	}
	var out apiv1.RotateResult
	err = c.do(ctx, http.MethodPost, p+"/secrets/rotate", nil, in, &out, true)
	return out, err
}

// ListRotations returns a client's tracked rotations, newest first.
func (c *Client) ListRotations(ctx context.Context, clientID string) (apiv1.RotationList, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.RotationList{}, err
	}
	var out apiv1.RotationList
	err = c.do(ctx, http.MethodGet, p+"/rotations", nil, nil, &out, true)
	return out, err
}

// GetRotation returns one rotation of a client: its state, whether the old
// secrets are safe to revoke, and the secrets with their last use.
func (c *Client) GetRotation(ctx context.Context, clientID, rotationID string) (apiv1.RotationStatus, error) {
	p, err := rotationPath(clientID, rotationID)
	if err != nil {
		return apiv1.RotationStatus{}, err
	}
	var out apiv1.RotationStatus
	err = c.do(ctx, http.MethodGet, p, nil, nil, &out, true)
	return out, err
}

// CompleteRotation revokes a rotation's old secrets now and closes it. The
// server refuses (409) while an old secret is still in use, unless
// in.Force is set.
func (c *Client) CompleteRotation(ctx context.Context, clientID, rotationID string, in apiv1.CompleteRotation) (apiv1.RotationStatus, error) {
	p, err := rotationPath(clientID, rotationID)
	if err != nil {
		return apiv1.RotationStatus{}, err
	}
	var out apiv1.RotationStatus
	err = c.do(ctx, http.MethodPost, p+"/complete", nil, in, &out, true)
	return out, err
}

// CreateRefreshToken issues a one-time refresh token for a client. The
// answer holds the token's value, which the server never shows again.
func (c *Client) CreateRefreshToken(ctx context.Context, clientID string) (apiv1.CreatedRefreshToken, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.CreatedRefreshToken{}, err
	}
	var out apiv1.CreatedRefreshToken
	err = c.do(ctx, http.MethodPost, p+"/refresh-tokens", nil, nil, &out, true)
	return out, err
}

// ListRefreshTokens returns a client's refresh tokens, newest first,
// without values.
func (c *Client) ListRefreshTokens(ctx context.Context, clientID string) (apiv1.RefreshTokenList, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return apiv1.RefreshTokenList{}, err
	}
	var out apiv1.RefreshTokenList
	err = c.do(ctx, http.MethodGet, p+"/refresh-tokens", nil, nil, &out, true)
	return out, err
}

// ListKeys returns the published token-signing keys, oldest first.
func (c *Client) ListKeys(ctx context.Context) (apiv1.SigningKeyList, error) {
	var out apiv1.SigningKeyList
	err := c.do(ctx, http.MethodGet, "/v1/keys", nil, nil, &out, true)
	return out, err
}

// RotateKeys publishes a new signing key. It starts signing after
// in.DelaySeconds (absent: the server's configured activation delay), so
// that verifiers can fetch it from the JWKS first.
func (c *Client) RotateKeys(ctx context.Context, in apiv1.RotateKeys) (apiv1.SigningKey, error) {
	var out apiv1.SigningKey
	err := c.do(ctx, http.MethodPost, "/v1/keys/rotate", nil, in, &out, true)
	return out, err
}

// GetPolicy returns the organisation's policy.
func (c *Client) GetPolicy(ctx context.Context) (apiv1.Policy, error) {
	var out apiv1.Policy
	err := c.do(ctx, http.MethodGet, "/v1/policy", nil, nil, &out, true)
	return out, err
}

// UpdatePolicy changes the fields of in that are set.
func (c *Client) UpdatePolicy(ctx context.Context, in apiv1.UpdatePolicy) (apiv1.Policy, error) {
	var out apiv1.Policy
	err := c.do(ctx, http.MethodPatch, "/v1/policy", nil, in, &out, true)
	return out, err
}

// ListAudit returns one page of audit events, newest first.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) (apiv1.AuditList, error) {
	v := pageQuery(q.Cursor, q.Limit)
	for name, s := range map[string]string{"action": q.Action, "actor": q.Actor, "target": q.Target} {
		if s != "" {
			v.Set(name, s)
		}
	}
	for name, t := range map[string]time.Time{"since": q.Since, "until": q.Until} {
		if !t.IsZero() {
			v.Set(name, t.UTC().Format(time.RFC3339Nano))
		}
	}
	var out apiv1.AuditList
	err := c.do(ctx, http.MethodGet, "/v1/audit", v, nil, &out, true)
	return out, err
}

func pageQuery(cursor string, limit int) url.Values {
	v := url.Values{}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return v
}

// pathSegment escapes one path parameter. An empty or dot segment would
// name another resource, so it is refused before any request.
func pathSegment(what, s string) (string, error) {
	if s == "" || s == "." || s == ".." {
		return "", fmt.Errorf("apiclient: %s is empty or invalid", what)
	}
	return url.PathEscape(s), nil
}

func clientPath(clientID string) (string, error) {
	id, err := pathSegment("client ID", clientID)
	if err != nil {
		return "", err
	}
	return "/v1/clients/" + id, nil
}

func secretPath(clientID, secretID string) (string, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return "", err
	}
	id, err := pathSegment("secret ID", secretID)
	if err != nil {
		return "", err
	}
	return p + "/secrets/" + id, nil
}

func rotationPath(clientID, rotationID string) (string, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return "", err
	}
	id, err := pathSegment("rotation ID", rotationID)
	if err != nil {
		return "", err
	}
	return p + "/rotations/" + id, nil
}

// do sends one request and decodes a 2xx answer into out (unless out is
// nil). path is already escaped. Any other answer becomes an
// *apiv1.Problem.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, auth bool) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	u := c.base.String() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("apiclient: encode %s %s request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("apiclient: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "keywarden-apiclient")
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the method and URL (password stripped), never
		// the headers, so the token cannot leak through it.
		return err
	}
	defer func() {
		// Drain what is left (bounded) so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readProblem(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes)).Decode(out); err != nil {
		return fmt.Errorf("apiclient: %s %s: decode the %d response: %w", method, path, resp.StatusCode, err)
	}
	return nil
}

// readProblem turns a non-2xx answer into an *apiv1.Problem. An answer that
// is not a problem document (a proxy's HTML error page, say) still gets
// one, built from the status code.
func readProblem(resp *http.Response) *apiv1.Problem {
	p := &apiv1.Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := mt == "application/problem+json" || mt == "application/json"
	if !isJSON || json.NewDecoder(io.LimitReader(resp.Body, maxProblemBytes)).Decode(p) != nil {
		p = &apiv1.Problem{Type: "about:blank", Detail: "the server answered " + strconv.Itoa(resp.StatusCode) + " without a problem document"}
		if mt != "" {
			p.Detail += " (" + mt + ")"
		}
	}
	if p.Status == 0 {
		p.Status = resp.StatusCode
	}
	if p.Title == "" {
		p.Title = http.StatusText(resp.StatusCode)
	}
	if p.Title == "" {
		p.Title = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return p
}
