package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/testkit"
	"keywarden/internal/webhook"
	"keywarden/pkg/webhooksig"
)

// verifies reports whether d verifies under exactly the secrets given, with
// our package and with the official Standard Webhooks library (ignoring
// the timestamp: the fake clock is years ahead).
func verifies(t *testing.T, d delivery, now time.Time, secrets ...string) bool {
	t.Helper()
	_, err := webhooksig.Verify(secrets, d.Header, d.Body, now, 0)
	ours := err == nil
	if err != nil && !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("Verify: unexpected error %v", err)
	}
	official := false
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(webhooksig.StandardWebhooksSecret(s))
		if err != nil {
			t.Fatal(err)
		}
		official = official || wh.VerifyIgnoringTimestamp(d.Body, d.Header) == nil
	}
	if ours != official {
		t.Errorf("webhooksig.Verify says %v, the official library %v", ours, official)
	}
	return ours
}

func hmacUnder(d delivery, secret string) bool {
	_, err := webhooksig.VerifyHMAC([]string{secret}, d.Header.Get(webhooksig.HeaderHMAC), d.Body)
	return err == nil
}

// TestSignaturesAcrossARotation follows seed 003: during a rotation a
// receiver that knows either secret verifies, the Shopify-style header is
// under the oldest unrevoked secret, and once the old secret is revoked
// only the new one verifies and the header moves to it.
func TestSignaturesAcrossARotation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	r := newReceiver(t)
	c := e.client(t, r.URL)
	old := e.secret(t, c.ID).Value.Reveal()

	if n := e.dispatch(t); n != 1 {
		t.Fatalf("dispatched %d, want 1 (secret.created)", n)
	}
	first := r.ofType(webhook.TypeSecretCreated)
	if len(first) != 1 || !verifies(t, first[0], e.clock.Now(), old) || !hmacUnder(first[0], old) {
		t.Fatalf("secret.created deliveries = %d, or not signed with the only secret", len(first))
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": webhook.UserAgent, "X-Keywarden-Event": webhook.TypeSecretCreated} {
		if got := first[0].Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if strings.Contains(string(first[0].Body), old) {
		t.Fatalf("the payload holds the secret's value")
	}

	e.clock.Add(time.Minute)
	rot, err := e.creds.Rotate(ctx, e.admin, c.ID, credential.RotateInput{Description: "Q3"})
	if err != nil {
		t.Fatal(err)
	}
	fresh := rot.New.Value.Reveal()
	e.dispatch(t)
	during := r.ofType(webhook.TypeSecretCreated)[1]
	if sigs := strings.Fields(during.Header.Get(webhooksig.HeaderSignature)); len(sigs) != 2 {
		t.Errorf("webhook-signature during the rotation has %d signatures, want 2", len(sigs))
	}
	if !verifies(t, during, e.clock.Now(), old) || !verifies(t, during, e.clock.Now(), fresh) {
		t.Errorf("during the rotation a receiver with either secret must verify")
	}
	if !hmacUnder(during, old) || hmacUnder(during, fresh) {
		t.Errorf("%s during the rotation must be under the oldest unrevoked secret only", webhooksig.HeaderHMAC)
	}

	e.clock.Add(time.Minute)
	if _, err := e.creds.RevokeSecret(ctx, e.admin, c.ID, rot.Previous[0].ID, false); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	after := r.ofType(webhook.TypeSecretRevoked)
	if len(after) != 1 {
		t.Fatalf("secret.revoked deliveries = %d, want 1", len(after))
	}
	if verifies(t, after[0], e.clock.Now(), old) || !verifies(t, after[0], e.clock.Now(), fresh) {
		t.Errorf("after the revocation only the new secret may verify")
	}
	if hmacUnder(after[0], old) || !hmacUnder(after[0], fresh) {
		t.Errorf("%s after the revocation must move to the new oldest unrevoked secret", webhooksig.HeaderHMAC)
	}
	// A delivery is only good for the tolerance: replayed later, it fails.
	if _, err := webhooksig.Verify([]string{fresh}, after[0].Header, after[0].Body, e.clock.Now().Add(6*time.Minute), 0); !errors.Is(err, webhooksig.ErrTooOld) {
		t.Errorf("Verify six minutes later: err = %v, want ErrTooOld", err)
	}
}

