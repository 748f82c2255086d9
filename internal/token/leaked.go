package token

import (
	"context"
	"errors"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Leaked responds to a report that a refresh token (kwr_), named by its
// keyed verifier, leaked:
// an active token's family is revoked with the access tokens it issued,
// the leak recorded and audited with where it was found. A used, revoked
// or expired token changes nothing (it cannot be redeemed); of racing
// reports one responds.
func (r *Refresh) Leaked(ctx context.Context, verifier []byte, rep domain.LeakReport) (domain.LeakOutcome, error) {
	var out domain.LeakOutcome
	err := r.store.InTx(ctx, func(tx store.Tx) error {
		out = domain.LeakOutcome{}
		t, err := tx.RefreshTokenByVerifier(ctx, verifier)
		if errors.Is(err, domain.ErrNotFound) {
			out.Status = domain.LeakUnknown
			return nil
		}
		if err != nil {
			return err
		}
		now := r.clock()
		switch t.State(now) {
		case domain.RefreshExpired:
			out.Status = domain.LeakAlreadyExpired
			return nil
		case domain.RefreshUsed, domain.RefreshRevoked:
			out.Status = domain.LeakAlreadyRevoked
			return nil
		}
		l := domain.Leak{ID: domain.NewID(domain.PrefixLeak), OrgID: t.OrgID, ClientID: t.ClientID, Kind: domain.LeakRefreshToken,
			TargetID: string(t.ID), Hint: t.Hint, SourceURL: rep.SourceURL, Source: rep.Source, Reporter: rep.Reporter,
			ReportedAt: now, Response: domain.LeakRevoked}
		recorded, err := tx.RecordLeak(ctx, l)
		if err != nil || !recorded {
			out.Status = domain.LeakAlreadyReported
			return err
		}
		by := domain.LeakActor(t.OrgID)
		if err := r.revokeFamily(ctx, tx, by, t, now, domain.RefreshLeaked); err != nil {
			return err
		}
		out = domain.LeakOutcome{Status: domain.LeakRevokedNow, Leak: l}
		return r.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "refresh_token.leaked", Target: string(t.ID),
			Detail: map[string]string{"client_id": string(t.ClientID), "response": string(l.Response), "reporter": l.Reporter,
				"source_url": l.SourceURL, "source": l.Source, "leak_id": l.ID}})
	})
	return out, err
}
