package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

func (s *testServer) listKeys(t *testing.T) []apiv1.SigningKey {
	t.Helper()
	var list apiv1.SigningKeyList
	decodeJSON(t, s.mustRun(t, "keys", "list", "-o", "json"), &list)
	return list.Items
}

// TestKeysRotateAtOnce: with --delay 0s the new key signs at once.
func TestKeysRotateAtOnce(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	before := srv.listKeys(t)
	if len(before) != 1 || !before[0].Signing {
		t.Fatalf("keys of a new server = %+v, want one signing key", before)
	}
	wantIn(t, "keys list", srv.mustRun(t, "keys", "list"), "KEY ID", "ALG", "ACTIVE FROM", before[0].ID, before[0].Algorithm, "signing")

	out := srv.mustRun(t, "keys", "rotate", "--delay", "0s")
	wantIn(t, "keys rotate", out, "signs new access tokens now")
	after := srv.listKeys(t)
	if len(after) != 2 || after[0].ID != before[0].ID || after[0].Signing || !after[1].Signing {
		t.Fatalf("keys after rotate = %+v, want the old key and the newest signing", after)
	}
	wantIn(t, "keys rotate", out, after[1].ID)
	wantIn(t, "keys list", srv.mustRun(t, "keys", "list"), "verify only (tokens it signed)")
}

// TestKeysRotateLater: with the default delay the new key is published
// now and signs later.
func TestKeysRotateLater(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	var k apiv1.SigningKey
	decodeJSON(t, srv.mustRun(t, "keys", "rotate", "-o", "json"), &k)
	if !strings.HasPrefix(k.ID, "key_") || k.Signing || !k.ActiveFrom.After(k.CreatedAt) {
		t.Errorf("keys rotate -o json = %+v, want a key that signs after the activation delay", k)
	}
	keys := srv.listKeys(t)
	if len(keys) != 2 || !keys[0].Signing || keys[1].ID != k.ID || keys[1].Signing {
		t.Errorf("keys = %+v, want the old key still signing", keys)
	}
	wantIn(t, "keys list", srv.mustRun(t, "keys", "list"), "pending (signs from ACTIVE FROM)")
	wantIn(t, "keys rotate --delay 1h", srv.mustRun(t, "keys", "rotate", "--delay", "1h"), "signs new access tokens from ")
}
