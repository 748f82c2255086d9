package credential

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// DefaultCacheBytes is the client cache's memory budget when none is
// configured: about 200,000 clients with one or two secrets each.
const DefaultCacheBytes = 256 << 20

// loadTimeout bounds one cache load. The load is shared by every request
// waiting for the same client, so it runs on a context of its own that no
// single caller's hang-up cancels.
const loadTimeout = 10 * time.Second

// Change notices on store.ChangesChannel that concern the cache.
const (
	changeClient = "client:" // + client ID: the client or its secrets changed
	changeOrg    = "org:"    // + organisation ID: its policy or a user changed
)

// Sizes the cache charges against its budget besides the entries'
// strings: a rough upper bound of the structs, map slots and list
// elements, measured with runtime.MemStats on amd64 (TestCacheEntrySize).
const (
	entryOverhead    = 640 // clientEntry, domain.Client, map slot, list element
	secretOverhead   = 320 // domain.Secret
	keyOverhead      = 640 // domain.ClientKey, parsedKey and its public key struct
	negativeOverhead = 160 // map slot and list element of an unknown ID
)

// clientEntry is what the token path needs to know about one client.
type clientEntry struct {
	client  domain.Client
	secrets []domain.Secret
	keys    []domain.ClientKey // private_key_jwt, oldest first
	parsed  []parsedKey        // keys[i] ready to verify (parsed once, at load)
	orgTTL  int                // the organisation's default token lifetime
	policy  domain.Policy
	owner   *domain.User // for a personal credential

	size int64
	elem *list.Element // in cache.order
	// ref is set by every use and cleared by the eviction hand, which
	// evicts only entries not used since it last passed (CLOCK).
	ref atomic.Bool

	mu sync.Mutex
	// suppliedOK maps the keyed hash of a supplied value that passed
	// argon2id to its secret, so that only the first use pays for it.
	suppliedOK map[string]domain.SecretID
}

// loadState marks a load under way; an invalidation sets stale so that
// the load does not store what it read before the change.
type loadState struct{ stale bool }

// cache holds clients and their secrets for Authenticate and token
// introspection, within a memory budget, evicting the least recently used
// (CLOCK: a use sets a bit, the hand spares an entry once). Entries have no
// lifetime: every change drops its entry on every node (ApplyChange), and
// a listener that may have missed notices drops them all. Unknown client
// IDs are remembered too (bounded, oldest out first), so that they cost no
// store read each time.
type cache struct {
	store  store.Store
	budget int64
	maxNeg int

	mu       sync.RWMutex
	entries  map[domain.ClientID]*clientEntry
	order    *list.List // of *clientEntry, the CLOCK ring
	size     int64
	negative map[domain.ClientID]*list.Element
	negOrder *list.List // of domain.ClientID, oldest first
	loads    map[domain.ClientID]*loadState

	group   singleflight.Group
	memoKey []byte // per-process key for suppliedOK

	hits, misses, evictions atomic.Int64
}

func newCache(s store.Store, budget int64) *cache {
	if budget <= 0 {
		budget = DefaultCacheBytes
	}
	key := make([]byte, 32)
	rand.Read(key)
	// Unknown IDs may take an eighth of the budget.
	maxNeg := max(int(budget/8/negativeOverhead), 64)
	c := &cache{store: s, budget: budget, maxNeg: maxNeg, memoKey: key}
	c.reset()
	return c
}

// reset empties the cache; c.mu is held or c is new.
func (c *cache) reset() {
	c.entries = map[domain.ClientID]*clientEntry{}
	c.order = list.New()
	c.size = 0
	c.negative = map[domain.ClientID]*list.Element{}
	c.negOrder = list.New()
	if c.loads == nil {
		c.loads = map[domain.ClientID]*loadState{}
	}
}

// Invalidate drops a client's entry (or its negative entry); the next use
// reloads it, and a load under way stores nothing.
func (c *cache) Invalidate(clientID domain.ClientID) {
	c.mu.Lock()
	if e := c.entries[clientID]; e != nil {
		c.removeLocked(e)
	}
	if el := c.negative[clientID]; el != nil {
		c.negOrder.Remove(el)
		delete(c.negative, clientID)
	}
	c.staleLocked(clientID)
	c.mu.Unlock()
}

