package credential

import (
	"context"
	"errors"
	"time"

	"keywarden/internal/domain"
)

// Overview thresholds.
const (
	// OverviewUnusedDays is when an active secret counts as unused.
	OverviewUnusedDays = 30
	// OverviewExpiryDays is how far ahead expiring secrets are listed.
	OverviewExpiryDays = 14
	// PersonalRotateDays is the age after which a personal credential
	// should be rotated (seed 000 asks for a credential per user, rotated).
	PersonalRotateDays = 90
	overviewLimit      = 20
)

// Overview is an organisation's credential health: every item names where
// it is fixed. Leaked secrets are not in it: Keywarden does not record
// them yet.
type Overview struct {
	Now            time.Time
	Expiring       []domain.HealthSecret
	ExpiringWithin map[int]int // days → count (1, 7, 14)
	Unused         []domain.HealthSecret
	UnusedCount    int
	UnusedDays     int
	NoActiveSecret []domain.HealthClient
	NoSecretCount  int
	Failing        []domain.HealthClient
	Rotations      []RotationView
	// SafeRotations counts the open rotations safe to complete.
	SafeRotations int
	// UsersWithoutMFA are enabled users without MFA; UsersWithoutCredential
	// enabled users with no active personal credential; UsersToRotate those
	// whose credential is older than PersonalRotateDays or expires within
	// OverviewExpiryDays.
	UsersWithoutMFA, UsersWithoutCredential, UsersToRotate []domain.User
	// Failures counts failed authentications and logins in the last 24
	// hours; FailuresDailyAverage is the daily average of the 7 days
	// before; Spike says the last day had more than twice that (and at
	// least 10).
	Failures             int
	FailuresDailyAverage float64
	Spike                bool
	// Leaks are the values leak reports confirmed in the last
	// OverviewLeakDays, newest first (up to 20).
	Leaks []domain.Leak
	// LegacyPasswordUsers are the users who may still log in at POST
	// /v1/auth/login with their console password (seed 000's migration,
	// domain.Policy.LegacyPasswordAllowed); LegacyPasswordUntil is when it
	// stops for everyone (nil: the migration is off).
	LegacyPasswordUsers []domain.User
	LegacyPasswordUntil *time.Time
	// CredentialRequired are the users who do not comply with the policy's
	// RequirePersonalCredential (empty when it is off), with why.
	CredentialRequired []UserCompliance
}

// UserCompliance is a user who does not comply with the policy's
// personal credential requirement, and why.
type UserCompliance struct {
	User  domain.User
	State domain.Compliance
	// RotateBy is the date a credential must be replaced by (ComplianceRotate,
	// ComplianceOverdue).
	RotateBy *time.Time
}

// OverviewLeakDays is how far back the overview lists leaks.
const OverviewLeakDays = 30

