package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// streamRecord is what an organisation's stream sends for one event
// (package auditstream's Record), read from an NDJSON line or a HEC event.
type streamRecord struct {
	Seq      int64  `json:"seq"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
	ID       string `json:"id"`
	OrgID    string `json:"org_id"`
	Action   string `json:"action"`
	Target   string `json:"target"`
}

// siemReceiver is an HTTP collector on loopback: it keeps every record it
// is sent, in arrival order, and the Authorization headers.
type siemReceiver struct {
	mu      sync.Mutex
	records []streamRecord
	auth    map[string]bool
	bad     []string    // what it could not read
	down    atomic.Bool // answer 503 to everything
	srv     *httptest.Server
}

func newSIEMReceiver(t *testing.T) *siemReceiver {
	r := &siemReceiver{auth: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			http.Error(w, "collector down", http.StatusServiceUnavailable)
			return
		}
		var got []streamRecord
		sc := bufio.NewScanner(req.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				streamRecord
				Event *streamRecord `json:"event"` // HEC
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				r.mu.Lock()
				r.bad = append(r.bad, sc.Text())
				r.mu.Unlock()
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if line.Event != nil {
				got = append(got, *line.Event)
			} else {
				got = append(got, line.streamRecord)
			}
		}
		r.mu.Lock()
		r.records = append(r.records, got...)
		r.auth[req.Header.Get("Authorization")] = true
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *siemReceiver) got() []streamRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

// orgEvents returns the organisation's audit events from seq from on, in
// chain order, through the API.
func orgEvents(t *testing.T, c *keywarden.Client, from int64) []apiv1.AuditEvent {
	t.Helper()
	var out []apiv1.AuditEvent
	for e, err := range c.AuditEvents(t.Context(), keywarden.AuditQuery{}) {
		noErr(t, err)
		if e.Seq >= from {
			out = append(out, e)
		}
	}
	slices.Reverse(out) // the API pages newest first
	return out
}

// waitStream polls the stream through the API until ok holds of it, for
// at most 60 s.
func waitStream(t *testing.T, c *keywarden.Client, id, what string, ok func(apiv1.AuditStream) bool) apiv1.AuditStream {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, err := c.GetAuditStream(t.Context(), id)
		noErr(t, err)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not %s after 60s: %s", id, what, fmtJSON(s))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestOrgAuditStreams: two organisations on one server each create their
// own audit stream through the API (one with the CLI, NDJSON with a bearer
// token; one with the SDK, Splunk HEC) to a collector on loopback, which
// --webhook-allow-private lets them reach. Both then make audited changes,
// interleaved. Each collector gets exactly its organisation's events from
// its stream's creation on, each once, in sequence order, every record
// with the chain's fields (consecutive records linked by prev_hash), and
// not one event of the other organisation; the API shows each stream
// caught up and healthy. When a collector answers 503 the API shows its
// stream failing, with the answer, and behind; back up, the collector gets
// what it missed and the stream shows healthy again.
func TestOrgAuditStreams(t *testing.T) {
	in := newSQLite(t)
	acme := in.init(t, "Acme", "admin@acme.test")
	globex := in.init(t, "Globex", "admin@globex.test")
	srv := in.start(t, "--webhook-allow-private", "127.0.0.1/32", "--audit-stream-interval", "50ms", "--webhook-dispatch=false")
	acmeSIEM, globexSIEM := newSIEMReceiver(t), newSIEMReceiver(t)
	acmeAPI, globexAPI := srv.api(acme.APIToken), srv.api(globex.APIToken)

	// Without --webhook-allow-private listing it, loopback would be
	// refused; a host it does not list still is.
	if _, err := acmeAPI.CreateAuditStream(t.Context(), apiv1.CreateAuditStream{Name: "lan", URL: "http://10.9.9.9/audit"}); err == nil ||
		!strings.Contains(err.Error(), "url") {
		t.Errorf("a stream to an unlisted private address = %v, want refused on url", err)
	}

	// Acme through the CLI, the token on standard input.
	out, errOut, code := in.run(t, "acme-receiver-token\n", "audit", "streams", "create", "lake", acmeSIEM.srv.URL+"/audit",
		"--receiver-token-stdin", "-o", "json", "--server", srv.URL, "--token", acme.APIToken)
	if code != 0 {
		t.Fatalf("audit streams create: exit %d: %s", code, errOut)
	}
	var acmeStream apiv1.AuditStream
	noErr(t, json.Unmarshal([]byte(out), &acmeStream))
	if strings.Contains(out, "acme-receiver-token") || !acmeStream.HasToken || acmeStream.Format != "ndjson" {
		t.Fatalf("created %s", out)
	}
	// Globex through the SDK, as Splunk HEC events.
	globexStream, err := globexAPI.CreateAuditStream(t.Context(), apiv1.CreateAuditStream{Name: "splunk", URL: globexSIEM.srv.URL + "/services/collector/event",
		Format: "hec", Token: "globex-hec-token"})
	noErr(t, err)

	// Audited changes in both organisations, interleaved in runs of three
	// (consecutive events, so the receivers can check prev_hash links).
	for i := range 6 {
		for _, c := range []struct {
			api  *keywarden.Client
			name string
		}{{acmeAPI, "acme"}, {globexAPI, "globex"}} {
			for j := range 3 {
				_, err := c.api.CreateClient(t.Context(), apiv1.CreateClient{Name: fmt.Sprintf("%s-%d-%d", c.name, i, j)})
				noErr(t, err)
			}
		}
	}

	for _, tc := range []struct {
		name   string
		api    *keywarden.Client
		stream apiv1.AuditStream
		siem   *siemReceiver
		org    string
		other  string
		auth   string
	}{
		{"acme", acmeAPI, acmeStream, acmeSIEM, acme.OrganizationID, globex.OrganizationID, "Bearer acme-receiver-token"},
		{"globex", globexAPI, globexStream, globexSIEM, globex.OrganizationID, acme.OrganizationID, "Splunk globex-hec-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := orgEvents(t, tc.api, tc.stream.DeliveredSeq+1)
			if len(want) < 19 || want[0].Action != "audit.stream_create" || want[0].Target != tc.stream.ID {
				t.Fatalf("the organisation's events since its stream's creation: %s", fmtJSON(want))
			}
			last := want[len(want)-1].Seq
			// Arrival: poll with a deadline until the stream says it is
			// caught up, then compare what the receiver holds.
			deadline := time.Now().Add(60 * time.Second)
			var st apiv1.AuditStream
			for {
				st, err = tc.api.GetAuditStream(t.Context(), tc.stream.ID)
				noErr(t, err)
				if st.DeliveredSeq >= last {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("stream not caught up after 60s: %s; received %d records", fmtJSON(st), len(tc.siem.got()))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if st.Status != "ok" || st.Failures != 0 || st.DeliveredAt == nil || st.LatestSeq < last {
				t.Errorf("caught-up stream shows %s", fmtJSON(st))
			}
			got := tc.siem.got()
			var gotSeqs, wantSeqs []int64
			for _, e := range want {
				wantSeqs = append(wantSeqs, e.Seq)
			}
			for _, r := range got {
				if r.Seq <= last {
					gotSeqs = append(gotSeqs, r.Seq)
				}
			}
			if !slices.Equal(gotSeqs, wantSeqs) {
				t.Fatalf("received seqs %v, want exactly %v (once each, in order)", gotSeqs, wantSeqs)
			}
			linked := 0
			for i, r := range got {
				if r.Seq > last {
					break
				}
				e := want[i]
				if r.OrgID != tc.org || r.OrgID == tc.other {
					t.Errorf("record %d is of organisation %s, want %s", r.Seq, r.OrgID, tc.org)
				}
				if r.ID != e.ID || r.Action != e.Action || r.Target != e.Target {
					t.Errorf("record %d = %+v, the API has %s %s %s", r.Seq, r, e.ID, e.Action, e.Target)
				}
				if !hexHash.MatchString(r.Hash) || !hexHash.MatchString(r.PrevHash) {
					t.Errorf("record %d lacks the chain fields: hash %q, prev_hash %q", r.Seq, r.Hash, r.PrevHash)
				}
				if i > 0 && got[i-1].Seq == r.Seq-1 {
					linked++
					if r.PrevHash != got[i-1].Hash {
						t.Errorf("record %d: prev_hash %s, but record %d has hash %s", r.Seq, r.PrevHash, r.Seq-1, got[i-1].Hash)
					}
				}
			}
			if linked < 6 {
				t.Errorf("only %d consecutive pairs to check prev_hash on; want at least 6", linked)
			}
			tc.siem.mu.Lock()
			auth, bad := tc.siem.auth, tc.siem.bad
			tc.siem.mu.Unlock()
			if len(auth) != 1 || !auth[tc.auth] {
				t.Errorf("Authorization headers %v, want only %q", auth, tc.auth)
			}
			if len(bad) > 0 {
				t.Errorf("unreadable lines: %q", bad)
			}
		})
	}

	// Globex's collector goes down: the API shows the stream failing, with
	// the collector's answer, and behind; back up, it catches up with
	// everything it missed, in order, and shows healthy again.
	globexSIEM.down.Store(true)
	before := len(globexSIEM.got())
	for i := range 3 {
		_, err := globexAPI.CreateClient(t.Context(), apiv1.CreateClient{Name: fmt.Sprintf("globex-missed-%d", i)})
		noErr(t, err)
	}
	st := waitStream(t, globexAPI, globexStream.ID, "failing with the 503", func(s apiv1.AuditStream) bool {
		return s.Status == "failing" && s.Failures >= 2
	})
	if !strings.Contains(st.LastError, "503") || st.LastErrorAt == nil || st.UndeliveredSince == nil || st.DeliveredSeq >= st.LatestSeq {
		t.Errorf("a stream whose collector is down shows %s; want the 503, behind since an undelivered event", fmtJSON(st))
	}
	globexSIEM.down.Store(false)
	st = waitStream(t, globexAPI, globexStream.ID, "caught up again", func(s apiv1.AuditStream) bool {
		return s.Status == "ok" && s.UndeliveredSince == nil && s.DeliveredSeq == s.LatestSeq
	})
	if st.Failures != 0 || !strings.Contains(st.LastError, "503") {
		t.Errorf("a recovered stream shows %s; want no failures, the last error kept", fmtJSON(st))
	}
	var missed []string
	for _, r := range globexSIEM.got()[before:] {
		if r.Action == "client.create" {
			missed = append(missed, r.Target)
		}
	}
	if len(missed) != 3 {
		t.Errorf("after the outage the collector got %d client creations, want the 3 it missed: %v", len(missed), missed)
	}
	if seqs := globexSIEM.got(); !slices.IsSortedFunc(seqs, func(a, b streamRecord) int { return int(a.Seq - b.Seq) }) {
		t.Errorf("records out of order after the outage")
	}

	// Deleting through the CLI: the stream is gone from the API.
	if _, errOut, code := in.run(t, "", "audit", "streams", "delete", acmeStream.ID, "--server", srv.URL, "--token", acme.APIToken); code != 0 {
		t.Fatalf("audit streams delete: exit %d: %s", code, errOut)
	}
	list, err := acmeAPI.ListAuditStreams(t.Context())
	noErr(t, err)
	if len(list.Items) != 0 {
		t.Errorf("after the delete acme lists %s", fmtJSON(list))
	}
	if _, err := globexAPI.GetAuditStream(t.Context(), acmeStream.ID); err == nil || !strings.Contains(err.Error(), "404") && !strings.Contains(err.Error(), "Not Found") {
		t.Errorf("globex reading acme's stream = %v, want 404", err)
	}
}
