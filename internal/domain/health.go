package domain

import "time"

// HealthQuery asks the store for an organisation's credential health at
// Now: secrets expiring before Horizon, secrets unused since UnusedSince,
// failed authentications since FailuresSince (and the week before it),
// up to Limit items per list (the counts are whole).
type HealthQuery struct {
	Now, Horizon, UnusedSince, FailuresSince time.Time
	Limit                                    int
}

// HealthSecret is a secret named in the overview, with its client.
type HealthSecret struct {
	SecretID    SecretID
	ClientID    ClientID
	ClientName  string
	Description string
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	LastUsedAt  *time.Time
}

// HealthClient is a client named in the overview.
type HealthClient struct {
	ClientID ClientID
	Name     string
	// Since is when it became notable (created, failing since).
	Since  time.Time
	Detail string
}

// Health is what the store reports for the overview.
type Health struct {
	// Expiring are active secrets of clients (not personal credentials)
	// that expire after Now and before Horizon, soonest first;
	// ExpiringWithin counts them by days from Now (1, 7, 14).
	Expiring       []HealthSecret
	ExpiringWithin map[int]int
	// Unused are active secrets not used since UnusedSince (never-used
	// ones count from their creation), longest idle first.
	Unused      []HealthSecret
	UnusedCount int
	// NoActiveSecret are enabled clients without an active secret.
	NoActiveSecret      []HealthClient
	NoActiveSecretCount int
	// FailingEndpoints are webhook endpoints failing or disabled.
	FailingEndpoints []HealthClient
	// OpenRotations are the uncompleted rotations, oldest first.
	OpenRotations []Rotation
	// Personal maps each user with a personal credential to its active
	// secret's creation and expiry (absent: none active).
	Personal map[UserID]HealthSecret
	// Failures counts failed authentications since FailuresSince;
	// FailuresWeekBefore those in the seven days before it.
	Failures, FailuresWeekBefore int
}