// TestRetryAfterServerError: a receiver that answers 500 and then 200 gets
// the same message again (same webhook-id) after the backoff, and the log
// shows both attempts.
func TestRetryAfterServerError(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, http.StatusInternalServerError)
	c := e.client(t, r.URL)
	value := e.secret(t, c.ID).Value.Reveal()

	e.dispatch(t)
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	if m.Status != domain.WebhookPending || m.Attempts != 1 || m.LastStatusCode != 500 || m.LastError != "HTTP 500" {
		t.Fatalf("after a 500: %+v", m)
	}
	// First retry: the schedule's first delay, the jitter at its middle.
	if want := e.clock.Now().Add(5 * time.Second); !m.NextAttemptAt.Equal(want) {
		t.Errorf("next attempt at %v, want %v", m.NextAttemptAt, want)
	}
	if n := e.dispatch(t); n != 0 {
		t.Errorf("dispatched %d before the retry was due", n)
	}
	e.clock.Add(5 * time.Second)
	if n := e.dispatch(t); n != 1 {
		t.Fatalf("dispatched %d when the retry was due, want 1", n)
	}
	got := r.deliveries()
	if len(got) != 2 || got[0].Header.Get(webhooksig.HeaderID) != got[1].Header.Get(webhooksig.HeaderID) {
		t.Fatalf("deliveries = %d with ids %q, %q; want 2 with one webhook-id", len(got), got[0].Header.Get(webhooksig.HeaderID), got[len(got)-1].Header.Get(webhooksig.HeaderID))
	}
	for _, d := range got {
		if !verifies(t, d, e.clock.Now(), value) {
			t.Errorf("attempt does not verify")
		}
	}
	d, err := e.hooks.GetDelivery(t.Context(), e.admin, c.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Message.Status != domain.WebhookDelivered || d.Message.Attempts != 2 || d.Message.DeliveredAt == nil || d.Message.NextAttemptAt != nil {
		t.Errorf("delivered message = %+v", d.Message)
	}
	codes := []int{}
	for _, a := range d.Attempts {
		codes = append(codes, a.StatusCode)
		if a.URL != r.URL || (a.StatusCode == 500 && a.ResponseExcerpt != "thanks?[31m") {
			t.Errorf("attempt %+v: want the URL and a cleaned excerpt", a)
		}
	}
	if !slices.Equal(codes, []int{500, 204}) {
		t.Errorf("attempt codes = %v, want [500 204]", codes)
	}
	if v, err := e.hooks.Endpoint(t.Context(), e.admin, c.ID); err != nil || v.Status != webhook.EndpointActive || v.Health.FailingSince != nil {
		t.Errorf("endpoint after a success = %+v, %v; want active", v, err)
	}
}

