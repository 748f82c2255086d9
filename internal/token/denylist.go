package token

import (
	"context"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// DenyList holds revoked access tokens in memory until they expire; the
// store keeps them for other nodes and restarts.
type DenyList struct {
	store store.Store
	audit *audit.Log
	now   func() time.Time
	mu    sync.RWMutex
	jtis  map[string]time.Time // jti → expiry
}

// NewDenyList loads the unexpired entries.
func NewDenyList(ctx context.Context, s store.Store, log *audit.Log, now func() time.Time) (*DenyList, error) {
	if now == nil {
		now = time.Now
	}
	d := &DenyList{store: s, audit: log, now: now, jtis: map[string]time.Time{}}
	return d, d.Reload(ctx)
}

// Reload replaces the in-memory list with the store's unexpired entries.
func (d *DenyList) Reload(ctx context.Context) error {
	list, err := d.store.ListRevokedTokens(ctx, d.now())
	if err != nil {
		return err
	}
	m := make(map[string]time.Time, len(list))
	for _, r := range list {
		m[r.JTI] = r.ExpiresAt
	}
	d.mu.Lock()
	d.jtis = m
	d.mu.Unlock()
	return nil
}

// Add puts a token on the list (in tx, when inside one) and in memory.
func (d *DenyList) Add(ctx context.Context, tx store.Store, r domain.RevokedToken) error {
	if err := tx.AddRevokedToken(ctx, r); err != nil {
		return err
	}
	d.mu.Lock()
	d.jtis[r.JTI] = r.ExpiresAt
	d.mu.Unlock()
	return nil
}

// Revoke puts an access token on the list until it expires (RFC 7009),
// audited.
func (d *DenyList) Revoke(ctx context.Context, by domain.Actor, c Claims) error {
	r := domain.RevokedToken{JTI: c.JTI, OrgID: c.OrgID, ClientID: c.ClientID, ExpiresAt: time.Unix(c.Expiry, 0).UTC(), RevokedAt: d.now().UTC()}
	return d.store.InTx(ctx, func(tx store.Store) error {
		if err := d.Add(ctx, tx, r); err != nil {
			return err
		}
		return d.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "access_token.revoke", Target: c.ClientID,
			Detail: map[string]string{"jti": c.JTI, "secret_id": c.SecretID}})
	})
}

// Contains reports whether jti was revoked.
func (d *DenyList) Contains(jti string) bool {
	d.mu.RLock()
	_, ok := d.jtis[jti]
	d.mu.RUnlock()
	return ok
}

// Prune drops expired entries from memory and the store.
func (d *DenyList) Prune(ctx context.Context) (int, error) {
	now := d.now()
	d.mu.Lock()
	for j, exp := range d.jtis {
		if !exp.After(now) {
			delete(d.jtis, j)
		}
	}
	d.mu.Unlock()
	return d.store.DeleteRevokedTokensBefore(ctx, now)
}
