package webhook_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/webhook"
	"keywarden/pkg/webhooksig"
)

// orgEndpoint registers an organisation endpoint and returns it with its
// signing secret.
func (e *env) orgEndpoint(t *testing.T, url string, events ...string) (domain.OrgWebhookEndpoint, string) {
	t.Helper()
	v, secret, err := e.hooks.CreateOrgEndpoint(t.Context(), e.admin, webhook.OrgEndpointInput{URL: url, Events: events})
	if err != nil {
		t.Fatalf("CreateOrgEndpoint: %v", err)
	}
	return v.Endpoint, secret
}

// orgMessages returns an organisation endpoint's outbox, newest first.
func (e *env) orgMessages(t *testing.T, id string) []domain.WebhookMessage {
	t.Helper()
	list, _, err := e.store.ListEndpointWebhookMessages(t.Context(), e.admin.OrgID, id, domain.WebhookFilter{Page: domain.Page{Limit: domain.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func types(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Type)
	}
	return out
}

// TestOrgEndpointReceivesEveryClientAndUserEvent: an organisation
// endpoint receives the events of a client without an endpoint of its
// own, of a client with one (which still gets its copy), and of a user
// (credential.revoked of a personal credential), each signed with its
// whsec_ secret so that pkg/webhooksig verifies it; an endpoint that
// selects only credential.revoked gets only that.
func TestOrgEndpointReceivesEveryClientAndUserEvent(t *testing.T) {
	e := newEnv(t)
	all, narrow, own := newReceiver(t), newReceiver(t), newReceiver(t)
	ep, secret := e.orgEndpoint(t, all.URL)
	if !strings.HasPrefix(secret, "whsec_") || len(webhooksig.Key(secret)) != 32 || !strings.HasPrefix(ep.ID, webhook.PrefixOrgEndpoint) {
		t.Fatalf("endpoint %s with secret %q: want owe_… and whsec_ with 32 random bytes", ep.ID, secret)
	}
	if strings.Contains(string(ep.SecretSealed), secret) {
		t.Fatal("the stored secret is not sealed")
	}
	e.orgEndpoint(t, narrow.URL, webhook.TypeCredentialRevoked)

	bare := e.client(t, "")
	e.secret(t, bare.ID)
	withURL := e.client(t, own.URL)
	e.secret(t, withURL.ID)
	if _, err := e.creds.CreatePersonal(t.Context(), e.admin, credential.PersonalInput{Description: "laptop"}); err != nil {
		t.Fatalf("CreatePersonal: %v", err)
	}
	if err := e.creds.RevokePersonal(t.Context(), e.admin, e.admin.UserID()); err != nil {
		t.Fatalf("RevokePersonal: %v", err)
	}
	for e.dispatch(t) > 0 {
	}

	got := all.deliveries()
	if n := len(all.ofType(webhook.TypeSecretCreated)); n < 2 || len(all.ofType(webhook.TypeCredentialRevoked)) != 1 {
		t.Fatalf("the organisation endpoint got %v; want both clients' secret.created and the credential.revoked", types(got))
	}
	for _, d := range got {
		if _, err := webhooksig.Verify([]string{secret}, d.Header, d.Body, e.clock.Now(), 0); err != nil {
			t.Errorf("%s: Verify with the endpoint's secret: %v", d.Type, err)
		}
		if sigs := strings.Fields(d.Header.Get(webhooksig.HeaderSignature)); len(sigs) != 1 {
			t.Errorf("%s: %d signatures, want 1", d.Type, len(sigs))
		}
	}
	if got := types(narrow.deliveries()); len(got) != 1 || got[0] != webhook.TypeCredentialRevoked {
		t.Errorf("the credential.revoked-only endpoint got %v", got)
	}
	if got := own.ofType(webhook.TypeSecretCreated); len(got) != 1 {
		t.Errorf("the client's own endpoint got %d secret.created, want 1", len(got))
	}
	// Every message of the organisation endpoint is in its log, none in a
	// client's.
	for _, m := range e.orgMessages(t, ep.ID) {
		if m.ClientID != "" || m.Status != domain.WebhookDelivered {
			t.Errorf("message %s: client %q, %s; want none, delivered", m.ID, m.ClientID, m.Status)
		}
	}
	for _, m := range e.messages(t, withURL.ID) {
		if m.EndpointID != "" {
			t.Errorf("the client's log holds the organisation endpoint's message %s", m.ID)
		}
	}
}

// TestOrgEndpointRotationOverlaps: after a rotation both secrets sign
// until the overlap ends, each verifying on its own; then only the new
// one does.
func TestOrgEndpointRotationOverlaps(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t)
	ep, old := e.orgEndpoint(t, r.URL)
	c := e.client(t, "")
	v, fresh, err := e.hooks.RotateOrgEndpointSecret(t.Context(), e.admin, ep.ID, time.Hour)
	if err != nil || fresh == old || !strings.HasPrefix(fresh, "whsec_") || v.Endpoint.PreviousUntil == nil {
		t.Fatalf("RotateOrgEndpointSecret = %+v, %q, %v", v, fresh, err)
	}
	e.secret(t, c.ID)
	for e.dispatch(t) > 0 {
	}
	d := r.deliveries()
	if len(d) != 1 {
		t.Fatalf("%d deliveries, want 1", len(d))
	}
	if sigs := strings.Fields(d[0].Header.Get(webhooksig.HeaderSignature)); len(sigs) != 2 {
		t.Errorf("during the overlap: %d signatures, want 2 (old and new)", len(sigs))
	}
	for name, s := range map[string]string{"old": old, "new": fresh} {
		if _, err := webhooksig.Verify([]string{s}, d[0].Header, d[0].Body, e.clock.Now(), 0); err != nil {
			t.Errorf("during the overlap, the %s secret alone: %v", name, err)
		}
	}

	e.clock.Add(time.Hour + time.Second)
	e.secret(t, c.ID)
	for e.dispatch(t) > 0 {
	}
	d = r.deliveries()
	last := d[len(d)-1]
	if sigs := strings.Fields(last.Header.Get(webhooksig.HeaderSignature)); len(sigs) != 1 {
		t.Errorf("after the overlap: %d signatures, want 1", len(sigs))
	}
	if _, err := webhooksig.Verify([]string{fresh}, last.Header, last.Body, e.clock.Now(), 0); err != nil {
		t.Errorf("after the overlap, the new secret: %v", err)
	}
	if _, err := webhooksig.Verify([]string{old}, last.Header, last.Body, e.clock.Now(), 0); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("after the overlap, the old secret: %v, want ErrNoMatch", err)
	}
	// A rotation without overlap stops the old secret at once.
	if _, third, err := e.hooks.RotateOrgEndpointSecret(t.Context(), e.admin, ep.ID, -1); err != nil || third == fresh {
		t.Fatalf("rotation without overlap: %v", err)
	}
	if _, _, err := e.hooks.RotateOrgEndpointSecret(t.Context(), e.admin, ep.ID, 8*24*time.Hour); err == nil {
		t.Error("an overlap of 8 days was accepted")
	}
}