// TestRetryScheduleThenGiveUp drives a receiver that always fails through
// the whole default schedule on the fake clock: seven retries after 5 s,
// 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (jitter at its middle), then the
// message fails; the endpoint, failing for longer than DisableAfter, is
// disabled with an audit event.
func TestRetryScheduleThenGiveUp(t *testing.T) {
	reg := metrics.New()
	e := newEnv(t, func(o *webhook.Options) { o.Metrics = reg; o.DisableAfter = 24 * time.Hour })
	r := newReceiver(t, slices.Repeat([]int{http.StatusServiceUnavailable}, 100)...)
	c := e.client(t, r.URL)
	e.secret(t, c.ID)
	start := e.clock.Now()

	var delays []time.Duration
	for range 40 {
		e.dispatch(t)
		m := e.message(t, c.ID, webhook.TypeSecretCreated)
		if m.Status != domain.WebhookPending {
			break
		}
		delays = append(delays, m.NextAttemptAt.Sub(e.clock.Now()))
		e.clock.Add(m.NextAttemptAt.Sub(e.clock.Now()))
	}
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if !slices.Equal(delays, want) || !slices.Equal(webhook.DefaultRetrySchedule(), want) {
		t.Errorf("delays = %v, want %v", delays, want)
	}
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	if m.Status != domain.WebhookFailed || !strings.HasPrefix(m.LastError, "gave up after") || m.NextAttemptAt != nil {
		t.Errorf("after the window: %+v; want failed", m)
	}
	if elapsed, want := e.clock.Now().Sub(start), 27*time.Hour+35*time.Minute+5*time.Second; elapsed != want {
		t.Errorf("the last attempt came %v after the first, want %v", elapsed, want)
	}
	if n := len(r.deliveries()); n != m.Attempts || n != len(delays)+1 {
		t.Errorf("%d deliveries, %d attempts recorded, %d delays; want them to agree", n, m.Attempts, len(delays))
	}

	v, err := e.hooks.Endpoint(t.Context(), e.admin, c.ID)
	if err != nil || v.Status != webhook.EndpointDisabled || !v.Health.FailingSince.Equal(start) {
		t.Fatalf("endpoint after a day of failures = %+v, %v; want disabled, failing since %v", v, err, start)
	}
	events, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "webhook.endpoint_disable"})
	if err != nil || len(events) != 1 || events[0].Target != string(c.ID) || events[0].ActorKind != "system" {
		t.Errorf("audit webhook.endpoint_disable = %+v, %v; want one, by the system, on the client", events, err)
	}

	// Disabled: new events fail at once, redelivery is refused until the
	// endpoint is enabled again.
	e.secret(t, c.ID)
	e.dispatch(t)
	var latest domain.WebhookMessage
	for _, m := range e.messages(t, c.ID) {
		if m.Status == domain.WebhookFailed && strings.Contains(m.LastError, "disabled") {
			latest = m
		}
	}
	if latest.ID == "" || latest.Attempts != 0 {
		t.Fatalf("a message for the disabled endpoint was not failed without an attempt: %+v", e.messages(t, c.ID))
	}
	if _, err := e.hooks.Redeliver(t.Context(), e.admin, c.ID, latest.ID); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Redeliver to a disabled endpoint: err = %v, want ErrConflict", err)
	}
	r.mu.Lock()
	r.statuses = nil
	r.mu.Unlock()
	if v, err := e.hooks.EnableEndpoint(t.Context(), e.admin, c.ID, false); err != nil || v.Status != webhook.EndpointActive {
		t.Fatalf("EnableEndpoint = %+v, %v", v, err)
	}
	if _, err := e.hooks.Redeliver(t.Context(), e.admin, c.ID, latest.ID); err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	e.dispatch(t)
	if got, _ := e.store.GetWebhookMessage(t.Context(), e.admin.OrgID, latest.ID); got.Status != domain.WebhookDelivered {
		t.Errorf("redelivered message = %+v, want delivered", got)
	}
	// Every look at a message counted once, by what came of it.
	for series, want := range map[string]int{
		`keywarden_webhook_deliveries_total{outcome="retry"}`:     len(delays),
		`keywarden_webhook_deliveries_total{outcome="gave_up"}`:   1,
		`keywarden_webhook_deliveries_total{outcome="dropped"}`:   1,
		`keywarden_webhook_deliveries_total{outcome="delivered"}`: 1,
		`keywarden_webhook_deliveries_total{outcome="held"}`:      0,
		`keywarden_webhook_endpoint_disables_total`:               1,
	} {
		if got := testkit.Metric(t, reg.Handler(), series); got != float64(want) {
			t.Errorf("%s = %v, want %d", series, got, want)
		}
	}
}

