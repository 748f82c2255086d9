package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"keywarden/pkg/apiv1"
)

// TestClientListsArePaged pages through a client's secrets, rotations and
// refresh tokens, and the caller's sessions, two at a time: every item
// once, in the documented order, and the same items as one big page; a
// bad cursor or limit is the query's 422.
func TestClientListsArePaged(t *testing.T) {
	e := newEnv(t)
	client := e.createClient(t, "Billing")
	for range 2 {
		e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "prod"})
	}
	for range 3 {
		res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{GraceSeconds: ptr(0)})
		want(t, res, http.StatusCreated)
		// One rotation at a time: complete it before the next one starts.
		rot := decode[apiv1.RotateResult](t, res).Rotation
		want(t, e.do(t, "POST", clientPath(client.ClientID)+"/rotations/"+rot.ID+"/complete", apiv1.CompleteRotation{Force: true}), http.StatusOK)
		want(t, e.do(t, "POST", clientPath(client.ClientID)+"/refresh-tokens", nil), http.StatusCreated)
	}
	type page struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor string            `json:"next_cursor"`
	}
	ids := func(items []json.RawMessage) []string {
		var out []string
		for _, raw := range items {
			var v struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v.ID)
		}
		return out
	}
	lists := []struct {
		path string
		n    int
	}{
		{secretsPath(client.ClientID), 5},
		{clientPath(client.ClientID) + "/rotations", 3},
		{clientPath(client.ClientID) + "/refresh-tokens", 3},
		{"/v1/sessions", 0}, // an API token has no session: an empty list, one page
	}
	for _, l := range lists {
		t.Run(l.path, func(t *testing.T) {
			res := e.do(t, "GET", l.path+"?limit=200", nil)
			want(t, res, http.StatusOK)
			whole := decode[page](t, res)
			if whole.NextCursor != "" || len(whole.Items) != l.n {
				t.Fatalf("one page of 200: %d items, next %q; want %d, none", len(whole.Items), whole.NextCursor, l.n)
			}
			var got []string
			cursor := ""
			for range 10 {
				path := l.path + "?limit=2"
				if cursor != "" {
					path += "&cursor=" + url.QueryEscape(cursor)
				}
				res := e.do(t, "GET", path, nil)
				want(t, res, http.StatusOK)
				p := decode[page](t, res)
				if len(p.Items) > 2 {
					t.Fatalf("limit=2 gave %d items", len(p.Items))
				}
				got = append(got, ids(p.Items)...)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if want := ids(whole.Items); !slices.Equal(got, want) {
				t.Errorf("pages of 2 = %v, want %v", got, want)
			}
			wantProblem(t, e.do(t, "GET", l.path+"?cursor=bm90LWEtY3Vyc29y", nil), http.StatusUnprocessableEntity)
			wantProblem(t, e.do(t, "GET", l.path+"?limit=0", nil), http.StatusUnprocessableEntity)
			wantProblem(t, e.do(t, "GET", l.path+"?limit=1&limit=2", nil), http.StatusBadRequest)
		})
	}
}