type healthPayload struct {
	Type string `json:"type"`
	Data struct {
		Endpoint   string `json:"endpoint"`
		ClientID   string `json:"client_id"`
		EndpointID string `json:"endpoint_id"`
		Stage      string `json:"stage"`
	} `json:"data"`
}

func healthOf(t *testing.T, ds []delivery) []healthPayload {
	t.Helper()
	var out []healthPayload
	for _, d := range ds {
		if strings.HasPrefix(d.Type, "webhook.") {
			var p healthPayload
			decodeBody(t, d.Body, &p)
			out = append(out, p)
		}
	}
	return out
}

// TestClientEndpointHealthGoesToOrgEndpoints: a client endpoint's failing
// and recovered stages reach the organisation's endpoint (and not the
// client's own), each once.
func TestClientEndpointHealthGoesToOrgEndpoints(t *testing.T) {
	e := newEnv(t)
	ops := newReceiver(t)
	e.orgEndpoint(t, ops.URL, "webhook.*")
	f := newFlaky(t)
	f.down.Store(true)
	c := e.client(t, f.URL)
	e.secret(t, c.ID)
	e.run(t, time.Minute, 5*time.Second, nil)
	f.down.Store(false)
	e.run(t, 10*time.Minute, time.Minute, nil)

	got := healthOf(t, ops.deliveries())
	if len(got) != 2 || got[0].Type != webhook.TypeEndpointFailing || got[1].Type != webhook.TypeEndpointRecovered {
		t.Fatalf("the operator endpoint got %+v; want failing, then recovered", got)
	}
	for _, p := range got {
		if p.Data.Endpoint != "client" || p.Data.ClientID != string(c.ID) {
			t.Errorf("%s is about %s %s, want the client %s", p.Type, p.Data.Endpoint, p.Data.ClientID, c.ID)
		}
	}
	for _, d := range f.deliveries() {
		if strings.HasPrefix(d.Type, "webhook.") {
			t.Errorf("the failing client endpoint got %s", d.Type)
		}
	}
}

