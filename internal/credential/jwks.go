package credential

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// jwks_uri keys (private_key_jwt): a client's JWK Set fetched from its URL.
const (
	// JWKSMinRefresh bounds how often an unknown kid makes the server
	// fetch a client's JWK Set again: at most once in this time per URL,
	// whatever assertions come in.
	JWKSMinRefresh = 30 * time.Second
	// JWKSMaxAge is how long a fetched set is used before it is fetched
	// again (on the next assertion that needs it).
	JWKSMaxAge = 10 * time.Minute
	// MaxJWKSBytes bounds a fetched JWK Set.
	MaxJWKSBytes = 64 << 10
	// MaxJWKSKeys bounds the keys used from one set.
	MaxJWKSKeys = 20
	// jwksFetchTimeout bounds one fetch (the client's own timeout may be
	// longer).
	jwksFetchTimeout = 5 * time.Second
)

// jwksCache holds the fetched JWK Sets by URL. A set is fetched on first
// use, again once it is JWKSMaxAge old, and when an assertion names a kid
// it lacks, at most once per JWKSMinRefresh; concurrent fetches of one
// URL are one request.
type jwksCache struct {
	client *http.Client // nil: jwks_uri keys are not supported
	now    func() time.Time

	mu    sync.Mutex
	sets  map[string]*jwksSet
	group singleflight.Group
}

type jwksSet struct {
	keys    []parsedKey
	fetched time.Time // of the keys held; zero before the first success
	tried   time.Time // the last fetch, successful or not
}

// keys returns the usable keys of the set at uri; refresh asks for a new
// fetch when the last one is at least JWKSMinRefresh old (an unknown kid).
// An error means no keys are held and the fetch failed.
func (c *jwksCache) keys(ctx context.Context, uri string, refresh bool) ([]parsedKey, error) {
	now := c.now()
	c.mu.Lock()
	if c.sets == nil {
		c.sets = map[string]*jwksSet{}
	}
	set := c.sets[uri]
	if set == nil {
		set = &jwksSet{}
		c.sets[uri] = set
	}
	due := set.fetched.IsZero() || now.Sub(set.fetched) >= JWKSMaxAge || refresh
	if !set.tried.IsZero() && now.Sub(set.tried) < JWKSMinRefresh {
		due = false // fetched (or tried) a moment ago: the bound on refreshes
	}
	if due {
		set.tried = now
	}
	keys := set.keys
	c.mu.Unlock()
	if !due {
		if keys == nil {
			return nil, errors.New("the JWK Set could not be fetched recently; retrying later")
		}
		return keys, nil
	}
	ch := c.group.DoChan(uri, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
		defer cancel()
		return c.fetch(fctx, uri)
	})
	var r singleflight.Result
	select {
	case r = <-ch:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.Err != nil {
		if keys != nil {
			return keys, nil // the keys held stay usable while the URL fails
		}
		return nil, r.Err
	}
	fresh := r.Val.([]parsedKey)
	c.mu.Lock()
	set.keys, set.fetched = fresh, now
	c.mu.Unlock()
	return fresh, nil
}

// fetch gets and parses the set at uri: each key is checked as a
// registered JWK is (public, asymmetric, a supported algorithm); others
// are skipped.
func (c *jwksCache) fetch(ctx context.Context, uri string) ([]parsedKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch the JWK Set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch the JWK Set: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the JWK Set: %w", err)
	}
	if len(body) > MaxJWKSBytes {
		return nil, fmt.Errorf("the JWK Set is larger than %d bytes", MaxJWKSBytes)
	}
	return parseJWKS(body)
}

// forget drops the cached set of uri (its key entry was revoked or changed).
func (c *jwksCache) forget(uri string) {
	c.mu.Lock()
	delete(c.sets, uri)
	c.mu.Unlock()
}
