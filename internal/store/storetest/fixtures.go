package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// base is the microsecond-aligned UTC instant fixtures count from.
var base = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// at returns base plus n minutes.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// randomBytes returns n random bytes; crypto/rand.Read never fails.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func newOrg(name string) domain.Organization {
	return domain.Organization{ID: domain.NewOrgID(), Name: name, Policy: domain.DefaultPolicy(), CreatedAt: base}
}

func mustOrg(t *testing.T, s store.Data, name string) domain.Organization {
	t.Helper()
	o := newOrg(name)
	if err := s.CreateOrg(t.Context(), o); err != nil {
		t.Fatalf("CreateOrg(%s): %v", name, err)
	}
	return o
}

func newUser(org domain.OrgID, email string) domain.User {
	return domain.User{
		ID: domain.NewUserID(), OrgID: org, Email: email, Role: domain.RoleAdmin,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", MustChangePassword: true, CreatedAt: base,
	}
}

func mustUser(t *testing.T, s store.Data, org domain.OrgID, email string) domain.User {
	t.Helper()
	u := newUser(org, email)
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func newClient(org domain.OrgID, created time.Time) domain.Client {
	return domain.Client{
		ID: domain.NewClientID(), OrgID: org, Name: "billing", Description: "pays the bills",
		Scopes: []string{"invoices:read", "invoices:write"}, TokenTTL: 600, WebhookURL: "https://hooks.example.com/kw",
		CreatedAt: created, UpdatedAt: created,
	}
}

func mustClient(t *testing.T, s store.Data, org domain.OrgID) domain.Client {
	t.Helper()
	c := newClient(org, base)
	if err := s.CreateClient(t.Context(), c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

// generatedSecret returns a secret whose value Keywarden generated: found by
// its verifier.
func generatedSecret(c domain.Client, created time.Time) domain.Secret {
	return domain.Secret{
		ID: domain.NewSecretID(), OrgID: c.OrgID, ClientID: c.ID, Description: "ci deploy",
		CreatedAt: created, CreatedBy: string(domain.NewUserID()), ExpiresAt: ptr(created.Add(90 * 24 * time.Hour)),
		Hint: "x7Qa", Origin: domain.OriginGenerated, Verifier: randomBytes(32), Sealed: randomBytes(60),
		AllowedCIDRs: []string{"10.0.0.0/8", "2001:db8::/32"},
	}
}

// suppliedSecret returns a secret whose value a user supplied: it has a
// hash and no verifier.
func suppliedSecret(c domain.Client, created time.Time) domain.Secret {
	return domain.Secret{
		ID: domain.NewSecretID(), OrgID: c.OrgID, ClientID: c.ID, Description: "imported",
		CreatedAt: created, CreatedBy: string(domain.NewUserID()),
		Hint: "9zzK", Origin: domain.OriginSupplied, Hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c3VwcGxpZWQ",
		Sealed: randomBytes(60),
	}
}

func mustSecret(t *testing.T, s store.Data, x domain.Secret) domain.Secret {
	t.Helper()
	if err := s.CreateSecret(t.Context(), x); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	return x
}

// chainHash stands in for the audit package's hash: any non-empty bytes
// that differ per event will do for storage.
func chainHash(e domain.AuditEvent) []byte {
	h := sha256.New()
	h.Write(e.PrevHash)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(e.Seq)))
	h.Write([]byte(e.ID))
	return h.Sum(nil)
}

func newEvent[A, T ~string](org domain.OrgID, when time.Time, action string, actor A, target T) domain.AuditEvent {
	return domain.AuditEvent{
		ID: domain.NewID(domain.PrefixAudit), OrgID: org, At: when, ActorKind: domain.ActorUser, ActorID: string(actor),
		Action: action, Target: string(target), Source: "192.0.2.10", Result: domain.ResultSuccess,
		Detail: map[string]string{"reason": "test"},
	}
}

// appendNext appends e at the head of the chain in one transaction, the way
// the audit package does, and returns it as stored.
func appendNext(ctx context.Context, s store.Store, e domain.AuditEvent) (domain.AuditEvent, error) {
	err := s.InTx(ctx, func(tx store.Tx) error {
		var err error
		e, err = appendIn(ctx, tx, e)
		return err
	})
	return e, err
}

// appendIn appends e at the head of the chain inside tx.
func appendIn(ctx context.Context, tx store.Tx, e domain.AuditEvent) (domain.AuditEvent, error) {
	seq, prev, err := tx.AuditHead(ctx)
	if err != nil {
		return e, fmt.Errorf("AuditHead: %w", err)
	}
	e.Seq, e.PrevHash, e.ClientID = seq+1, prev, e.Client()
	e.Hash = chainHash(e)
	if err := tx.AppendAudit(ctx, e); err != nil {
		return e, fmt.Errorf("AppendAudit(seq %d): %w", e.Seq, err)
	}
	return e, nil
}

func mustAppend(t *testing.T, s store.Store, e domain.AuditEvent) domain.AuditEvent {
	t.Helper()
	e, err := appendNext(t.Context(), s, e)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkChain fails t unless the log holds exactly n events with sequence
// numbers 1..n, each linked to the one before, and the head is the last.
func checkChain(t *testing.T, s store.Store, n int) {
	t.Helper()
	ctx := t.Context()
	events, err := s.ScanAudit(ctx, 0, n+10)
	if err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	if len(events) != n {
		t.Errorf("ScanAudit returned %d events, want %d", len(events), n)
	}
	var prev []byte
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d, want %d (the chain has a gap or is out of order)", i, e.Seq, i+1)
		}
		if !bytes.Equal(e.PrevHash, prev) {
			t.Fatalf("event %d: PrevHash %x, want the previous event's hash %x", e.Seq, e.PrevHash, prev)
		}
		if len(e.Hash) == 0 {
			t.Fatalf("event %d has an empty hash", e.Seq)
		}
		prev = e.Hash
	}
	seq, hash, err := s.AuditHead(ctx)
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	if seq != int64(len(events)) || !bytes.Equal(hash, prev) {
		t.Errorf("AuditHead = %d, %x; want %d, %x", seq, hash, len(events), prev)
	}
}

