package provider_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestClientWebhook manages an endpoint as its own resource: create,
// change in place, import, drift, destroy (the client keeps no endpoint).
func TestClientWebhook(t *testing.T) {
	a := newAcc(t, "--webhook-allow-private", "127.0.0.1")
	hook := hookReceiver(t)
	config := func(webhook bool, path, events string) string {
		c := `
resource "keywarden_client" "crm" {
  name = "CRM"
}
`
		if webhook {
			c += hcl(`
resource "keywarden_client_webhook" "crm" {
  client_id = keywarden_client.crm.id
  url       = %q
  events    = [%s]
}
`, hook+path, events)
		}
		return c
	}
	addr := "keywarden_client_webhook.crm"
	var clientID string
	endpoint := func() (apiv1.WebhookEndpoint, error) { return a.kw.GetWebhook(t.Context(), clientID) }
	a.run(nil,
		resource.TestStep{
			Config: config(true, "/a", `"secret.*"`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
			},
			Check: func(s *terraform.State) error {
				clientID = attr(s, "keywarden_client.crm", "id")
				e, err := endpoint()
				if err != nil || e.URL != hook+"/a" || len(e.Events) != 1 || e.Events[0] != "secret.*" {
					return fmt.Errorf("the server's endpoint is %+v (%v)", e, err)
				}
				return nil
			},
		},
		resource.TestStep{
			Config:           config(true, "/b", `"secret.*", "client.disabled"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
			Check: func(*terraform.State) error {
				e, err := endpoint()
				if err != nil || e.URL != hook+"/b" || len(e.Events) != 2 {
					return fmt.Errorf("the server's endpoint is %+v (%v)", e, err)
				}
				return nil
			},
		},
		resource.TestStep{
			ResourceName:      addr,
			ImportState:       true,
			ImportStateVerify: true,
		},
		resource.TestStep{
			PreConfig: func() {
				url := hook + "/changed-in-the-console"
				if _, err := a.kw.UpdateClient(t.Context(), clientID, apiv1.UpdateClient{WebhookURL: &url}); err != nil {
					t.Fatal(err)
				}
			},
			Config:             config(true, "/b", `"secret.*", "client.disabled"`),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("url"), knownvalue.StringExact(hook+"/b")),
			}},
		},
		resource.TestStep{
			Config: config(false, "", ""),
			Check: func(*terraform.State) error {
				e, err := endpoint()
				if err != nil || e.URL != "" || e.Status != "none" {
					return fmt.Errorf("after destroy the endpoint is %+v (%v)", e, err)
				}
				return nil
			},
		},
	)
}

// TestPolicy adopts the organisation's policy, changes it, imports it,
// detects a change through the API and leaves the policy when destroyed.
func TestPolicy(t *testing.T) {
	a := newAcc(t)
	config := func(never bool, developerDays int) string {
		return hcl(`
resource "keywarden_policy" "org" {
  allow_never_expire       = %t
  access_token_ttl_seconds = 900
  max_secret_lifetime_days = {
    developer = %d
  }
}
`, never, developerDays)
	}
	addr := "keywarden_policy.org"
	policy := func() apiv1.Policy {
		p, err := a.kw.GetPolicy(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := policy()
	a.run(func() error {
		if p := policy(); !p.AllowNeverExpire || p.MaxSecretLifetimeDays["developer"] != 45 {
			return errors.New("destroying the resource changed the policy")
		}
		return nil
	},
		resource.TestStep{
			Config: config(false, 30),
			ConfigStateChecks: []statecheck.StateCheck{
				// What the configuration leaves out is adopted as it is.
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("max_secret_lifetime_days").AtMapKey("admin"), knownvalue.Int64Exact(int64(before.MaxSecretLifetimeDays["admin"]))),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("require_mfa"), knownvalue.Bool(before.RequireMFA)),
			},
			Check: func(*terraform.State) error {
				if p := policy(); p.AccessTokenTTLSeconds != 900 || p.MaxSecretLifetimeDays["developer"] != 30 || p.MaxSecretLifetimeDays["admin"] != before.MaxSecretLifetimeDays["admin"] {
					return fmt.Errorf("the server's policy is %+v", p)
				}
				return nil
			},
		},
		resource.TestStep{
			Config:           config(true, 45),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
			Check: func(*terraform.State) error {
				if p := policy(); !p.AllowNeverExpire || p.MaxSecretLifetimeDays["developer"] != 45 {
					return fmt.Errorf("the server's policy is %+v", p)
				}
				return nil
			},
		},
		resource.TestStep{
			ResourceName:      addr,
			ImportState:       true,
			ImportStateId:     "policy",
			ImportStateVerify: true,
		},
		resource.TestStep{
			ResourceName:  addr,
			ImportState:   true,
			ImportStateId: "org_other",
			ExpectError:   regexp.MustCompile(`import ID is "policy"`),
		},
		resource.TestStep{
			PreConfig: func() {
				ttl := 60
				if _, err := a.kw.UpdatePolicy(t.Context(), apiv1.UpdatePolicy{AccessTokenTTLSeconds: &ttl}); err != nil {
					t.Fatal(err)
				}
			},
			Config:             config(true, 45),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("access_token_ttl_seconds"), knownvalue.Int64Exact(900)),
			}},
		},
		resource.TestStep{
			Config: config(true, 45),
			Check: func(*terraform.State) error {
				if p := policy(); p.AccessTokenTTLSeconds != 900 {
					return fmt.Errorf("the drift was not corrected: %+v", p)
				}
				return nil
			},
		},
	)
}

// TestUser invites a user whose one-time password reaches its file (and
// lets them log in), changes the role and disables them in place, imports,
// detects a role change through the API, replaces the user for a new
// email and deletes them on destroy.
func TestUser(t *testing.T) {
	a := newAcc(t)
	file := filepath.Join(t.TempDir(), "ada.otp")
	config := func(email, role string, enabled bool) string {
		return hcl(`
resource "keywarden_user" "ada" {
  email                  = %q
  role                   = %q
  enabled                = %t
  one_time_password_file = %q
}
`, email, role, enabled, file)
	}
	addr := "keywarden_user.ada"
	var ids []string
	user := func() apiv1.User {
		u, err := a.kw.GetUser(t.Context(), ids[len(ids)-1])
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	invited := func(email string) func(*terraform.State) error {
		return func(s *terraform.State) error {
			ids = append(ids, attr(s, addr, "id"))
			otp := a.readSecretFile("a one-time password", file)
			sess, err := keywarden.New(a.srv.URL, "", nil).Login(t.Context(), apiv1.Login{Email: email, Password: otp})
			if err != nil {
				return fmt.Errorf("log in with the one-time password: %w", err)
			}
			a.leaks.add("a session token", sess.Token)
			return nil
		}
	}
	a.run(func() error {
		for _, id := range ids {
			if _, err := a.kw.GetUser(t.Context(), id); !keywarden.HasStatus(err, http.StatusNotFound) {
				return fmt.Errorf("user %s outlived destroy", id)
			}
		}
		return nil
	},
		resource.TestStep{
			Config: config("ada@acme.example", "developer", true),
			Check:  invited("ada@acme.example"),
		},
		resource.TestStep{
			Config:           config("ada@acme.example", "admin", false),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
			Check: func(*terraform.State) error {
				if u := user(); u.Role != "admin" || u.Status != "disabled" {
					return fmt.Errorf("the server's user is %s, %s", u.Role, u.Status)
				}
				return nil
			},
		},
		resource.TestStep{
			ResourceName:            addr,
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"one_time_password_file"},
		},
		resource.TestStep{
			PreConfig: func() {
				role := "member"
				if _, err := a.kw.UpdateUser(t.Context(), ids[0], apiv1.UpdateUser{Role: &role}); err != nil {
					t.Fatal(err)
				}
			},
			Config:             config("ada@acme.example", "admin", false),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("role"), knownvalue.StringExact("admin")),
			}},
		},
		resource.TestStep{
			Config:           config("ada.lovelace@acme.example", "developer", true),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)}},
			Check:            invited("ada.lovelace@acme.example"),
		},
	)
}

// TestClientWebhookReenabled: an endpoint the server disabled after its
// deliveries failed shows up on the next plan, and the apply enables it.
func TestClientWebhookReenabled(t *testing.T) {
	a := newAcc(t, "--webhook-allow-private", "127.0.0.1", "--webhook-disable-after", "1s",
		"--webhook-retry-schedule", "10ms,10ms,10ms,600ms,600ms", "--webhook-poll-interval", "10ms")
	var failing atomic.Bool
	failing.Store(true)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	config := hcl(`
resource "keywarden_client" "crm" {
  name = "CRM"
}

resource "keywarden_client_webhook" "crm" {
  client_id = keywarden_client.crm.id
  url       = %q
}
`, receiver.URL+"/hooks")
	addr := "keywarden_client_webhook.crm"
	var clientID string
	a.run(nil,
		resource.TestStep{
			Config: config,
			Check: func(s *terraform.State) error {
				clientID = attr(s, "keywarden_client.crm", "id")
				return nil
			},
		},
		resource.TestStep{
			PreConfig: func() {
				// An event for the endpoint, whose deliveries fail until
				// the server disables it.
				created, err := a.kw.CreateSecret(t.Context(), clientID, apiv1.CreateSecret{Description: "Triggers a delivery"})
				if err != nil {
					t.Fatal(err)
				}
				a.leaks.add("a secret made through the API", created.Value)
				deadline := time.Now().Add(time.Minute)
				for {
					e, err := a.kw.GetWebhook(t.Context(), clientID)
					if err != nil {
						t.Fatal(err)
					}
					if e.Status == "disabled" {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the endpoint is still %s", e.Status)
					}
					time.Sleep(50 * time.Millisecond)
				}
				failing.Store(false)
			},
			Config:             config,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
			}},
		},
		resource.TestStep{
			Config: config,
			Check: func(*terraform.State) error {
				e, err := a.kw.GetWebhook(t.Context(), clientID)
				if err != nil || e.Status == "disabled" {
					return fmt.Errorf("the endpoint is %s after the apply (%v)", e.Status, err)
				}
				return nil
			},
		},
	)
}