// InvalidateOrg drops every entry of an organisation (its policy changed).
// Loads under
// way may be of the organisation's clients, so none of them stores its
// result.
func (c *cache) InvalidateOrg(org domain.OrgID) {
	c.mu.Lock()
	for _, e := range c.entries {
		if e.client.OrgID == org {
			c.removeLocked(e)
		}
	}
	for id := range c.loads {
		c.staleLocked(id)
	}
	c.mu.Unlock()
}

// forgetUnknown drops every negative entry (clients were imported).
func (c *cache) forgetUnknown() {
	c.mu.Lock()
	c.negative = map[domain.ClientID]*list.Element{}
	c.negOrder = list.New()
	c.mu.Unlock()
}

// invalidateAll drops every entry; no load under way stores its result.
func (c *cache) invalidateAll() {
	c.mu.Lock()
	c.reset()
	for id := range c.loads {
		c.staleLocked(id)
	}
	c.mu.Unlock()
}

// staleLocked marks a load of clientID under way stale and makes later
// callers start a load of their own rather than wait for it.
func (c *cache) staleLocked(clientID domain.ClientID) {
	if st := c.loads[clientID]; st != nil {
		st.stale = true
		delete(c.loads, clientID)
		c.group.Forget(string(clientID))
	}
}

func (c *cache) removeLocked(e *clientEntry) {
	delete(c.entries, e.client.ID)
	c.order.Remove(e.elem)
	c.size -= e.size
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
// that cannot be sent leaves the other nodes to the next listener restart
// or reload.
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
	case payload == changeImported:
		s.cache.forgetUnknown()
	}
}

// CacheStats are the client cache's figures since start.
type CacheStats struct {
	Entries, Negative       int
	Bytes, Budget           int64
	Hits, Misses, Evictions int64
}