// Comparisons. Times compare with Equal; nil and empty slices are the same.

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func sameOrg(a, b domain.Organization) bool {
	return a.ID == b.ID && a.Name == b.Name && a.CreatedAt.Equal(b.CreatedAt) && samePolicy(a.Policy, b.Policy)
}

func samePolicy(a, b domain.Policy) bool {
	return maps.Equal(a.MaxSecretLifetimeDays, b.MaxSecretLifetimeDays) && a.AllowNeverExpire == b.AllowNeverExpire &&
		a.PersonalCredentials == b.PersonalCredentials && a.RefuseCredentialsWithMFA == b.RefuseCredentialsWithMFA &&
		a.AccessTokenTTLSeconds == b.AccessTokenTTLSeconds
}

func sameUser(a, b domain.User) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.Email == b.Email && a.Role == b.Role && a.PasswordHash == b.PasswordHash &&
		a.MustChangePassword == b.MustChangePassword && a.CreatedAt.Equal(b.CreatedAt) && sameTime(a.DisabledAt, b.DisabledAt)
}

func sameToken(a, b domain.APIToken) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.UserID == b.UserID && a.Name == b.Name &&
		bytes.Equal(a.Verifier, b.Verifier) && a.Hint == b.Hint && a.CreatedAt.Equal(b.CreatedAt) &&
		sameTime(a.ExpiresAt, b.ExpiresAt) && sameTime(a.RevokedAt, b.RevokedAt) &&
		sameTime(a.LastUsedAt, b.LastUsedAt) && a.LastUsedFrom == b.LastUsedFrom && a.ReplacedBy == b.ReplacedBy
}

func sameClient(a, b domain.Client) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.Name == b.Name && a.Description == b.Description &&
		slices.Equal(a.Scopes, b.Scopes) && a.TokenTTL == b.TokenTTL && a.WebhookURL == b.WebhookURL &&
		a.Disabled == b.Disabled && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		sameTime(a.TokensRevokedAt, b.TokensRevokedAt)
}

func sameSecret(a, b domain.Secret) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.ClientID == b.ClientID && a.Description == b.Description &&
		a.CreatedAt.Equal(b.CreatedAt) && a.CreatedBy == b.CreatedBy && sameTime(a.ExpiresAt, b.ExpiresAt) &&
		sameTime(a.RevokedAt, b.RevokedAt) && sameTime(a.LastUsedAt, b.LastUsedAt) && a.LastUsedFrom == b.LastUsedFrom &&
		a.Hint == b.Hint && a.Origin == b.Origin && bytes.Equal(a.Verifier, b.Verifier) && a.Hash == b.Hash &&
		bytes.Equal(a.Sealed, b.Sealed) && slices.Equal(a.AllowedCIDRs, b.AllowedCIDRs) && a.KeepTokens == b.KeepTokens
}

func sameEvent(a, b domain.AuditEvent) bool {
	return a.Seq == b.Seq && a.ID == b.ID && a.OrgID == b.OrgID && a.At.Equal(b.At) && a.ActorKind == b.ActorKind &&
		a.ActorID == b.ActorID && a.Action == b.Action && a.Target == b.Target && a.Source == b.Source &&
		a.Result == b.Result && maps.Equal(a.Detail, b.Detail) && slices.Equal(a.Changes, b.Changes) &&
		bytes.Equal(a.PrevHash, b.PrevHash) && bytes.Equal(a.Hash, b.Hash) && a.ClientID == b.ClientID
}

func clientIDs(cs []domain.Client) []domain.ClientID {
	ids := make([]domain.ClientID, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func secretIDs(xs []domain.Secret) []domain.SecretID {
	ids := make([]domain.SecretID, len(xs))
	for i, x := range xs {
		ids[i] = x.ID
	}
	return ids
}

func seqs(es []domain.AuditEvent) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// The put helpers store a whole value through the UpdateX methods (the
// tests set every field; services change fields in fn).

func putClient(ctx context.Context, s store.Data, c domain.Client) error {
	_, err := s.UpdateClient(ctx, c.OrgID, c.ID, func(p *domain.Client) error { *p = c; return nil })
	return err
}

func putSecret(ctx context.Context, s store.Data, x domain.Secret) error {
	_, err := s.UpdateSecret(ctx, x.OrgID, x.ID, func(p *domain.Secret) error { *p = x; return nil })
	return err
}

func putPolicy(ctx context.Context, s store.Data, org domain.OrgID, p domain.Policy) error {
	_, err := s.UpdatePolicy(ctx, org, func(q *domain.Policy) error { *q = p; return nil })
	return err
}

func putEndpoint(ctx context.Context, s store.Data, e domain.WebhookEndpoint) error {
	_, err := s.UpdateWebhookEndpoint(ctx, e.OrgID, e.ClientID, e.URL, e.UpdatedAt, func(p *domain.WebhookEndpoint) error { *p = e; return nil })
	return err
}

func revoke(ctx context.Context, s store.Data, org domain.OrgID, id domain.SecretID, at time.Time, keepTokens bool) error {
	_, err := s.RevokeSecret(ctx, org, id, at, keepTokens)
	return err
}
