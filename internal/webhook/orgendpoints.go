package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/pkg/webhooksig"
)

// Organisation endpoints. An organisation may register its own endpoints
// (besides each client's): they receive the events of all its clients and
// of its users that their selection wants, and the events that only they
// receive — the health stages of every endpoint, the expiry summary. Each
// signs with a Standard Webhooks secret Keywarden generates ("whsec_" and
// the base64 of 32 random bytes), shown once when the endpoint is created
// and once when it is rotated, and otherwise kept only sealed with the
// keyring (the endpoint's ID as associated data). A rotation keeps the
// previous secret signing for an overlap, so webhook-signature carries
// both until receivers have moved.

// PrefixOrgEndpoint starts an organisation endpoint's ID.
const PrefixOrgEndpoint = "owe_"

// Limits of organisation endpoints.
const (
	MaxOrgEndpoints       = 10
	MaxEndpointURLLen     = 2000
	MaxEndpointDescLen    = 200
	DefaultRotateOverlap  = 24 * time.Hour
	MaxRotateOverlap      = 7 * 24 * time.Hour
	orgEndpointSecretSize = 32
	disabledByOperator    = "disabled by an operator"
)

// OrgEndpointView is an organisation endpoint and its health, as
// EndpointView is a client's.
type OrgEndpointView struct {
	Endpoint    domain.OrgWebhookEndpoint
	Status      string // EndpointActive, EndpointFailing or EndpointDisabled
	Replayable  int
	ReplaySince *time.Time
	Replayed    int
}

// OrgEndpointInput creates an endpoint.
type OrgEndpointInput struct {
	URL         string
	Description string
	Events      []string
}

// OrgEndpointPatch changes an endpoint; nil fields stay. Disabled false
// enables a disabled endpoint (Replay: and replays what failed since its
// failing streak began, or since it was disabled).
type OrgEndpointPatch struct {
	URL         *string
	Description *string
	Events      *[]string
	Disabled    *bool
	Replay      bool
}

func newEndpointSecret() string {
	b := make([]byte, orgEndpointSecretSize)
	rand.Read(b)
	return webhooksig.StandardWebhooksPrefix + base64.StdEncoding.EncodeToString(b)
}

func (s *Service) checkEndpointURL(v *domain.ValidationError, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > MaxEndpointURLLen || u.User != nil {
		v.Add("url", "must be an absolute http(s) URL without credentials, at most 2000 characters")
		return
	}
	if err := s.o.Guard.CheckURL(raw); err != nil {
		v.Add("url", err.Error())
	}
}

func (s *Service) orgView(ctx context.Context, tx store.Data, ep domain.OrgWebhookEndpoint) (OrgEndpointView, error) {
	v := OrgEndpointView{Endpoint: ep, Status: EndpointActive}
	since := ep.FailingSince
	switch {
	case ep.DisabledAt != nil:
		v.Status = EndpointDisabled
		if since == nil {
			since = ep.DisabledAt
		}
	case ep.FailingSince != nil:
		v.Status = EndpointFailing
	}
	if since != nil {
		v.ReplaySince = since
		var err error
		if v.Replayable, err = tx.CountFailedEndpointWebhookMessages(ctx, ep.OrgID, ep.ID, *since, MaxReplay); err != nil {
			return v, err
		}
	}
	return v, nil
}

func getOrgEndpoint(ctx context.Context, tx store.Data, org domain.OrgID, id string) (domain.OrgWebhookEndpoint, error) {
	if !domain.ValidID(PrefixOrgEndpoint, id) {
		return domain.OrgWebhookEndpoint{}, domain.ErrNotFound
	}
	return tx.GetOrgWebhookEndpoint(ctx, org, id)
}

