package domain

import "time"

// SecretState is where a client secret is in its lifecycle. A secret only
// moves forward: active → expired or revoked, never back.
type SecretState string

const (
	SecretActive  SecretState = "active"
	SecretExpired SecretState = "expired"
	SecretRevoked SecretState = "revoked"
)

// SecretOrigin says whether Keywarden generated the value or a user supplied it.
type SecretOrigin string

const (
	OriginGenerated SecretOrigin = "generated"
	OriginSupplied  SecretOrigin = "supplied"
)

// Secret is one credential of a client. The value itself is never kept:
// generated values are found by their keyed verifier, supplied values are
// checked against an argon2id hash, and an AES-GCM sealed copy exists only for
// webhook signing.
type Secret struct {
	ID           SecretID
	OrgID        OrgID
	ClientID     ClientID
	Description  string
	CreatedAt    time.Time
	CreatedBy    string
	ExpiresAt    *time.Time // nil: never expires
	RevokedAt    *time.Time
	LastUsedAt   *time.Time
	LastUsedFrom string
	Hint         string // last four characters of the value
	Origin       SecretOrigin
	Verifier     []byte // HMAC-SHA256 of a generated value; nil for supplied ones
	// Digest is SHA-256 of a generated value, recorded at creation so a
	// leak can be reported by fingerprint (docs/leaks.md); write-only:
	// reads leave it nil.
	Digest []byte
	Hash   string // argon2id PHC string of a supplied value; "" for generated ones
	Sealed []byte // the value under AES-256-GCM, for webhook signing
	// AllowedCIDRs, when not empty, are the only source networks the
	// secret authenticates from.
	AllowedCIDRs []string
	// KeepTokens records how the secret was revoked: false (a breach, the
	// default) makes the access tokens it minted inactive at once; true
	// (graceful) lets them run out.
	KeepTokens bool
}

// TokensValid reports whether access tokens minted with the secret are
// still good at now: while it is active, and after a graceful revocation.
// An expired secret's tokens die with it.
func (s Secret) TokensValid(now time.Time) bool {
	switch s.State(now) {
	case SecretActive:
		return true
	case SecretRevoked:
		return s.KeepTokens && (s.ExpiresAt == nil || now.Before(*s.ExpiresAt))
	}
	return false
}

// State returns the secret's state at now.
func (s Secret) State(now time.Time) SecretState { return stateAt(s.RevokedAt, s.ExpiresAt, now) }

// stateAt is a credential's state at now from its revocation and expiry:
// the one rule for secrets and client keys.
func stateAt(revokedAt, expiresAt *time.Time, now time.Time) SecretState {
	switch {
	case revokedAt != nil:
		return SecretRevoked
	case expiresAt != nil && !now.Before(*expiresAt):
		return SecretExpired
	}
	return SecretActive
}

// NewestActive returns the ID of the most recently created active secret
// when two or more are active (the one a rotation just created, shown as
// "New"), and "" otherwise.
func NewestActive(secrets []Secret, now time.Time) SecretID {
	var newest *Secret
	active := 0
	for i := range secrets {
		if secrets[i].State(now) != SecretActive {
			continue
		}
		active++
		if newest == nil || secrets[i].CreatedAt.After(newest.CreatedAt) ||
			(secrets[i].CreatedAt.Equal(newest.CreatedAt) && secrets[i].ID > newest.ID) {
			newest = &secrets[i]
		}
	}
	if active < 2 {
		return ""
	}
	return newest.ID
}

// SecretUse is one successful authentication with a secret.
type SecretUse struct {
	SecretID SecretID
	At       time.Time
	From     string
}

// ExpiryNoticeLead is how long before a secret expires its first expiry
// notice (webhook secret.expiring, 14 days) is due. The store schedules a
// new secret's, or a changed expiry's, first notice from it.
const ExpiryNoticeLead = 14 * 24 * time.Hour

// FirstNoticeAt is when the first expiry notice of a secret is due, nil
// for a secret that is revoked or never expires.
func FirstNoticeAt(x Secret) *time.Time {
	if x.RevokedAt != nil || x.ExpiresAt == nil {
		return nil
	}
	t := x.ExpiresAt.Add(-ExpiryNoticeLead)
	return &t
}
