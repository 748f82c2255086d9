package credential

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// MaxActiveSecrets bounds how many secrets a client holds at once: enough
// for any rotation, few enough that verifying and signing stay cheap.
const MaxActiveSecrets = 10

// MaxSecretDescriptionLen bounds a secret's description.
const MaxSecretDescriptionLen = 200

// SecretInput adds a secret to a client.
type SecretInput struct {
	Description  string
	ExpiresAt    *time.Time // nil: the policy's maximum, unless NeverExpires
	NeverExpires bool
	Value        *string // nil: generate one
	// AllowedCIDRs restricts where the secret authenticates from.
	AllowedCIDRs []string
}

// SecretPatch edits a secret; nil fields stay as they are.
type SecretPatch struct {
	Description  *string
	ExpiresAt    *time.Time
	NeverExpires bool
	AllowedCIDRs *[]string
}

// NewSecret is a freshly created secret with its value, which exists only
// here and is shown once, and the client's "New" marker after it (NewID,
// see domain.NewestActive) at Now.
type NewSecret struct {
	Secret domain.Secret
	Value  secretvalue.Plaintext
	NewID  domain.SecretID
	Now    time.Time
}

// SecretView is one secret with its client's "New" marker at Now, as of
// the transaction that read or changed it.
type SecretView struct {
	Secret domain.Secret
	NewID  domain.SecretID
	Now    time.Time
}

// viewSecret completes x with its client's marker, read through tx.
func (s *Service) viewSecret(ctx context.Context, tx store.Data, x domain.Secret) (SecretView, error) {
	now := s.clock()
	active, err := tx.ListActiveSecrets(ctx, x.OrgID, x.ClientID, now)
	return SecretView{Secret: x, NewID: domain.NewestActive(active, now), Now: now}, err
}

// SecretList is a client's secrets with the one to show as "New".
type SecretList struct {
	Secrets []domain.Secret
	NewID   domain.SecretID
	Now     time.Time
	Next    string // the cursor of the next page; "" after the last
}

// ListSecrets returns a page of a client's secrets, oldest first, with
// the client's "New" marker (from its active secrets, a few at most).
func (s *Service) ListSecrets(ctx context.Context, by domain.Actor, clientID domain.ClientID, page domain.Page) (SecretList, error) {
	if _, err := getClient(ctx, s.store, by.OrgID, clientID); err != nil {
		return SecretList{}, err
	}
	secrets, next, err := s.store.PageSecrets(ctx, by.OrgID, clientID, page)
	if err != nil {
		return SecretList{}, err
	}
	now := s.clock()
	active, err := s.store.ListActiveSecrets(ctx, by.OrgID, clientID, now)
	if err != nil {
		return SecretList{}, err
	}
	return SecretList{Secrets: secrets, NewID: domain.NewestActive(active, now), Now: now, Next: next}, nil
}

// GetSecret returns one secret of a client.
func (s *Service) GetSecret(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.SecretID) (SecretView, error) {
	x, err := getSecret(ctx, s.store, by.OrgID, clientID, id)
	if err != nil {
		return SecretView{}, err
	}
	return s.viewSecret(ctx, s.store, x)
}

func getSecret(ctx context.Context, tx store.Data, org domain.OrgID, clientID domain.ClientID, id domain.SecretID) (domain.Secret, error) {
	if !id.Valid() || !clientID.Valid() {
		return domain.Secret{}, domain.ErrNotFound
	}
	x, err := tx.GetSecret(ctx, org, id)
	if err != nil {
		return x, err
	}
	if x.ClientID != clientID {
		return domain.Secret{}, domain.ErrNotFound
	}
	return x, nil
}

// MaxCIDRs bounds a secret's source restrictions.
const MaxCIDRs = 50

// normalizeCIDRs parses each entry as a network (or a single address) and
// returns them in canonical form.
func normalizeCIDRs(v *domain.ValidationError, cidrs []string) []string {
	if len(cidrs) > MaxCIDRs {
		v.Add("allowed_cidrs", fmt.Sprintf("at most %d networks", MaxCIDRs))
		return nil
	}
	var out []string
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(c))
			if aerr != nil {
				v.Add("allowed_cidrs", fmt.Sprintf("%q is not an IP network (e.g. 203.0.113.0/24 or 2001:db8::/32)", c))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		// allowedSource unmaps the client's address, so an IPv4-mapped
		// network (::ffff:10.0.0.0/104) is stored as the IPv4 one it means.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked().String())
	}
	return out
}

