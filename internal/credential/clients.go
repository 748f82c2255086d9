package credential

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// Limits on client fields.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 1000
	MaxScopes         = 100
	MaxScopeLen       = 200
	MaxURLLen         = 2000
)

// ClientInput creates a client.
type ClientInput struct {
	Name        string
	Description string
	Scopes      []string
	TokenTTL    int
	WebhookURL  string
	// WebhookEvents selects the events the endpoint receives (nil: all).
	WebhookEvents []string
}

// ClientPatch changes a client; nil fields stay as they are.
type ClientPatch struct {
	Name        *string
	Description *string
	Scopes      *[]string
	TokenTTL    *int
	WebhookURL  *string
	Disabled    *bool
	// WebhookEvents replaces the event selection (an empty list: all).
	WebhookEvents *[]string
}

func validText(v *domain.ValidationError, field, s string, required bool, max int) {
	v.Text(field, s, required, max)
}

// validScope implements RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScope(s string) bool {
	if s == "" || len(s) > MaxScopeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E {
			return false
		}
	}
	return true
}

func normalizeScopes(v *domain.ValidationError, scopes []string) []string {
	if len(scopes) > MaxScopes {
		v.Add("scopes", fmt.Sprintf("at most %d scopes", MaxScopes))
		return nil
	}
	out := make([]string, 0, len(scopes))
	seen := map[string]bool{}
	for _, sc := range scopes {
		if !validScope(sc) {
			v.Add("scopes", fmt.Sprintf("%q is not a valid scope (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes, at most %d characters)", sc, MaxScopeLen))
			continue
		}
		if !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	return out
}

func validTTL(v *domain.ValidationError, ttl int) {
	if ttl != 0 && (ttl < domain.MinTokenTTLSeconds || ttl > domain.MaxTokenTTLSeconds) {
		v.Add("token_ttl_seconds", fmt.Sprintf("must be 0 (the organisation's default) or between %d and %d", domain.MinTokenTTLSeconds, domain.MaxTokenTTLSeconds))
	}
}

func validURL(v *domain.ValidationError, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > MaxURLLen || u.User != nil {
		v.Add("webhook_url", "must be an absolute http(s) URL without credentials, at most 2000 characters")
	}
}

// checkWebhookURL adds the server's refusal of a well-formed webhook URL
// it will not deliver to (SSRF: plain http, private addresses).
func (s *Service) checkWebhookURL(v *domain.ValidationError, raw string) {
	if raw == "" || s.checkHook == nil || slices.ContainsFunc(v.Fields(), func(f domain.FieldError) bool { return f.Field == "webhook_url" }) {
		return
	}
	if err := s.checkHook(raw); err != nil {
		v.Add("webhook_url", err.Error())
	}
}

// CreateClient registers a client in the actor's organisation.
func (s *Service) CreateClient(ctx context.Context, by domain.Actor, in ClientInput) (domain.Client, error) {
	var v domain.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	validText(&v, "name", in.Name, true, MaxNameLen)
	validText(&v, "description", in.Description, false, MaxDescriptionLen)
	scopes := normalizeScopes(&v, in.Scopes)
	validTTL(&v, in.TokenTTL)
	validURL(&v, in.WebhookURL)
	s.checkWebhookURL(&v, in.WebhookURL)
	events := webhook.NormalizeEvents(&v, "webhook_events", in.WebhookEvents)
	if err := v.Err(); err != nil {
		return domain.Client{}, err
	}
	now := s.clock()
	c := domain.Client{
		ID: domain.NewClientID(), OrgID: by.OrgID, Name: in.Name, Description: in.Description,
		Scopes: scopes, TokenTTL: in.TokenTTL, WebhookURL: in.WebhookURL, CreatedAt: now, UpdatedAt: now,
		WebhookEvents: events,
	}
	// The notice drops a negative entry another node may hold for the ID.
	defer s.cache.Invalidate(c.ID)
	err := s.inTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateClient(ctx, c); err != nil {
			return fmt.Errorf("create client: %w", err)
		}
		if err := s.cache.announce(ctx, tx, c.ID); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "client.create", Target: string(c.ID),
			Detail: map[string]string{"name": c.Name}})
	})
	return c, err
}

// GetClient returns one client of the actor's organisation.
func (s *Service) GetClient(ctx context.Context, by domain.Actor, id domain.ClientID) (domain.Client, error) {
	return getClient(ctx, s.store, by.OrgID, id)
}

// getClient reads a client through tx; a malformed ID is not found
// without a store round trip.
func getClient(ctx context.Context, tx store.Data, org domain.OrgID, id domain.ClientID) (domain.Client, error) {
	if !id.Valid() {
		return domain.Client{}, domain.ErrNotFound
	}
	return tx.GetClient(ctx, org, id)
}

// ListClients returns a page of the organisation's clients.
func (s *Service) ListClients(ctx context.Context, by domain.Actor, page domain.Page) ([]domain.Client, string, error) {
	return s.store.ListClients(ctx, by.OrgID, page)
}

// SearchClients returns a page of the organisation's clients that q
// matches, in q's order, with their active secrets, next expiry and last
// use (two store reads, however many clients there are). q.Now is set
// here.
func (s *Service) SearchClients(ctx context.Context, by domain.Actor, q domain.ClientQuery) ([]domain.ClientSummary, string, error) {
	q.Now = s.clock()
	if q.UnusedDays > 0 {
		since := q.Now.AddDate(0, 0, -q.UnusedDays)
		q.UnusedSince = &since
	}
	switch q.Sort {
	case "", domain.SortCreated, domain.SortName, domain.SortLastUsed:
	default:
		return nil, "", domain.Invalid("sort", `must be "created", "name" or "last_used" (with "-" before it for descending order)`)
	}
	if len(q.Text) > MaxNameLen {
		return nil, "", domain.Invalid("q", fmt.Sprintf("must be at most %d characters", MaxNameLen))
	}
	return s.store.SearchClients(ctx, by.OrgID, q)
}

