package domain

import "time"

// SigningKey signs access tokens. Several are published at once so that
// keys roll over without breaking verifiers.
type SigningKey struct {
	ID         string // the JWS "kid"
	Algorithm  string // ES256, EdDSA or RS256
	Sealed     []byte // the private key (PKCS #8 DER) under AES-256-GCM
	PublicJWK  string // the public key as a JWK, for the JWKS document
	CreatedAt  time.Time
	ActiveFrom time.Time  // signs from then on (until a newer key is active)
	RetiredAt  *time.Time // no longer published
}

// RefreshToken is a one-time credential an admin generates for a client.
// Using it issues an access token and a successor in the same family;
// using one twice revokes the whole family.
type RefreshToken struct {
	ID        RefreshTokenID
	OrgID     OrgID
	ClientID  ClientID
	Family    RefreshFamilyID
	Verifier  []byte
	Hint      string
	CreatedAt time.Time
	CreatedBy string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	// IssuedJTI and IssuedExp name the access token the one use issued, so
	// that a replay can revoke it.
	IssuedJTI string
	IssuedExp *time.Time
	// RevokedReason says why it was revoked (with RevokedAt); empty for a
	// token revoked before the reason was recorded.
	RevokedReason RefreshRevokeReason
}

// RefreshRevokeReason is why a refresh token was revoked.
type RefreshRevokeReason string

const (
	// RefreshReuse: a token of the family was presented again after its
	// one use, so the whole family was revoked (RFC 6819 §5.2.2.3).
	RefreshReuse RefreshRevokeReason = "reuse"
	// RefreshRevokedByClient: the client revoked it (RFC 7009).
	RefreshRevokedByClient RefreshRevokeReason = "client"
	// RefreshRevokeAll: revoked with everything else of the client.
	RefreshRevokeAll RefreshRevokeReason = "revoke_all"
	// RefreshLeaked: a leak report named a token of the family
	// (docs/leaks.md).
	RefreshLeaked RefreshRevokeReason = "leaked"
)

// RefreshTokenState is where a refresh token is: it is used once, and
// then, like a revoked or expired one, never again.
type RefreshTokenState string

const (
	RefreshActive  RefreshTokenState = "active"
	RefreshUsed    RefreshTokenState = "used"
	RefreshRevoked RefreshTokenState = "revoked"
	RefreshExpired RefreshTokenState = "expired"
)

// State returns the token's state at now; revocation beats use, use beats
// expiry.
func (t RefreshToken) State(now time.Time) RefreshTokenState {
	switch {
	case t.RevokedAt != nil:
		return RefreshRevoked
	case t.UsedAt != nil:
		return RefreshUsed
	case !now.Before(t.ExpiresAt):
		return RefreshExpired
	}
	return RefreshActive
}

// RevokedToken is an access token on the deny list until it expires.
type RevokedToken struct {
	JTI       string
	OrgID     OrgID
	ClientID  ClientID
	ExpiresAt time.Time
	RevokedAt time.Time
}

// RotationState is where a rotation is; Rotation.State derives it.
type RotationState string

const (
	RotationStarted   RotationState = "started"
	RotationNewInUse  RotationState = "new_secret_in_use"
	RotationOldIdle   RotationState = "old_secret_idle"
	RotationCompleted RotationState = "completed"
	RotationAbandoned RotationState = "abandoned"
)

// Rotation tracks one secret rotation of a client from the new secret's
// creation until the old secrets are revoked.
type Rotation struct {
	ID           RotationID
	OrgID        OrgID
	ClientID     ClientID
	NewSecretID  SecretID
	OldSecretIDs []SecretID
	StartedAt    time.Time
	StartedBy    string
	AutoComplete bool
	// QuietSeconds is how long the old secrets must go unused, after the
	// new one has authenticated, before they count as idle.
	QuietSeconds int
	// KeepTokens is the revocation mode used on completion (see Secret).
	KeepTokens  bool
	CompletedAt *time.Time
	CompletedBy string
}

// State derives where a rotation is at now from its secrets (by ID):
// started until the new secret authenticates; new secret in use while an
// old secret is still active and was used within the quiet period; old
// secret idle once none was; completed when the old ones were revoked.
func (r Rotation) State(now time.Time, secrets map[SecretID]Secret) RotationState {
	if r.CompletedAt != nil {
		return RotationCompleted
	}
	nw, ok := secrets[r.NewSecretID]
	if !ok || nw.State(now) != SecretActive {
		return RotationAbandoned
	}
	if nw.LastUsedAt == nil || nw.LastUsedAt.Before(r.StartedAt) {
		return RotationStarted
	}
	quietSince := now.Add(-time.Duration(r.QuietSeconds) * time.Second)
	for _, id := range r.OldSecretIDs {
		old, ok := secrets[id]
		if !ok || old.State(now) != SecretActive {
			continue // already gone
		}
		if old.LastUsedAt != nil && !old.LastUsedAt.Before(quietSince) {
			return RotationNewInUse
		}
	}
	return RotationOldIdle
}
