package token

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// DenyList holds revoked access tokens in memory until they expire; the
// store keeps them for other nodes and restarts. An addition is announced
// on store.ChangesChannel in its transaction, so that every node adds it at
// once (ApplyChange); Reload catches up on missed notices.
type DenyList struct {
	store store.Store
	audit *audit.Log
	now   func() time.Time
	mu    sync.RWMutex
	jtis  map[string]time.Time // jti → expiry
	// since collects what add puts in while a Reload reads the store,
	// so that replacing jtis with what it read loses none of it.
	since    map[string]time.Time
	reloadMu sync.Mutex // one Reload or Sync at a time
	// synced is when the last Reload or Sync started reading: Sync reads
	// what was revoked from a little before then (syncOverlap).
	synced time.Time
}

// syncOverlap is how far before the last sync Sync reads again: an entry
// is stamped with its revocation time before its transaction commits, and
// nodes' clocks differ a little, so an entry committed just after a sync
// may carry a time just before it. Re-reading a minute costs a few rows;
// adding one twice is harmless.
const syncOverlap = time.Minute

// NewDenyList loads the unexpired entries.
func NewDenyList(ctx context.Context, s store.Store, log *audit.Log, now func() time.Time) (*DenyList, error) {
	if now == nil {
		now = time.Now
	}
	d := &DenyList{store: s, audit: log, now: now, jtis: map[string]time.Time{}}
	return d, d.Reload(ctx)
}

// Reload replaces the in-memory list with the store's unexpired entries
// (and what was added in memory while it read them).
func (d *DenyList) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.mu.Lock()
	d.since = map[string]time.Time{}
	d.mu.Unlock()
	start := d.now()
	list, err := d.store.ListRevokedTokens(ctx, start)
	d.mu.Lock()
	defer d.mu.Unlock()
	since := d.since
	d.since = nil
	if err != nil {
		return err
	}
	d.synced = start
	m := make(map[string]time.Time, len(list)+len(since))
	for _, r := range list {
		m[r.JTI] = r.ExpiresAt
	}
	for jti, exp := range since {
		m[jti] = exp
	}
	d.jtis = m
	return nil
}

// Sync adds what was revoked since the last Reload or Sync (minus
// syncOverlap): the periodic catch-up on notices this node missed, one
// indexed range read however long the list is.
func (d *DenyList) Sync(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	start := d.now()
	list, err := d.store.ListRevokedTokensSince(ctx, d.synced.Add(-syncOverlap), start)
	if err != nil {
		return err
	}
	d.mu.Lock()
	for _, r := range list {
		d.jtis[r.JTI] = r.ExpiresAt
	}
	d.mu.Unlock()
	d.synced = start
	return nil
}

// changeDeny is the notice of an addition: "deny:<jti>:<expiry in Unix
// seconds>".
const changeDeny = "deny:"

// Add puts a token on the list (in tx, when inside one) and in memory, and
// tells every node through tx.
func (d *DenyList) Add(ctx context.Context, tx store.Tx, r domain.RevokedToken) error {
	if err := tx.AddRevokedToken(ctx, r); err != nil {
		return err
	}
	if err := tx.Notify(ctx, store.ChangesChannel, changeDeny+r.JTI+":"+strconv.FormatInt(r.ExpiresAt.Unix(), 10)); err != nil {
		return err
	}
	d.add(r.JTI, r.ExpiresAt)
	return nil
}

func (d *DenyList) add(jti string, exp time.Time) {
	d.mu.Lock()
	d.jtis[jti] = exp
	if d.since != nil {
		d.since[jti] = exp
	}
	d.mu.Unlock()
}

// ApplyChange applies a notice from store.ChangesChannel: it adds the
// token a deny notice names, and reloads the list on "" (the listener
// started listening, so notices may have been missed). It ignores other
// notices.
func (d *DenyList) ApplyChange(ctx context.Context, payload string) error {
	if payload == "" {
		return d.Reload(ctx)
	}
	rest, ok := strings.CutPrefix(payload, changeDeny)
	if !ok {
		return nil
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return nil
	}
	exp, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil {
		return nil
	}
	if t := time.Unix(exp, 0).UTC(); t.After(d.now()) {
		d.add(rest[:i], t)
	}
	return nil
}

// Revoke puts an access token on the list until it expires (RFC 7009),
// audited.
func (d *DenyList) Revoke(ctx context.Context, by domain.Actor, c Claims) error {
	r := domain.RevokedToken{JTI: c.JTI, OrgID: c.OrgID, ClientID: c.ClientID, ExpiresAt: time.Unix(c.Expiry, 0).UTC(), RevokedAt: d.now().UTC()}
	return d.store.InTx(ctx, func(tx store.Tx) error {
		if err := d.Add(ctx, tx, r); err != nil {
			return err
		}
		return d.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "access_token.revoke", Target: string(c.ClientID),
			Detail: map[string]string{"jti": c.JTI, "secret_id": string(c.SecretID)}})
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
