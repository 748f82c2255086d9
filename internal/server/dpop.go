package server

import (
	"context"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// dpopProofs remembers used DPoP proof IDs (RFC 9449 §11.1) in the store's
// table of used client assertion IDs, under a namespace of their own: one
// conditional insert, so a proof is used once across every node.
type dpopProofs struct{ store store.Store }

func (p dpopProofs) ConsumeProof(ctx context.Context, client domain.ClientID, jti string, expires, now time.Time) (bool, error) {
	return p.store.ConsumeAssertionID(ctx, client, "dpop:"+jti, expires, now)
}