func validateSecretInput(in *SecretInput) (secretvalue.Plaintext, error) {
	var v domain.ValidationError
	validText(&v, "description", in.Description, true, MaxSecretDescriptionLen)
	in.AllowedCIDRs = normalizeCIDRs(&v, in.AllowedCIDRs)
	var value secretvalue.Plaintext
	if in.Value != nil {
		switch p, err := secretvalue.Supplied(*in.Value, secretvalue.MinSuppliedLength); {
		case err != nil:
			v.Add("value", err.Error()+" (leave it empty to generate one)")
		case strings.HasPrefix(*in.Value, secretvalue.PrefixClientSecret):
			v.Add("value", "values starting with "+secretvalue.PrefixClientSecret+" are reserved for generated secrets; leave it empty to generate one")
		default:
			value = p
		}
	}
	return value, v.Err()
}

// CreateSecret adds a secret to a client. The expiry must be within the
// organisation's policy for the actor's role.
func (s *Service) CreateSecret(ctx context.Context, by domain.Actor, clientID domain.ClientID, in SecretInput) (NewSecret, error) {
	defer s.cache.Invalidate(clientID)
	supplied, err := validateSecretInput(&in)
	if err := s.missingFirst(ctx, by, clientID, err); err != nil {
		return NewSecret{}, err
	}
	var out NewSecret
	err = s.inTx(ctx, func(tx store.Tx) error {
		var err error
		if out, err = s.createSecret(ctx, tx, by, clientID, in, supplied, "secret.create"); err != nil {
			return err
		}
		return s.cache.announce(ctx, tx, clientID)
	})
	return out, err
}

// createSecret adds a secret to a client in tx, holding the client's lock
// (store.Locks) while it counts the active secrets, so that racing creates
// cannot pass MaxActiveSecrets.
func (s *Service) createSecret(ctx context.Context, tx store.Tx, by domain.Actor, clientID domain.ClientID, in SecretInput, supplied secretvalue.Plaintext, action string) (NewSecret, error) {
	if !clientID.Valid() {
		return NewSecret{}, domain.ErrNotFound
	}
	c, err := tx.LockClient(ctx, by.OrgID, clientID)
	if err != nil {
		return NewSecret{}, err
	}
	org, err := tx.GetOrg(ctx, by.OrgID)
	if err != nil {
		return NewSecret{}, err
	}
	now := s.clock()
	expires, err := org.Policy.ResolveExpiry("expires_at", by.Role, now, in.ExpiresAt, in.NeverExpires)
	if err != nil {
		return NewSecret{}, err
	}
	// The active ones only (a few), not the client's whole history.
	existing, err := tx.ListActiveSecrets(ctx, by.OrgID, c.ID, now)
	if err != nil {
		return NewSecret{}, err
	}
	active := 0
	for _, x := range existing {
		if x.State(now) == domain.SecretActive {
			active++
		}
	}
	if active >= MaxActiveSecrets {
		return NewSecret{}, domain.Conflict(fmt.Sprintf("a client can hold at most %d active secrets; revoke one first", MaxActiveSecrets))
	}
	x := domain.Secret{
		ID: domain.NewSecretID(), OrgID: by.OrgID, ClientID: c.ID,
		Description: in.Description, CreatedAt: now, CreatedBy: by.ID, ExpiresAt: expires,
		AllowedCIDRs: in.AllowedCIDRs,
	}
	value := supplied
	if value.IsZero() {
		value = secretvalue.Generate(secretvalue.PrefixClientSecret)
		x.Origin, x.Verifier, x.Digest = domain.OriginGenerated, secretvalue.Verifier(s.verifierKey, value), secretvalue.Digest(value)
	} else {
		x.Origin, x.Hash = domain.OriginSupplied, secretvalue.HashSupplied(value)
	}
	x.Hint = value.Hint()
	x.Sealed = s.keys.Seal([]byte(value.Reveal()), []byte(x.ID))
	if err := tx.CreateSecret(ctx, x); err != nil {
		return NewSecret{}, fmt.Errorf("create secret: %w", err)
	}
	detail := map[string]string{"client_id": string(c.ID), "origin": string(x.Origin), "expires_at": formatExpiry(x.ExpiresAt)}
	if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: action, Target: string(x.ID), Detail: detail}); err != nil {
		return NewSecret{}, err
	}
	if err := s.events.Enqueue(ctx, tx, webhook.SecretCreated(x)); err != nil {
		return NewSecret{}, err
	}
	return NewSecret{Secret: x, Value: value, NewID: domain.NewestActive(append(existing, x), now), Now: now}, nil
}

