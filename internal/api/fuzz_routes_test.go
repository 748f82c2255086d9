package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keywarden/internal/config"
	"keywarden/internal/domain"
	"keywarden/internal/server"
	"keywarden/pkg/apiv1"
)

// FuzzRequestBodies sends arbitrary bodies to every route of the API that
// takes a JSON body, through the whole server (decoding, validation in the
// services, the store) as the super admin's API token: the answer is never
// a 5xx, and every answer, and every request it accepts, matches
// api/openapi.yaml (e.do checks both).
func FuzzRequestBodies(f *testing.F) {
	e, fx := fuzzEnv(f)
	routes := fx.inputRoutes()
	for i, r := range routes {
		f.Add(uint8(i), []byte(r.good))
		for _, b := range r.wrongTypes {
			f.Add(uint8(i), []byte(b))
		}
		for _, b := range r.invalid {
			f.Add(uint8(i), []byte(b))
		}
	}
	f.Add(uint8(0), []byte(`{"name":"a\ud800"}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := routes[int(which)%len(routes)]
		e.do(t, r.method, r.path, raw(body))
	})
}

// FuzzListQueries sends arbitrary query strings (pagination, filters) to
// every list route through the whole server: never a 5xx, and every answer
// matches api/openapi.yaml.
func FuzzListQueries(f *testing.F) {
	e, fx := fuzzEnv(f)
	client := clientPath(fx.client.ClientID)
	paths := []string{"/v1/clients", "/v1/audit", "/v1/users", client + "/secrets", client + "/rotations",
		client + "/refresh-tokens", client + "/webhook/deliveries", "/v1/keys", "/v1/sessions"}
	for i := range paths {
		f.Add(uint8(i), "limit=2")
	}
	for _, q := range []string{
		"limit=1&cursor=" + domain.Cursor{At: time.Now(), ID: fx.client.ClientID}.Encode(), "cursor=" + domain.EncodeSeq(3), "cursor=%zz",
		"action=client.create&actor=" + fx.user + "&target=" + fx.client.ClientID, "since=2026-01-01T00:00:00Z&until=2036-01-01T00:00:00Z",
		"since=yesterday", "limit=0", "limit=201", "limit=-1", "limit=99999999999999999999", "status=failed", "status=nope", "a=1&a=2",
	} {
		f.Add(uint8(1), q)
		f.Add(uint8(6), q)
	}
	// Present but empty or unknown filters of the client search.
	for _, q := range []string{"limit=50&status=", "has_active_secret=", "unused_days=", "expiring_before=", "sort=", "sort=-bogus"} {
		f.Add(uint8(0), q)
	}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		// What an HTTP client can put in a request line: printable ASCII,
		// no fragment.
		if strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r > '~' || r == '#' }) {
			return
		}
		e.do(t, "GET", paths[int(which)%len(paths)]+"?"+query, nil)
	})
}

// fuzzEnv is newEnv for a fuzz target: the server lives as long as the
// fuzz process (each worker has its own), with the objects the input
// routes work on.
func fuzzEnv(f *testing.F) (*env, badFixture) {
	ctx := f.Context()
	cfg := config.Defaults()
	cfg.DataDir, cfg.Dev = f.TempDir(), true
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { core.Close() })
	boot, err := core.Accounts.Init(ctx, "Acme", "a@acme.test")
	if err != nil {
		f.Fatal(err)
	}
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	s, err := loadSpec()
	if err != nil {
		f.Fatal(err)
	}
	e := &env{core: core, handler: srv.Handler(), boot: boot, token: boot.APIToken.Reveal(), spec: s, validated: map[string]map[int]int{}}
	post := func(path, body string, out any) {
		r := httptest.NewRequestWithContext(ctx, "POST", path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+e.token)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		if w.Code >= 300 || json.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(out) != nil {
			f.Fatalf("POST %s: %d %s", path, w.Code, w.Body)
		}
	}
	var fx badFixture
	var x apiv1.CreatedSecret
	var rot apiv1.RotateResult
	var u apiv1.InvitedUser
	post("/v1/clients", `{"name":"Billing"}`, &fx.client)
	post(secretsPath(fx.client.ClientID), `{"description":"active"}`, &x)
	fx.active = x.ID
	post("/v1/clients", `{"name":"Revoke-all target"}`, &fx.revokeAllClient)
	post("/v1/clients", `{"name":"Rotate target"}`, &fx.rotateClient)
	post(secretsPath(fx.rotateClient.ClientID), `{"description":"r"}`, &x)
	post(secretsPath(fx.rotateClient.ClientID)+"/rotate", `{}`, &rot)
	fx.rotation = rot.Rotation.ID
	post("/v1/users", `{"email":"member@acme.test","role":"member"}`, &u)
	fx.user = u.ID
	return e, fx
}
