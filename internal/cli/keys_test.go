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

func TestKeys(t *testing.T) {
	t.Parallel()

	t.Run("rotate --delay 0s signs with the new key at once", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		before := srv.listKeys(t)
		if len(before) != 1 || !before[0].Signing {
			t.Fatalf("keys of a new server = %+v, want one signing key", before)
		}
		table := srv.mustRun(t, "keys", "list")
		for _, want := range []string{"KEY ID", "ALG", "ACTIVE FROM", before[0].ID, before[0].Algorithm, "signing"} {
			if !strings.Contains(table, want) {
				t.Errorf("keys list lacks %q:\n%s", want, table)
			}
		}

		out := srv.mustRun(t, "keys", "rotate", "--delay", "0s")
		if !strings.Contains(out, "signs new access tokens now") {
			t.Errorf("keys rotate output:\n%s", out)
		}
		after := srv.listKeys(t)
		if len(after) != 2 || after[0].ID != before[0].ID || after[0].Signing || !after[1].Signing {
			t.Fatalf("keys after rotate = %+v, want the old key and the newest signing", after)
		}
		if !strings.Contains(out, after[1].ID) {
			t.Errorf("keys rotate output does not name the new key %s:\n%s", after[1].ID, out)
		}
		table = srv.mustRun(t, "keys", "list")
		if !strings.Contains(table, "verify only (tokens it signed)") {
			t.Errorf("keys list does not mark the old key verify only:\n%s", table)
		}
	})

	t.Run("rotate -o json with the default delay publishes a key that signs later", func(t *testing.T) {
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
		if table := srv.mustRun(t, "keys", "list"); !strings.Contains(table, "pending (signs from ACTIVE FROM)") {
			t.Errorf("keys list does not mark the pending key:\n%s", table)
		}
		out := srv.mustRun(t, "keys", "rotate", "--delay", "1h")
		if !strings.Contains(out, "signs new access tokens from ") {
			t.Errorf("keys rotate --delay 1h output:\n%s", out)
		}
	})
}