func tokenMode(keep bool) string {
	if keep {
		return "kept until they expire"
	}
	return "revoked"
}

func formatExpiry(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// UpdateSecret edits a secret's description and expiry. Only an active
// secret's expiry can change, and only within policy: an expired or revoked
// secret never comes back.
func (s *Service) UpdateSecret(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.SecretID, p SecretPatch) (SecretView, error) {
	defer s.cache.Invalidate(clientID)
	var v domain.ValidationError
	if p.Description != nil {
		validText(&v, "description", *p.Description, true, MaxSecretDescriptionLen)
	}
	var cidrs []string
	if p.AllowedCIDRs != nil {
		cidrs = normalizeCIDRs(&v, *p.AllowedCIDRs)
	}
	if _, err := getSecret(ctx, s.store, by.OrgID, clientID, id); err != nil {
		return SecretView{}, err // another client's secret is not found
	}
	if err := v.Err(); err != nil {
		return SecretView{}, err
	}
	org, err := s.store.GetOrg(ctx, by.OrgID)
	if err != nil {
		return SecretView{}, err
	}
	var out SecretView
	err = s.inTx(ctx, func(tx store.Tx) error {
		var changed []domain.AuditChange
		note := func(field, before, after string) { changed = append(changed, audit.Change(field, before, after)) }
		x, err := tx.UpdateSecret(ctx, by.OrgID, id, func(x *domain.Secret) error {
			changed = nil
			now := s.clock()
			if p.ExpiresAt != nil || p.NeverExpires {
				if x.State(now) != domain.SecretActive {
					return domain.Conflict("the secret has expired; an expired secret never comes back — add a new one")
				}
				exp, err := org.Policy.ResolveExpiry("expires_at", by.Role, now, p.ExpiresAt, p.NeverExpires)
				if err != nil {
					return err
				}
				note("expires_at", formatExpiry(x.ExpiresAt), formatExpiry(exp))
				x.ExpiresAt = exp
			}
			if p.Description != nil && *p.Description != x.Description {
				note("description", x.Description, *p.Description)
				x.Description = *p.Description
			}
			if p.AllowedCIDRs != nil && strings.Join(cidrs, ",") != strings.Join(x.AllowedCIDRs, ",") {
				note("allowed_cidrs", strings.Join(x.AllowedCIDRs, ","), strings.Join(cidrs, ","))
				x.AllowedCIDRs = cidrs
			}
			if len(changed) == 0 {
				return store.ErrNoChange
			}
			return nil
		})
		if err != nil {
			return err
		}
		if out, err = s.viewSecret(ctx, tx, x); err != nil || len(changed) == 0 {
			return err
		}
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "secret.update", Target: string(x.ID),
			Detail:  map[string]string{"client_id": string(clientID), "fields": audit.Fields(changed), "expires_at": formatExpiry(x.ExpiresAt)},
			Changes: changed})
	})
	return out, err
}

// RevokeSecret revokes one secret at once. With keepTokens the access
// tokens it minted run out on their own (graceful); without, they stop
// working now (breach). Revoking a revoked secret is not an error, so a
// retried request is harmless.
func (s *Service) RevokeSecret(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.SecretID, keepTokens bool) (SecretView, error) {
	defer s.cache.Invalidate(clientID)
	var out SecretView
	err := s.inTx(ctx, func(tx store.Tx) error {
		x, err := getSecret(ctx, tx, by.OrgID, clientID, id)
		if err != nil {
			return err
		}
		if x.RevokedAt != nil {
			out, err = s.viewSecret(ctx, tx, x)
			return err
		}
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		now := s.clock()
		revoked, err := tx.RevokeSecret(ctx, by.OrgID, id, now, keepTokens)
		if err != nil {
			return fmt.Errorf("revoke secret %s: %w", id, err)
		}
		if !revoked { // a concurrent revocation came first: it audited
			if x, err = tx.GetSecret(ctx, by.OrgID, id); err != nil {
				return err
			}
			out, err = s.viewSecret(ctx, tx, x)
			return err
		}
		x.RevokedAt, x.KeepTokens = &now, keepTokens
		if out, err = s.viewSecret(ctx, tx, x); err != nil {
			return err
		}
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "secret.revoke", Target: string(id),
			Detail: map[string]string{"client_id": string(clientID), "tokens": tokenMode(keepTokens)}}); err != nil {
			return err
		}
		return s.events.Enqueue(ctx, tx, webhook.SecretRevoked(x, webhook.ReasonRevoked))
	})
	return out, err
}

