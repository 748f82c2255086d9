package domain

import "time"

// SetupToken is a one-time first-run link: it lets whoever holds it create
// the installation's first organisation and its super admin, once, until
// ExpiresAt. Only the keyed verifier of its value is stored.
type SetupToken struct {
	Verifier  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Usable reports whether the token still opens the setup page at now.
func (t SetupToken) Usable(now time.Time) bool { return t.UsedAt == nil && now.Before(t.ExpiresAt) }

// OpsStats are the aggregate figures the operator's metrics show about
// the stored data, across organisations (each computed by one aggregate
// query that an index serves).
type OpsStats struct {
	// OutboxPending is the number of webhook messages waiting for a
	// delivery, at most OutboxCountCap.
	OutboxPending int
	// OutboxOldest is when the longest-waiting pending message started
	// waiting (created, or asked to be redelivered); zero when none waits.
	OutboxOldest time.Time
	// EndpointsDisabled is the number of clients whose current webhook
	// endpoint was disabled for failing and not enabled again, plus the
	// organisation endpoints that are disabled (for failing, or by an
	// operator).
	EndpointsDisabled int
	// SecretsExpiring counts unrevoked secrets whose expiry lies in
	// (now, now+window], for each window asked for, in order.
	SecretsExpiring []int
}

// OutboxCountCap bounds the outbox count of OpsStats: past it the count
// stops (a backlog that large is an incident whatever its exact size), so
// the query never reads more than this many index entries.
const OutboxCountCap = 100_000
