package provider_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"keywarden/pkg/apiv1"
)

// TestDataSources reads a client by ID and by name, the list of clients,
// and the server's metadata and key set, and compares them with the API.
func TestDataSources(t *testing.T) {
	a := newAcc(t)
	for _, name := range []string{"Inventory", "Shipping"} {
		if _, err := a.kw.CreateClient(t.Context(), apiv1.CreateClient{Name: name, Scopes: []string{"stock:read"}}); err != nil {
			t.Fatal(err)
		}
	}
	a.run(nil, resource.TestStep{
		Config: `
resource "keywarden_client" "orders" {
  name   = "Orders"
  scopes = ["orders:read"]
}

data "keywarden_client" "by_id" {
  id = keywarden_client.orders.id
}

data "keywarden_client" "by_name" {
  name       = "Shipping"
}

data "keywarden_clients" "all" {
  depends_on = [keywarden_client.orders]
}

data "keywarden_server" "this" {}
`,
		Check: func(s *terraform.State) error {
			if got := attr(s, "data.keywarden_client.by_id", "name"); got != "Orders" {
				return fmt.Errorf("by id: name %q", got)
			}
			if got := attr(s, "data.keywarden_client.by_name", "scopes.0"); got != "stock:read" {
				return fmt.Errorf("by name: scopes %q", got)
			}
			if n, _ := strconv.Atoi(attr(s, "data.keywarden_clients.all", "clients.#")); n != 3 {
				return fmt.Errorf("the list has %d clients, want 3", n)
			}
			md, err := a.kw.OAuthMetadata(t.Context())
			if err != nil {
				return err
			}
			set, err := a.kw.OAuthJWKS(t.Context())
			if err != nil {
				return err
			}
			srv := "data.keywarden_server.this"
			if attr(s, srv, "issuer") != md.Issuer || attr(s, srv, "token_endpoint") != md.TokenEndpoint || attr(s, srv, "keys.0.kid") != set.Keys[0].Kid {
				return fmt.Errorf("the server data source differs from the API: %q, %q", attr(s, srv, "issuer"), attr(s, srv, "keys.0.kid"))
			}
			var got apiv1.JWKSet
			if err := json.Unmarshal([]byte(attr(s, srv, "jwks")), &got); err != nil || len(got.Keys) != len(set.Keys) || got.Keys[0].X != set.Keys[0].X {
				return fmt.Errorf("jwks is not the server's key set (%v)", err)
			}
			return nil
		},
	})
}

// TestRenewBefore: a secret that expires within renew_before is planned
// for replacement; further away it is left alone.
func TestRenewBefore(t *testing.T) {
	a := newAcc(t)
	// Secrets the token's user makes live at most a day.
	day := map[string]int{"super_admin": 1}
	if _, err := a.kw.UpdatePolicy(t.Context(), apiv1.UpdatePolicy{MaxSecretLifetimeDays: day}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "secret")
	config := func(renew time.Duration) string {
		return hcl(`
resource "keywarden_client" "app" {
  name = "Short-lived"
}

resource "keywarden_client_secret" "app" {
  client_id    = keywarden_client.app.id
  description  = "Renewed"
  value_file   = %q
  renew_before = %q
}
`, file, renew.String())
	}
	addr := "keywarden_client_secret.app"
	var first string
	a.run(nil,
		resource.TestStep{
			Config: config(time.Hour),
			Check: func(*terraform.State) error {
				first = a.readSecretFile("a secret", file)
				return nil
			},
		},
		resource.TestStep{ // a day is within 48 hours
			Config: config(48 * time.Hour),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			// Every plan renews it again: the policy gives a day, the
			// configuration asks for 48 hours.
			ExpectNonEmptyPlan: true,
			Check: func(*terraform.State) error {
				if a.readSecretFile("a renewed secret", file) == first {
					return errors.New("the secret was not renewed")
				}
				return nil
			},
		},
	)
}
