package webhook_test

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/webhook"
)

// expiryMessages returns the days_before of each secret.expiring message
// (0 for secret.expired) of a client, oldest first.
func expiryMessages(t *testing.T, e *env, clientID domain.ClientID) []int {
	t.Helper()
	var out []int
	list := e.messages(t, clientID)
	for i := len(list) - 1; i >= 0; i-- {
		m := list[i]
		switch m.EventType {
		case webhook.TypeSecretExpired:
			out = append(out, 0)
		case webhook.TypeSecretExpiring:
			var p struct {
				Data struct {
					DaysBefore int `json:"days_before"`
				} `json:"data"`
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Data.DaysBefore)
		}
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestExpiryNoticesOnceEach walks a secret through its last 20 days, with
// the job running every few hours: each notice is sent once, on time.
func TestExpiryNoticesOnceEach(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, "https://hooks.example.com/kw")
	expires := e.clock.Now().Add(20 * 24 * time.Hour)
	x, err := e.creds.CreateSecret(t.Context(), e.admin, c.ID, credential.SecretInput{Description: "d", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Duration][]int{ // time before expiry → notices sent so far
		15 * 24 * time.Hour: nil,
		14 * 24 * time.Hour: {14},
		8 * 24 * time.Hour:  {14},
		7 * 24 * time.Hour:  {14, 7},
		25 * time.Hour:      {14, 7},
		24 * time.Hour:      {14, 7, 1},
		time.Second:         {14, 7, 1},
		0:                   {14, 7, 1, 0},
		-3 * 24 * time.Hour: {14, 7, 1, 0},
	}
	var points []time.Duration // hourly, and every checkpoint
	for left := 20 * 24 * time.Hour; left >= -3*24*time.Hour; left -= time.Hour {
		points = append(points, left)
	}
	points = append(points, slices.Collect(maps.Keys(want))...)
	slices.Sort(points)
	slices.Reverse(points)
	for _, left := range slices.Compact(points) {
		e.clock.Add(expires.Add(-left).Sub(e.clock.Now()))
		for range 2 { // twice: idempotent
			if _, err := e.hooks.RunExpiry(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if w, ok := want[left]; ok {
			if got := expiryMessages(t, e, c.ID); !equalInts(got, w) {
				t.Errorf("%v before expiry: notices %v, want %v", left, got, w)
			}
		}
	}
	ev, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "secret.expire"})
	if err != nil || len(ev) != 1 || ev[0].Target != string(x.Secret.ID) || ev[0].ActorKind != "system" {
		t.Errorf("audit secret.expire = %+v, %v; want one by the system", ev, err)
	}
}

// TestExpiryCatchesUp: a server that was down sends only the most urgent
// notice that is due, and never announces an expiry older than the
// lookback.
func TestExpiryCatchesUp(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, "https://hooks.example.com/kw")
	soon := e.clock.Now().Add(3 * 24 * time.Hour)
	if _, err := e.creds.CreateSecret(t.Context(), e.admin, c.ID, credential.SecretInput{Description: "d", ExpiresAt: &soon}); err != nil {
		t.Fatal(err)
	}
	old := e.client(t, "https://hooks.example.com/old")
	long := e.clock.Now().Add(time.Hour)
	if _, err := e.creds.CreateSecret(t.Context(), e.admin, old.ID, credential.SecretInput{Description: "d", ExpiresAt: &long}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour + webhook.ExpiryLookback + time.Minute) // down for over a week
	if _, err := e.hooks.RunExpiry(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := expiryMessages(t, e, c.ID); !equalInts(got, []int{0}) {
		t.Errorf("after the downtime: %v, want only secret.expired", got)
	}
	if got := expiryMessages(t, e, old.ID); len(got) != 0 {
		t.Errorf("an expiry older than the lookback was announced: %v", got)
	}
}

// TestExpiryEditedArmsAgain: moving a secret's expiry later arms its
// notices again; the ones for the old expiry do not come back.
func TestExpiryEditedArmsAgain(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, "https://hooks.example.com/kw")
	exp := e.clock.Now().Add(5 * 24 * time.Hour)
	x, err := e.creds.CreateSecret(t.Context(), e.admin, c.ID, credential.SecretInput{Description: "d", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	e.hooks.RunExpiry(t.Context())
	later := e.clock.Now().Add(30 * 24 * time.Hour)
	if _, err := e.creds.UpdateSecret(t.Context(), e.admin, c.ID, x.Secret.ID, credential.SecretPatch{ExpiresAt: &later}); err != nil {
		t.Fatal(err)
	}
	e.hooks.RunExpiry(t.Context())
	e.clock.Add(17 * 24 * time.Hour)
	e.hooks.RunExpiry(t.Context())
	if got := expiryMessages(t, e, c.ID); !equalInts(got, []int{7, 14}) {
		t.Errorf("notices = %v, want [7 14] (7 for the first expiry, then 14 for the new one)", got)
	}
}

// TestExpiryOnSeveralNodes runs the job on four "nodes" at once, many
// times: every notice is still sent once.
func TestExpiryOnSeveralNodes(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, "https://hooks.example.com/kw")
	for i := range 5 {
		exp := e.clock.Now().Add(time.Duration(i+1) * time.Hour)
		if _, err := e.creds.CreateSecret(t.Context(), e.admin, c.ID, credential.SecretInput{Description: "d", ExpiresAt: &exp}); err != nil {
			t.Fatal(err)
		}
	}
	nodes := []*webhook.Service{e.hooks, webhook.New(e.opts), webhook.New(e.opts), webhook.New(e.opts)}
	for step := range 3 {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(func() {
				for range 3 {
					if _, err := n.RunExpiry(t.Context()); err != nil {
						t.Errorf("RunExpiry: %v", err)
					}
				}
			})
		}
		wg.Wait()
		if step == 0 {
			if got := expiryMessages(t, e, c.ID); !equalInts(got, []int{1, 1, 1, 1, 1}) {
				t.Errorf("1-day notices = %v, want one per secret", got)
			}
		}
		e.clock.Add(3 * time.Hour)
	}
	if got := expiryMessages(t, e, c.ID); !equalInts(got, []int{1, 1, 1, 1, 1, 0, 0, 0, 0, 0}) {
		t.Errorf("notices = %v, want one 1-day notice and one expired per secret", got)
	}
}