// TestOrgEndpointHealthGoesToTheOthersOnly: an organisation endpoint's own
// stages go to the organisation's other endpoints, never to itself; it is
// disabled as a last resort (audited, told), and enabling it replays what
// failed meanwhile.
func TestOrgEndpointHealthGoesToTheOthersOnly(t *testing.T) {
	e := newEnv(t, func(o *webhook.Options) { o.DisableAfter = time.Hour })
	f := newFlaky(t)
	f.down.Store(true)
	bad, _ := e.orgEndpoint(t, f.URL)
	ops := newReceiver(t)
	good, _ := e.orgEndpoint(t, ops.URL, "webhook.*")
	c := e.client(t, "")
	e.secret(t, c.ID)
	e.run(t, 30*time.Hour, 5*time.Minute, nil)

	v, err := e.hooks.OrgEndpoint(t.Context(), e.admin, bad.ID)
	if err != nil || v.Status != webhook.EndpointDisabled || v.Replayable != 1 {
		t.Fatalf("after 30 h down: %+v, %v; want disabled with one delivery to replay", v, err)
	}
	got := healthOf(t, ops.deliveries())
	var stages []string
	for _, p := range got {
		stages = append(stages, p.Data.Stage)
		if p.Data.Endpoint != "organization" || p.Data.EndpointID != bad.ID {
			t.Errorf("%s is about %s %s, want the endpoint %s", p.Type, p.Data.Endpoint, p.Data.EndpointID, bad.ID)
		}
	}
	// Stages reached by one attempt are enqueued together and may arrive
	// in either order.
	slices.Sort(stages)
	if want := []string{webhook.StageDisabled, webhook.StageFailing, webhook.StageExhausted}; !sameStrings(stages, want) {
		t.Errorf("the other endpoint was told %v, want each of %v once", stages, want)
	}
	for _, m := range e.orgMessages(t, bad.ID) {
		if strings.HasPrefix(m.EventType, "webhook.") {
			t.Errorf("the failing endpoint was sent its own %s", m.EventType)
		}
	}
	if got, want := e.healthEvents(t), []string{"webhook.endpoint_failing", "webhook.endpoint_retries_exhausted", "webhook.endpoint_disable"}; !sameStrings(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
	if _, err := e.hooks.RedeliverOrgEndpoint(t.Context(), e.admin, bad.ID, e.orgMessages(t, bad.ID)[0].ID); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("redelivery to a disabled endpoint = %v, want a conflict", err)
	}

	f.down.Store(false)
	no := false
	v, err = e.hooks.UpdateOrgEndpoint(t.Context(), e.admin, bad.ID, webhook.OrgEndpointPatch{Disabled: &no, Replay: true})
	if err != nil || v.Status != webhook.EndpointActive || v.Replayed != 1 {
		t.Fatalf("enable with replay: %+v, %v; want active, one replayed", v, err)
	}
	e.run(t, time.Minute, 5*time.Second, nil)
	if got := f.ofType(webhook.TypeSecretCreated); len(got) != 1 {
		t.Errorf("after the replay the endpoint got %d secret.created, want 1", len(got))
	}
	if _, err := e.hooks.OrgEndpoint(t.Context(), e.admin, good.ID); err != nil {
		t.Fatal(err)
	}
}

