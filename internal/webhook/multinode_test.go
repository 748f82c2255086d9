package webhook_test

import (
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/postgres"
	"keywarden/internal/webhook"
	"keywarden/pkg/webhooksig"
)

// TestThreeNodesDeliverOncePerAttempt runs three dispatchers, each with
// its own store handle (its own connection pool, as three Keywarden nodes
// would), on one PostgreSQL database. A receiver fails every message's
// first three attempts: each message must reach it exactly four times —
// once per attempt of the schedule, not once per node — with one attempt
// row per hit, and the endpoint's stages told once.
func TestThreeNodesDeliverOncePerAttempt(t *testing.T) {
	e, nodes := threeNodes(t)

	var mu sync.Mutex
	hits := map[string]int{}
	srv := newReceiver(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(webhooksig.HeaderID)
		mu.Lock()
		hits[id]++
		n := hits[id]
		mu.Unlock()
		if n <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	var clients []domain.Client
	for range 4 {
		c := e.client(t, srv.URL)
		clients = append(clients, c)
		for range 5 {
			e.secret(t, c.ID)
		}
	}

	// Every round: all three nodes dispatch at once until none finds
	// work, then the clock moves to the next due attempt.
	claimed := make([]int, len(nodes))
	for round := 0; round < 50; round++ {
		for {
			var wg sync.WaitGroup
			counts := make([]int, len(nodes))
			for i, n := range nodes {
				wg.Go(func() {
					c, err := n.DispatchOnce(t.Context())
					if err != nil {
						t.Errorf("node %d: %v", i, err)
					}
					counts[i] = c
				})
			}
			wg.Wait()
			for i, c := range counts {
				claimed[i] += c
			}
			if counts[0]+counts[1]+counts[2] == 0 {
				break
			}
		}
		var next *time.Time
		for _, c := range clients {
			for _, m := range e.messages(t, c.ID) {
				if m.Status == domain.WebhookPending && (next == nil || m.NextAttemptAt.Before(*next)) {
					next = m.NextAttemptAt
				}
			}
		}
		if next == nil {
			break
		}
		e.clock.Set(*next)
	}

	total := 0
	for _, c := range clients {
		for _, m := range e.messages(t, c.ID) {
			total++
			atts, err := e.store.ListWebhookAttempts(t.Context(), m.OrgID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			h := hits[m.ID]
			mu.Unlock()
			if m.Status != domain.WebhookDelivered || m.Attempts != 4 || len(atts) != 4 || h != 4 {
				t.Errorf("message %s: %s after %d attempts, %d attempt rows, %d hits; want delivered after exactly 4 of each",
					m.ID, m.Status, m.Attempts, len(atts), h)
			}
		}
	}
	if total != 20 {
		t.Errorf("%d messages, want 20", total)
	}
	t.Logf("claims per node: %v", claimed)
	if claimed[0]+claimed[1]+claimed[2] != 80 {
		t.Errorf("claims per node %v add up to %d, want 80 (20 messages × 4 attempts)", claimed, claimed[0]+claimed[1]+claimed[2])
	}
	for i, c := range claimed {
		if c == 0 {
			t.Errorf("node %d claimed nothing (claims %v): the nodes did not share the work", i, claimed)
		}
	}
	if got, want := e.healthEvents(t), []string{"webhook.endpoint_failing", "webhook.endpoint_failing", "webhook.endpoint_failing", "webhook.endpoint_failing",
		"webhook.endpoint_recovered", "webhook.endpoint_recovered", "webhook.endpoint_recovered", "webhook.endpoint_recovered"}; len(got) != len(want) {
		t.Errorf("health events = %v; want failing and recovered once per endpoint (4 each)", got)
	}
}

// threeNodes returns an env on a fresh PostgreSQL schema and three
// webhook services, each with its own store handle (its own connection
// pool, as three Keywarden nodes would); the first is e's.
func threeNodes(t *testing.T) (*env, []*webhook.Service) {
	t.Helper()
	dsn := os.Getenv(enginetest.EnvPostgres)
	if dsn == "" {
		t.Skipf("needs PostgreSQL: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", enginetest.EnvPostgres)
	}
	schema := enginetest.FreshSchema(t, dsn)
	var stores []store.Store
	for range 3 {
		st, err := postgres.Open(t.Context(), schema)
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	e := newEnvOn(t, stores[0], func(o *webhook.Options) { o.Workers = 3 })
	nodes := []*webhook.Service{e.hooks}
	for _, st := range stores[1:] {
		kr, err := keyring.New(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		o := e.opts
		o.Store, o.Keyring, o.Audit = st, kr, audit.New(st, kr.Derive(keyring.PurposeAudit), e.clock.Now)
		nodes = append(nodes, webhook.New(o))
	}

	return e, nodes
}

// dispatchRounds runs every node at once until none finds work, then
// moves the clock to the next due attempt of pending(), for up to 50
// rounds; it returns how many messages each node claimed.
func dispatchRounds(t *testing.T, e *env, nodes []*webhook.Service, pending func() []domain.WebhookMessage) []int {
	t.Helper()
	claimed := make([]int, len(nodes))
	for round := 0; round < 50; round++ {
		for {
			var wg sync.WaitGroup
			counts := make([]int, len(nodes))
			for i, n := range nodes {
				wg.Go(func() {
					c, err := n.DispatchOnce(t.Context())
					if err != nil {
						t.Errorf("node %d: %v", i, err)
					}
					counts[i] = c
				})
			}
			wg.Wait()
			sum := 0
			for i, c := range counts {
				claimed[i] += c
				sum += c
			}
			if sum == 0 {
				break
			}
		}
		var next *time.Time
		for _, m := range pending() {
			if m.Status == domain.WebhookPending && (next == nil || m.NextAttemptAt.Before(*next)) {
				next = m.NextAttemptAt
			}
		}
		if next == nil {
			break
		}
		e.clock.Set(*next)
	}
	return claimed
}

// TestThreeNodesDeliverOrgEndpointMessagesOncePerAttempt is
// TestThreeNodesDeliverOncePerAttempt for an organisation endpoint: each
// of its messages reaches the receiver exactly once per attempt, signed
// with its secret, and its stages are told once.
func TestThreeNodesDeliverOrgEndpointMessagesOncePerAttempt(t *testing.T) {
	e, nodes := threeNodes(t)
	var mu sync.Mutex
	hits := map[string]int{}
	bad := map[string]bool{}
	var secret string
	srv := newReceiver(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get(webhooksig.HeaderID)
		mu.Lock()
		hits[id]++
		n := hits[id]
		if _, err := webhooksig.Verify([]string{secret}, r.Header, body, e.clock.Now(), 0); err != nil {
			bad[id] = true
		}
		mu.Unlock()
		if n <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mu.Lock()
	ep, s := e.orgEndpoint(t, srv.URL, "secret.*")
	secret = s
	mu.Unlock()
	for range 4 {
		c := e.client(t, "")
		for range 5 {
			e.secret(t, c.ID)
		}
	}
	claimed := dispatchRounds(t, e, nodes, func() []domain.WebhookMessage { return e.orgMessages(t, ep.ID) })
	msgs := e.orgMessages(t, ep.ID)
	if len(msgs) != 20 {
		t.Fatalf("%d messages, want 20", len(msgs))
	}
	for _, m := range msgs {
		atts, err := e.store.ListWebhookAttempts(t.Context(), m.OrgID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		h, b := hits[m.ID], bad[m.ID]
		mu.Unlock()
		if m.Status != domain.WebhookDelivered || m.Attempts != 4 || len(atts) != 4 || h != 4 || b {
			t.Errorf("message %s: %s after %d attempts, %d attempt rows, %d hits, bad signature %v; want delivered after exactly 4 of each, verified",
				m.ID, m.Status, m.Attempts, len(atts), h, b)
		}
	}
	t.Logf("claims per node: %v", claimed)
	if claimed[0]+claimed[1]+claimed[2] != 80 {
		t.Errorf("claims per node %v add up to %d, want 80 (20 messages × 4 attempts)", claimed, claimed[0]+claimed[1]+claimed[2])
	}
	if got, want := e.healthEvents(t), []string{"webhook.endpoint_failing", "webhook.endpoint_recovered"}; !sameStrings(got, want) {
		t.Errorf("health events = %v; want failing and recovered once", got)
	}
}
