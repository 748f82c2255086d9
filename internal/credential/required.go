package credential

import (
	"context"
	"fmt"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// requiredOrgBatch is how many organisations a pass of
// RunCredentialRequired reads at a time.
const requiredOrgBatch = 100

// noticeCredentialRequired prefixes the unique notice row of one user's
// user.credential_required event (+ user ID).
const noticeCredentialRequired = "credential-required:"

// RunCredentialRequired sends user.credential_required to the
// organisation endpoints of every organisation whose policy requires a
// personal credential and asks for the events: one per user who does not
// comply, per period (domain.Policy.CompliancePeriod: the rotate-by round,
// or once when there is none). Each event is gated by a unique notice row
// recorded in its transaction, so it is safe on every node at once, as
// often as one likes. It returns how many events it sent.
func (s *Service) RunCredentialRequired(ctx context.Context) (int, error) {
	if s.events == nil {
		return 0, nil
	}
	now := s.clock()
	sent := 0
	var after domain.OrgID
	for {
		orgs, err := s.store.ListOrgWebhookOrgs(ctx, after, requiredOrgBatch)
		if err != nil {
			return sent, fmt.Errorf("list organisations with webhook endpoints: %w", err)
		}
		for _, org := range orgs {
			n, err := s.credentialRequired(ctx, org, now)
			sent += n
			if err != nil {
				return sent, fmt.Errorf("user.credential_required of %s: %w", org, err)
			}
		}
		if len(orgs) < requiredOrgBatch {
			return sent, nil
		}
		after = orgs[len(orgs)-1]
	}
}

func (s *Service) credentialRequired(ctx context.Context, orgID domain.OrgID, now time.Time) (int, error) {
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return 0, err
	}
	pol := org.Policy
	if !pol.RequirePersonalCredential || !pol.CredentialRequiredEvents {
		return 0, nil
	}
	eps, err := s.store.ListOrgWebhookEndpoints(ctx, orgID)
	if err != nil {
		return 0, err
	}
	wanted := false
	for _, ep := range eps {
		wanted = wanted || ep.DisabledAt == nil && webhook.Wants(ep.Events, webhook.TypeCredentialRequired)
	}
	if !wanted {
		return 0, nil // no gate recorded: an endpoint added later still hears
	}
	users, err := s.store.ListUsers(ctx, orgID)
	if err != nil {
		return 0, err
	}
	h, err := s.store.Health(ctx, orgID, domain.HealthQuery{Now: now, Horizon: now, UnusedSince: now, FailuresSince: now, Limit: 1})
	if err != nil {
		return 0, err
	}
	period, sent := pol.CompliancePeriod(), 0
	for _, c := range complianceOf(pol, users, h.Personal, now) {
		var won bool
		err := s.inTx(ctx, func(tx store.Tx) error {
			var err error
			won, err = tx.RecordWebhookOrgNotice(ctx, domain.WebhookOrgNotice{OrgID: orgID, Notice: noticeCredentialRequired + string(c.User.ID),
				Period: period, RecordedAt: now})
			if err != nil || !won {
				return err // !won: sent already, here or on another node
			}
			return s.events.Enqueue(ctx, tx, webhook.CredentialRequired(c.User, c.State, c.RotateBy, pol.MaxSecretLifetimeDays[c.User.Role], now))
		})
		if err != nil {
			return sent, err
		}
		if won {
			sent++
		}
	}
	return sent, nil
}
