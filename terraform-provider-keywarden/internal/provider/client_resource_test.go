package provider_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// hookReceiver is a webhook endpoint on loopback that accepts everything.
func hookReceiver(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestClientLifecycle creates a client, changes it in place, imports it,
// detects a change made through the API as drift, puts it back and
// destroys it.
func TestClientLifecycle(t *testing.T) {
	a := newAcc(t, "--webhook-allow-private", "127.0.0.1")
	hook := hookReceiver(t)
	var clientID string
	config := func(scopes string, ttl int, enabled bool) string {
		return hcl(`
resource "keywarden_client" "billing" {
  name              = "Billing service"
  description       = "Invoices"
  scopes            = [%s]
  token_ttl_seconds = %d
  webhook_url       = %q
  webhook_events    = ["secret.*"]
  enabled           = %t
}
`, scopes, ttl, hook+"/hooks", enabled)
	}
	addr := "keywarden_client.billing"
	a.run(func() error {
		_, err := a.kw.GetClient(t.Context(), clientID)
		if !keywarden.HasStatus(err, http.StatusNotFound) {
			return errors.New("the client still exists after destroy: " + errString(err))
		}
		return nil
	},
		resource.TestStep{ // create
			Config:           config(`"invoices:read"`, 0, true),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("scopes"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("invoices:read")})),
			},
			Check: func(s *terraform.State) error {
				clientID = s.RootModule().Resources[addr].Primary.ID
				c, err := a.kw.GetClient(t.Context(), clientID)
				if err != nil {
					return err
				}
				if c.Name != "Billing service" || c.WebhookURL != hook+"/hooks" || len(c.WebhookEvents) != 1 {
					return errors.New("the server has another client than configured")
				}
				return nil
			},
		},
		resource.TestStep{ // update in place: scopes, lifetime, disabled
			Config:           config(`"invoices:read", "invoices:write"`, 600, false),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("disabled")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_ttl_seconds"), knownvalue.Int64Exact(600)),
			},
			Check: func(*terraform.State) error {
				c, err := a.kw.GetClient(t.Context(), clientID)
				if err != nil {
					return err
				}
				if c.Status != "disabled" || c.TokenTTLSeconds != 600 || len(c.Scopes) != 2 {
					return errors.New("the update did not reach the server")
				}
				return nil
			},
		},
		resource.TestStep{ // import
			ResourceName:      addr,
			ImportState:       true,
			ImportStateVerify: true,
		},
		resource.TestStep{ // drift: a change through the API shows on the next plan
			PreConfig: func() {
				scopes := []string{"admin"}
				name := "Renamed in the console"
				if _, err := a.kw.UpdateClient(t.Context(), clientID, apiv1.UpdateClient{Scopes: &scopes, Name: &name}); err != nil {
					t.Fatal(err)
				}
			},
			Config:             config(`"invoices:read", "invoices:write"`, 600, false),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("Billing service")),
			}},
		},
		resource.TestStep{ // the apply puts the configuration back
			Config: config(`"invoices:read", "invoices:write"`, 600, false),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("Billing service")),
			}},
			Check: func(*terraform.State) error {
				c, err := a.kw.GetClient(t.Context(), clientID)
				if err != nil {
					return err
				}
				if c.Name != "Billing service" || len(c.Scopes) != 2 {
					return errors.New("the drift was not corrected")
				}
				return nil
			},
		},
	)
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
