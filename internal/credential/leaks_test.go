package credential_test

import (
	"sync/atomic"
	"testing"

	"keywarden/internal/account"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
)

// TestLeakRespondsOnceUnderRace: eight reports of one live secret race; one
// responds (one audit event, one leak, one secret.leaked event), the others
// learn it was reported; on every engine, with both policies.
func TestLeakRespondsOnceUnderRace(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		for _, mode := range []string{domain.LeakPolicyRevoke, domain.LeakPolicyQuarantine} {
			if _, _, err := e.accts.UpdatePolicy(ctx, e.admin, account.PolicyPatch{LeakResponse: &mode}); err != nil {
				t.Fatal(err)
			}
			c := e.client(t)
			x := e.secret(t, c.ID, credential.SecretInput{Description: "leaks"})
			var responded, later atomic.Int32
			testkit.Race(8, func(int) {
				out, err := e.svc.SecretLeaked(ctx, x.Secret.Verifier, domain.LeakReport{Reporter: "test", SourceURL: "https://example.com/" + mode})
				switch {
				case err != nil:
					t.Errorf("SecretLeaked: %v", err)
				case out.Status == domain.LeakRevokedNow || out.Status == domain.LeakQuarantinedNow:
					responded.Add(1)
				case out.Status == domain.LeakAlreadyReported || out.Status == domain.LeakAlreadyRevoked:
					later.Add(1)
				default:
					t.Errorf("status %s", out.Status)
				}
			})
			if responded.Load() != 1 || later.Load() != 7 {
				t.Errorf("%s: %d reports responded and %d found it done, want 1 and 7", mode, responded.Load(), later.Load())
			}
			leaks, err := e.svc.Leaks(ctx, e.admin, c.ID, 10)
			if err != nil || len(leaks) != 1 || leaks[0].TargetID != string(x.Secret.ID) {
				t.Errorf("%s: leaks = %+v, %v", mode, leaks, err)
			}
			events, _, err := e.store.ListAudit(ctx, e.admin.OrgID, domain.AuditFilter{Action: "secret.leaked", Target: string(x.Secret.ID), Page: domain.Page{Limit: 20}})
			if err != nil || len(events) != 1 {
				t.Errorf("%s: %d secret.leaked events, %v; want 1", mode, len(events), err)
			}
			v, err := e.svc.GetSecret(ctx, e.admin, c.ID, x.Secret.ID)
			if err != nil {
				t.Fatal(err)
			}
			if revoked := v.Secret.RevokedAt != nil; revoked != (mode == domain.LeakPolicyRevoke) {
				t.Errorf("%s: secret revoked = %v", mode, revoked)
			}
		}
	})
}