// RotateInput starts a rotation.
type RotateInput struct {
	Description string
	ExpiresAt   *time.Time
	// GraceSeconds, when set, makes every previously active secret expire
	// that many seconds from now (or earlier, if it already would).
	GraceSeconds *int
	// AutoComplete revokes the old secrets by itself once they are idle:
	// the new secret has authenticated and no old one was used for
	// QuietSeconds.
	AutoComplete bool
	QuietSeconds *int // default DefaultQuietSeconds
	// KeepTokens is the revocation mode when the rotation completes.
	KeepTokens bool
	// Replace abandons a rotation that is still open instead of refusing:
	// its new secret is revoked (it never became what callers use, or the
	// operator says so), and the rotation starts from the secrets before it.
	Replace bool
}

// Rotation quiet-period limits.
const (
	DefaultQuietSeconds = 3600
	MaxQuietSeconds     = 30 * 24 * 3600
)

// RotationResult is the result of Rotate.
type RotationResult struct {
	Rotation RotationView
	New      NewSecret
	// Previous are the secrets that were active before, as they are now.
	Previous []domain.Secret
}

// Rotate adds a new secret, optionally schedules the previous active
// secrets to expire after a grace period, and records the rotation so that
// its progress can be followed, all in one transaction.
func (s *Service) Rotate(ctx context.Context, by domain.Actor, clientID domain.ClientID, in RotateInput) (RotationResult, error) {
	defer s.cache.Invalidate(clientID)
	named := in.Description != ""
	var v domain.ValidationError
	if named {
		validText(&v, "description", in.Description, true, MaxSecretDescriptionLen)
	}
	if in.GraceSeconds != nil && (*in.GraceSeconds < 0 || *in.GraceSeconds > domain.MaxLifetimeDaysLimit*86400) {
		v.Add("grace_seconds", fmt.Sprintf("must be between 0 and %d", domain.MaxLifetimeDaysLimit*86400))
	}
	quiet := DefaultQuietSeconds
	if in.QuietSeconds != nil {
		quiet = *in.QuietSeconds
		if quiet < 0 || quiet > MaxQuietSeconds {
			v.Add("quiet_seconds", fmt.Sprintf("must be between 0 and %d", MaxQuietSeconds))
		}
	}
	if err := s.missingFirst(ctx, by, clientID, v.Err()); err != nil {
		return RotationResult{}, err
	}
	if !clientID.Valid() {
		return RotationResult{}, domain.ErrNotFound
	}
	var out RotationResult
	err := s.inTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		// Locks in order: the client, its old secrets, then (createSecret)
		// the audit chain.
		if _, err := tx.LockClient(ctx, by.OrgID, clientID); err != nil {
			return err
		}
		before, err := tx.ListActiveSecrets(ctx, by.OrgID, clientID, now)
		if err != nil {
			return err
		}
		slices.SortFunc(before, func(a, b domain.Secret) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(string(a.ID), string(b.ID))
		})
		if in.Replace {
			gone, err := s.abandonOpenRotations(ctx, tx, by, clientID, before, now)
			if err != nil {
				return err
			}
			before = slices.DeleteFunc(before, func(x domain.Secret) bool { return gone[x.ID] })
		}
		desc, err := rotationDescription(in.Description, named, before, now)
		if err != nil {
			return err
		}
		out.Previous = nil
		var oldIDs []domain.SecretID
		var scheduled []domain.Secret
		for _, x := range before {
			if x.State(now) != domain.SecretActive {
				continue
			}
			oldIDs = append(oldIDs, x.ID)
			if in.GraceSeconds != nil {
				end := now.Add(time.Duration(*in.GraceSeconds) * time.Second)
				x, err = tx.UpdateSecret(ctx, by.OrgID, x.ID, func(x *domain.Secret) error {
					if x.ExpiresAt != nil && !x.ExpiresAt.After(end) {
						return store.ErrNoChange
					}
					x.ExpiresAt = &end
					scheduled = append(scheduled, *x)
					return nil
				})
				if err != nil {
					return fmt.Errorf("schedule expiry of %s: %w", x.ID, err)
				}
			}
			out.Previous = append(out.Previous, x)
		}
		out.New, err = s.createSecret(ctx, tx, by, clientID, SecretInput{Description: desc, ExpiresAt: in.ExpiresAt}, secretvalue.Plaintext{}, "secret.rotate")
		if err != nil {
			return err
		}
		// After the input's checks (a bad input is a 422 whatever the
		// state); the conflict rolls the new secret back with the rest.
		if err := openRotation(ctx, tx, by.OrgID, clientID, before, now); err != nil {
			return err
		}
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		for _, x := range scheduled {
			if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "secret.schedule_expiry", Target: string(x.ID),
				Detail: map[string]string{"client_id": string(clientID), "expires_at": formatExpiry(x.ExpiresAt), "grace_seconds": strconv.Itoa(*in.GraceSeconds)}}); err != nil {
				return err
			}
		}
		r := domain.Rotation{
			ID: domain.NewRotationID(), OrgID: by.OrgID, ClientID: clientID, NewSecretID: out.New.Secret.ID,
			OldSecretIDs: oldIDs, StartedAt: now, StartedBy: by.ID, AutoComplete: in.AutoComplete, QuietSeconds: quiet,
			KeepTokens: in.KeepTokens,
		}
		if r.OldSecretIDs == nil {
			r.OldSecretIDs = []domain.SecretID{}
		}
		if err := tx.CreateRotation(ctx, r); err != nil {
			return fmt.Errorf("record rotation: %w", err)
		}
		out.Rotation, err = s.view(ctx, tx, r)
		return err
	})
	return out, err
}