// CreateOrgEndpoint registers an endpoint of the actor's organisation and
// returns it with its signing secret: the only time the secret is shown
// but for a rotation.
func (s *Service) CreateOrgEndpoint(ctx context.Context, by domain.Actor, in OrgEndpointInput) (OrgEndpointView, string, error) {
	var v domain.ValidationError
	in.URL = strings.TrimSpace(in.URL)
	if in.URL == "" {
		v.Add("url", "is required")
	} else {
		s.checkEndpointURL(&v, in.URL)
	}
	v.Text("description", in.Description, false, MaxEndpointDescLen)
	events := NormalizeOrgEvents(&v, "events", in.Events)
	if err := v.Err(); err != nil {
		return OrgEndpointView{}, "", err
	}
	now := s.clock()
	secret := newEndpointSecret()
	ep := domain.OrgWebhookEndpoint{ID: domain.NewID(PrefixOrgEndpoint), OrgID: by.OrgID, URL: in.URL, Description: in.Description,
		Events: events, SecretCreatedAt: now, CreatedAt: now, UpdatedAt: now}
	ep.SecretSealed = s.o.Keyring.Seal([]byte(secret), []byte(ep.ID))
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		// The organisation's row serialises creations, so that two at
		// once cannot both pass the limit.
		if _, err := tx.LockSuperAdmins(ctx, by.OrgID); err != nil {
			return err
		}
		list, err := tx.ListOrgWebhookEndpoints(ctx, by.OrgID)
		if err != nil {
			return err
		}
		if len(list) >= MaxOrgEndpoints {
			return domain.Conflict("an organisation can have at most " + strconv.Itoa(MaxOrgEndpoints) + " webhook endpoints; delete one first")
		}
		if err := tx.CreateOrgWebhookEndpoint(ctx, ep); err != nil {
			return err
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.org_endpoint_create", Target: ep.ID,
			Detail: map[string]string{"url": ep.URL, "events": strings.Join(events, ",")}})
	})
	if err != nil {
		return OrgEndpointView{}, "", err
	}
	return OrgEndpointView{Endpoint: ep, Status: EndpointActive}, secret, nil
}

// OrgEndpoints returns the organisation's endpoints, oldest first.
func (s *Service) OrgEndpoints(ctx context.Context, by domain.Actor) ([]OrgEndpointView, error) {
	list, err := s.o.Store.ListOrgWebhookEndpoints(ctx, by.OrgID)
	if err != nil {
		return nil, err
	}
	out := make([]OrgEndpointView, 0, len(list))
	for _, ep := range list {
		v, err := s.orgView(ctx, s.o.Store, ep)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// OrgEndpoint returns one endpoint of the organisation.
func (s *Service) OrgEndpoint(ctx context.Context, by domain.Actor, id string) (OrgEndpointView, error) {
	ep, err := getOrgEndpoint(ctx, s.o.Store, by.OrgID, id)
	if err != nil {
		return OrgEndpointView{}, err
	}
	return s.orgView(ctx, s.o.Store, ep)
}

// UpdateOrgEndpoint changes an endpoint. A new URL starts with a clean
// health record. Disabling it fails its deliveries until it is enabled;
// enabling it clears its record and, with Replay, replays the deliveries
// that failed meanwhile (View.Replayed; at most MaxReplay).
func (s *Service) UpdateOrgEndpoint(ctx context.Context, by domain.Actor, id string, p OrgEndpointPatch) (OrgEndpointView, error) {
	var v domain.ValidationError
	if p.URL != nil {
		*p.URL = strings.TrimSpace(*p.URL)
		s.checkEndpointURL(&v, *p.URL)
	}
	if p.Description != nil {
		v.Text("description", *p.Description, false, MaxEndpointDescLen)
	}
	var events []string
	if p.Events != nil {
		events = NormalizeOrgEvents(&v, "events", *p.Events)
	}
	if err := v.Err(); err != nil {
		return OrgEndpointView{}, err
	}
	var out OrgEndpointView
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		if !domain.ValidID(PrefixOrgEndpoint, id) {
			return domain.ErrNotFound
		}
		now := s.clock()
		var changed []string
		var enabled, disabled bool
		var replaySince *time.Time
		ep, err := tx.UpdateOrgWebhookEndpoint(ctx, by.OrgID, id, func(ep *domain.OrgWebhookEndpoint) error {
			changed, enabled, disabled, replaySince = nil, false, false, nil
			if p.URL != nil && *p.URL != ep.URL {
				ep.URL, ep.FailingSince, ep.ExhaustedAt = *p.URL, nil, nil
				changed = append(changed, "url")
			}
			if p.Description != nil && *p.Description != ep.Description {
				ep.Description = *p.Description
				changed = append(changed, "description")
			}
			if p.Events != nil {
				ep.Events = events
				changed = append(changed, "events")
			}
			switch {
			case p.Disabled == nil:
			case *p.Disabled && ep.DisabledAt == nil:
				ep.DisabledAt, ep.DisabledReason, disabled = &now, disabledByOperator, true
			case !*p.Disabled && ep.DisabledAt != nil:
				replaySince = ep.FailingSince
				if replaySince == nil {
					replaySince = ep.DisabledAt
				}
				ep.DisabledAt, ep.DisabledReason, ep.FailingSince, ep.ExhaustedAt, enabled = nil, "", nil, nil, true
			}
			if changed == nil && !enabled && !disabled {
				return store.ErrNoChange
			}
			ep.UpdatedAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if changed != nil {
			if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.org_endpoint_update", Target: ep.ID,
				Detail: map[string]string{"fields": strings.Join(changed, ","), "url": ep.URL}}); err != nil {
				return err
			}
		}
		switch {
		case disabled:
			if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.endpoint_disable", Target: ep.ID,
				Detail: map[string]string{"url": ep.URL, "endpoint": "organization", "reason": disabledByOperator}}); err != nil {
				return err
			}
		case enabled:
			if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.endpoint_enable", Target: ep.ID,
				Detail: map[string]string{"url": ep.URL, "endpoint": "organization"}}); err != nil {
				return err
			}
		}
		if out, err = s.orgView(ctx, tx, ep); err != nil {
			return err
		}
		if enabled {
			out.ReplaySince = replaySince
			if out.Replayable, err = tx.CountFailedEndpointWebhookMessages(ctx, ep.OrgID, ep.ID, *replaySince, MaxReplay); err != nil {
				return err
			}
			if p.Replay {
				out.Replayed, err = s.replayOrg(ctx, tx, by, ep, *replaySince, false)
			}
		}
		return err
	})
	return out, err
}

