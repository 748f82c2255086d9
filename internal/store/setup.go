package store

import (
	"context"
	"time"

	"keywarden/internal/domain"
)

// Setup is the first run: the one-time links that let the console create
// the first organisation, and the installation's claim on being set up.
type Setup interface {
	// CreateSetupToken stores a link's token (by its verifier).
	CreateSetupToken(ctx context.Context, t domain.SetupToken) error
	// GetSetupToken returns the token with verifier (domain.ErrNotFound
	// when there is none).
	GetSetupToken(ctx context.Context, verifier []byte) (domain.SetupToken, error)
	// ConsumeSetupToken marks the token with verifier used at at, if it is
	// unused and unexpired then, and reports whether this call did; of
	// concurrent consumers one wins. It returns the token as it was
	// before (domain.ErrNotFound when there is none), so that a loser can
	// say why.
	ConsumeSetupToken(ctx context.Context, verifier []byte, at time.Time) (domain.SetupToken, bool, error)
	// ClaimInstallation records that org set the installation up at at,
	// unless it is set up already (claimed, or holding an organisation),
	// and reports whether this call claimed it. Inside a transaction the
	// claim holds until commit: a concurrent claimer waits, then gets
	// false (or true, if this transaction rolled back).
	ClaimInstallation(ctx context.Context, org domain.OrgID, at time.Time) (bool, error)
	// Installed reports whether the installation is set up.
	Installed(ctx context.Context) (bool, error)
	// DeleteSetupTokensBefore removes tokens that expired before t.
	DeleteSetupTokensBefore(ctx context.Context, t time.Time) (int, error)
}

// Stats are the aggregate figures of the operator's metrics.
type Stats interface {
	// OpsStats computes domain.OpsStats at now with one aggregate query
	// per figure, each read from an index (never a scan of a table).
	OpsStats(ctx context.Context, now time.Time, expiringWithin []time.Duration) (domain.OpsStats, error)
}