// Overview reads the organisation's credential health.
func (s *Service) Overview(ctx context.Context, by domain.Actor) (Overview, error) {
	now := s.clock()
	h, err := s.store.Health(ctx, by.OrgID, domain.HealthQuery{Now: now, Horizon: now.AddDate(0, 0, OverviewExpiryDays),
		UnusedSince: now.AddDate(0, 0, -OverviewUnusedDays), FailuresSince: now.Add(-24 * time.Hour), Limit: overviewLimit})
	if err != nil {
		return Overview{}, err
	}
	o := Overview{Now: now, Expiring: h.Expiring, ExpiringWithin: h.ExpiringWithin, Unused: h.Unused, UnusedCount: h.UnusedCount,
		UnusedDays: OverviewUnusedDays, NoActiveSecret: h.NoActiveSecret, NoSecretCount: h.NoActiveSecretCount, Failing: h.FailingEndpoints,
		Failures: h.Failures, FailuresDailyAverage: float64(h.FailuresWeekBefore) / 7}
	o.Spike = o.Failures >= 10 && float64(o.Failures) > 2*o.FailuresDailyAverage
	for _, r := range h.OpenRotations {
		v, err := s.view(ctx, s.store, r)
		if err != nil {
			return Overview{}, err
		}
		if v.State == domain.RotationAbandoned {
			continue
		}
		if v.SafeToRevoke {
			o.SafeRotations++
		}
		o.Rotations = append(o.Rotations, v)
	}
	users, err := s.store.ListUsers(ctx, by.OrgID)
	if err != nil {
		return Overview{}, err
	}
	org, err := s.store.GetOrg(ctx, by.OrgID)
	if err != nil {
		return Overview{}, err
	}
	o.CredentialRequired = complianceOf(org.Policy, users, h.Personal, now)
	if org.Policy.LegacyPasswordLogin && org.Policy.LegacyPasswordUntil != nil && now.Before(*org.Policy.LegacyPasswordUntil) {
		o.LegacyPasswordUntil = org.Policy.LegacyPasswordUntil
		for _, u := range users {
			if org.Policy.LegacyPasswordAllowed(u, now) {
				o.LegacyPasswordUsers = append(o.LegacyPasswordUsers, u)
			}
		}
	}
	for _, u := range users {
		if u.DisabledAt != nil {
			continue
		}
		if !u.MFAEnabled {
			o.UsersWithoutMFA = append(o.UsersWithoutMFA, u)
		}
		p, ok := h.Personal[u.ID]
		switch {
		case !ok:
			o.UsersWithoutCredential = append(o.UsersWithoutCredential, u)
		case now.Sub(p.CreatedAt) > PersonalRotateDays*24*time.Hour ||
			p.ExpiresAt != nil && p.ExpiresAt.Before(now.AddDate(0, 0, OverviewExpiryDays)):
			o.UsersToRotate = append(o.UsersToRotate, u)
		}
	}
	leaks, err := s.store.ListLeaks(ctx, by.OrgID, "", overviewLimit)
	if err != nil {
		return Overview{}, err
	}
	for _, l := range leaks {
		if l.ReportedAt.After(now.AddDate(0, 0, -OverviewLeakDays)) {
			o.Leaks = append(o.Leaks, l)
		}
	}
	return o, nil
}

// complianceOf lists the users who do not comply with pol's personal
// credential requirement at now, given each user's active credential
// (personal, as domain.Health reports it).
func complianceOf(pol domain.Policy, users []domain.User, personal map[domain.UserID]domain.HealthSecret, now time.Time) []UserCompliance {
	if !pol.RequirePersonalCredential {
		return nil
	}
	var out []UserCompliance
	for _, u := range users {
		var active *domain.ActiveCredential
		if p, ok := personal[u.ID]; ok {
			active = &domain.ActiveCredential{CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt}
		}
		if c := userCompliance(pol, u, active, now); c.State != domain.ComplianceOK {
			out = append(out, c)
		}
	}
	return out
}

func userCompliance(pol domain.Policy, u domain.User, active *domain.ActiveCredential, now time.Time) UserCompliance {
	c := UserCompliance{User: u, State: pol.CredentialCompliance(u, active, now)}
	if c.State == domain.ComplianceRotate || c.State == domain.ComplianceOverdue {
		c.RotateBy = pol.PersonalCredentialRotateBy
	}
	return c
}

// MyCompliance is where the actor stands against the organisation's
// personal credential requirement (the console's notice): State
// domain.ComplianceOK when it is off or they comply.
func (s *Service) MyCompliance(ctx context.Context, by domain.Actor) (UserCompliance, error) {
	u, err := s.store.GetUser(ctx, by.OrgID, by.UserID())
	if err != nil {
		return UserCompliance{}, err
	}
	org, err := s.store.GetOrg(ctx, by.OrgID)
	if err != nil || !org.Policy.RequirePersonalCredential {
		return UserCompliance{User: u}, err
	}
	v, err := s.Personal(ctx, by.OrgID, u.ID)
	var active *domain.ActiveCredential
	switch {
	case err == nil && v.Active != nil:
		active = &domain.ActiveCredential{CreatedAt: v.Active.CreatedAt, ExpiresAt: v.Active.ExpiresAt}
	case err != nil && !errors.Is(err, domain.ErrNotFound):
		return UserCompliance{}, err
	}
	return userCompliance(org.Policy, u, active, s.clock()), nil
}
