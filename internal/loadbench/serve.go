package loadbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/pprof"
	"time"
)

// ReferenceServer is a Reference listening on 127.0.0.1.
type ReferenceServer struct {
	*Reference
	URL  string
	srv  *http.Server
	done chan error
}

// StartReference listens on 127.0.0.1:0 and serves a new Reference with
// the same server timeouts as Keywarden. Its goroutines carry the pprof
// label loadbench=reference.
func StartReference(ctx context.Context) (*ReferenceServer, error) {
	return StartReferenceAlg(ctx, "ES256")
}

// StartReferenceAlg is StartReference signing with alg (ES256 or EdDSA).
func StartReferenceAlg(ctx context.Context, alg string) (*ReferenceServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	ref, err := NewReferenceAlg(url, alg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	rs := &ReferenceServer{Reference: ref, URL: url, done: make(chan error, 1), srv: &http.Server{
		Handler:           ref.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}}
	go pprof.Do(context.WithoutCancel(ctx), pprof.Labels("loadbench", ReferenceName), func(context.Context) {
		rs.done <- rs.srv.Serve(ln)
	})
	return rs, nil
}

// Close stops the server at once.
func (rs *ReferenceServer) Close() error {
	err := rs.srv.Close()
	if serr := <-rs.done; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// FetchToken runs one client_credentials grant at baseURL and returns the
// access token.
func FetchToken(ctx context.Context, client *http.Client, baseURL, clientID, secret string) (string, error) {
	t := TokenTarget(baseURL, clientID, secret)
	if err := checkLoopbackURL(t.URL); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		return "", err
	}
	req.Header = t.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("token at %s: HTTP %d: %w", t.URL, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		return "", fmt.Errorf("token at %s: HTTP %d: %s %s", t.URL, resp.StatusCode, out.Error, out.Description)
	}
	return out.AccessToken, nil
}