// openRotation refuses a second rotation while one is open: its new
// secret would list the first rotation's new secret as "old", and retiring
// "the old secret" would break the callers that already moved. The client
// is locked, so two racing rotations cannot both pass. Since no rotation
// starts while another is open, an open one is among the newest: one page
// of them is enough, however long the client's history.
func openRotation(ctx context.Context, tx store.Tx, org domain.OrgID, clientID domain.ClientID, secrets []domain.Secret, now time.Time) error {
	list, _, err := tx.ListRotations(ctx, org, clientID, domain.Page{Limit: domain.MaxLimit})
	if err != nil {
		return err
	}
	byID := make(map[domain.SecretID]domain.Secret, len(secrets))
	for _, x := range secrets {
		byID[x.ID] = x
	}
	for _, r := range list {
		switch r.State(now, byID) {
		case domain.RotationCompleted, domain.RotationAbandoned:
			continue
		}
		return domain.Conflict(fmt.Sprintf("rotation %s, started %s, is still open: complete it (revoke the old secret) before starting another, or replace it (\"replace\": true abandons it and revokes its new secret)",
			r.ID, r.StartedAt.UTC().Format(time.RFC3339)))
	}
	return nil
}

// abandonOpenRotations abandons the client's open rotations for a
// replacing one: each one's new secret is revoked with its tokens, audited
// (rotation.abandon) and announced (secret.revoked, reason
// rotation_replaced). It returns the secrets it revoked.
func (s *Service) abandonOpenRotations(ctx context.Context, tx store.Tx, by domain.Actor, clientID domain.ClientID, secrets []domain.Secret, now time.Time) (map[domain.SecretID]bool, error) {
	list, _, err := tx.ListRotations(ctx, by.OrgID, clientID, domain.Page{Limit: domain.MaxLimit})
	if err != nil {
		return nil, err
	}
	byID := make(map[domain.SecretID]domain.Secret, len(secrets))
	for _, x := range secrets {
		byID[x.ID] = x
	}
	gone := map[domain.SecretID]bool{}
	for _, r := range list {
		switch r.State(now, byID) {
		case domain.RotationCompleted, domain.RotationAbandoned:
			continue
		}
		x, ok := byID[r.NewSecretID]
		if !ok {
			continue
		}
		if _, err := tx.RevokeSecret(ctx, by.OrgID, x.ID, now, false); err != nil {
			return nil, err
		}
		x.RevokedAt, x.KeepTokens = &now, false
		gone[x.ID] = true
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "rotation.abandon", Target: string(r.ID),
			Detail: map[string]string{"client_id": string(clientID), "new_secret_id": string(x.ID), "reason": "replaced by a new rotation"}}); err != nil {
			return nil, err
		}
		if err := s.events.Enqueue(ctx, tx, webhook.SecretRevoked(x, webhook.ReasonRotationReplaced)); err != nil {
			return nil, err
		}
	}
	return gone, nil
}

