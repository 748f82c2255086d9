package credential

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// cacheTTL bounds how long a cached client may be stale when a change
// notice from another node was missed (see ApplyChange). On this node every
// change invalidates its entry at once.
const cacheTTL = 5 * time.Second

// Change notices on store.ChangesChannel that concern the cache.
const (
	changeClient = "client:" // + client ID: the client or its secrets changed
	changeOrg    = "org:"    // + organisation ID: its policy or a user changed
)

// clientEntry is what the token path needs to know about one client.
type clientEntry struct {
	client     domain.Client
	secrets    []domain.Secret
	byVerifier map[string]int // string(verifier) → index in secrets
	orgTTL     int            // the organisation's default token lifetime
	policy     domain.Policy
	owner      *domain.User // for a personal credential
	loaded     time.Time

	mu sync.Mutex
	// suppliedOK maps the keyed hash of a supplied value that passed
	// argon2id to its secret, so that only the first use pays for it.
	suppliedOK map[string]domain.SecretID
}

// cache holds clients and their secrets for Authenticate and token
// introspection. A generation counter per client, and one for the whole
// cache, stop a load that raced with an invalidation from storing stale
// data.
type cache struct {
	store   store.Store
	mu      sync.RWMutex
	entries map[domain.ClientID]*clientEntry
	gen     map[domain.ClientID]uint64
	epoch   uint64 // moves on invalidations wider than one client
	group   singleflight.Group
	now     func() time.Time
	memoKey []byte // per-process key for suppliedOK
}

func newCache(s store.Store, now func() time.Time) *cache {
	key := make([]byte, 32)
	rand.Read(key)
	return &cache{store: s, entries: map[domain.ClientID]*clientEntry{}, gen: map[domain.ClientID]uint64{}, now: now, memoKey: key}
}

// Invalidate drops a client's entry; the next use reloads it.
func (c *cache) Invalidate(clientID domain.ClientID) {
	c.mu.Lock()
	delete(c.entries, clientID)
	c.gen[clientID]++
	c.mu.Unlock()
}

// InvalidateOrg drops every entry of an organisation (its policy changed).
// Loads under way may be of the organisation's clients, so none of them
// stores its result.
func (c *cache) InvalidateOrg(org domain.OrgID) {
	c.mu.Lock()
	for id, e := range c.entries {
		if e.client.OrgID == org {
			delete(c.entries, id)
			c.gen[id]++
		}
	}
	c.epoch++
	c.mu.Unlock()
}

// invalidateAll drops every entry; no load under way stores its result.
func (c *cache) invalidateAll() {
	c.mu.Lock()
	c.entries = map[domain.ClientID]*clientEntry{}
	c.gen = map[domain.ClientID]uint64{}
	c.epoch++
	c.mu.Unlock()
}

// announce tells every node, this one too, through tx that clientID
// changed: each drops the client's entry once tx commits, and none hears of
// it if tx rolls back. The caller still invalidates the entry here after
// the change, so that this node never waits for the notice.
func (c *cache) announce(ctx context.Context, tx store.Notifier, clientID domain.ClientID) error {
	return tx.Notify(ctx, store.ChangesChannel, changeClient+string(clientID))
}

// OrgChanged drops an organisation's clients from the cache on every node,
// this one at once: for a change already committed (a policy or a user
// changed), which account.Service reports after its transaction. A notice
// that cannot be sent leaves the other nodes to the cache lifetime.
func (s *Service) OrgChanged(org domain.OrgID) {
	s.cache.InvalidateOrg(org)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.store.Notify(ctx, store.ChangesChannel, changeOrg+string(org))
}

// ApplyChange applies a notice from store.ChangesChannel: it drops the
// client or the organisation's clients that the notice names, and every
// entry on "" (the listener started listening, so notices may have been
// missed). It ignores other notices.
func (s *Service) ApplyChange(payload string) {
	switch {
	case payload == "":
		s.cache.invalidateAll()
	case strings.HasPrefix(payload, changeClient):
		s.cache.Invalidate(domain.ClientID(strings.TrimPrefix(payload, changeClient)))
	case strings.HasPrefix(payload, changeOrg):
		s.cache.InvalidateOrg(domain.OrgID(strings.TrimPrefix(payload, changeOrg)))
	}
}

// get returns the entry for clientID, loading it when missing or stale.
func (c *cache) get(ctx context.Context, clientID domain.ClientID) (*clientEntry, error) {
	c.mu.RLock()
	e := c.entries[clientID]
	gen, epoch := c.gen[clientID], c.epoch
	c.mu.RUnlock()
	if e != nil && c.now().Sub(e.loaded) < cacheTTL {
		return e, nil
	}
	v, err, _ := c.group.Do(string(clientID), func() (any, error) {
		e, err := c.load(ctx, clientID)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen[clientID] == gen && c.epoch == epoch {
			c.entries[clientID] = e
		}
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*clientEntry), nil
}

func (c *cache) load(ctx context.Context, clientID domain.ClientID) (*clientEntry, error) {
	cl, err := c.store.LookupClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	org, err := c.store.GetOrg(ctx, cl.OrgID)
	if err != nil {
		return nil, err
	}
	secrets, err := c.store.ListSecrets(ctx, cl.OrgID, clientID)
	if err != nil {
		return nil, err
	}
	e := &clientEntry{client: cl, secrets: secrets, byVerifier: map[string]int{}, orgTTL: org.Policy.AccessTokenTTLSeconds,
		policy: org.Policy, loaded: c.now(), suppliedOK: map[string]domain.SecretID{}}
	if cl.OwnerUserID != "" {
		u, err := c.store.GetUser(ctx, cl.OrgID, cl.OwnerUserID)
		if err != nil {
			return nil, err
		}
		e.owner = &u
	}
	for i, s := range secrets {
		if s.Verifier != nil {
			e.byVerifier[string(s.Verifier)] = i
		}
	}
	return e, nil
}

func (c *cache) memo(value string) string {
	m := hmac.New(sha256.New, c.memoKey)
	m.Write([]byte(value))
	return string(m.Sum(nil))
}

// ownerRefusal says why a personal credential may not be used now ("" if
// it may): the user's status and the organisation's policy switches are
// checked on every use, so changing them takes effect at once.
func (e *clientEntry) ownerRefusal() string {
	u := e.owner
	switch {
	case u == nil:
		return ""
	case u.DisabledAt != nil:
		return "the credential's user is disabled"
	case e.policy.PersonalCredentials == domain.CredentialsSuperAdmins && u.Role != domain.RoleSuperAdmin:
		return "the organisation allows personal credentials for super admins only"
	case e.policy.RefuseCredentialsWithMFA && u.MFAEnabled:
		return "the organisation refuses personal credentials of users with MFA on"
	}
	return ""
}

// secret returns the secret with id from the entry.
func (e *clientEntry) secret(id domain.SecretID) (domain.Secret, bool) {
	for _, s := range e.secrets {
		if s.ID == id {
			return s, true
		}
	}
	return domain.Secret{}, false
}
