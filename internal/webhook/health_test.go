package webhook_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/testkit"
	"keywarden/internal/webhook"
	"keywarden/pkg/webhooksig"
)

// flaky is a receiver that answers 503 while down, else 204.
type flaky struct {
	*receiver
	down atomic.Bool
}

func newFlaky(t *testing.T) *flaky {
	f := &flaky{}
	f.receiver = newReceiver(t)
	inner := f.receiver.Config.Handler
	f.receiver.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	})
	return f
}

// run moves the clock forward by d in steps of step, dispatching all that
// is due at each step, and calls each (if not nil) at every step.
func (e *env) run(t *testing.T, d, step time.Duration, each func()) {
	t.Helper()
	for end := e.clock.Now().Add(d); e.clock.Now().Before(end); e.clock.Add(step) {
		if each != nil {
			each()
		}
		for e.dispatch(t) > 0 {
		}
	}
}

// actions returns the audit actions of the organisation whose action starts
// with webhook.endpoint_, oldest first.
func (e *env) healthEvents(t *testing.T) []string {
	t.Helper()
	list, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Page: domain.Page{Limit: domain.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		switch a := list[i]; a.Action {
		case "webhook.endpoint_failing", "webhook.endpoint_retries_exhausted", "webhook.endpoint_disable", "webhook.endpoint_recovered":
			if a.ActorKind != "system" {
				t.Errorf("%s by %s, want the system", a.Action, a.ActorKind)
			}
			out = append(out, a.Action)
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReceiverDownForAWeekend: a receiver down from Friday evening to
// Monday morning (62 h), with events arriving every 8 hours, is not
// disabled (the default DisableAfter is 5 days); operators are told when
// it starts failing and when the first delivery runs out of retries, each
// once, and when it recovers; the messages still within their schedule
// are delivered once it is back, and the metrics count each stage.
func TestReceiverDownForAWeekend(t *testing.T) {
	reg := metrics.New()
	e := newEnv(t, func(o *webhook.Options) { o.Metrics = reg })
	f := newFlaky(t)
	c := e.client(t, f.URL)
	e.secret(t, c.ID)
	e.dispatch(t) // delivered while up
	f.down.Store(true)

	n, step := 0, 0
	e.run(t, 62*time.Hour, 5*time.Minute, func() {
		if step%96 == 0 { // an event every 8 h
			e.secret(t, c.ID)
			n++
		}
		step++
	})
	if v, err := e.hooks.Endpoint(t.Context(), e.admin, c.ID); err != nil || v.Status != webhook.EndpointFailing || v.Health.ExhaustedAt == nil {
		t.Fatalf("after a weekend down: %+v, %v; want failing (not disabled), retries exhausted", v, err)
	}
	if got, want := e.healthEvents(t), []string{"webhook.endpoint_failing", "webhook.endpoint_retries_exhausted"}; !sameStrings(got, want) {
		t.Errorf("audit during the weekend = %v, want %v", got, want)
	}

	f.down.Store(false)
	e.run(t, 11*time.Hour, 5*time.Minute, nil) // the longest delay of the schedule
	if v, _ := e.hooks.Endpoint(t.Context(), e.admin, c.ID); v.Status != webhook.EndpointActive || v.Health.FailingSince != nil || v.Health.ExhaustedAt != nil {
		t.Errorf("after it came back: %+v; want active with a clean record", v)
	}
	if got, want := e.healthEvents(t), []string{"webhook.endpoint_failing", "webhook.endpoint_retries_exhausted", "webhook.endpoint_recovered"}; !sameStrings(got, want) {
		t.Errorf("audit after recovery = %v, want %v", got, want)
	}
	var pending, failed, delivered int
	for _, m := range e.messages(t, c.ID) {
		switch m.Status {
		case domain.WebhookPending:
			pending++
		case domain.WebhookFailed:
			failed++
		case domain.WebhookDelivered:
			delivered++
		}
	}
	if pending != 0 || failed == 0 || delivered < 2 || failed+delivered != n+1 {
		t.Errorf("%d events: %d pending, %d failed, %d delivered; want none pending, the old ones failed (replay them), the recent delivered", n, pending, failed, delivered)
	}
	for stage, want := range map[string]float64{"failing": 1, "retries_exhausted": 1, "disabled": 0, "recovered": 1} {
		if got := testkit.Metric(t, reg.Handler(), `keywarden_webhook_endpoint_health_total{stage="`+stage+`"}`); got != want {
			t.Errorf("health %s = %v, want %v", stage, got, want)
		}
	}
}

// TestDisabledOnlyAfterFailingLongAndRetriesExhausted: an endpoint failing
// for longer than DisableAfter is not disabled while its deliveries are
// still being retried; it is disabled when one runs out of retries after
// that, told once.
func TestDisabledOnlyAfterFailingLongAndRetriesExhausted(t *testing.T) {
	e := newEnv(t, func(o *webhook.Options) { o.DisableAfter = 48 * time.Hour })
	f := newFlaky(t)
	f.down.Store(true)
	c := e.client(t, f.URL)
	e.secret(t, c.ID) // fails from now on; runs out of retries after 27.5 h
	e.run(t, 40*time.Hour, 5*time.Minute, nil)
	e.secret(t, c.ID) // a new event at 40 h: its retries last until 67.5 h
	e.run(t, 20*time.Hour, 5*time.Minute, nil)
	if v, _ := e.hooks.Endpoint(t.Context(), e.admin, c.ID); v.Status != webhook.EndpointFailing {
		t.Fatalf("at 60 h (failing longer than 48 h, a delivery still retried): %s, want failing", v.Status)
	}
	e.run(t, 10*time.Hour, 5*time.Minute, nil)
	v, _ := e.hooks.Endpoint(t.Context(), e.admin, c.ID)
	if v.Status != webhook.EndpointDisabled || v.Health.DisabledAt == nil || v.Health.DisabledAt.Sub(*v.Health.FailingSince) < 67*time.Hour {
		t.Fatalf("after the second delivery ran out: %+v; want disabled at about 67.5 h", v)
	}
	if got, want := e.healthEvents(t), []string{"webhook.endpoint_failing", "webhook.endpoint_retries_exhausted", "webhook.endpoint_disable"}; !sameStrings(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

// TestReplayAfterAWeekend: after the receiver is back, "replay every
// failed message since T" sends each delivery that was lost exactly once
// more, with its webhook-id, spaced at ReplayRate; a second replay sends
// nothing; a delivered message is replayed only when all are asked for.
func TestReplayAfterAWeekend(t *testing.T) {
	e := newEnv(t)
	f := newFlaky(t)
	c := e.client(t, f.URL)
	e.secret(t, c.ID)
	e.dispatch(t)
	f.down.Store(true)
	e.clock.Add(time.Second)
	since := e.clock.Now()
	step := 0
	e.run(t, 62*time.Hour, 5*time.Minute, func() {
		if step%96 == 0 {
			e.secret(t, c.ID)
		}
		step++
	})
	f.down.Store(false)
	e.run(t, 11*time.Hour, 5*time.Minute, nil)

	failed := map[string]bool{}
	for _, m := range e.messages(t, c.ID) {
		if m.Status == domain.WebhookFailed {
			failed[m.ID] = true
		}
	}
	if len(failed) < 3 {
		t.Fatalf("%d failed messages after the weekend, want several", len(failed))
	}
	before := len(f.deliveries())
	var invalid *domain.ValidationError
	if _, _, err := e.hooks.Replay(t.Context(), e.admin, c.ID, e.clock.Now().Add(time.Hour), false); !errors.As(err, &invalid) {
		t.Errorf("Replay since a future time: err = %v, want a ValidationError", err)
	}
	n, more, err := e.hooks.Replay(t.Context(), e.admin, c.ID, since, false)
	if err != nil || n != len(failed) || more {
		t.Fatalf("Replay = %d, %v, %v; want %d, no more", n, more, err, len(failed))
	}
	// Spaced out: due one every 1/ReplayRate s from now.
	var due []time.Time
	for _, m := range e.messages(t, c.ID) {
		if failed[m.ID] {
			due = append(due, *m.NextAttemptAt)
		}
	}
	slices.SortFunc(due, time.Time.Compare)
	for i := 1; i < len(due); i++ {
		if d := due[i].Sub(due[i-1]); d != time.Second/webhook.ReplayRate {
			t.Errorf("replayed messages %d and %d are %v apart, want %v", i-1, i, d, time.Second/webhook.ReplayRate)
		}
	}
	if n, _, err := e.hooks.Replay(t.Context(), e.admin, c.ID, since, false); err != nil || n != 0 {
		t.Errorf("second Replay before delivery = %d, %v; want 0 (they are pending)", n, err)
	}
	e.run(t, 10*time.Second, time.Second, nil)
	got := map[string]int{}
	for _, d := range f.deliveries()[before:] {
		got[d.Header.Get(webhooksig.HeaderID)]++
	}
	for id := range failed {
		if got[id] != 1 {
			t.Errorf("message %s delivered %d times by the replay, want once", id, got[id])
		}
	}
	if len(got) != len(failed) {
		t.Errorf("the replay delivered %d messages, want the %d failed ones", len(got), len(failed))
	}
	if n, _, err := e.hooks.Replay(t.Context(), e.admin, c.ID, since, false); err != nil || n != 0 {
		t.Errorf("Replay after everything was delivered = %d, %v; want 0", n, err)
	}
	if n, _, err := e.hooks.Replay(t.Context(), e.admin, c.ID, since, true); err != nil || n != len(e.messages(t, c.ID))-1 {
		t.Errorf("Replay of all = %d, %v; want every message since T", n, err)
	}
	events, _, _ := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "webhook.replay"})
	if len(events) != 4 || events[len(events)-1].Detail["count"] != strconv.Itoa(len(failed)) {
		t.Errorf("webhook.replay audit events = %+v; want one per call, the first counting %d", events, len(failed))
	}
}

// TestEnableOffersToReplay: enabling a disabled endpoint says how many
// deliveries failed meanwhile, and replays them when asked.
func TestEnableOffersToReplay(t *testing.T) {
	for _, replay := range []bool{false, true} {
		t.Run(strconv.FormatBool(replay), func(t *testing.T) {
			e := newEnv(t, func(o *webhook.Options) { o.DisableAfter = time.Hour })
			f := newFlaky(t)
			f.down.Store(true)
			c := e.client(t, f.URL)
			e.secret(t, c.ID)
			e.secret(t, c.ID)
			e.run(t, 28*time.Hour, 5*time.Minute, nil)
			v, _ := e.hooks.Endpoint(t.Context(), e.admin, c.ID)
			if v.Status != webhook.EndpointDisabled || v.Replayable != 2 || v.ReplaySince == nil {
				t.Fatalf("endpoint = %+v; want disabled with 2 replayable", v)
			}
			f.down.Store(false)
			v, err := e.hooks.EnableEndpoint(t.Context(), e.admin, c.ID, replay)
			if err != nil || v.Status != webhook.EndpointActive || v.Replayable != 2 {
				t.Fatalf("EnableEndpoint = %+v, %v", v, err)
			}
			want := 0
			if replay {
				want = 2
			}
			if v.Replayed != want {
				t.Errorf("replayed %d, want %d", v.Replayed, want)
			}
			e.run(t, 5*time.Second, time.Second, nil)
			if n := len(f.ofType(webhook.TypeSecretCreated)); n != want {
				t.Errorf("%d secret.created delivered after the enable, want %d", n, want)
			}
		})
	}
}
