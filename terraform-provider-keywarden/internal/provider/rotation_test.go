package provider_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// consumer is a caller that requests tokens the whole time, with whatever
// secret its file holds at that moment: what a service does that reads its
// secret from a mounted file.
type consumer struct {
	a        *acc
	clientID string
	file     string
	cancel   context.CancelFunc
	done     chan struct{}

	mu       sync.Mutex
	ok       map[string]int // successful requests per value
	failures []string
	order    []string // the values in the order the consumer first used them
}

// Bounds of the consumer's loop: it stops by itself.
const (
	consumerMaxRequests = 20_000
	consumerMaxTime     = 3 * time.Minute
	consumerPause       = 10 * time.Millisecond
)

func startConsumer(a *acc, clientID, file string) *consumer {
	ctx, cancel := context.WithTimeout(context.Background(), consumerMaxTime)
	c := &consumer{a: a, clientID: clientID, file: file, cancel: cancel, done: make(chan struct{}), ok: map[string]int{}}
	go func() {
		defer close(c.done)
		for range consumerMaxRequests {
			if ctx.Err() != nil {
				return
			}
			b, err := os.ReadFile(file)
			v := string(b)
			if err == nil {
				err = a.token(ctx, clientID, v)
			}
			if ctx.Err() != nil {
				return // stopped in the middle of a request: not the server's failure
			}
			c.mu.Lock()
			if err != nil {
				c.failures = append(c.failures, fmt.Sprintf("%s: %v", time.Now().Format(time.RFC3339Nano), err))
			} else {
				if c.ok[v] == 0 {
					c.order = append(c.order, v)
				}
				c.ok[v]++
			}
			c.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(consumerPause):
			}
		}
	}()
	return c
}

func (c *consumer) stop() {
	c.cancel()
	<-c.done
}

// TestRotationZeroFailures rotates a secret by changing its keepers while
// a consumer requests tokens with the secret its file holds: not one
// request fails during the apply, the consumer moves to the new value by
// itself, and the old secret keeps working until its grace period ends.
// Both orders of a replacement keep a working secret: with
// create_before_destroy the new one exists first; without it the old one
// is only scheduled to expire before the new one is made.
func TestRotationZeroFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lifecycle string
		action    plancheck.ResourceActionType
	}{
		{"create before destroy", "\n  lifecycle {\n    create_before_destroy = true\n  }\n", plancheck.ResourceActionCreateBeforeDestroy},
		{"destroy before create", "", plancheck.ResourceActionDestroyBeforeCreate},
	} {
		t.Run(tc.name, func(t *testing.T) { testRotation(t, tc.lifecycle, tc.action) })
	}
}

func testRotation(t *testing.T, lifecycle string, action plancheck.ResourceActionType) {
	a := newAcc(t)
	file := filepath.Join(t.TempDir(), "payments.secret")
	config := func(rotation string) string {
		return hcl(`
resource "keywarden_client" "payments" {
  name = "Payments"
}

resource "keywarden_client_secret" "payments" {
  client_id            = keywarden_client.payments.id
  description          = "Production"
  value_file           = %q
  keepers              = { rotation = %q }
  grace_period_seconds = 300
%s}
`, file, rotation, lifecycle)
	}
	addr := "keywarden_client_secret.payments"
	var c *consumer
	var oldID, oldValue string
	t.Cleanup(func() {
		if c != nil {
			c.stop()
		}
	})
	a.run(nil,
		resource.TestStep{
			Config: config("2031-q1"),
			Check: func(s *terraform.State) error {
				oldID, oldValue = attr(s, addr, "id"), a.readSecretFile("the first secret", file)
				c = startConsumer(a, attr(s, "keywarden_client.payments", "id"), file)
				// The consumer is running before the rotation is planned.
				deadline := time.Now().Add(30 * time.Second)
				for {
					c.mu.Lock()
					n := c.ok[oldValue] + len(c.failures)
					c.mu.Unlock()
					if n > 0 {
						return nil
					}
					if time.Now().After(deadline) {
						return errors.New("the consumer made no request")
					}
					time.Sleep(consumerPause)
				}
			},
		},
		resource.TestStep{
			Config: config("2031-q2"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, action),
			}},
			Check: func(s *terraform.State) error {
				newValue := a.readSecretFile("the rotated secret", file)
				// Let the consumer read the new file at least once more.
				deadline := time.Now().Add(30 * time.Second)
				for {
					c.mu.Lock()
					n := c.ok[newValue]
					c.mu.Unlock()
					if n > 0 || time.Now().After(deadline) {
						break
					}
					time.Sleep(consumerPause)
				}
				c.stop()
				c.mu.Lock()
				defer c.mu.Unlock()
				t.Logf("consumer: %d requests with the old secret, %d with the new one, %d failed", c.ok[oldValue], c.ok[newValue], len(c.failures))
				if len(c.failures) > 0 {
					return fmt.Errorf("%d token requests failed during the rotation, the first: %s", len(c.failures), c.failures[0])
				}
				if newValue == oldValue || len(c.order) != 2 || c.order[0] != oldValue || c.order[1] != newValue {
					return fmt.Errorf("the consumer used %d values; want the old one, then the new one", len(c.order))
				}
				old, err := a.kw.GetSecret(t.Context(), attr(s, "keywarden_client.payments", "id"), oldID)
				if err != nil {
					return err
				}
				if left := time.Until(*old.ExpiresAt); old.Status != "active" || left > 300*time.Second || left < 240*time.Second {
					return fmt.Errorf("the old secret is %s and expires in %v; want active for the 300 s grace period", old.Status, left)
				}
				// The overlap: the old value still works after the apply.
				return a.token(t.Context(), attr(s, "keywarden_client.payments", "id"), oldValue)
			},
		},
	)
}
