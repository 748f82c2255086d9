package account

import (
	"context"
	"errors"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// APITokenLeaked responds to a report that an admin API token (kwt_),
// named by its keyed verifier, leaked: an active token is revoked at once (every node reads
// tokens from the store on each request), the leak recorded and audited
// with where it was found. A revoked or expired token changes nothing; of
// racing reports one responds.
func (s *Service) APITokenLeaked(ctx context.Context, verifier []byte, rep domain.LeakReport) (domain.LeakOutcome, error) {
	var out domain.LeakOutcome
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		out = domain.LeakOutcome{}
		t, err := tx.APITokenByVerifier(ctx, verifier)
		if errors.Is(err, domain.ErrNotFound) {
			out.Status = domain.LeakUnknown
			return nil
		}
		if err != nil {
			return err
		}
		now := s.clock()
		switch t.State(now) {
		case domain.APITokenRevoked:
			out.Status = domain.LeakAlreadyRevoked
			return nil
		case domain.APITokenExpired:
			out.Status = domain.LeakAlreadyExpired
			return nil
		}
		l := leakOf(t.OrgID, t.UserID, domain.LeakAPIToken, string(t.ID), t.Hint, rep, s.clock())
		recorded, err := tx.RecordLeak(ctx, l)
		if err != nil || !recorded {
			out.Status = domain.LeakAlreadyReported
			return err
		}
		if _, err := tx.UpdateAPIToken(ctx, t.OrgID, t.ID, func(t *domain.APIToken) error {
			t.RevokedAt = &now
			return nil
		}); err != nil {
			return err
		}
		out = domain.LeakOutcome{Status: domain.LeakRevokedNow, Leak: l}
		return s.auditLeak(ctx, tx, "api_token.leaked", l, map[string]string{"name": t.Name})
	})
	return out, err
}

// SessionLeaked responds to a report that a console or CLI session token
// (kwu_), named by its keyed verifier, leaked: an open session ends at once, the leak is recorded
// and audited. An ended or expired session changes nothing.
func (s *Service) SessionLeaked(ctx context.Context, verifier []byte, rep domain.LeakReport) (domain.LeakOutcome, error) {
	var out domain.LeakOutcome
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		out = domain.LeakOutcome{}
		x, err := tx.SessionByVerifier(ctx, verifier)
		if errors.Is(err, domain.ErrNotFound) {
			out.Status = domain.LeakUnknown
			return nil
		}
		if err != nil {
			return err
		}
		now := s.clock()
		switch {
		case x.EndedAt != nil:
			out.Status = domain.LeakAlreadyRevoked
			return nil
		case !now.Before(x.ExpiresAt):
			out.Status = domain.LeakAlreadyExpired
			return nil
		}
		l := leakOf(x.OrgID, x.UserID, domain.LeakSession, string(x.ID), "", rep, now)
		recorded, err := tx.RecordLeak(ctx, l)
		if err != nil || !recorded {
			out.Status = domain.LeakAlreadyReported
			return err
		}
		if err := tx.EndSession(ctx, x.OrgID, x.ID, now); err != nil {
			return err
		}
		out = domain.LeakOutcome{Status: domain.LeakRevokedNow, Leak: l}
		return s.auditLeak(ctx, tx, "session.leaked", l, nil)
	})
	return out, err
}

func leakOf(org domain.OrgID, user domain.UserID, kind domain.LeakKind, target, hint string, rep domain.LeakReport, now time.Time) domain.Leak {
	return domain.Leak{ID: domain.NewID(domain.PrefixLeak), OrgID: org, UserID: user, Kind: kind, TargetID: target, Hint: hint,
		SourceURL: rep.SourceURL, Source: rep.Source, Reporter: rep.Reporter, ReportedAt: now, Response: domain.LeakRevoked}
}

func (s *Service) auditLeak(ctx context.Context, tx store.Tx, action string, l domain.Leak, extra map[string]string) error {
	detail := map[string]string{"user_id": string(l.UserID), "response": string(l.Response), "reporter": l.Reporter,
		"source_url": l.SourceURL, "source": l.Source, "leak_id": l.ID}
	for k, v := range extra {
		detail[k] = v
	}
	return s.audit.Append(ctx, tx, audit.Entry{Actor: domain.LeakActor(l.OrgID), Action: action, Target: l.TargetID, Detail: detail})
}