// CacheStats reports the client cache's size and counters.
func (s *Service) CacheStats() CacheStats {
	c := s.cache
	c.mu.RLock()
	defer c.mu.RUnlock()
	return CacheStats{Entries: len(c.entries), Negative: len(c.negative), Bytes: c.size, Budget: c.budget,
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
}

// get returns the entry for clientID, loading it when missing, or
// domain.ErrNotFound for an unknown client. The load is shared with every
// caller asking for the same client meanwhile, and runs to its end even
// when the caller that started it hangs up (ctx only bounds this caller's
// wait).
func (c *cache) get(ctx context.Context, clientID domain.ClientID) (*clientEntry, error) {
	c.mu.RLock()
	e := c.entries[clientID]
	_, unknown := c.negative[clientID]
	c.mu.RUnlock()
	if e != nil {
		e.ref.Store(true)
		c.hits.Add(1)
		return e, nil
	}
	if unknown {
		c.hits.Add(1)
		return nil, domain.ErrNotFound
	}
	c.misses.Add(1)
	loadCtx := context.WithoutCancel(ctx)
	ch := c.group.DoChan(string(clientID), func() (any, error) { return c.fill(loadCtx, clientID) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*clientEntry), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fill loads clientID and stores the entry (or its absence) unless an
// invalidation came meanwhile.
func (c *cache) fill(ctx context.Context, clientID domain.ClientID) (*clientEntry, error) {
	st := &loadState{}
	c.mu.Lock()
	c.loads[clientID] = st
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	e, err := c.load(ctx, clientID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loads[clientID] == st {
		delete(c.loads, clientID)
	}
	switch {
	case st.stale:
	case errors.Is(err, domain.ErrNotFound):
		c.addNegativeLocked(clientID)
	case err == nil:
		c.addLocked(e)
	}
	return e, err
}

func (c *cache) addLocked(e *clientEntry) {
	if old := c.entries[e.client.ID]; old != nil {
		c.removeLocked(old)
	}
	e.elem = c.order.PushBack(e)
	c.entries[e.client.ID] = e
	c.size += e.size
	// The hand: spare a used entry once (moving it behind the others), evict
	// an unused one. Two turns at most clear every bit.
	for c.size > c.budget && c.order.Len() > 1 {
		front := c.order.Front()
		old := front.Value.(*clientEntry)
		if old == e || old.ref.Swap(false) {
			c.order.MoveToBack(front)
			continue
		}
		c.removeLocked(old)
		c.evictions.Add(1)
	}
}

func (c *cache) addNegativeLocked(clientID domain.ClientID) {
	if _, ok := c.negative[clientID]; ok {
		return
	}
	c.negative[clientID] = c.negOrder.PushBack(clientID)
	for c.negOrder.Len() > c.maxNeg {
		front := c.negOrder.Front()
		delete(c.negative, front.Value.(domain.ClientID))
		c.negOrder.Remove(front)
	}
}

// load reads a client in one round trip (two for a personal credential,
// whose user is read too).
func (c *cache) load(ctx context.Context, clientID domain.ClientID) (*clientEntry, error) {
	d, err := c.store.LoadClientAuth(ctx, clientID)
	if err != nil {
		return nil, err
	}
	e := &clientEntry{client: d.Client, secrets: d.Secrets, orgTTL: d.Policy.AccessTokenTTLSeconds, policy: d.Policy}
	for _, k := range d.Keys {
		if k.JWKSURI != "" {
			// Its keys come from the URL (jwks.go); the entry holds none.
			e.keys, e.parsed = append(e.keys, k), append(e.parsed, parsedKey{})
		} else if p, ok := parseStoredKey(k); ok {
			e.keys, e.parsed = append(e.keys, k), append(e.parsed, p)
		}
	}
	if d.Client.OwnerUserID != "" {
		u, err := c.store.GetUser(ctx, d.Client.OrgID, d.Client.OwnerUserID)
		if err != nil {
			return nil, err
		}
		e.owner = &u
	}
	e.size = e.estimate()
	return e, nil
}

// estimate is the entry's charge against the budget.
func (e *clientEntry) estimate() int64 {
	cl := e.client
	n := entryOverhead + len(cl.ID) + len(cl.OrgID) + len(cl.Name) + len(cl.Description) + len(cl.WebhookURL) + len(cl.OwnerUserID)
	for _, s := range cl.Scopes {
		n += 16 + len(s)
	}
	n += 16 * len(cl.WebhookEvents)
	for _, x := range e.secrets {
		n += secretOverhead + len(x.ID) + len(x.OrgID) + len(x.ClientID) + len(x.Description) + len(x.CreatedBy) +
			len(x.LastUsedFrom) + len(x.Hint) + len(x.Origin) + len(x.Verifier) + len(x.Hash)
		for _, c := range x.AllowedCIDRs {
			n += 16 + len(c)
		}
	}
	for i, k := range e.keys {
		// The parsed key: about its JWK's size again in big integers.
		n += keyOverhead + len(k.ID) + len(k.OrgID) + len(k.ClientID) + len(k.KID) + len(k.Algorithm) + 2*len(k.PublicJWK) +
			len(k.Thumbprint) + len(k.JWKSURI) + len(k.Description) + len(k.CreatedBy) + len(k.LastUsedFrom) + len(e.parsed[i].kid) + len(e.parsed[i].thumbprint)
	}
	if e.owner != nil {
		n += 512
	}
	return int64(n)
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
	case e.policy.RefusesFederatedCredential(*u):
		return "the organisation refuses personal credentials of federated users"
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

// key returns the key with id from the entry.
func (e *clientEntry) key(id domain.ClientKeyID) (domain.ClientKey, bool) {
	for _, k := range e.keys {
		if k.ID == id {
			return k, true
		}
	}
	return domain.ClientKey{}, false
}

// byVerifier returns the index of the generated secret with verifier.
func (e *clientEntry) byVerifier(verifier []byte) (int, bool) {
	for i, s := range e.secrets {
		if s.Verifier != nil && hmac.Equal(s.Verifier, verifier) {
			return i, true
		}
	}
	return 0, false
}

// rememberSupplied notes that a supplied value passed argon2id.
func (e *clientEntry) rememberSupplied(memo string, id domain.SecretID) {
	e.mu.Lock()
	if e.suppliedOK == nil {
		e.suppliedOK = map[string]domain.SecretID{}
	}
	e.suppliedOK[memo] = id
	e.mu.Unlock()
}
