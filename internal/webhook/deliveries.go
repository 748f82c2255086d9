package webhook

import (
	"context"
	"errors"
	"strconv"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Endpoint states.
const (
	EndpointNone     = "none"     // the client has no webhook URL
	EndpointActive   = "active"   // delivering, or nothing failed since the last success
	EndpointFailing  = "failing"  // deliveries fail; disabled if it lasts
	EndpointDisabled = "disabled" // disabled for failing too long; enable it to resume
)

// EndpointView is a client's webhook endpoint and its health.
type EndpointView struct {
	Client domain.Client
	Status string
	// Health is the endpoint's record; zero while it has none for the
	// client's current URL.
	Health domain.WebhookEndpoint
	// Replayable counts (up to MaxReplay) the deliveries that failed
	// since the failing streak began at ReplaySince (zero while healthy):
	// what Replay(ReplaySince) would send again. After EnableEndpoint
	// they describe the streak that the enable ended.
	Replayable  int
	ReplaySince *time.Time
	// Replayed is how many deliveries EnableEndpoint replayed.
	Replayed int
}

// Replays are bounded: one call makes at most MaxReplay messages due
// again, spread at ReplayRate per second so that a receiver that is
// just back is not flooded; call again for more.
const (
	MaxReplay  = 1000
	ReplayRate = 10
)

// getClient reads a client of the actor's organisation; a malformed ID is
// not found without a store round trip.
func getClient(ctx context.Context, tx store.Data, org domain.OrgID, id domain.ClientID) (domain.Client, error) {
	if !id.Valid() {
		return domain.Client{}, domain.ErrNotFound
	}
	return tx.GetClient(ctx, org, id)
}

func (s *Service) view(ctx context.Context, tx store.Data, c domain.Client) (EndpointView, error) {
	v := EndpointView{Client: c, Status: EndpointNone}
	if c.WebhookURL == "" {
		return v, nil
	}
	v.Status = EndpointActive
	ep, err := tx.GetWebhookEndpoint(ctx, c.OrgID, c.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return v, nil
	case err != nil:
		return v, err
	case ep.URL != c.WebhookURL:
		return v, nil
	}
	v.Health = ep
	switch {
	case ep.DisabledAt != nil:
		v.Status = EndpointDisabled
	case ep.FailingSince != nil:
		v.Status = EndpointFailing
	}
	if ep.FailingSince != nil {
		v.ReplaySince = ep.FailingSince
		if v.Replayable, err = tx.CountFailedWebhookMessages(ctx, c.OrgID, c.ID, *ep.FailingSince, MaxReplay); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Endpoint returns a client's webhook endpoint and its health.
func (s *Service) Endpoint(ctx context.Context, by domain.Actor, clientID domain.ClientID) (EndpointView, error) {
	c, err := getClient(ctx, s.o.Store, by.OrgID, clientID)
	if err != nil {
		return EndpointView{}, err
	}
	return s.view(ctx, s.o.Store, c)
}

// EnableEndpoint enables an endpoint that was disabled for failing, with a
// clean record. The view it returns says how many deliveries failed since
// the streak began (Replayable, ReplaySince); with replay it replays them
// too (Replayed), else they stay failed until Replay. Enabling an enabled
// endpoint is not an error.
func (s *Service) EnableEndpoint(ctx context.Context, by domain.Actor, clientID domain.ClientID, replay bool) (EndpointView, error) {
	var v EndpointView
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := getClient(ctx, tx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		if v, err = s.view(ctx, tx, c); err != nil {
			return err
		}
		switch v.Status {
		case EndpointNone:
			return domain.Conflict("the client has no webhook URL; set webhook_url first")
		case EndpointActive:
			return nil
		}
		now := s.clock()
		ep, err := tx.UpdateWebhookEndpoint(ctx, c.OrgID, c.ID, c.WebhookURL, now, func(ep *domain.WebhookEndpoint) error {
			ep.URL, ep.FailingSince, ep.DisabledAt, ep.DisabledReason, ep.UpdatedAt = c.WebhookURL, nil, nil, "", now
			return nil
		})
		if err != nil {
			return err
		}
		v.Health, v.Status = ep, EndpointActive
		if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.endpoint_enable", Target: string(c.ID),
			Detail: map[string]string{"url": c.WebhookURL}}); err != nil {
			return err
		}
		if !replay || v.ReplaySince == nil {
			return nil
		}
		v.Replayed, err = s.replay(ctx, tx, by, c, *v.ReplaySince, false)
		return err
	})
	return v, err
}

