package credential

import (
	"context"
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
