package webhook

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strconv"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/pkg/webhooksig"
)

// Standard Webhooks v1a signing keys. A client whose endpoint should carry
// asymmetric signatures gets an Ed25519 key generated here; from then on
// every attempt carries one "v1a," signature per active key next to the v1
// ones, and receivers verify with the published public key alone. Rotating
// overlaps like secrets: create the new key (both sign), move receivers to
// it, retire the old one.

// PrefixSigningKey starts a webhook signing key's ID.
const PrefixSigningKey = "whk_"

// MaxActiveSigningKeys is how many unretired signing keys a client may
// hold: enough for a rotation's overlap.
const MaxActiveSigningKeys = 3

// CreateSigningKey generates an Ed25519 signing key for a client's
// webhooks, its private key sealed with the keyring (the key's ID bound as
// associated data), and returns it; its public key is what receivers use.
func (s *Service) CreateSigningKey(ctx context.Context, by domain.Actor, clientID domain.ClientID) (domain.WebhookSigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return domain.WebhookSigningKey{}, err
	}
	k := domain.WebhookSigningKey{ID: domain.NewID(PrefixSigningKey), OrgID: by.OrgID, ClientID: clientID, PublicKey: pub, CreatedAt: s.clock()}
	k.Sealed = s.o.Keyring.Seal(priv.Seed(), []byte(k.ID))
	err = s.o.Store.InTx(ctx, func(tx store.Tx) error {
		if !clientID.Valid() {
			return domain.ErrNotFound
		}
		if _, err := tx.LockClient(ctx, by.OrgID, clientID); err != nil {
			return err
		}
		keys, err := tx.ListWebhookSigningKeys(ctx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		active := 0
		for _, x := range keys {
			if x.RetiredAt == nil {
				active++
			}
		}
		if active >= MaxActiveSigningKeys {
			return domain.Conflict("a client can hold at most " + strconv.Itoa(MaxActiveSigningKeys) + " active webhook signing keys; retire one first")
		}
		if err := tx.CreateWebhookSigningKey(ctx, k); err != nil {
			return err
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.signing_key_create", Target: k.ID,
			Detail: map[string]string{"client_id": string(clientID)}})
	})
	return k, err
}

// SigningKeys returns a client's signing keys, retired ones too, oldest
// first.
func (s *Service) SigningKeys(ctx context.Context, by domain.Actor, clientID domain.ClientID) ([]domain.WebhookSigningKey, error) {
	if _, err := getClient(ctx, s.o.Store, by.OrgID, clientID); err != nil {
		return nil, err
	}
	return s.o.Store.ListWebhookSigningKeys(ctx, by.OrgID, clientID)
}

// PublicSigningKeys returns the active signing keys of a client found by
// its public ID alone, for the unauthenticated key set receivers fetch.
// An unknown client is domain.ErrNotFound.
func (s *Service) PublicSigningKeys(ctx context.Context, clientID domain.ClientID) ([]domain.WebhookSigningKey, error) {
	if !clientID.Valid() {
		return nil, domain.ErrNotFound
	}
	c, err := s.o.Store.LookupClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	keys, err := s.o.Store.ListWebhookSigningKeys(ctx, c.OrgID, c.ID)
	if err != nil {
		return nil, err
	}
	out := keys[:0]
	for _, k := range keys {
		if k.RetiredAt == nil {
			out = append(out, k)
		}
	}
	return out, nil
}

// RetireSigningKey stops a signing key from signing; retiring a retired
// key is not an error.
func (s *Service) RetireSigningKey(ctx context.Context, by domain.Actor, clientID domain.ClientID, id string) (domain.WebhookSigningKey, error) {
	var out domain.WebhookSigningKey
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		if !clientID.Valid() || !domain.ValidID(PrefixSigningKey, id) {
			return domain.ErrNotFound
		}
		won, err := tx.RetireWebhookSigningKey(ctx, by.OrgID, clientID, id, s.clock())
		if err != nil {
			return err
		}
		keys, err := tx.ListWebhookSigningKeys(ctx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.ID == id {
				out = k
			}
		}
		if !won {
			return nil
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.signing_key_retire", Target: id,
			Detail: map[string]string{"client_id": string(clientID)}})
	})
	return out, err
}

// signingKeys returns the private keys of the client's active signing
// keys, oldest first.
func (s *Service) signingKeys(ctx context.Context, c domain.Client) ([]ed25519.PrivateKey, error) {
	keys, err := s.o.Store.ListWebhookSigningKeys(ctx, c.OrgID, c.ID)
	if err != nil {
		return nil, err
	}
	var out []ed25519.PrivateKey
	for _, k := range keys {
		if k.RetiredAt != nil {
			continue
		}
		seed, err := s.o.Keyring.Open(k.Sealed, []byte(k.ID))
		if err == nil && len(seed) != ed25519.SeedSize {
			err = errors.New("not an Ed25519 seed")
		}
		if err != nil {
			s.o.Log.Error("cannot open a webhook signing key; it is left out", "key_id", k.ID, "err", err)
			continue
		}
		out = append(out, ed25519.NewKeyFromSeed(seed))
	}
	return out, nil
}

// PublicKeyText is a signing key's public key in the Standard Webhooks
// form receivers take, "whpk_" + base64.
func PublicKeyText(k domain.WebhookSigningKey) string { return webhooksig.FormatPublicKey(k.PublicKey) }