// Replay makes the client's deliveries created since T due again — the
// failed ones, or with all every delivered and failed one — with their
// webhook-ids (receivers drop what they handled already). It is bounded:
// at most MaxReplay per call (more reports whether some are left: call
// again), sent at ReplayRate per second. Pending deliveries are left
// alone, so a repeated call does not send anything twice.
func (s *Service) Replay(ctx context.Context, by domain.Actor, clientID domain.ClientID, since time.Time, all bool) (n int, more bool, err error) {
	if err := s.checkSince(since); err != nil {
		return 0, false, err
	}
	err = s.o.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := getClient(ctx, tx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		if err := s.canSend(ctx, tx, c, "POST …/webhook/enable, which can replay too"); err != nil {
			return err
		}
		n, err = s.replay(ctx, tx, by, c, since, all)
		return err
	})
	return n, n == MaxReplay, err
}

func (s *Service) replay(ctx context.Context, tx store.Tx, by domain.Actor, c domain.Client, since time.Time, all bool) (int, error) {
	n, err := tx.ReplayWebhookMessages(ctx, c.OrgID, c.ID, since.UTC().Truncate(time.Microsecond), all, s.clock(), time.Second/ReplayRate, MaxReplay)
	if err != nil {
		return 0, err
	}
	return n, s.auditReplay(ctx, tx, by, string(c.ID), since, all, n)
}

// checkSince checks a replay's start: given, and not in the future.
func (s *Service) checkSince(since time.Time) error {
	if since.IsZero() {
		return domain.Invalid("since", "required: an RFC 3339 time")
	}
	if since.After(s.clock()) {
		return domain.Invalid("since", "must not be in the future")
	}
	return nil
}

// auditReplay records a replay of n deliveries of target (a client or an
// organisation endpoint).
func (s *Service) auditReplay(ctx context.Context, tx store.Tx, by domain.Actor, target string, since time.Time, all bool, n int) error {
	which := "failed"
	if all {
		which = "all"
	}
	return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.replay", Target: target,
		Detail: map[string]string{"since": since.UTC().Format(time.RFC3339Nano), "which": which, "count": strconv.Itoa(n)}})
}

// ValidStatus reports whether status filters deliveries ("" for all).
func ValidStatus(status domain.WebhookStatus) bool {
	switch status {
	case "", domain.WebhookPending, domain.WebhookDelivered, domain.WebhookFailed:
		return true
	}
	return false
}

// ListDeliveries returns a page of a client's deliveries, newest first.
func (s *Service) ListDeliveries(ctx context.Context, by domain.Actor, clientID domain.ClientID, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
	if _, err := getClient(ctx, s.o.Store, by.OrgID, clientID); err != nil {
		return nil, "", err
	}
	if !ValidStatus(f.Status) {
		return nil, "", domain.Invalid("status", "must be pending, delivered or failed")
	}
	return s.o.Store.ListWebhookMessages(ctx, by.OrgID, clientID, f)
}

// Delivery is one message with its attempts.
type Delivery struct {
	Message  domain.WebhookMessage
	Attempts []domain.WebhookAttempt
}

func getMessage(ctx context.Context, tx store.Data, org domain.OrgID, clientID domain.ClientID, id string) (domain.WebhookMessage, error) {
	if !clientID.Valid() || !domain.ValidID(PrefixMessage, id) {
		return domain.WebhookMessage{}, domain.ErrNotFound
	}
	m, err := tx.GetWebhookMessage(ctx, org, id)
	if err != nil {
		return m, err
	}
	if m.ClientID != clientID {
		return domain.WebhookMessage{}, domain.ErrNotFound
	}
	return m, nil
}

// GetDelivery returns one delivery of a client with its attempt log.
func (s *Service) GetDelivery(ctx context.Context, by domain.Actor, clientID domain.ClientID, id string) (Delivery, error) {
	m, err := getMessage(ctx, s.o.Store, by.OrgID, clientID, id)
	if err != nil {
		return Delivery{}, err
	}
	return deliveryOf(ctx, s.o.Store, m)
}

