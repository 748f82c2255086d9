package webhook

import (
	"context"
	"errors"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// attemptOrg handles one claimed message of an organisation endpoint: the
// endpoint's URL, its signing secrets, its health.
func (s *Service) attemptOrg(ctx context.Context, m domain.WebhookMessage, claim string) error {
	ep, err := s.o.Store.GetOrgWebhookEndpoint(ctx, m.OrgID, m.EndpointID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // the endpoint was deleted, and its messages with it
	}
	if err != nil {
		return err
	}
	var out outcome
	if ep.DisabledAt != nil {
		out.final = "the endpoint was disabled at " + ep.DisabledAt.Format(time.RFC3339) + " (" + ep.DisabledReason + "); enable it and redeliver"
	} else if secrets := s.orgSecrets(ep); len(secrets) == 0 {
		out.hold = "waiting for the endpoint's signing secret to open (is the keyring the one that sealed it?)"
	} else {
		out = s.send(ctx, ep.URL, m, secrets, nil)
	}
	return s.record(ctx, m, claim, out, func(tx store.Tx, gaveUp bool, now time.Time) ([]string, error) {
		return s.orgHealth(ctx, tx, ep, out, gaveUp, now)
	})
}

// orgSecrets returns the values of an endpoint's signing secrets: the
// previous one first while its rotation overlaps, then the current one.
// Every one signs webhook-signature; the first signs
// X-Keywarden-Hmac-Sha256.
func (s *Service) orgSecrets(ep domain.OrgWebhookEndpoint) []string {
	now := s.clock()
	var out []string
	open := func(sealed []byte, which string) {
		v, err := s.o.Keyring.Open(sealed, []byte(ep.ID))
		if err != nil {
			s.o.Log.Error("cannot open a webhook endpoint's signing secret; it is left out", "endpoint_id", ep.ID, "secret", which, "err", err)
			return
		}
		out = append(out, string(v))
	}
	if ep.PreviousSealed != nil && ep.PreviousUntil != nil && now.Before(*ep.PreviousUntil) {
		open(ep.PreviousSealed, "previous")
	}
	open(ep.SecretSealed, "current")
	return out
}

// orgHealth is health for an organisation endpoint. Its row is locked
// while the stages are decided, so of two nodes that reach a stage at
// once one tells it. A result for a URL the endpoint no longer has
// changes nothing. Its stages are audited (target: the endpoint) and sent
// to the organisation's other endpoints, never to itself.
func (s *Service) orgHealth(ctx context.Context, tx store.Tx, sent domain.OrgWebhookEndpoint, out outcome, gaveUp bool, now time.Time) ([]string, error) {
	var stages []string
	var before domain.OrgWebhookEndpoint
	ep, err := tx.UpdateOrgWebhookEndpoint(ctx, sent.OrgID, sent.ID, func(ep *domain.OrgWebhookEndpoint) error {
		stages, before = nil, *ep
		if ep.URL != sent.URL {
			return store.ErrNoChange // changed meanwhile, with a clean record
		}
		switch {
		case out.ok && ep.FailingSince == nil:
			return store.ErrNoChange
		case out.ok:
			stages = append(stages, StageRecovered)
			ep.FailingSince, ep.ExhaustedAt, ep.UpdatedAt = nil, nil, now
			return nil
		case ep.FailingSince == nil:
			ep.FailingSince, ep.UpdatedAt = &now, now
			stages = append(stages, StageFailing)
		}
		if gaveUp && ep.ExhaustedAt == nil {
			ep.ExhaustedAt, ep.UpdatedAt = &now, now
			stages = append(stages, StageExhausted)
		}
		if gaveUp && ep.DisabledAt == nil && now.Sub(*ep.FailingSince) >= s.o.DisableAfter {
			ep.DisabledAt, ep.UpdatedAt = &now, now
			ep.DisabledReason = "every delivery failed since " + ep.FailingSince.Format(time.RFC3339) + " and retries ran out; last: " + out.attempt.Error
			stages = append(stages, StageDisabled)
		}
		if stages == nil {
			return store.ErrNoChange
		}
		return nil
	})
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	for _, stage := range stages {
		since := ep.FailingSince
		if stage == StageRecovered {
			since = before.FailingSince
		}
		detail := map[string]string{"url": ep.URL, "endpoint": "organization", "failing_since": since.Format(time.RFC3339)}
		lastErr := ""
		if stage == StageRecovered {
			detail["failed_for"] = now.Sub(*since).Round(time.Second).String()
		} else {
			lastErr = out.attempt.Error
			detail["last_error"] = lastErr
		}
		action := "webhook.endpoint_" + stage
		if stage == StageDisabled {
			action = "webhook.endpoint_disable"
		}
		s.o.Log.Warn("webhook endpoint "+strings.ReplaceAll(stage, "_", " "), "endpoint_id", ep.ID, "failing_since", detail["failing_since"])
		// The event before the audit append, which takes the chain's lock
		// last.
		if err := s.outbox.Enqueue(ctx, tx, EndpointHealth(ep.OrgID, "", ep.ID, ep.URL, stage, *since, lastErr, now)); err != nil {
			return nil, err
		}
		if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: domain.System(ep.OrgID, "webhook-dispatcher"), Action: action,
			Target: ep.ID, Result: domain.ResultSuccess, Detail: detail}); err != nil {
			return nil, err
		}
	}
	return stages, nil
}
