package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"golang.org/x/oauth2/clientcredentials"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// token requests an access token with a client's secret through a
// standard OAuth 2.0 client (RFC 6749 §4.4).
func (a *acc) token(ctx context.Context, clientID, secret string) error {
	cfg := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: a.srv.URL + "/oauth2/token"}
	_, err := cfg.Token(ctx)
	return err
}

// attr reads an attribute of a resource from the state.
func attr(s *terraform.State, addr, name string) string {
	r := s.RootModule().Resources[addr]
	if r == nil {
		return ""
	}
	return r.Primary.Attributes[name]
}

// TestClientSecretGenerated: a secret Keywarden generates reaches its
// file (0600) and nothing else; it changes in place, imports, rotates by
// replacement with the old secret still working for its grace period, is
// created again when revoked outside Terraform, and is revoked at once
// when destroyed with no grace period.
func TestClientSecretGenerated(t *testing.T) {
	a := newAcc(t)
	file := filepath.Join(t.TempDir(), "billing.secret")
	config := func(secret bool, description, rotation string, grace int) string {
		c := `
resource "keywarden_client" "billing" {
  name   = "Billing service"
  scopes = ["invoices:read"]
}
`
		if secret {
			c += hcl(`
resource "keywarden_client_secret" "billing" {
  client_id            = keywarden_client.billing.id
  description          = %q
  value_file           = %q
  keepers              = { rotation = %q }
  grace_period_seconds = %d
}
`, description, file, rotation, grace)
		}
		return c
	}
	addr := "keywarden_client_secret.billing"
	var clientID string
	var ids, values []string // every secret and value, in order
	created := func(s *terraform.State) error {
		clientID = attr(s, "keywarden_client.billing", "id")
		v := a.readSecretFile("a generated secret", file)
		if !strings.HasPrefix(v, "kws_") || attr(s, addr, "hint") != v[len(v)-4:] || attr(s, addr, "origin") != "generated" {
			return fmt.Errorf("the file holds %d characters that do not match the secret's hint %q", len(v), attr(s, addr, "hint"))
		}
		if len(values) > 0 && v == values[len(values)-1] {
			return errors.New("the file still holds the previous value")
		}
		if err := a.token(t.Context(), clientID, v); err != nil {
			return fmt.Errorf("a token with the value in the file: %w", err)
		}
		ids, values = append(ids, attr(s, addr, "id")), append(values, v)
		return nil
	}
	a.run(func() error {
		if _, err := a.kw.GetClient(t.Context(), clientID); !keywarden.HasStatus(err, http.StatusNotFound) {
			return errors.New("the client outlived destroy")
		}
		return nil
	},
		resource.TestStep{ // create
			Config: config(true, "Production", "1", 600),
			Check:  created,
		},
		resource.TestStep{ // in place: the description
			Config:           config(true, "Production EU", "1", 600),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
			Check: func(s *terraform.State) error {
				sec, err := a.kw.GetSecret(t.Context(), clientID, ids[0])
				if err != nil || sec.Description != "Production EU" {
					return fmt.Errorf("description on the server: %q, %v", sec.Description, err)
				}
				if a.readSecretFile("a generated secret", file) != values[0] {
					return errors.New("an in-place change rewrote the value")
				}
				return nil
			},
		},
		resource.TestStep{ // import: everything but what only the configuration knows
			ResourceName:            addr,
			ImportState:             true,
			ImportStateIdFunc:       func(s *terraform.State) (string, error) { return clientID + "/" + ids[0], nil },
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"value_file", "keepers", "keepers.%", "keepers.rotation", "grace_period_seconds"},
		},
		resource.TestStep{ // rotate: replace, the old secret expires after its grace period
			Config:           config(true, "Production EU", "2", 600),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)}},
			Check: func(s *terraform.State) error {
				if err := created(s); err != nil {
					return err
				}
				old, err := a.kw.GetSecret(t.Context(), clientID, ids[0])
				if err != nil {
					return err
				}
				if old.Status != "active" || old.ExpiresAt == nil || time.Until(*old.ExpiresAt) > 600*time.Second || time.Until(*old.ExpiresAt) < 540*time.Second {
					return fmt.Errorf("the replaced secret is %s, expiring %v; want active for the 600 s grace period", old.Status, old.ExpiresAt)
				}
				return a.token(t.Context(), clientID, values[0])
			},
		},
		resource.TestStep{ // drift: revoked through the API, so the plan creates a new one
			PreConfig: func() {
				if _, err := a.kw.RevokeSecret(t.Context(), clientID, ids[1], keywarden.RevokeOptions{}); err != nil {
					t.Fatal(err)
				}
			},
			Config:             config(true, "Production EU", "2", 600),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
			}},
		},
		resource.TestStep{
			Config: config(true, "Production EU", "2", 600),
			Check:  created,
		},
		resource.TestStep{ // no grace period from now on: in place, nothing sent
			Config:           config(true, "Production EU", "2", 0),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
		},
		resource.TestStep{ // destroy the secret: revoked at once
			Config: config(false, "", "", 0),
			Check: func(*terraform.State) error {
				sec, err := a.kw.GetSecret(t.Context(), clientID, ids[2])
				if err != nil || sec.Status != "revoked" {
					return fmt.Errorf("the destroyed secret is %q (%v), want revoked", sec.Status, err)
				}
				if err := a.token(t.Context(), clientID, values[2]); err == nil {
					return errors.New("the revoked secret still gets tokens")
				}
				return nil
			},
		},
	)
}