// deliveryOf is m with its attempt log.
func deliveryOf(ctx context.Context, tx store.Data, m domain.WebhookMessage) (Delivery, error) {
	attempts, err := tx.ListWebhookAttempts(ctx, m.OrgID, m.ID)
	if err != nil {
		return Delivery{}, err
	}
	return Delivery{Message: m, Attempts: attempts}, nil
}

// Redeliver makes a delivery due now, whatever its state, with a fresh
// retry window; it keeps its webhook-id, so a receiver that handled it
// already can tell. It is refused while the client has no webhook URL or
// its endpoint is disabled.
func (s *Service) Redeliver(ctx context.Context, by domain.Actor, clientID domain.ClientID, id string) (domain.WebhookMessage, error) {
	var m domain.WebhookMessage
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if m, err = getMessage(ctx, tx, by.OrgID, clientID, id); err != nil {
			return err
		}
		c, err := tx.GetClient(ctx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		if err := s.canSend(ctx, tx, c, "POST …/webhook/enable"); err != nil {
			return err
		}
		m, err = s.redeliverIn(ctx, tx, by, m, map[string]string{"client_id": string(clientID)})
		return err
	})
	return m, err
}

// redeliverIn makes m due now in tx and audits it, its owner (a client or
// an endpoint) named in the detail.
func (s *Service) redeliverIn(ctx context.Context, tx store.Tx, by domain.Actor, m domain.WebhookMessage, owner map[string]string) (domain.WebhookMessage, error) {
	if m.PayloadDeletedAt != nil {
		return m, domain.Conflict("the delivery's payload was deleted; there is nothing to send")
	}
	if err := tx.RedeliverWebhookMessage(ctx, m.OrgID, m.ID, s.clock()); err != nil {
		return m, err
	}
	m, err := tx.GetWebhookMessage(ctx, m.OrgID, m.ID)
	if err != nil {
		return m, err
	}
	owner["event_type"] = m.EventType
	return m, s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.redeliver", Target: m.ID, Detail: owner})
}

// DeletePayload deletes a delivery's payload and its attempts' response
// excerpts now, keeping the rest of its record; a pending delivery fails
// (there is nothing left to send). Deleting it again is not an error.
func (s *Service) DeletePayload(ctx context.Context, by domain.Actor, clientID domain.ClientID, id string) (Delivery, error) {
	var d Delivery
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		m, err := getMessage(ctx, tx, by.OrgID, clientID, id)
		if err != nil {
			return err
		}
		d, err = s.deletePayloadIn(ctx, tx, by, m, map[string]string{"client_id": string(clientID)})
		return err
	})
	return d, err
}

// deletePayloadIn deletes m's payload in tx (once: again is no change) and
// audits it, its owner named in the detail.
func (s *Service) deletePayloadIn(ctx context.Context, tx store.Tx, by domain.Actor, m domain.WebhookMessage, owner map[string]string) (Delivery, error) {
	if m.PayloadDeletedAt == nil {
		if err := tx.DeleteWebhookPayload(ctx, m.OrgID, m.ID, s.clock()); err != nil {
			return Delivery{}, err
		}
		owner["event_type"] = m.EventType
		if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.payload_delete", Target: m.ID, Detail: owner}); err != nil {
			return Delivery{}, err
		}
	}
	m, err := tx.GetWebhookMessage(ctx, m.OrgID, m.ID)
	if err != nil {
		return Delivery{}, err
	}
	return deliveryOf(ctx, tx, m)
}

// canSend refuses to queue deliveries for a client without a webhook URL
// or whose endpoint is disabled; enable names how to enable it.
func (s *Service) canSend(ctx context.Context, tx store.Tx, c domain.Client, enable string) error {
	v, err := s.view(ctx, tx, c)
	if err != nil {
		return err
	}
	switch v.Status {
	case EndpointNone:
		return domain.Conflict("the client has no webhook URL; set webhook_url first")
	case EndpointDisabled:
		return domain.Conflict("the endpoint is disabled for failing; enable it first (" + enable + ")")
	}
	return nil
}
