package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"keywarden/pkg/apiv1"
)

// ssoTimeout is how long keywarden login --sso waits for the browser.
const ssoTimeout = 5 * time.Minute

func randomURLSafe() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ssoLogin signs in through the organisation's identity provider in the
// browser (RFC 8252: a loopback redirect). It listens on 127.0.0.1, prints
// the console address that starts the sign-in, and waits for the console
// to send the browser back with a one-time code, which it exchanges, with
// the verifier only it knows, for the session.
func ssoLogin(ctx context.Context, c conn, stderr io.Writer, org, provider string) (apiv1.NewSession, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return apiv1.NewSession{}, fmt.Errorf("listen on loopback for the sign-in: %w", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	verifier, state := randomURLSafe(), randomURLSafe()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"org": {org}, "provider": {provider}, "cli_port": {strconv.Itoa(port)},
		"cli_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "cli_state": {state}}
	start := c.server + "/ui/oidc/start?" + q.Encode()
	fmt.Fprintf(stderr, "Open this address in your browser to sign in through your identity provider:\n\n  %s\n\nWaiting for the sign-in (at most %s)…\n", start, ssoTimeout)

	codes := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(state)) != 1 || r.URL.Query().Get("code") == "" {
			http.Error(w, "This is not the sign-in keywarden login started: start again.", http.StatusBadRequest)
			return
		}
		select {
		case codes <- r.URL.Query().Get("code"):
			io.WriteString(w, "Signed in: you can close this window and go back to the terminal.\n")
		default:
			http.Error(w, "This sign-in is already finished.", http.StatusConflict)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	wait, cancel := context.WithTimeout(ctx, ssoTimeout)
	defer cancel()
	var code string
	select {
	case code = <-codes:
	case <-wait.Done():
		if errors.Is(wait.Err(), context.DeadlineExceeded) {
			return apiv1.NewSession{}, fmt.Errorf("no sign-in came back within %s: run keywarden login --sso again", ssoTimeout)
		}
		return apiv1.NewSession{}, wait.Err()
	}
	return c.ExchangeOIDCCode(ctx, apiv1.ExchangeOIDCCode{Code: code, CodeVerifier: verifier})
}