// TestClientSecretSupplied: a value made by the random_secret ephemeral
// resource goes to the server through the write-only value_wo and to the
// consumer's file, and bumping value_wo_version rotates it.
func TestClientSecretSupplied(t *testing.T) {
	a := newAcc(t)
	file := filepath.Join(t.TempDir(), "consumer.secret")
	config := func(version int) string {
		return hcl(`
resource "keywarden_client" "app" {
  name = "Supplied"
}

ephemeral "keywarden_random_secret" "app" {
  length = 40
}

resource "keywarden_client_secret" "app" {
  client_id        = keywarden_client.app.id
  description      = "From an ephemeral value"
  value_wo         = ephemeral.keywarden_random_secret.app.value
  value_wo_version = %d
  value_file       = %q
}
`, version, file)
	}
	addr := "keywarden_client_secret.app"
	var values []string
	check := func(s *terraform.State) error {
		v := a.readSecretFile("a supplied secret", file)
		if len(v) != 40 || attr(s, addr, "origin") != "supplied" || attr(s, addr, "hint") != v[36:] {
			return fmt.Errorf("the file holds %d characters; the secret is %s with hint %q", len(v), attr(s, addr, "origin"), attr(s, addr, "hint"))
		}
		if attr(s, addr, "value_wo") != "" {
			return errors.New("value_wo is in the state")
		}
		if err := a.token(t.Context(), attr(s, "keywarden_client.app", "id"), v); err != nil {
			return fmt.Errorf("a token with the supplied value: %w", err)
		}
		for _, old := range values {
			if old == v {
				return errors.New("a new version reused a value")
			}
			if err := a.token(t.Context(), attr(s, "keywarden_client.app", "id"), old); err != nil {
				return fmt.Errorf("the previous value stopped working during its grace period: %w", err)
			}
		}
		values = append(values, v)
		return nil
	}
	a.run(nil,
		resource.TestStep{
			Config: `
resource "keywarden_client" "app" {
  name = "Supplied"
}

resource "keywarden_client_secret" "app" {
  client_id   = keywarden_client.app.id
  description = "A generated value with nowhere to go"
}
`,
			ExpectError: regexp.MustCompile(`Nowhere to put the value`),
		},
		resource.TestStep{
			Config: config(1),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("value_wo"), knownvalue.Null()),
			},
			Check: check,
		},
		resource.TestStep{
			Config:           config(2),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate)}},
			Check:            check,
		},
	)
}

// TestClientSecretAdopted: a secret made outside Terraform is imported
// with an import block; the configuration's value_file and keepers are
// recorded in place, not by replacing (rotating) the secret.
func TestClientSecretAdopted(t *testing.T) {
	a := newAcc(t)
	c, err := a.kw.CreateClient(t.Context(), apiv1.CreateClient{Name: "Legacy"})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := a.kw.CreateSecret(t.Context(), c.ClientID, apiv1.CreateSecret{Description: "Made by hand"})
	if err != nil {
		t.Fatal(err)
	}
	a.leaks.add("a secret made through the API", sec.Value)
	file := filepath.Join(t.TempDir(), "legacy.secret")
	addr := "keywarden_client_secret.legacy"
	a.run(nil, resource.TestStep{
		Config: hcl(`
import {
  to = keywarden_client_secret.legacy
  id = "%s/%s"
}

resource "keywarden_client_secret" "legacy" {
  client_id   = %q
  description = "Made by hand"
  value_file  = %q
  keepers     = { rotation = "1" }
}
`, c.ClientID, sec.ID, c.ClientID, file),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		Check: func(s *terraform.State) error {
			if attr(s, addr, "id") != sec.ID {
				return fmt.Errorf("the state holds secret %s, want the adopted %s", attr(s, addr, "id"), sec.ID)
			}
			if got, err := a.kw.GetSecret(t.Context(), c.ClientID, sec.ID); err != nil || got.Status != "active" {
				return fmt.Errorf("the adopted secret is %q (%v)", got.Status, err)
			}
			return a.token(t.Context(), c.ClientID, sec.Value)
		},
	})
}
