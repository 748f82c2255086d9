package keywarden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits on what the client reads from the server.
const (
	maxResponseBytes = 32 << 20 // a page of audit events is far smaller
	maxProblemBytes  = 1 << 20
	drainBytes       = 64 << 10 // read past a body so the connection can be reused
)

// DefaultUserAgent is the User-Agent of every request unless WithUserAgent
// sets another.
const DefaultUserAgent = "keywarden-go"

// Client calls the API of one Keywarden server with one bearer token (an
// admin API token, a login session token or a personal credential's access
// token). It is safe for concurrent use.
type Client struct {
	base      *url.URL
	baseErr   error
	token     string
	http      *http.Client
	userAgent string
	retry     RetryPolicy
	// sleep waits between attempts; tests replace it to control time.
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithRetry sets when a request is sent again; see RetryPolicy.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) { c.retry = p }
}

// WithUserAgent sets the User-Agent header, which the server records with
// login sessions.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client for the server at baseURL (e.g.
// "https://keys.example.com", optionally with a path prefix) that
// authenticates with token ("" for the calls that need none: Login,
// PasswordLogin, Healthz, …). A nil httpClient means http.DefaultClient;
// its timeout, if any, applies to each attempt, the context to the whole
// call. A malformed baseURL is reported by every call.
func New(baseURL, token string, httpClient *http.Client, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{token: token, http: httpClient, userAgent: DefaultUserAgent, sleep: sleepContext, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	c.retry = c.retry.withDefaults()
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.RawQuery != "", u.Fragment != "":
		// Not the url.Parse error: it would echo the URL, which may hold
		// credentials.
		c.baseErr = errors.New("the server URL must be an absolute http(s) URL without query or fragment")
	default:
		c.base = u
	}
	return c
}

// request is one API call. path is the operation's path template exactly
// as api/openapi.yaml writes it; params fill its {placeholders} in order.
type request struct {
	method string
	path   string
	params []string
	query  url.Values
	body   any    // nil: no body
	public bool   // sent without the token (the logins, the server's own documents)
	once   bool   // never retried (readiness: the caller wants the answer now)
	accept string // the Accept header; "" means JSON or a problem
}

func get(path string, params ...string) request {
	return request{method: http.MethodGet, path: path, params: params}
}

func post(path string, body any, params ...string) request {
	return request{method: http.MethodPost, path: path, params: params, body: body}
}

func patch(path string, body any, params ...string) request {
	return request{method: http.MethodPatch, path: path, params: params, body: body}
}

func del(path string, params ...string) request {
	return request{method: http.MethodDelete, path: path, params: params}
}

// withQuery sets the query string.
func (r request) withQuery(q url.Values) request {
	r.query = q
	return r
}

// anonymous sends the request without the token.
func (r request) anonymous() request {
	r.public = true
	return r
}

// call sends r and decodes a 2xx answer into a new Out.
func call[Out any](ctx context.Context, c *Client, r request) (Out, error) {
	var out Out
	err := c.send(ctx, r, &out)
	return out, err
}

// expand fills the template's {placeholders} with params, each escaped as
// one path segment. An empty or dot value would name another resource, so
// it is refused before any request.
func expand(template string, params []string) (string, error) {
	var b strings.Builder
	rest := template
	for _, v := range params {
		open := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			return "", fmt.Errorf("%s: more parameters than placeholders", template) // a bug in this package
		}
		if v == "" || v == "." || v == ".." {
			return "", fmt.Errorf("%s %q is not a valid ID", rest[open+1:end], v)
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(v))
		rest = rest[end+1:]
	}
	if strings.ContainsRune(rest, '{') {
		return "", fmt.Errorf("%s: fewer parameters than placeholders", template) // a bug in this package
	}
	b.WriteString(rest)
	return b.String(), nil
}

// send sends r, retrying as the policy allows, and decodes a 2xx answer
// into out: JSON, or the raw body when out is a *[]byte; nothing when out is
// nil or the answer is 204. Any other answer is an *Error.
func (c *Client) send(ctx context.Context, r request, out any) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	path, err := expand(r.path, r.params)
	if err != nil {
		return err
	}
	target := c.base.String() + path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body []byte
	if r.body != nil {
		if body, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("%s %s: encode the request: %w", r.method, path, err)
		}
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, r, target, body)
		if err != nil {
			// *url.Error names the method and URL (password stripped),
			// never the headers, so the token cannot leak through it.
			return err
		}
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return decode(resp, r.method, path, out)
		}
		apiErr := readError(resp, r.method, path, c.now())
		wait, again := c.retry.next(r, resp.StatusCode, attempt, apiErr.RetryAfter)
		if !again {
			return apiErr
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w; gave up waiting %s to retry: %w", apiErr, wait, err)
		}
	}
}

// attempt sends the request once.
func (c *Client) attempt(ctx context.Context, r request, target string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json, application/problem+json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if !r.public {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.http.Do(req)
}

// decode reads a 2xx answer into out and closes it.
func decode(resp *http.Response, method, path string, out any) error {
	defer closeBody(resp)
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	body := io.LimitReader(resp.Body, maxResponseBytes)
	if raw, ok := out.(*[]byte); ok {
		b, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("%s %s: read the %d response: %w", method, path, resp.StatusCode, err)
		}
		*raw = b
		return nil
	}
	if err := json.NewDecoder(body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the %d response: %w", method, path, resp.StatusCode, err)
	}
	return nil
}

// closeBody drains what is left of a body (bounded) so that the connection
// can be reused, and closes it.
func closeBody(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	resp.Body.Close()
}
