package api_test

import (
	"net/http"
	"slices"
	"testing"

	"keywarden/pkg/apiv1"
)

// activitySession reads a client's activity after the session above
// worked on it: one page holds the client's own events and its secrets'
// and rotations', names the IDs, carries the changes of updates, and is
// the same as the audit log filtered by client; a member may read it, an
// unknown client is 404.
func activitySession(t *testing.T, e *env, clientID string) {
	t.Helper()
	res := e.do(t, "GET", clientPath(clientID)+"/activity?limit=200", nil)
	want(t, res, http.StatusOK)
	activity := decode[apiv1.AuditList](t, res)
	actions := map[string]apiv1.AuditEvent{}
	for _, ev := range activity.Items {
		if _, seen := actions[ev.Action]; !seen {
			actions[ev.Action] = ev // the newest of each action
		}
		if ev.Target != clientID && ev.Detail["client_id"] != clientID {
			t.Errorf("activity of %s holds event %d (%s on %s) of another client", clientID, ev.Seq, ev.Action, ev.Target)
		}
	}
	for _, a := range []string{"client.create", "client.update", "secret.create", "secret.update", "secret.rotate", "rotation.complete"} {
		if _, ok := actions[a]; !ok {
			t.Errorf("the client's activity has no %s event (has %v)", a, keys(actions))
		}
	}
	if ev, ok := actions["secret.update"]; ok {
		n := ev.Names[ev.Target]
		if n.Kind != "secret" || n.ClientID != clientID || n.Name == "" {
			t.Errorf("secret.update names its target %+v, want the secret's description and client", n)
		}
		if len(ev.Changes) == 0 || ev.Changes[0].Before == ev.Changes[0].After {
			t.Errorf("secret.update changes = %+v, want before and after", ev.Changes)
		}
		if c := ev.Names[clientID]; c.Kind != "client" || c.Name == "" {
			t.Errorf("secret.update names the client %+v", c)
		}
	}
	filtered := decode[apiv1.AuditList](t, e.do(t, "GET", "/v1/audit?limit=200&client_id="+clientID, nil))
	seqs := func(l apiv1.AuditList) (out []int64) {
		for _, ev := range l.Items {
			out = append(out, ev.Seq)
		}
		return out
	}
	if !slices.Equal(seqs(activity), seqs(filtered)) {
		t.Errorf("activity %v differs from /v1/audit?client_id= %v", seqs(activity), seqs(filtered))
	}
	page := decode[apiv1.AuditList](t, e.do(t, "GET", clientPath(clientID)+"/activity?limit=2", nil))
	if len(page.Items) != 2 || page.NextCursor == "" {
		t.Fatalf("a page of 2 = %d events, next %q", len(page.Items), page.NextCursor)
	}
	next := decode[apiv1.AuditList](t, e.do(t, "GET", clientPath(clientID)+"/activity?limit=2&cursor="+page.NextCursor, nil))
	if got := seqs(next); len(got) == 0 || got[0] >= page.Items[1].Seq {
		t.Errorf("the next page %v does not follow %v", got, seqs(page))
	}
	_, member := e.userToken(t, e.boot.Org.ID, "member", nil, nil)
	want(t, e.do(t, "GET", clientPath(clientID)+"/activity", nil, as(member)), http.StatusOK)
	wantProblem(t, e.do(t, "GET", clientPath("kwc_0000000000000000000000")+"/activity", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", clientPath(clientID)+"/activity?cursor=nope", nil), http.StatusUnprocessableEntity)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