// DeleteOrgEndpoint removes an endpoint with its delivery log.
func (s *Service) DeleteOrgEndpoint(ctx context.Context, by domain.Actor, id string) error {
	return s.o.Store.InTx(ctx, func(tx store.Tx) error {
		ep, err := getOrgEndpoint(ctx, tx, by.OrgID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteOrgWebhookEndpoint(ctx, by.OrgID, id); err != nil {
			return err
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.org_endpoint_delete", Target: id,
			Detail: map[string]string{"url": ep.URL}})
	})
}

// RotateOrgEndpointSecret gives an endpoint a new signing secret and
// returns it (shown this once). The secret it replaces keeps signing for
// overlap (0: DefaultRotateOverlap; at most MaxRotateOverlap; a negative
// overlap stops it at once), so receivers can move without missing a
// delivery; a rotation during an overlap ends the older one.
func (s *Service) RotateOrgEndpointSecret(ctx context.Context, by domain.Actor, id string, overlap time.Duration) (OrgEndpointView, string, error) {
	switch {
	case overlap == 0:
		overlap = DefaultRotateOverlap
	case overlap > MaxRotateOverlap:
		return OrgEndpointView{}, "", domain.Invalid("overlap_seconds", "must be at most "+strconv.Itoa(int(MaxRotateOverlap/time.Second))+" (7 days)")
	}
	if !domain.ValidID(PrefixOrgEndpoint, id) {
		return OrgEndpointView{}, "", domain.ErrNotFound
	}
	secret := newEndpointSecret()
	sealed := s.o.Keyring.Seal([]byte(secret), []byte(id))
	var out OrgEndpointView
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		ep, err := tx.UpdateOrgWebhookEndpoint(ctx, by.OrgID, id, func(ep *domain.OrgWebhookEndpoint) error {
			ep.PreviousSealed, ep.PreviousUntil = nil, nil
			if overlap > 0 {
				until := now.Add(overlap)
				ep.PreviousSealed, ep.PreviousUntil = ep.SecretSealed, &until
			}
			ep.SecretSealed, ep.SecretCreatedAt, ep.UpdatedAt = sealed, now, now
			return nil
		})
		if err != nil {
			return err
		}
		detail := map[string]string{"overlap": "none"}
		if ep.PreviousUntil != nil {
			detail["overlap"], detail["previous_until"] = overlap.String(), ep.PreviousUntil.Format(time.RFC3339)
		}
		if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.org_endpoint_secret_rotate", Target: id, Detail: detail}); err != nil {
			return err
		}
		out, err = s.orgView(ctx, tx, ep)
		return err
	})
	if err != nil {
		return OrgEndpointView{}, "", err
	}
	return out, secret, nil
}

