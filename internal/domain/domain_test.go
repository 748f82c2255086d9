package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func TestSecretState(t *testing.T) {
	tests := []struct {
		name   string
		secret domain.Secret
		want   domain.SecretState
	}{
		{"no expiry", domain.Secret{}, domain.SecretActive},
		{"expires later", domain.Secret{ExpiresAt: at(time.Hour)}, domain.SecretActive},
		{"expires exactly now", domain.Secret{ExpiresAt: at(0)}, domain.SecretExpired},
		{"expired", domain.Secret{ExpiresAt: at(-time.Hour)}, domain.SecretExpired},
		{"revoked", domain.Secret{RevokedAt: at(-time.Minute)}, domain.SecretRevoked},
		{"revoked beats expired", domain.Secret{RevokedAt: at(-time.Minute), ExpiresAt: at(-time.Hour)}, domain.SecretRevoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.secret.State(now); got != tc.want {
				t.Errorf("State = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNewestActive(t *testing.T) {
	old := domain.Secret{ID: "sec_a", CreatedAt: now.Add(-48 * time.Hour)}
	newer := domain.Secret{ID: "sec_b", CreatedAt: now.Add(-time.Hour)}
	revokedNewest := domain.Secret{ID: "sec_c", CreatedAt: now, RevokedAt: at(0)}
	tests := []struct {
		name    string
		secrets []domain.Secret
		want    domain.SecretID
	}{
		{"none", nil, ""},
		{"one active is not new", []domain.Secret{old}, ""},
		{"two active: newest", []domain.Secret{old, newer}, "sec_b"},
		{"order does not matter", []domain.Secret{newer, old}, "sec_b"},
		{"revoked ones do not count", []domain.Secret{old, revokedNewest}, ""},
		{"revoked newest is skipped", []domain.Secret{old, newer, revokedNewest}, "sec_b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.NewestActive(tc.secrets, now); got != tc.want {
				t.Errorf("NewestActive = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolveExpiry(t *testing.T) {
	p := domain.DefaultPolicy()
	allowNever := domain.DefaultPolicy()
	allowNever.AllowNeverExpire = true
	tests := []struct {
		name      string
		policy    domain.Policy
		role      domain.Role
		requested *time.Time
		never     bool
		want      *time.Time
		wantErr   string // substring of the error; "" for none
	}{
		{"default is the role's maximum", p, domain.RoleDeveloper, nil, false, at(90 * 24 * time.Hour), ""},
		{"member maximum is one day", p, domain.RoleMember, nil, false, at(24 * time.Hour), ""},
		{"within limit", p, domain.RoleAdmin, at(30 * 24 * time.Hour), false, at(30 * 24 * time.Hour), ""},
		{"exactly the limit", p, domain.RoleAdmin, at(90 * 24 * time.Hour), false, at(90 * 24 * time.Hour), ""},
		{"beyond limit names it", p, domain.RoleAdmin, at(91 * 24 * time.Hour), false, nil, "longest allowed for role admin is 90 days"},
		{"member beyond a day", p, domain.RoleMember, at(25 * time.Hour), false, nil, "is 1 day "},
		{"in the past", p, domain.RoleAdmin, at(-time.Second), false, nil, "must be in the future"},
		{"now is not the future", p, domain.RoleAdmin, at(0), false, nil, "must be in the future"},
		{"never refused by default", p, domain.RoleSuperAdmin, nil, true, nil, "requires an expiry"},
		{"never allowed by policy", allowNever, domain.RoleSuperAdmin, nil, true, nil, ""},
		{"never and a date", allowNever, domain.RoleSuperAdmin, at(time.Hour), true, nil, "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.policy.ResolveExpiry("expires_at", tc.role, now, tc.requested, tc.never)
			if tc.wantErr != "" {
				var v *domain.ValidationError
				if !errors.As(err, &v) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a ValidationError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
				t.Errorf("expiry = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	good := domain.DefaultPolicy()
	if err := good.Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	bad := domain.Policy{MaxSecretLifetimeDays: map[domain.Role]int{domain.RoleAdmin: 0, "wizard": 3}, PersonalCredentials: "nobody", AccessTokenTTLSeconds: 5}
	err := bad.Validate()
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want ValidationError", err)
	}
	fields := map[string]bool{}
	for _, f := range v.Fields() {
		fields[f.Field] = true
	}
	for _, want := range []string{"max_secret_lifetime_days.admin", "max_secret_lifetime_days.super_admin", "max_secret_lifetime_days.wizard", "personal_credentials", "access_token_ttl_seconds"} {
		if !fields[want] {
			t.Errorf("no error for %s in %v", want, err)
		}
	}
}

func TestValidID(t *testing.T) {
	id := string(domain.NewClientID())
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"fresh", id, true},
		{"other prefix", domain.PrefixSecret + id[4:], false},
		{"truncated", id[:len(id)-1], false},
		{"bad character", id[:len(id)-1] + "-", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.ValidID(domain.PrefixClient, tc.in); got != tc.want {
				t.Errorf("ValidID(%q) = %v", tc.in, got)
			}
		})
	}
}

func TestRotationState(t *testing.T) {
	start := now.Add(-2 * time.Hour)
	quiet := 3600
	mk := func(newUsed, oldUsed *time.Time, oldRevoked bool) map[domain.SecretID]domain.Secret {
		old := domain.Secret{ID: "sec_old", CreatedAt: start.Add(-time.Hour), LastUsedAt: oldUsed}
		if oldRevoked {
			old.RevokedAt = at(-time.Minute)
		}
		return map[domain.SecretID]domain.Secret{"sec_new": {ID: "sec_new", CreatedAt: start, LastUsedAt: newUsed}, "sec_old": old}
	}
	r := domain.Rotation{NewSecretID: "sec_new", OldSecretIDs: []domain.SecretID{"sec_old"}, StartedAt: start, QuietSeconds: quiet}
	done := r
	done.CompletedAt = at(0)
	tests := []struct {
		name    string
		r       domain.Rotation
		secrets map[domain.SecretID]domain.Secret
		want    domain.RotationState
	}{
		{"new never used", r, mk(nil, at(-time.Minute), false), domain.RotationStarted},
		{"new used before the rotation began", r, mk(at(-3*time.Hour), nil, false), domain.RotationStarted},
		{"both in use", r, mk(at(-time.Minute), at(-time.Minute), false), domain.RotationNewInUse},
		{"old used within the quiet period", r, mk(at(-time.Minute), at(-59*time.Minute), false), domain.RotationNewInUse},
		{"old quiet for the period", r, mk(at(-time.Minute), at(-61*time.Minute), false), domain.RotationOldIdle},
		{"old never used", r, mk(at(-time.Minute), nil, false), domain.RotationOldIdle},
		{"old already revoked", r, mk(at(-time.Minute), at(-time.Minute), true), domain.RotationOldIdle},
		{"completed", done, mk(nil, nil, true), domain.RotationCompleted},
		{"new secret gone", r, map[domain.SecretID]domain.Secret{}, domain.RotationAbandoned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.State(now, tc.secrets); got != tc.want {
				t.Errorf("State = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTokensValid(t *testing.T) {
	tests := []struct {
		name   string
		secret domain.Secret
		want   bool
	}{
		{"active", domain.Secret{}, true},
		{"expired", domain.Secret{ExpiresAt: at(-time.Second)}, false},
		{"revoked in a breach", domain.Secret{RevokedAt: at(-time.Second)}, false},
		{"revoked gracefully", domain.Secret{RevokedAt: at(-time.Second), KeepTokens: true}, true},
		{"revoked gracefully, then expired", domain.Secret{RevokedAt: at(-2 * time.Second), ExpiresAt: at(-time.Second), KeepTokens: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.secret.TokensValid(now); got != tc.want {
				t.Errorf("TokensValid = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRefreshTokenState(t *testing.T) {
	tok := domain.RefreshToken{ExpiresAt: now.Add(time.Hour)}
	used, revoked, expired := tok, tok, tok
	used.UsedAt, revoked.RevokedAt, expired.ExpiresAt = at(-time.Minute), at(-time.Minute), now
	usedAndRevoked := used
	usedAndRevoked.RevokedAt = at(0)
	for _, tc := range []struct {
		name string
		tok  domain.RefreshToken
		want domain.RefreshTokenState
	}{
		{"unused", tok, domain.RefreshActive}, {"used", used, domain.RefreshUsed}, {"revoked", revoked, domain.RefreshRevoked},
		{"expires exactly now", expired, domain.RefreshExpired}, {"revocation beats use", usedAndRevoked, domain.RefreshRevoked},
	} {
		if got := tc.tok.State(now); got != tc.want {
			t.Errorf("%s: State = %s, want %s", tc.name, got, tc.want)
		}
	}
}
