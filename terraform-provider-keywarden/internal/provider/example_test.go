package provider_test

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestExamplePlatform applies examples/platform as a platform team would:
// against a fresh server it creates the policy, the clients, their
// secrets and a user; a change made through the API and one made in the
// web console show up as drift; a
// rotation applied while the billing service keeps requesting tokens
// loses none; destroy removes what it created.
func TestExamplePlatform(t *testing.T) {
	a := newAcc(t, "--webhook-allow-private", "127.0.0.1")
	secrets := t.TempDir()
	hook := hookReceiver(t) + "/keywarden"
	vars := func(rotation string) config.Variables {
		return config.Variables{
			"secrets_dir": config.StringVariable(secrets),
			"rotation":    config.StringVariable(rotation),
			"webhook_url": config.StringVariable(hook),
		}
	}
	dir := config.StaticDirectory("../../examples/platform")
	var billing, reports, userID string
	var c *consumer
	t.Cleanup(func() {
		if c != nil {
			c.stop()
		}
	})
	a.run(func() error {
		for _, id := range []string{billing, reports} {
			if _, err := a.kw.GetClient(t.Context(), id); !keywarden.HasStatus(err, http.StatusNotFound) {
				return fmt.Errorf("client %s outlived destroy", id)
			}
		}
		if _, err := a.kw.GetUser(t.Context(), userID); !keywarden.HasStatus(err, http.StatusNotFound) {
			return errors.New("the user outlived destroy")
		}
		return nil
	},
		resource.TestStep{
			ConfigDirectory: dir,
			ConfigVariables: vars("2031-q1"),
			Check: func(s *terraform.State) error {
				billing, reports = attr(s, "keywarden_client.billing", "id"), attr(s, "keywarden_client.reports", "id")
				userID = attr(s, "keywarden_user.admin", "id")
				p, err := a.kw.GetPolicy(t.Context())
				if err != nil || p.MaxSecretLifetimeDays["developer"] != 30 || p.AccessTokenTTLSeconds != 900 {
					return fmt.Errorf("policy %+v (%v)", p, err)
				}
				if e, err := a.kw.GetWebhook(t.Context(), billing); err != nil || e.URL != hook {
					return fmt.Errorf("billing's endpoint %+v (%v)", e, err)
				}
				for id, file := range map[string]string{billing: "billing", reports: "reports"} {
					if err := a.token(t.Context(), id, a.readSecretFile("the "+file+" secret", filepath.Join(secrets, file))); err != nil {
						return fmt.Errorf("%s's token: %w", file, err)
					}
				}
				a.readSecretFile("the admin's one-time password", filepath.Join(secrets, "admin-one-time-password"))
				if s.RootModule().Outputs["token_endpoint"].Value != a.srv.URL+"/oauth2/token" {
					return fmt.Errorf("output token_endpoint is %v", s.RootModule().Outputs["token_endpoint"].Value)
				}
				return nil
			},
		},
		resource.TestStep{ // a change made outside is drift
			PreConfig: func() {
				scopes := []string{"everything"}
				if _, err := a.kw.UpdateClient(t.Context(), billing, apiv1.UpdateClient{Scopes: &scopes}); err != nil {
					t.Fatal(err)
				}
			},
			ConfigDirectory:    dir,
			ConfigVariables:    vars("2031-q1"),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("keywarden_client.billing", plancheck.ResourceActionUpdate),
			}},
		},
		resource.TestStep{ // an edit in the web console is drift too
			PreConfig: func() {
				if _, err := a.kw.UpdateClient(t.Context(), billing, apiv1.UpdateClient{Scopes: &[]string{"invoices:read", "invoices:write"}}); err != nil {
					t.Fatal(err)
				}
				a.consoleDisableClient(t, billing)
			},
			ConfigDirectory:    dir,
			ConfigVariables:    vars("2031-q1"),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("keywarden_client.billing", plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue("keywarden_client.billing", tfjsonpath.New("enabled"), knownvalue.Bool(true)),
			}},
		},
		resource.TestStep{ // put back; the billing service starts calling
			ConfigDirectory: dir,
			ConfigVariables: vars("2031-q1"),
			Check: func(*terraform.State) error {
				c = startConsumer(a, billing, filepath.Join(secrets, "billing"))
				return nil
			},
		},
		resource.TestStep{ // rotate while it calls
			ConfigDirectory: dir,
			ConfigVariables: vars("2031-q2"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("keywarden_client_secret.billing", plancheck.ResourceActionCreateBeforeDestroy),
			}},
			Check: func(*terraform.State) error {
				a.readSecretFile("the rotated billing secret", filepath.Join(secrets, "billing"))
				c.stop()
				c.mu.Lock()
				defer c.mu.Unlock()
				t.Logf("billing service: %d values used, %d failed requests", len(c.order), len(c.failures))
				if len(c.failures) > 0 {
					return fmt.Errorf("%d token requests failed during the rotation, the first: %s", len(c.failures), c.failures[0])
				}
				if len(c.order) < 1 {
					return errors.New("the billing service made no successful request")
				}
				return nil
			},
		},
	)
}
