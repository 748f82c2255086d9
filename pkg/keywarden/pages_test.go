package keywarden_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"keywarden/pkg/keywarden"
)

// pagedServer serves clients c1…cN in pages of size, with cursors
// "after-cI". The cursor failAt is answered 422; failAt "repeat" makes every
// page after the first hand back the cursor it was asked for.
func pagedServer(t *testing.T, n, size int, failAt string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		cursor := r.URL.Query().Get("cursor")
		if cursor != "" && cursor == failAt {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"title":"Unprocessable Entity","status":422,"detail":"bad cursor"}`)
			return
		}
		start := 0
		fmt.Sscanf(cursor, "after-c%d", &start)
		var items []string
		for i := start + 1; i <= min(start+size, n); i++ {
			items = append(items, fmt.Sprintf(`{"client_id":"c%d"}`, i))
		}
		next := ""
		if start+size < n {
			next = fmt.Sprintf("after-c%d", start+size)
		}
		if failAt == "repeat" && cursor != "" {
			next = cursor
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"items":[%s],"next_cursor":%q}`, strings.Join(items, ","), next)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func TestClientsIterator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		n, size  int
		failAt   string
		stopAt   int    // break after this many items; 0: never
		want     string // the IDs seen, then "!" and the error if one
		requests int32
	}{
		{"every page in order", 5, 2, "", 0, "c1 c2 c3 c4 c5", 3},
		{"an empty list", 0, 2, "", 0, "", 1},
		{"a break stops fetching", 5, 2, "", 1, "c1", 1},
		{"a break at a page end fetches no more", 5, 2, "", 2, "c1 c2", 1},
		{"an error on a later page ends the iteration", 5, 2, "after-c2", 0, "c1 c2 !Unprocessable Entity: bad cursor", 2},
		{"the same cursor twice is an error, not a loop", 5, 2, "repeat", 0, `c1 c2 c3 c4 !the server returned the cursor "after-c2" twice`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := pagedServer(t, tc.n, tc.size, tc.failAt)
			var seen []string
			for cl, err := range keywarden.New(srv.URL, token, nil).Clients(t.Context(), keywarden.ClientQuery{ListOptions: keywarden.ListOptions{Limit: tc.size}}) {
				if err != nil {
					seen = append(seen, "!"+err.Error())
					break
				}
				seen = append(seen, cl.ClientID)
				if len(seen) == tc.stopAt {
					break
				}
			}
			if got := strings.Join(seen, " "); got != tc.want || requests.Load() != tc.requests {
				t.Errorf("saw %q in %d requests, want %q in %d", got, requests.Load(), tc.want, tc.requests)
			}
		})
	}
}
