package credential_test

import (
	"context"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
)

// usedSecrets authenticates once with each of n new clients' secrets.
func usedSecrets(t *testing.T, e *env, n int) []domain.SecretID {
	t.Helper()
	ids := make([]domain.SecretID, n)
	for i := range ids {
		c := e.client(t)
		s := e.secret(t, c.ID, credential.SecretInput{})
		if _, err := e.svc.Authenticate(t.Context(), c.ID, s.Value.Reveal(), "192.0.2.4"); err != nil {
			t.Fatal(err)
		}
		ids[i] = s.Secret.ID
	}
	return ids
}

func checkFlushed(t *testing.T, e *env, ids []domain.SecretID) {
	t.Helper()
	for _, id := range ids {
		x, err := e.store.GetSecret(t.Context(), e.admin.OrgID, id)
		if err != nil {
			t.Fatal(err)
		}
		if x.LastUsedAt == nil || x.LastUsedFrom != "192.0.2.4" {
			t.Errorf("secret %s: last used %v from %q, want the flushed use", id, x.LastUsedAt, x.LastUsedFrom)
		}
	}
	events, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(ids) {
		t.Errorf("%d aggregated audit events, want %d", len(events), len(ids))
	}
}

// TestShutdownWritesTheLastBatch: the flusher, stopped before its first
// tick, still writes what was used.
func TestShutdownWritesTheLastBatch(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ids := usedSecrets(t, e, 3)
		ctx, stop := context.WithCancel(t.Context())
		stop()
		var errs []error
		e.svc.RunUsageFlusher(ctx, time.Hour, func(err error) { errs = append(errs, err) })
		if len(errs) > 0 {
			t.Fatalf("final flush: %v", errs)
		}
		checkFlushed(t, e, ids)
		if n := e.svc.Pending(); n != 0 {
			t.Errorf("%d uses pending after shutdown", n)
		}
	})
}

// TestFlushCutShortLosesNothing: a flush whose time is up writes nothing
// more and keeps every use for the next one, which writes each once.
func TestFlushCutShortLosesNothing(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ids := usedSecrets(t, e, 4)
		over, cancel := context.WithCancel(t.Context())
		cancel()
		if err := e.svc.FlushUsage(over); err == nil {
			t.Fatal("a flush with its time up reported success")
		}
		if n := e.svc.Pending(); n != len(ids) {
			t.Fatalf("%d uses pending after a cut-short flush, want %d", n, len(ids))
		}
		if err := e.svc.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}
		checkFlushed(t, e, ids)
	})
}

// TestUsageAuditIsBounded: a flush with more secrets in use than
// UsageAuditPerOrg writes an event for each of the busiest and one summary
// for the rest, and still stores every secret's last use.
func TestUsageAuditIsBounded(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ids := usedSecrets(t, e, credential.UsageAuditPerOrg+3)
		if err := e.svc.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			x, err := e.store.GetSecret(t.Context(), e.admin.OrgID, id)
			if err != nil || x.LastUsedAt == nil {
				t.Fatalf("secret %s: last used %v (%v), want stored", id, x.LastUsedAt, err)
			}
		}
		events, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate", Page: domain.Page{Limit: 200}})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != credential.UsageAuditPerOrg {
			t.Errorf("%d per-secret events, want %d", len(events), credential.UsageAuditPerOrg)
		}
		sum, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate.summary"})
		if err != nil {
			t.Fatal(err)
		}
		if len(sum) != 1 || sum[0].Detail["secrets"] != "3" || sum[0].Detail["count"] != "3" || sum[0].Detail["clients"] != "3" {
			t.Errorf("summary events = %+v, want one for the 3 other secrets", sum)
		}
	})
}