// OrgEndpointDeliveries returns a page of an endpoint's deliveries,
// newest first.
func (s *Service) OrgEndpointDeliveries(ctx context.Context, by domain.Actor, id string, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
	if _, err := getOrgEndpoint(ctx, s.o.Store, by.OrgID, id); err != nil {
		return nil, "", err
	}
	if !ValidStatus(f.Status) {
		return nil, "", domain.Invalid("status", "must be pending, delivered or failed")
	}
	return s.o.Store.ListEndpointWebhookMessages(ctx, by.OrgID, id, f)
}

func getOrgMessage(ctx context.Context, tx store.Data, org domain.OrgID, endpointID, id string) (domain.WebhookMessage, error) {
	if !domain.ValidID(PrefixOrgEndpoint, endpointID) || !domain.ValidID(PrefixMessage, id) {
		return domain.WebhookMessage{}, domain.ErrNotFound
	}
	m, err := tx.GetWebhookMessage(ctx, org, id)
	if err != nil {
		return m, err
	}
	if m.EndpointID != endpointID {
		return domain.WebhookMessage{}, domain.ErrNotFound
	}
	return m, nil
}

// OrgEndpointDelivery returns one delivery of an endpoint with its
// attempts.
func (s *Service) OrgEndpointDelivery(ctx context.Context, by domain.Actor, endpointID, id string) (Delivery, error) {
	m, err := getOrgMessage(ctx, s.o.Store, by.OrgID, endpointID, id)
	if err != nil {
		return Delivery{}, err
	}
	return deliveryOf(ctx, s.o.Store, m)
}

// RedeliverOrgEndpoint makes one delivery of an endpoint due now (as
// Redeliver); refused while the endpoint is disabled.
func (s *Service) RedeliverOrgEndpoint(ctx context.Context, by domain.Actor, endpointID, id string) (domain.WebhookMessage, error) {
	var m domain.WebhookMessage
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if m, err = getOrgMessage(ctx, tx, by.OrgID, endpointID, id); err != nil {
			return err
		}
		ep, err := tx.GetOrgWebhookEndpoint(ctx, by.OrgID, endpointID)
		if err != nil {
			return err
		}
		if ep.DisabledAt != nil {
			return domain.Conflict("the endpoint is disabled; enable it first (PATCH it with disabled: false, which can replay too)")
		}
		m, err = s.redeliverIn(ctx, tx, by, m, map[string]string{"endpoint_id": endpointID})
		return err
	})
	return m, err
}

// ReplayOrgEndpoint is Replay for an organisation endpoint.
func (s *Service) ReplayOrgEndpoint(ctx context.Context, by domain.Actor, endpointID string, since time.Time, all bool) (n int, more bool, err error) {
	if err := s.checkSince(since); err != nil {
		return 0, false, err
	}
	err = s.o.Store.InTx(ctx, func(tx store.Tx) error {
		ep, err := getOrgEndpoint(ctx, tx, by.OrgID, endpointID)
		if err != nil {
			return err
		}
		if ep.DisabledAt != nil {
			return domain.Conflict("the endpoint is disabled; enable it first (PATCH it with disabled: false, which can replay too)")
		}
		n, err = s.replayOrg(ctx, tx, by, ep, since, all)
		return err
	})
	return n, n == MaxReplay, err
}

func (s *Service) replayOrg(ctx context.Context, tx store.Tx, by domain.Actor, ep domain.OrgWebhookEndpoint, since time.Time, all bool) (int, error) {
	n, err := tx.ReplayEndpointWebhookMessages(ctx, ep.OrgID, ep.ID, since.UTC().Truncate(time.Microsecond), all, s.clock(), time.Second/ReplayRate, MaxReplay)
	if err != nil {
		return 0, err
	}
	return n, s.auditReplay(ctx, tx, by, ep.ID, since, all, n)
}

// DeleteOrgEndpointPayload is DeletePayload for an organisation endpoint's
// delivery.
func (s *Service) DeleteOrgEndpointPayload(ctx context.Context, by domain.Actor, endpointID, id string) (Delivery, error) {
	var d Delivery
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		m, err := getOrgMessage(ctx, tx, by.OrgID, endpointID, id)
		if err != nil {
			return err
		}
		d, err = s.deletePayloadIn(ctx, tx, by, m, map[string]string{"endpoint_id": endpointID})
		return err
	})
	return d, err
}
