package credential_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
)

// TestImportClients imports NDJSON with generated and supplied secret
// values in several batches: every client authenticates with its value,
// an ID that was unknown before (and remembered so) is found, each batch
// is one audit event, and a bad line stops the import with its number.
func TestImportClients(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		n := credential.ImportBatch + 3
		ids := make([]domain.ClientID, n)
		values := make([]string, n)
		var in strings.Builder
		for i := range n {
			ids[i] = domain.NewClientID()
			values[i] = secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
			fmt.Fprintf(&in, `{"client_id":%q,"name":"c%d","scopes":["a","b"],"secrets":[{"value":%q}]}`+"\n", ids[i], i, values[i])
		}
		supplied := "a supplied secret from the old system"
		fmt.Fprintf(&in, "\n"+`{"name":"legacy","secrets":[{"value":%q,"description":"old"}]}`+"\n", supplied)

		// The last ID is tried before the import: remembered as unknown.
		if _, err := e.svc.Authenticate(ctx, ids[n-1], values[n-1], "192.0.2.1"); !errors.Is(err, credential.ErrBadCredentials) {
			t.Fatalf("before the import: %v", err)
		}
		var batches []credential.ImportResult
		res, err := e.svc.ImportClients(ctx, e.admin, strings.NewReader(in.String()), func(r credential.ImportResult) { batches = append(batches, r) })
		if err != nil {
			t.Fatalf("ImportClients: %v", err)
		}
		if res.Clients != n+1 || res.Secrets != n+1 || len(batches) != 2 {
			t.Errorf("imported %+v in %d batches, want %d clients and secrets in 2", res, len(batches), n+1)
		}
		for _, i := range []int{0, credential.ImportBatch, n - 1} {
			auth, err := e.svc.Authenticate(ctx, ids[i], values[i], "192.0.2.1")
			if err != nil || auth.Client.Name != fmt.Sprintf("c%d", i) || len(auth.Client.Scopes) != 2 {
				t.Errorf("client %d: %+v, %v", i, auth.Client, err)
			}
		}
		events, _, err := e.audit.List(ctx, e.admin.OrgID, domain.AuditFilter{Action: "client.import"})
		if err != nil || len(events) != 2 || events[0].Detail["clients"] == "" {
			t.Errorf("client.import events = %+v, %v; want 2", events, err)
		}

		bad := fmt.Sprintf(`{"name":"ok","secrets":[]}`+"\n"+`{"name":"","secrets":[]}`+"\n") + `{"name":"x"}`
		_, err = e.svc.ImportClients(ctx, e.admin, strings.NewReader(bad), nil)
		var ie *credential.ImportError
		if !errors.As(err, &ie) || ie.Line != 2 {
			t.Errorf("bad line: %v, want an ImportError at line 2", err)
		}
		again := fmt.Sprintf(`{"client_id":%q,"name":"again","secrets":[]}`, ids[5])
		if _, err := e.svc.ImportClients(ctx, e.admin, strings.NewReader(again), nil); !errors.Is(err, domain.ErrConflict) || !errors.As(err, &ie) {
			t.Errorf("existing ID: %v, want a conflict", err)
		}
	})
}
