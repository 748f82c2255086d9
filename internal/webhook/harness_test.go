package webhook_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
	"keywarden/internal/token"
	"keywarden/internal/webhook"
)

// env is a store with an organisation, the credential service that makes
// changes (and enqueues their events) and the webhook service, all on one
// fake clock.
type env struct {
	store   store.Store
	audit   *audit.Log
	creds   *credential.Service
	refresh *token.Refresh
	hooks   *webhook.Service
	clock   *testkit.Clock
	admin   domain.Actor
	opts    webhook.Options
}

// newEnv builds an env; tune changes the webhook options (they default to
// small, deterministic values: jitter 0.5, private addresses allowed).
func newEnv(t *testing.T, tune ...func(*webhook.Options)) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, tune...)
}

// newEnvOn builds an env on st.
func newEnvOn(t *testing.T, st store.Store, tune ...func(*webhook.Options)) *env {
	t.Helper()
	kr, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now)
	o := webhook.Options{Store: st, Keyring: kr, Audit: log, Now: clk.Now, Guard: webhook.Guard{AllowPrivate: true},
		Timeout: 2 * time.Second, Workers: 4, Rand: func() float64 { return 0.5 }}
	for _, f := range tune {
		f(&o)
	}
	hooks := webhook.New(o)
	accts := account.New(account.Options{Store: st, Audit: log, Keyring: kr, Now: clk.Now})
	b, err := accts.Init(t.Context(), "Acme", "admin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	creds := credential.New(credential.Options{Store: st, Audit: log, Keyring: kr, Now: clk.Now, Webhooks: hooks.Outbox(),
		CheckWebhookURL: o.Guard.CheckURL})
	deny, err := token.NewDenyList(t.Context(), st, log, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	refresh := token.NewRefresh(token.RefreshOptions{Store: st, Audit: log, DenyList: deny, Keyring: kr, Now: clk.Now, Webhooks: hooks.Outbox()})
	return &env{store: st, audit: log, creds: creds, refresh: refresh, hooks: hooks, clock: clk, opts: o,
		admin: domain.UserActor(b.Org.ID, b.User.ID, domain.RoleSuperAdmin, "")}
}

// client creates a client whose webhook goes to url.
func (e *env) client(t *testing.T, url string, events ...string) domain.Client {
	t.Helper()
	c, err := e.creds.CreateClient(t.Context(), e.admin, credential.ClientInput{Name: "billing", WebhookURL: url, WebhookEvents: events})
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

// secret adds a secret and returns its value.
func (e *env) secret(t *testing.T, clientID domain.ClientID) credential.NewSecret {
	t.Helper()
	n, err := e.creds.CreateSecret(t.Context(), e.admin, clientID, credential.SecretInput{Description: "d"})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	return n
}

// dispatch runs one dispatch round.
func (e *env) dispatch(t *testing.T) int {
	t.Helper()
	n, err := e.hooks.DispatchOnce(t.Context())
	if err != nil {
		t.Fatalf("DispatchOnce: %v", err)
	}
	return n
}

// messages returns a client's outbox, newest first.
func (e *env) messages(t *testing.T, clientID domain.ClientID) []domain.WebhookMessage {
	t.Helper()
	list, _, err := e.store.ListWebhookMessages(t.Context(), e.admin.OrgID, clientID, domain.WebhookFilter{Page: domain.Page{Limit: domain.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// message returns the one message of a type, failing unless there is
// exactly one.
func (e *env) message(t *testing.T, clientID domain.ClientID, typ string) domain.WebhookMessage {
	t.Helper()
	var found []domain.WebhookMessage
	for _, m := range e.messages(t, clientID) {
		if m.EventType == typ {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s messages, want 1", len(found), typ)
	}
	return found[0]
}

// delivery is one request the receiver got.
type delivery struct {
	Header http.Header
	Body   []byte
	Type   string
}

// receiver is an httptest server that records deliveries and answers with
// the statuses it is given in turn (then 204).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []delivery
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var p struct {
			Type string `json:"type"`
		}
		json.Unmarshal(body, &p)
		r.mu.Lock()
		r.got = append(r.got, delivery{Header: req.Header.Clone(), Body: body, Type: p.Type})
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "thanks\x1b[31m\n")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// ofType returns the deliveries of one event type.
func (r *receiver) ofType(typ string) []delivery {
	var out []delivery
	for _, d := range r.deliveries() {
		if d.Type == typ {
			out = append(out, d)
		}
	}
	return out
}