func TestJitterStaysWithinTwentyPercent(t *testing.T) {
	for _, tc := range []struct {
		name string
		rnd  float64
		want time.Duration
	}{
		{"lowest", 0, 4 * time.Second},
		{"highest", 0.999999999, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *webhook.Options) { o.Rand = func() float64 { return tc.rnd } })
			r := newReceiver(t, 500)
			c := e.client(t, r.URL)
			e.secret(t, c.ID)
			e.dispatch(t)
			m := e.message(t, c.ID, webhook.TypeSecretCreated)
			if got := m.NextAttemptAt.Sub(e.clock.Now()); got.Round(time.Millisecond) != tc.want {
				t.Errorf("first retry after %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBreachRevokeAllWaitsForANewSecret: after revoke-all nothing is left
// to sign with; the events wait, and go out signed with the new secret
// once there is one, never with a revoked (possibly stolen) one.
func TestBreachRevokeAllWaitsForANewSecret(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t)
	c := e.client(t, r.URL)
	stolen := e.secret(t, c.ID).Value.Reveal()
	e.dispatch(t)
	if _, err := e.creds.RevokeAll(t.Context(), e.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	m := e.message(t, c.ID, webhook.TypeSecretRevoked)
	if m.Status != domain.WebhookPending || m.Attempts != 0 || !strings.Contains(m.LastError, "active secret") {
		t.Fatalf("secret.revoked with no secret left = %+v; want it waiting", m)
	}
	if len(r.ofType(webhook.TypeSecretRevoked)) != 0 {
		t.Fatalf("secret.revoked was sent with nothing to sign it")
	}
	e.clock.Add(time.Minute)
	fresh := e.secret(t, c.ID).Value.Reveal()
	e.clock.Add(webhook.HoldInterval)
	e.dispatch(t)
	for _, typ := range []string{webhook.TypeSecretRevoked, webhook.TypeSecretCreated} {
		got := r.ofType(typ)
		d := got[len(got)-1]
		if !verifies(t, d, e.clock.Now(), fresh) || verifies(t, d, e.clock.Now(), stolen) || !hmacUnder(d, fresh) {
			t.Errorf("%s after revoke-all must be signed with the new secret only", typ)
		}
	}
	var data struct {
		Data struct {
			Reason       string `json:"reason"`
			AccessTokens string `json:"access_tokens"`
		} `json:"data"`
	}
	decodeBody(t, r.ofType(webhook.TypeSecretRevoked)[0].Body, &data)
	if data.Data.Reason != webhook.ReasonRevokeAll || data.Data.AccessTokens != "revoked" {
		t.Errorf("secret.revoked data = %+v", data.Data)
	}
}

// TestLeaseRunsOutAfterACrash: a node claims a message and dies before it
// records anything; once the lease runs out another dispatch delivers it.
func TestLeaseRunsOutAfterACrash(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t)
	c := e.client(t, r.URL)
	e.secret(t, c.ID)
	now := e.clock.Now()
	lease := 2*e.opts.Timeout + time.Second
	claimed, err := e.store.ClaimWebhookMessages(t.Context(), now, now.Add(lease), "crashed-node", 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	if n := e.dispatch(t); n != 0 {
		t.Errorf("dispatched %d while another node holds the lease", n)
	}
	e.clock.Add(lease)
	if n := e.dispatch(t); n != 1 || len(r.deliveries()) != 1 {
		t.Errorf("after the lease: dispatched %d, %d deliveries; want 1, 1", n, len(r.deliveries()))
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	e := newEnv(t)
	target := newReceiver(t)
	redirector := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	c := e.client(t, redirector.URL)
	e.secret(t, c.ID)
	e.dispatch(t)
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	if m.Status != domain.WebhookPending || m.LastStatusCode != 307 || !strings.Contains(m.LastError, "redirects are not followed") {
		t.Errorf("after a redirect: %+v; want a failed attempt", m)
	}
	if n := len(target.deliveries()); n != 0 {
		t.Errorf("the redirect target got %d deliveries", n)
	}
}

// TestPrivateAddressRefusedWithoutTheFlag: without AllowPrivate a URL to a
// private or loopback address is refused at registration, and one that got
// in anyway (registered while the flag was on, or a name that resolves
// there now) is refused at delivery, without a request.
func TestPrivateAddressRefusedWithoutTheFlag(t *testing.T) {
	e := newEnv(t, func(o *webhook.Options) { o.Guard.AllowPrivate = false })
	r := newReceiver(t)
	for _, u := range []string{r.URL, strings.Replace(r.URL, "http:", "https:", 1), "https://localhost/hooks", "https://10.1.2.3/hooks", "https://[::1]/hooks", "https://169.254.169.254/latest"} {
		_, err := e.creds.CreateClient(t.Context(), e.admin, credential.ClientInput{Name: "x", WebhookURL: u})
		var v *domain.ValidationError
		if !errors.As(err, &v) || v.Fields()[0].Field != "webhook_url" {
			t.Errorf("CreateClient with webhook %s: err = %v, want a webhook_url validation error", u, err)
		}
	}
	if _, err := e.creds.CreateClient(t.Context(), e.admin, credential.ClientInput{Name: "x", WebhookURL: "https://hooks.example.com/kw"}); err != nil {
		t.Errorf("CreateClient with a public https URL: %v", err)
	}

	c := e.client(t, "https://hooks.example.com/kw")
	// in the store behind the validation's back
	if _, err := e.store.UpdateClient(t.Context(), c.OrgID, c.ID, func(c *domain.Client) error { c.WebhookURL = r.URL; return nil }); err != nil {
		t.Fatal(err)
	}
	e.secret(t, c.ID)
	e.dispatch(t)
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	if m.Status != domain.WebhookPending || !strings.Contains(m.LastError, "refused") || len(r.deliveries()) != 0 {
		t.Errorf("delivery to %s without the flag: %+v, %d requests; want refused, none", r.URL, m, len(r.deliveries()))
	}
}

func TestEventSelection(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	r := newReceiver(t)
	c := e.client(t, r.URL, "client.*", "refresh_token.issued")
	e.secret(t, c.ID)
	if got := e.messages(t, c.ID); len(got) != 0 {
		t.Errorf("secret.created was queued for an endpoint that selected client.* only: %v", got[0].EventType)
	}
	name := "Billing v2"
	if _, err := e.creds.UpdateClient(ctx, e.admin, c.ID, credential.ClientPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := e.creds.UpdateClient(ctx, e.admin, c.ID, credential.ClientPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.refresh.Create(ctx, e.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, m := range e.messages(t, c.ID) {
		types = append(types, m.EventType)
	}
	slices.Sort(types)
	if want := []string{webhook.TypeClientDisabled, webhook.TypeClientUpdated, webhook.TypeRefreshTokenIssued}; !slices.Equal(types, want) {
		t.Errorf("queued %v, want %v", types, want)
	}
	// The selection itself is validated.
	bad := []string{"secret.creatd"}
	if _, err := e.creds.UpdateClient(ctx, e.admin, c.ID, credential.ClientPatch{WebhookEvents: &bad}); !errors.As(err, new(*domain.ValidationError)) {
		t.Errorf("UpdateClient with an unknown event type: err = %v, want a validation error", err)
	}
	// No URL, no messages.
	plain := e.client(t, "")
	e.secret(t, plain.ID)
	if got := e.messages(t, plain.ID); len(got) != 0 {
		t.Errorf("%d messages queued for a client without a webhook URL", len(got))
	}
}

// TestEndpointChangeStartsClean: messages follow the client's current URL
// and its current secrets, and a new URL starts with a clean record.
func TestEndpointChangeStartsClean(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	broken := newReceiver(t, 500, 500, 500)
	good := newReceiver(t)
	c := e.client(t, broken.URL)
	e.secret(t, c.ID)
	e.dispatch(t)
	if v, _ := e.hooks.Endpoint(ctx, e.admin, c.ID); v.Status != webhook.EndpointFailing {
		t.Errorf("endpoint after a failure = %s, want failing", v.Status)
	}
	if _, err := e.creds.UpdateClient(ctx, e.admin, c.ID, credential.ClientPatch{WebhookURL: &good.URL}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.hooks.Endpoint(ctx, e.admin, c.ID); v.Status != webhook.EndpointActive {
		t.Errorf("endpoint after a new URL = %s, want active", v.Status)
	}
	e.clock.Add(time.Hour)
	e.dispatch(t)
	if n := len(good.deliveries()); n != 2 {
		t.Errorf("the new URL got %d deliveries, want 2 (the retried secret.created and client.updated)", n)
	}
}

func TestDeliveryLogReads(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	r := newReceiver(t)
	c := e.client(t, r.URL)
	other := e.client(t, r.URL)
	for range 3 {
		e.secret(t, c.ID)
	}
	e.dispatch(t)
	list, next, err := e.hooks.ListDeliveries(ctx, e.admin, c.ID, domain.WebhookFilter{Page: domain.Page{Limit: 2}})
	if err != nil || len(list) != 2 || next == "" {
		t.Fatalf("ListDeliveries = %d, %q, %v", len(list), next, err)
	}
	if _, _, err := e.hooks.ListDeliveries(ctx, e.admin, c.ID, domain.WebhookFilter{Status: "lost"}); !errors.As(err, new(*domain.ValidationError)) {
		t.Errorf("ListDeliveries with an unknown status: err = %v, want a validation error", err)
	}
	for name, id := range map[string]string{"malformed": "msg_nope", "a secret ID": list[0].ID[:4] + "x", "unknown": domain.NewID(webhook.PrefixMessage)} {
		if _, err := e.hooks.GetDelivery(ctx, e.admin, c.ID, id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetDelivery(%s): err = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := e.hooks.GetDelivery(ctx, e.admin, other.ID, list[0].ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetDelivery through another client: err = %v, want ErrNotFound", err)
	}
	if _, err := e.hooks.Endpoint(ctx, domain.Actor{OrgID: "org_else"}, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Endpoint from another organisation: err = %v, want ErrNotFound", err)
	}
	// Redelivery keeps the webhook-id and is audited.
	if _, err := e.hooks.Redeliver(ctx, e.admin, c.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	e.dispatch(t)
	ids := map[string]int{}
	for _, d := range r.deliveries() {
		ids[d.Header.Get(webhooksig.HeaderID)]++
	}
	if ids[list[0].ID] != 2 {
		t.Errorf("redelivered message reached the receiver %d times, want 2", ids[list[0].ID])
	}
	if ev, _, _ := e.audit.List(ctx, e.admin.OrgID, domain.AuditFilter{Action: "webhook.redeliver"}); len(ev) != 1 || ev[0].ActorID != e.admin.ID {
		t.Errorf("audit of the redelivery = %+v", ev)
	}
}

// TestRetryAfterAndThrottling: a receiver's Retry-After (seconds or an
// HTTP date) lengthens the next delay, within RetryAfterMax; it never
// shortens the schedule; a 429 or a timeout waits at least a minute.
func TestRetryAfterAndThrottling(t *testing.T) {
	clockStart := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration // the first retry's delay
	}{
		{"503 with seconds", 503, "120", 120 * time.Second},
		{"503 with an HTTP date", 503, clockStart.Add(90 * time.Minute).Format(http.TimeFormat), 90 * time.Minute},
		{"503 shorter than the schedule", 503, "1", 5 * time.Second},
		{"503 beyond the bound", 503, "999999", 6 * time.Hour},
		{"503 unparsable", 503, "soon", 5 * time.Second},
		{"503 with a past date", 503, clockStart.Add(-time.Hour).Format(http.TimeFormat), 5 * time.Second},
		{"429 without Retry-After", 429, "", time.Minute},
		{"429 with a short Retry-After", 429, "2", time.Minute},
		{"429 with a long Retry-After", 429, "600", 10 * time.Minute},
		{"500 plain", 500, "", 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
			}))
			t.Cleanup(srv.Close)
			c := e.client(t, srv.URL)
			e.secret(t, c.ID)
			e.dispatch(t)
			m := e.message(t, c.ID, webhook.TypeSecretCreated)
			if m.Status != domain.WebhookPending || m.NextAttemptAt == nil {
				t.Fatalf("after a %d: %+v", tc.status, m)
			}
			if got := m.NextAttemptAt.Sub(e.clock.Now()); got != tc.want {
				t.Errorf("first retry after %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTimeoutWaitsAtLeastAMinute: a receiver that does not answer within
// the timeout is given a minute before the next attempt, not 5 s.
func TestTimeoutWaitsAtLeastAMinute(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	e := newEnv(t, func(o *webhook.Options) { o.Timeout = 100 * time.Millisecond })
	c := e.client(t, srv.URL)
	e.secret(t, c.ID)
	e.dispatch(t)
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	if m.Status != domain.WebhookPending || !strings.Contains(m.LastError, "no answer within") {
		t.Fatalf("after a timeout: %+v", m)
	}
	if got := m.NextAttemptAt.Sub(e.clock.Now()); got != time.Minute {
		t.Errorf("retry after a timeout in %v, want 1m", got)
	}
}