// UpdateClient applies p.
func (s *Service) UpdateClient(ctx context.Context, by domain.Actor, id domain.ClientID, p ClientPatch) (domain.Client, error) {
	defer s.cache.Invalidate(id)
	var v domain.ValidationError
	if p.Name != nil {
		*p.Name = strings.TrimSpace(*p.Name)
		validText(&v, "name", *p.Name, true, MaxNameLen)
	}
	if p.Description != nil {
		validText(&v, "description", *p.Description, false, MaxDescriptionLen)
	}
	var scopes []string
	if p.Scopes != nil {
		scopes = normalizeScopes(&v, *p.Scopes)
	}
	if p.TokenTTL != nil {
		validTTL(&v, *p.TokenTTL)
	}
	if p.WebhookURL != nil {
		validURL(&v, *p.WebhookURL)
		s.checkWebhookURL(&v, *p.WebhookURL)
	}
	var events []string
	if p.WebhookEvents != nil {
		events = webhook.NormalizeEvents(&v, "webhook_events", *p.WebhookEvents)
	}
	if err := s.missingFirst(ctx, by, id, v.Err()); err != nil {
		return domain.Client{}, err
	}
	if !id.Valid() {
		return domain.Client{}, domain.ErrNotFound
	}
	var c domain.Client
	err := s.inTx(ctx, func(tx store.Tx) error {
		var changed []domain.AuditChange
		var err error
		c, err = tx.UpdateClient(ctx, by.OrgID, id, func(c *domain.Client) error {
			changed = clientChanges(c, p, scopes, events)
			if len(changed) == 0 {
				return store.ErrNoChange
			}
			c.UpdatedAt = s.clock()
			return nil
		})
		if err != nil || len(changed) == 0 {
			return err
		}
		if err := s.cache.announce(ctx, tx, id); err != nil {
			return err
		}
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "client.update", Target: string(c.ID),
			Detail: map[string]string{"fields": audit.Fields(changed), "name": c.Name}, Changes: changed}); err != nil {
			return err
		}
		return s.events.Enqueue(ctx, tx, webhook.ClientUpdated(c, strings.Split(audit.Fields(changed), ",")))
	})
	return c, err
}

// clientChanges applies p (with scopes and events already normalised) to
// c and returns the fields that changed, before and after.
func clientChanges(c *domain.Client, p ClientPatch, scopes, events []string) []domain.AuditChange {
	var changed []domain.AuditChange
	note := func(field, before, after string) { changed = append(changed, audit.Change(field, before, after)) }
	if p.Name != nil && *p.Name != c.Name {
		note("name", c.Name, *p.Name)
		c.Name = *p.Name
	}
	if p.Description != nil && *p.Description != c.Description {
		note("description", c.Description, *p.Description)
		c.Description = *p.Description
	}
	if p.Scopes != nil && !slices.Equal(scopes, c.Scopes) {
		note("scopes", strings.Join(c.Scopes, " "), strings.Join(scopes, " "))
		c.Scopes = scopes
	}
	if p.TokenTTL != nil && *p.TokenTTL != c.TokenTTL {
		note("token_ttl_seconds", strconv.Itoa(c.TokenTTL), strconv.Itoa(*p.TokenTTL))
		c.TokenTTL = *p.TokenTTL
	}
	if p.WebhookURL != nil && *p.WebhookURL != c.WebhookURL {
		note("webhook_url", c.WebhookURL, *p.WebhookURL)
		c.WebhookURL = *p.WebhookURL
	}
	if p.Disabled != nil && *p.Disabled != c.Disabled {
		note("disabled", strconv.FormatBool(c.Disabled), strconv.FormatBool(*p.Disabled))
		c.Disabled = *p.Disabled
	}
	if p.WebhookEvents != nil && !slices.Equal(events, c.WebhookEvents) {
		note("webhook_events", strings.Join(c.WebhookEvents, ","), strings.Join(events, ","))
		c.WebhookEvents = events
	}
	return changed
}

// DeleteClient removes a client and every secret it holds.
func (s *Service) DeleteClient(ctx context.Context, by domain.Actor, id domain.ClientID) error {
	defer s.cache.Invalidate(id)
	return s.inTx(ctx, func(tx store.Tx) error {
		c, err := getClient(ctx, tx, by.OrgID, id)
		if err != nil {
			return err
		}
		if err := s.cache.announce(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.DeleteClient(ctx, by.OrgID, id); err != nil {
			return fmt.Errorf("delete client %s: %w", id, err)
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "client.delete", Target: string(id),
			Detail: map[string]string{"name": c.Name}})
	})
}

// ClientActivity lists the events about a client and everything it holds
// (its secrets, rotations, refresh tokens and webhook deliveries), newest
// first, as one index search (domain.AuditFilter.ClientID).
func (s *Service) ClientActivity(ctx context.Context, by domain.Actor, id domain.ClientID, f domain.AuditFilter) ([]domain.AuditEvent, string, error) {
	if _, err := getClient(ctx, s.store, by.OrgID, id); err != nil {
		return nil, "", err
	}
	f.ClientID = id
	return s.audit.List(ctx, by.OrgID, f)
}
