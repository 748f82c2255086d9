package ui

import (
	"strings"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// TestRotationFacts: every statement of the guided page follows from the
// data (issue 13 item 1).
func TestRotationFacts(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	start := now.Add(-2 * time.Hour)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	rot := domain.Rotation{ID: "rot_x", ClientID: "kwc_x", NewSecretID: "sec_new", OldSecretIDs: []domain.SecretID{"sec_old"},
		StartedAt: start, QuietSeconds: 3600}
	view := func(r domain.Rotation, newUsed, oldUsed *time.Time) credential.RotationView {
		secrets := map[domain.SecretID]domain.Secret{
			"sec_new": {ID: "sec_new", CreatedAt: start, LastUsedAt: newUsed, LastUsedFrom: "192.0.2.9"},
			"sec_old": {ID: "sec_old", CreatedAt: start.Add(-time.Hour), LastUsedAt: oldUsed, LastUsedFrom: "192.0.2.1"},
		}
		st := r.State(now, secrets)
		return credential.RotationView{Rotation: r, State: st, SafeToRevoke: st == domain.RotationOldIdle, Secrets: secrets, Now: now}
	}
	done := rot
	done.CompletedAt = ago(time.Minute)
	generated := []domain.RefreshToken{{CreatedAt: start.Add(time.Minute), CreatedBy: "usr_a"}}
	redeemed := []domain.RefreshToken{{CreatedAt: start.Add(time.Minute), CreatedBy: "kwc_x"}}
	tests := []struct {
		name   string
		v      credential.RotationView
		tokens []domain.RefreshToken
		by     string
		want   map[string]string // field → a phrase it must contain
		not    []string
	}{
		{"old never used, new not yet", view(rot, nil, nil), nil, "",
			map[string]string{"new": "Not used yet", "old": "Never used", "revoke": "never used", "refresh": "No refresh token"},
			[]string{"used recently", "callers still using it will fail"}},
		{"old busy", view(rot, ago(time.Minute), ago(3*time.Minute)), generated, "",
			map[string]string{"new": "Used 1 minute ago from 192.0.2.9", "old": "Used 3 minutes ago from 192.0.2.1",
				"revoke": "used 3 minutes ago from 192.0.2.1: callers still using it will fail", "refresh": "A refresh token was generated"}, nil},
		{"old idle", view(rot, ago(time.Minute), ago(90*time.Minute)), redeemed, "",
			map[string]string{"retire": "safe to revoke", "revoke": "no caller should notice", "refresh": "No refresh token"}, nil},
		{"completed", view(done, ago(time.Minute), nil), nil, "ann@example.com",
			map[string]string{"outcome": "by ann@example.com. The old secret was revoked", "retire": "Completed"}, []string{"safe to revoke"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := factsOf(tc.v, tc.tokens, tc.by)
			got := map[string]string{"new": f.NewUse, "old": f.OldUse["old-sec_old"], "revoke": f.RevokeNow, "refresh": f.Refresh,
				"retire": f.RetireStep, "outcome": f.Outcome}
			for k, want := range tc.want {
				if !strings.Contains(got[k], want) {
					t.Errorf("%s = %q, want it to contain %q", k, got[k], want)
				}
			}
			all := strings.Join([]string{f.NewUse, f.RevokeNow, f.Refresh, f.RetireStep, f.Outcome}, " | ")
			for _, bad := range tc.not {
				if strings.Contains(all, bad) {
					t.Errorf("the page says %q: %s", bad, all)
				}
			}
			if f.RefreshDone != strings.HasPrefix(f.Refresh, "A refresh token was generated") {
				t.Errorf("refresh step ticked = %v with %q", f.RefreshDone, f.Refresh)
			}
		})
	}
}

// TestEditHintMatchesTheRule: without never-expiring secrets, the edit
// dialog does not invite an empty field (issue 13 item 4).
func TestEditHintMatchesTheRule(t *testing.T) {
	pol := domain.Policy{MaxSecretLifetimeDays: map[domain.Role]int{domain.RoleAdmin: 90}}
	h := newExpiryHint(pol, domain.RoleAdmin, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), true)
	if strings.Contains(h.EditText, "Leave empty") || !strings.Contains(h.EditText, "requires an expiry") {
		t.Errorf("edit hint = %q", h.EditText)
	}
	pol.AllowNeverExpire = true
	if h := newExpiryHint(pol, domain.RoleAdmin, time.Now(), true); !strings.Contains(h.EditText, "no expiry") {
		t.Errorf("edit hint with never allowed = %q", h.EditText)
	}
}