// TestOrgEndpointValidation: bad input changes nothing; another
// organisation's endpoint is not found.
func TestOrgEndpointValidation(t *testing.T) {
	e := newEnv(t, func(o *webhook.Options) { o.Guard = webhook.Guard{} })
	for name, in := range map[string]webhook.OrgEndpointInput{
		"no url":          {},
		"not a url":       {URL: "hooks"},
		"private":         {URL: "https://10.0.0.1/hook"},
		"plain http":      {URL: "http://hooks.example.com/in"},
		"unknown event":   {URL: "https://hooks.example.com/in", Events: []string{"secret.deleted"}},
		"control in desc": {URL: "https://hooks.example.com/in", Description: "a\x00b"},
	} {
		if _, _, err := e.hooks.CreateOrgEndpoint(t.Context(), e.admin, in); !errors.As(err, new(*domain.ValidationError)) {
			t.Errorf("%s: %v, want a validation error", name, err)
		}
	}
	if list, _ := e.hooks.OrgEndpoints(t.Context(), e.admin); len(list) != 0 {
		t.Errorf("%d endpoints after refused creations, want 0", len(list))
	}
	v, _, err := e.hooks.CreateOrgEndpoint(t.Context(), e.admin, webhook.OrgEndpointInput{URL: "https://hooks.example.com/in"})
	if err != nil {
		t.Fatal(err)
	}
	bad := "https://127.0.0.1/x"
	if _, err := e.hooks.UpdateOrgEndpoint(t.Context(), e.admin, v.Endpoint.ID, webhook.OrgEndpointPatch{URL: &bad}); !errors.As(err, new(*domain.ValidationError)) {
		t.Errorf("update to a loopback URL: %v, want a validation error", err)
	}
	if got, _ := e.hooks.OrgEndpoint(t.Context(), e.admin, v.Endpoint.ID); got.Endpoint.URL != "https://hooks.example.com/in" {
		t.Errorf("a refused update changed the URL to %s", got.Endpoint.URL)
	}
	other := domain.UserActor("org_other", e.admin.UserID(), domain.RoleSuperAdmin, "")
	if _, err := e.hooks.OrgEndpoint(t.Context(), other, v.Endpoint.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another organisation reads the endpoint: %v, want not found", err)
	}
	if err := e.hooks.DeleteOrgEndpoint(t.Context(), other, v.Endpoint.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another organisation deletes the endpoint: %v, want not found", err)
	}
	for range webhook.MaxOrgEndpoints - 1 {
		if _, _, err := e.hooks.CreateOrgEndpoint(t.Context(), e.admin, webhook.OrgEndpointInput{URL: "https://hooks.example.com/in"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.hooks.CreateOrgEndpoint(t.Context(), e.admin, webhook.OrgEndpointInput{URL: "https://hooks.example.com/in"}); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("endpoint %d: %v, want a conflict", webhook.MaxOrgEndpoints+1, err)
	}
}

// TestExpirySummaryOncePerPeriod: several nodes running the summary job
// many times send one summary a day, listing the secrets by window.
func TestExpirySummaryOncePerPeriod(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t)
	ep, _ := e.orgEndpoint(t, r.URL, webhook.TypeExpiringSummary)
	c := e.client(t, "")
	for _, in := range []time.Duration{12 * time.Hour, 3 * 24 * time.Hour, 10 * 24 * time.Hour, 30 * 24 * time.Hour} {
		exp := e.clock.Now().Add(in)
		if _, err := e.creds.CreateSecret(t.Context(), e.admin, c.ID, credential.SecretInput{Description: "d", ExpiresAt: &exp}); err != nil {
			t.Fatal(err)
		}
	}
	nodes := []*webhook.Service{e.hooks, webhook.New(e.opts), webhook.New(e.opts)}
	for day := range 2 {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(func() {
				for range 3 {
					if _, err := n.RunSummaries(t.Context()); err != nil {
						t.Errorf("RunSummaries: %v", err)
					}
				}
			})
		}
		wg.Wait()
		if got := len(e.orgMessages(t, ep.ID)); got != day+1 {
			t.Fatalf("day %d: %d summaries, want %d", day, got, day+1)
		}
		for e.dispatch(t) > 0 {
		}
		e.clock.Add(24 * time.Hour)
	}
	d := r.ofType(webhook.TypeExpiringSummary)
	if len(d) != 2 {
		t.Fatalf("%d summaries delivered, want 2", len(d))
	}
	var p struct {
		Data struct {
			Windows []webhook.SummaryWindow `json:"windows"`
		} `json:"data"`
	}
	if err := json.Unmarshal(d[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	var counts []int
	for _, w := range p.Data.Windows {
		counts = append(counts, w.Count)
		if len(w.Secrets) != w.Count {
			t.Errorf("window %d d: %d secrets listed, count %d", w.Days, len(w.Secrets), w.Count)
		}
	}
	if len(counts) != 3 || counts[0] != 1 || counts[1] != 1 || counts[2] != 1 {
		t.Errorf("first summary counts by window (1, 7, 14 days) = %v, want [1 1 1]", counts)
	}
}

// TestConcurrentRotationsAndUpdates: rotations and edits of one endpoint
// at once lose nothing: the current secret is one a rotation returned,
// the previous one another, every rotation is audited, and the last edit
// of each field stands.
func TestConcurrentRotationsAndUpdates(t *testing.T) {
	e := newEnv(t)
	ep, first := e.orgEndpoint(t, "https://hooks.example.com/soc")
	const n = 6
	var wg sync.WaitGroup
	secrets := make([]string, n)
	errs := make([]error, 2*n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, secrets[i], errs[i] = e.hooks.RotateOrgEndpointSecret(t.Context(), e.admin, ep.ID, time.Hour)
		})
		wg.Go(func() {
			<-start
			d := "edit " + string(rune('a'+i))
			_, errs[n+i] = e.hooks.UpdateOrgEndpoint(t.Context(), e.admin, ep.ID, webhook.OrgEndpointPatch{Description: &d})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	got, err := e.store.GetOrgWebhookEndpoint(t.Context(), e.admin.OrgID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	open := func(sealed []byte) string {
		v, err := e.opts.Keyring.Open(sealed, []byte(ep.ID))
		if err != nil {
			t.Fatalf("open a sealed secret: %v", err)
		}
		return string(v)
	}
	cur, prev := open(got.SecretSealed), open(got.PreviousSealed)
	known := append([]string{first}, secrets...)
	if !slices.Contains(secrets, cur) || !slices.Contains(known, prev) || cur == prev {
		t.Errorf("after %d concurrent rotations: current %v, previous %v; want two different secrets the rotations returned",
			n, slices.Contains(secrets, cur), slices.Contains(known, prev))
	}
	if !strings.HasPrefix(got.Description, "edit ") {
		t.Errorf("description = %q, want one of the edits", got.Description)
	}
	list, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Page: domain.Page{Limit: domain.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	rotations := 0
	for _, a := range list {
		if a.Action == "webhook.org_endpoint_secret_rotate" {
			rotations++
		}
	}
	if rotations != n {
		t.Errorf("%d rotations audited, want %d", rotations, n)
	}
}
