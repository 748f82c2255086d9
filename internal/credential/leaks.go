package credential

import (
	"context"
	"errors"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// SecretLeaked responds to a report that a generated client secret (kws_,
// of a client or a personal credential), named by its keyed verifier
// (secretvalue.Verifier), leaked: by the
// organisation's policy, it revokes the secret with the access tokens it
// minted (the default) or quarantines it (it expires after the policy's
// quarantine time). Either way the leak is recorded, audited with where
// it was found, and secret.leaked (credential.leaked for a personal
// credential) goes to the webhooks. One report responds however many
// race; a value already revoked or expired changes nothing.
func (s *Service) SecretLeaked(ctx context.Context, verifier []byte, r domain.LeakReport) (domain.LeakOutcome, error) {
	x, err := s.store.SecretByVerifier(ctx, verifier)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.LeakOutcome{Status: domain.LeakUnknown}, nil
	}
	if err != nil {
		return domain.LeakOutcome{}, err
	}
	defer s.cache.Invalidate(x.ClientID)
	var out domain.LeakOutcome
	err = s.inTx(ctx, func(tx store.Tx) error {
		out = domain.LeakOutcome{}
		c, err := tx.LockClient(ctx, x.OrgID, x.ClientID)
		if err != nil {
			return err
		}
		if x, err = tx.GetSecret(ctx, x.OrgID, x.ID); err != nil {
			return err
		}
		now := s.clock()
		switch x.State(now) {
		case domain.SecretRevoked:
			out.Status = domain.LeakAlreadyRevoked
			return nil
		case domain.SecretExpired:
			out.Status = domain.LeakAlreadyExpired
			return nil
		}
		org, err := tx.GetOrg(ctx, x.OrgID)
		if err != nil {
			return err
		}
		l := domain.Leak{ID: domain.NewID(domain.PrefixLeak), OrgID: x.OrgID, ClientID: x.ClientID, UserID: c.OwnerUserID,
			Kind: domain.LeakSecret, TargetID: string(x.ID), Hint: x.Hint, SourceURL: r.SourceURL, Source: r.Source,
			Reporter: r.Reporter, ReportedAt: now, Response: domain.LeakRevoked}
		if org.Policy.LeakResponse == domain.LeakPolicyQuarantine {
			until := now.Add(org.Policy.LeakQuarantine())
			if x.ExpiresAt != nil && x.ExpiresAt.Before(until) {
				until = *x.ExpiresAt
			}
			l.Response, l.QuarantineUntil = domain.LeakQuarantined, &until
		}
		recorded, err := tx.RecordLeak(ctx, l)
		if err != nil || !recorded {
			out.Status = domain.LeakAlreadyReported
			return err
		}
		if err := s.cache.announce(ctx, tx, x.ClientID); err != nil {
			return err
		}
		events := []webhook.Event{}
		if l.Response == domain.LeakRevoked {
			if _, err := tx.RevokeSecret(ctx, x.OrgID, x.ID, now, false); err != nil {
				return err
			}
			x.RevokedAt, x.KeepTokens = &now, false
			out.Status = domain.LeakRevokedNow
			events = append(events, webhook.SecretRevoked(x, webhook.ReasonLeaked))
		} else {
			if x, err = tx.UpdateSecret(ctx, x.OrgID, x.ID, func(y *domain.Secret) error {
				y.ExpiresAt = l.QuarantineUntil
				return nil
			}); err != nil {
				return err
			}
			out.Status = domain.LeakQuarantinedNow
		}
		out.Leak = l
		detail := map[string]string{"client_id": string(x.ClientID), "response": string(l.Response), "reporter": l.Reporter,
			"source_url": l.SourceURL, "source": l.Source, "leak_id": l.ID}
		if l.QuarantineUntil != nil {
			detail["quarantine_until"] = l.QuarantineUntil.Format(time.RFC3339)
		}
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: domain.LeakActor(x.OrgID), Action: "secret.leaked", Target: string(x.ID), Detail: detail}); err != nil {
			return err
		}
		return s.events.Enqueue(ctx, tx, append([]webhook.Event{webhook.SecretLeaked(x, l, c.OwnerUserID)}, events...)...)
	})
	return out, err
}

// Leaks returns the organisation's recorded leaks, newest first (a
// clientID narrows them to that client's).
func (s *Service) Leaks(ctx context.Context, by domain.Actor, clientID domain.ClientID, limit int) ([]domain.Leak, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	return s.store.ListLeaks(ctx, by.OrgID, clientID, limit)
}
