package domain

import (
	"errors"
	"testing"
	"time"
)

func TestUserRulesValidation(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	day := 24 * time.Hour
	cases := []struct {
		name  string
		edit  func(p *Policy)
		field string // "" when valid
	}{
		{"default", func(p *Policy) {}, ""},
		{"owner revocation", func(p *Policy) { p.PersonalRevocation = RevocationOwner }, ""},
		{"unknown revocation", func(p *Policy) { p.PersonalRevocation = "anyone" }, "personal_revocation"},
		{"legacy without dates", func(p *Policy) { p.LegacyPasswordLogin = true }, "legacy_password_created_before"},
		{"legacy without end", func(p *Policy) { p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore = true, at(-day) }, "legacy_password_until"},
		{"legacy ok", func(p *Policy) {
			p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, at(-day), at(30*day)
		}, ""},
		{"legacy end before start", func(p *Policy) {
			p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, at(-day), at(-2*day)
		}, "legacy_password_until"},
		{"legacy end passed", func(p *Policy) {
			p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, at(-3*day), at(-day)
		}, "legacy_password_until"},
		{"legacy too long", func(p *Policy) {
			p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, at(-day), at(400*day)
		}, "legacy_password_until"},
		{"legacy for future users", func(p *Policy) {
			p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, at(day), at(30*day)
		}, "legacy_password_created_before"},
		{"rotate-by ahead", func(p *Policy) { p.RequirePersonalCredential, p.PersonalCredentialRotateBy = true, at(30*day) }, ""},
		{"rotate-by passed", func(p *Policy) { p.RequirePersonalCredential, p.PersonalCredentialRotateBy = true, at(-day) }, "personal_credential_rotate_by"},
		{"rotate-by too far", func(p *Policy) { p.RequirePersonalCredential, p.PersonalCredentialRotateBy = true, at(400*day) }, "personal_credential_rotate_by"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prev := DefaultPolicy()
			p := DefaultPolicy()
			tc.edit(&p)
			err := p.Validate()
			if err == nil {
				err = p.ValidateChange(prev, now)
			}
			var v *ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.field != "" && !errors.As(err, &v):
				t.Fatalf("err = %v, want a validation error of %s", err, tc.field)
			case tc.field != "" && v.Fields()[0].Field != tc.field:
				t.Fatalf("fields %+v, want %s", v.Fields(), tc.field)
			}
		})
	}
	// An ended window left as it was does not block other changes.
	p := DefaultPolicy()
	p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, at(-30*day), at(-day)
	next := p
	next.AccessTokenTTLSeconds = 3600
	if err := next.ValidateChange(p, now); err != nil {
		t.Errorf("an unrelated change after the window ended: %v", err)
	}
}

func TestLegacyPasswordAllowed(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cut, until := now.Add(-time.Hour), now.Add(24*time.Hour)
	p := DefaultPolicy()
	p.LegacyPasswordLogin, p.LegacyPasswordCreatedBefore, p.LegacyPasswordUntil = true, &cut, &until
	old := User{Role: RoleDeveloper, CreatedAt: now.Add(-48 * time.Hour)}
	ended := now
	cases := []struct {
		name string
		edit func(p *Policy, u *User)
		want bool
	}{
		{"eligible", func(p *Policy, u *User) {}, true},
		{"off", func(p *Policy, u *User) { p.LegacyPasswordLogin = false }, false},
		{"created after the cut-off", func(p *Policy, u *User) { u.CreatedAt = now }, false},
		{"ended", func(p *Policy, u *User) { u.LegacyPasswordEndedAt = &ended }, false},
		{"past the end", func(p *Policy, u *User) { x := now; p.LegacyPasswordUntil = &x }, false},
		{"one-time password", func(p *Policy, u *User) { u.MustChangePassword = true }, false},
		{"MFA on", func(p *Policy, u *User) { u.MFAEnabled = true }, false},
		{"disabled", func(p *Policy, u *User) { u.DisabledAt = &ended }, false},
		{"credentials for super admins only", func(p *Policy, u *User) { p.PersonalCredentials = CredentialsSuperAdmins }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pp, u := p, old
			tc.edit(&pp, &u)
			if got := pp.LegacyPasswordAllowed(u, now); got != tc.want {
				t.Errorf("LegacyPasswordAllowed = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCredentialCompliance(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	from, by := now.Add(-24*time.Hour), now.Add(24*time.Hour)
	p := DefaultPolicy()
	p.RequirePersonalCredential, p.PersonalCredentialRotateFrom, p.PersonalCredentialRotateBy = true, &from, &by
	dev := User{Role: RoleDeveloper}
	exp := func(created time.Time, days int) *ActiveCredential {
		e := created.AddDate(0, 0, days)
		return &ActiveCredential{CreatedAt: created, ExpiresAt: &e}
	}
	cases := []struct {
		name   string
		pol    Policy
		u      User
		active *ActiveCredential
		now    time.Time
		want   Compliance
	}{
		{"off", DefaultPolicy(), dev, nil, now, ComplianceOK},
		{"missing", p, dev, nil, now, ComplianceMissing},
		{"fresh within 90 days", p, dev, exp(now, 90), now, ComplianceOK},
		{"beyond the role's maximum", p, dev, exp(now, 91), now, ComplianceLifetime},
		{"never expires", p, dev, &ActiveCredential{CreatedAt: now}, now, ComplianceLifetime},
		{"predates the round", p, dev, exp(from.Add(-time.Hour), 30), now, ComplianceRotate},
		{"overdue", p, dev, exp(from.Add(-time.Hour), 30), by, ComplianceOverdue},
		{"member within a day", p, User{Role: RoleMember}, exp(now, 1), now, ComplianceOK},
		{"member beyond a day", p, User{Role: RoleMember}, exp(now, 2), now, ComplianceLifetime},
		{"disabled", p, User{Role: RoleDeveloper, DisabledAt: &now}, nil, now, ComplianceOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.pol.CredentialCompliance(tc.u, tc.active, tc.now); got != tc.want {
				t.Errorf("CredentialCompliance = %q, want %q", got, tc.want)
			}
		})
	}
}
