package credential_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
)

// Issue 9's rules under racing requests, on every engine.

// TestConcurrentPatchesPersist races a disable with a rename of one client,
// and edits of two fields of one secret: every change persists (issue 9,
// rule 5; on the old code the disable was lost about half the time on
// PostgreSQL).
func TestConcurrentPatchesPersist(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		for round := range 5 {
			c := e.client(t)
			x := e.secret(t, c.ID, credential.SecretInput{Description: "ci"})
			yes, name, desc, cidrs := true, fmt.Sprintf("renamed %d", round), "edited", []string{"10.0.0.0/8"}
			testkit.Race(4, func(i int) {
				var err error
				switch i {
				case 0:
					_, err = e.svc.UpdateClient(ctx, e.admin, c.ID, credential.ClientPatch{Disabled: &yes})
				case 1:
					_, err = e.svc.UpdateClient(ctx, e.admin, c.ID, credential.ClientPatch{Name: &name})
				case 2:
					_, err = e.svc.UpdateSecret(ctx, e.admin, c.ID, x.Secret.ID, credential.SecretPatch{Description: &desc})
				case 3:
					_, err = e.svc.UpdateSecret(ctx, e.admin, c.ID, x.Secret.ID, credential.SecretPatch{AllowedCIDRs: &cidrs})
				}
				if err != nil {
					t.Errorf("patch %d: %v", i, err)
				}
			})
			got, err := e.svc.GetClient(ctx, e.admin, c.ID)
			if err != nil || !got.Disabled || got.Name != name {
				t.Errorf("round %d: client disabled=%v name=%q, %v; want both patches", round, got.Disabled, got.Name, err)
			}
			v, err := e.svc.GetSecret(ctx, e.admin, c.ID, x.Secret.ID)
			sec := v.Secret
			if err != nil || sec.Description != desc || len(sec.AllowedCIDRs) != 1 {
				t.Errorf("round %d: secret description %q, CIDRs %v, %v; want both patches", round, sec.Description, sec.AllowedCIDRs, err)
			}
		}
	})
}

// TestActiveSecretLimitUnderRace creates many secrets of one client at once:
// it ends with MaxActiveSecrets, the rest refused with a conflict (issue 9,
// rule 4); and one personal credential per user.
func TestActiveSecretLimitUnderRace(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		c := e.client(t)
		var made atomic.Int32
		testkit.Race(2*credential.MaxActiveSecrets, func(i int) {
			var err error
			if i%2 == 0 {
				_, err = e.svc.CreateSecret(ctx, e.admin, c.ID, credential.SecretInput{Description: fmt.Sprint("s", i)})
			} else {
				_, err = e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{})
			}
			switch {
			case err == nil:
				made.Add(1)
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("create: %v", err)
			}
		})
		list, err := e.svc.ListSecrets(ctx, e.admin, c.ID, domain.Page{Limit: domain.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Secrets) != credential.MaxActiveSecrets || made.Load() != credential.MaxActiveSecrets {
			t.Errorf("%d racing creates made %d secrets (%d succeeded); want the limit, %d",
				2*credential.MaxActiveSecrets, len(list.Secrets), made.Load(), credential.MaxActiveSecrets)
		}

		var personal atomic.Int32
		testkit.Race(6, func(int) {
			_, err := e.svc.CreatePersonal(ctx, e.admin, credential.PersonalInput{})
			switch {
			case err == nil:
				personal.Add(1)
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("create personal: %v", err)
			}
		})
		v, err := e.svc.Personal(ctx, e.admin.OrgID, e.admin.UserID())
		if err != nil {
			t.Fatal(err)
		}
		if personal.Load() != 1 || len(v.Secrets) != 1 {
			t.Errorf("6 racing personal credentials: %d succeeded, %d secrets; want 1", personal.Load(), len(v.Secrets))
		}
	})
}
