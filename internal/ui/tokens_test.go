package ui

import (
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
)

func TestRefreshRowOf(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	base := domain.RefreshToken{ID: "rt_1", Hint: "abcd", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(time.Hour)}
	with := func(f func(*domain.RefreshToken)) domain.RefreshToken { t := base; f(&t); return t }
	tests := []struct {
		name             string
		tok              domain.RefreshToken
		status, why      string
		active, hasEnded bool
	}{
		{"unused", base, "Unused", "", true, false},
		{"used", with(func(t *domain.RefreshToken) { t.UsedAt = at(-time.Minute) }), "Used", "used: exchanged", false, true},
		{"expired", with(func(t *domain.RefreshToken) { t.ExpiresAt = now.Add(-time.Minute) }), "Expired", "expired unused", false, true},
		{"reuse", with(func(t *domain.RefreshToken) {
			t.UsedAt, t.RevokedAt, t.RevokedReason = at(-time.Hour), at(-time.Minute), domain.RefreshReuse
		}), "Revoked", "reuse detected", false, true},
		{"by the client", with(func(t *domain.RefreshToken) {
			t.RevokedAt, t.RevokedReason = at(-time.Minute), domain.RefreshRevokedByClient
		}), "Revoked", "revoked by the client", false, true},
		{"revoke all", with(func(t *domain.RefreshToken) { t.RevokedAt, t.RevokedReason = at(-time.Minute), domain.RefreshRevokeAll }), "Revoked", "Revoke all now", false, true},
		{"revoked before reasons were kept", with(func(t *domain.RefreshToken) { t.RevokedAt = at(-time.Minute) }), "Revoked", "revoked", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row := refreshRowOf(tc.tok, now)
			if row.Status != tc.status || row.Active != tc.active || !strings.Contains(row.Why, tc.why) || (row.Ended != nil) != tc.hasEnded {
				t.Errorf("row = %+v; want status %q, active %v, why containing %q, ended %v", row, tc.status, tc.active, tc.why, tc.hasEnded)
			}
			if row.Masked != "kwr_••••••••abcd" {
				t.Errorf("masked = %q", row.Masked)
			}
		})
	}
}
