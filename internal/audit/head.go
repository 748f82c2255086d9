package audit

import (
	"context"
	"crypto/hmac"
	"fmt"
)

// HeadMatches reports whether the chain's last event hashes under the
// Log's key: a check of a key that does not walk the chain. An
// installation that moves to envelope encryption checks its master key
// this way before it adopts that key as its data key. An empty log
// matches every key.
func (l *Log) HeadMatches(ctx context.Context) (bool, error) {
	seq, _, err := l.store.AuditHead(ctx)
	if err != nil || seq == 0 {
		return err == nil, err
	}
	events, err := l.store.ScanAudit(ctx, seq-1, 1)
	if err != nil {
		return false, err
	}
	if len(events) != 1 || events[0].Seq != seq {
		return false, fmt.Errorf("audit head says event %d, which is missing", seq)
	}
	return hmac.Equal(l.hash(events[0]), events[0].Hash), nil
}