// rotationDescription is the new secret's description: the caller's,
// which must differ from every active secret's, or "Rotated" and the time,
// numbered when another secret of the client is already called that.
func rotationDescription(desc string, named bool, secrets []domain.Secret, now time.Time) (string, error) {
	taken := make(map[string]bool, len(secrets))
	for _, x := range secrets {
		if named {
			if x.State(now) == domain.SecretActive && strings.EqualFold(x.Description, desc) {
				return "", domain.Invalid("description", "an active secret of this client is already called that; choose a name that tells the new one apart")
			}
			continue
		}
		taken[strings.ToLower(x.Description)] = true
	}
	if named {
		return desc, nil
	}
	base := "Rotated " + now.UTC().Format("02/01/2006 15:04 UTC")
	desc = base
	for n := 2; taken[strings.ToLower(desc)]; n++ {
		desc = fmt.Sprintf("%s (%d)", base, n)
	}
	return desc, nil
}

// RevokeAll revokes every secret of a client at once, in one transaction:
// the breach response. It returns how many secrets it revoked.
//
// Every access token the client was issued up to now, and every refresh
// token it holds, stops working too, and so do its public keys
// (private_key_jwt): revoked with the secrets.
func (s *Service) RevokeAll(ctx context.Context, by domain.Actor, clientID domain.ClientID) (int, error) {
	defer s.cache.Invalidate(clientID)
	var n int
	if !clientID.Valid() {
		return 0, domain.ErrNotFound
	}
	err := s.inTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		// The client's lock comes first: a racing create waits, then sees
		// its secrets revoked-all (or comes after and survives, as a secret
		// created after the breach response should).
		if _, err := tx.UpdateClient(ctx, by.OrgID, clientID, func(c *domain.Client) error {
			c.TokensRevokedAt, c.UpdatedAt = &now, now
			return nil
		}); err != nil {
			return err
		}
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		before, err := tx.ListSecrets(ctx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		if n, err = tx.RevokeClientSecrets(ctx, by.OrgID, clientID, now); err != nil {
			return fmt.Errorf("revoke all secrets of %s: %w", clientID, err)
		}
		// The client's public keys (private_key_jwt) are credentials too.
		keys, err := tx.ListClientKeys(ctx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		nKeys, err := tx.RevokeClientKeys(ctx, by.OrgID, clientID, now)
		if err != nil {
			return fmt.Errorf("revoke all keys of %s: %w", clientID, err)
		}
		refresh, err := tx.RevokeClientRefreshTokens(ctx, by.OrgID, clientID, now, domain.RefreshRevokeAll)
		if err != nil {
			return fmt.Errorf("revoke refresh tokens of %s: %w", clientID, err)
		}
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "client.revoke_all", Target: string(clientID),
			Detail: map[string]string{"revoked": strconv.Itoa(n), "keys_revoked": strconv.Itoa(nKeys),
				"refresh_tokens_revoked": strconv.Itoa(refresh), "access_tokens": "revoked"}}); err != nil {
			return err
		}
		events := webhook.SecretsRevoked(before, now, webhook.ReasonRevokeAll)
		for _, k := range keys {
			if k.RevokedAt == nil {
				k.RevokedAt = &now
				events = append(events, webhook.KeyRevoked(k, webhook.ReasonRevokeAll))
			}
		}
		return s.events.Enqueue(ctx, tx, events...)
	})
	return n, err
}
