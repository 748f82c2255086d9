package auditstream_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/auditstream"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/postgres"
	"keywarden/internal/store/sqlite"
)

var key = []byte("audit key for tests, 32 bytes..")

func record(t *testing.T, log *audit.Log, n int) {
	t.Helper()
	for i := range n {
		actor := domain.UserActor(domain.OrgID(fmt.Sprintf("org_%d", i%3)), "usr_1", "", "192.0.2.1")
		if err := log.Record(t.Context(), audit.Entry{Actor: actor, Action: "client.update", Target: fmt.Sprintf("kwc_%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// receiver collects what HTTP streams POST.
type receiver struct {
	mu    sync.Mutex
	seqs  []int64
	auth  []string
	lines []string
	fail  int // answer 503 to this many requests first
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	sc := bufio.NewScanner(req.Body)
	for sc.Scan() {
		var rec struct {
			Seq   int64 `json:"seq"`
			Event *struct {
				Seq int64 `json:"seq"`
			} `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if rec.Event != nil {
			rec.Seq = rec.Event.Seq
		}
		r.seqs = append(r.seqs, rec.Seq)
		r.lines = append(r.lines, sc.Text())
	}
}

func (r *receiver) got() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.seqs...)
}

// waitFor polls cond until it holds or 60 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantOnceInOrder(t *testing.T, got []int64, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("received %d records, want %d: %v", len(got), n, got)
	}
	for i, seq := range got {
		if seq != int64(i+1) {
			t.Fatalf("record %d has seq %d, want %d (duplicate, missing or out of order): %v", i, seq, i+1, got)
		}
	}
}

func start(t *testing.T, s store.Store, dests ...string) context.CancelFunc {
	t.Helper()
	var ds []auditstream.Destination
	for _, spec := range dests {
		d, err := auditstream.ParseDestination(spec)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	st := auditstream.New(auditstream.Options{Store: s, Destinations: ds, Interval: 10 * time.Millisecond, Lease: 2 * time.Second, Batch: 7})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func TestHTTPStreamsNDJSONAndHEC(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := open(t)
		log := audit.New(s, key, nil)
		record(t, log, 20)
		ndjson, hec := &receiver{fail: 2}, &receiver{}
		a, b := httptest.NewServer(ndjson), httptest.NewServer(hec)
		defer a.Close()
		defer b.Close()
		tokenFile := t.TempDir() + "/token"
		if err := os.WriteFile(tokenFile, []byte("hec-token\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		start(t, s, "lake="+a.URL+"/audit", "splunk="+b.URL+"/services/collector/event?format=hec&token_file="+tokenFile)
		waitFor(t, "20 records at both", func() bool { return len(ndjson.got()) >= 20 && len(hec.got()) >= 20 })
		record(t, log, 5) // and what comes later
		waitFor(t, "25 records at both", func() bool { return len(ndjson.got()) >= 25 && len(hec.got()) >= 25 })
		wantOnceInOrder(t, ndjson.got(), 25)
		wantOnceInOrder(t, hec.got(), 25)
		if hec.auth[0] != "Splunk hec-token" || ndjson.auth[0] != "" {
			t.Errorf("Authorization = %q (HEC), %q (NDJSON)", hec.auth[0], ndjson.auth[0])
		}
		var ev struct {
			Time       string             `json:"time"`
			Sourcetype string             `json:"sourcetype"`
			Event      auditstream.Record `json:"event"`
		}
		if err := json.Unmarshal([]byte(hec.lines[0]), &ev); err != nil || ev.Sourcetype != "keywarden:audit" || ev.Event.Seq != 1 || len(ev.Event.Hash) != 64 || ev.Event.PrevHash != "" {
			t.Errorf("HEC event %s: %+v, %v", hec.lines[0], ev, err)
		}
		var rec auditstream.Record
		if err := json.Unmarshal([]byte(ndjson.lines[1]), &rec); err != nil || rec.Seq != 2 || rec.PrevHash == "" || rec.Action != "client.update" {
			t.Errorf("NDJSON record %s: %+v, %v", ndjson.lines[1], rec, err)
		}
	})
}

// syslogReceiver accepts octet-counted RFC 5424 messages on loopback.
type syslogReceiver struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
}

func newSyslogReceiver(t *testing.T) *syslogReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &syslogReceiver{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.read(c)
		}
	}()
	return r
}

func (r *syslogReceiver) read(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		n, err := br.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil {
			return
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(br, msg); err != nil {
			return
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, string(msg))
		r.mu.Unlock()
	}
}

func (r *syslogReceiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

func TestSyslogStreamIsRFC5424OctetCounted(t *testing.T) {
	s, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log := audit.New(s, key, nil)
	record(t, log, 10)
	if err := log.Record(t.Context(), audit.Entry{Actor: domain.ClientActor("org_0", "kwc_x", "192.0.2.9"), Action: "client.authenticate",
		Result: domain.ResultFailure, Detail: map[string]string{"reason": `wrong "secret"`}}); err != nil {
		t.Fatal(err)
	}
	r := newSyslogReceiver(t)
	start(t, s, "siem=syslog+tcp://"+r.ln.Addr().String())
	waitFor(t, "11 messages", func() bool { return len(r.got()) >= 11 })
	msgs := r.got()
	for i, m := range msgs {
		// <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG
		f := strings.SplitN(m, " ", 7)
		want := fmt.Sprintf(`[keywarden@32473 seq="%d" hash="`, i+1)
		if len(f) < 7 || f[0] != "<110>1" && f[0] != "<109>1" || f[3] != "keywarden" || f[4] != "-" || !strings.HasPrefix(f[6], want) {
			t.Fatalf("message %d is not RFC 5424 with seq %d: %q", i, i+1, m)
		}
		if _, err := time.Parse(time.RFC3339Nano, f[1]); err != nil {
			t.Errorf("message %d timestamp %q: %v", i, f[1], err)
		}
		var rec auditstream.Record
		if err := json.Unmarshal([]byte(m[strings.Index(m, "] ")+2:]), &rec); err != nil || rec.Seq != int64(i+1) {
			t.Errorf("message %d body: %+v, %v", i, rec, err)
		}
	}
	if last := msgs[10]; !strings.HasPrefix(last, "<109>1 ") || !strings.Contains(last, " client.authenticate [") {
		t.Errorf("a failure is facility 13 (log audit), severity notice, MSGID its action: %q", last)
	}
}

// Three nodes stream one log to one receiver: the leases let one node at
// a time send, so every record arrives once (the receiver never fails
// here: a failed attempt is the only cause of a resend).
func TestThreeNodesDeliverEachRecordOnce(t *testing.T) {
	engines := map[string]func(t *testing.T) []store.Store{
		"sqlite": func(t *testing.T) []store.Store {
			dir := t.TempDir()
			var out []store.Store
			for range 3 {
				s, err := sqlite.Open(t.Context(), dir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				out = append(out, s)
			}
			return out
		},
	}
	if dsn := os.Getenv(enginetest.EnvPostgres); dsn != "" {
		engines["postgres"] = func(t *testing.T) []store.Store {
			schema := enginetest.FreshSchema(t, dsn)
			var out []store.Store
			for range 3 {
				s, err := postgres.Open(t.Context(), schema)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				out = append(out, s)
			}
			return out
		}
	} else {
		t.Logf("PostgreSQL skipped: set %s to run it too", enginetest.EnvPostgres)
	}
	for name, nodes := range engines {
		t.Run(name, func(t *testing.T) {
			stores := nodes(t)
			r := &receiver{}
			srv := httptest.NewServer(r)
			defer srv.Close()
			for _, s := range stores {
				start(t, s, "lake="+srv.URL)
			}
			// Every node writes while all three stream.
			var wg sync.WaitGroup
			for _, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					record(t, audit.New(s, key, nil), 40)
				}()
			}
			wg.Wait()
			waitFor(t, "120 records", func() bool { return len(r.got()) >= 120 })
			wantOnceInOrder(t, r.got(), 120)
		})
	}
}

func TestParseDestination(t *testing.T) {
	dir := t.TempDir()
	token := dir + "/token"
	os.WriteFile(token, []byte("t0k\n"), 0o600)
	good := []struct {
		spec, format, address, url, token string
		tls                               bool
	}{
		{"siem=syslog+tcp://127.0.0.1:514", auditstream.FormatSyslog, "127.0.0.1:514", "", "", false},
		{"siem=syslog+tls://siem.example.com:6514?server_name=siem", auditstream.FormatSyslog, "siem.example.com:6514", "", "", true},
		{"lake=https://c.example.com/audit?token_file=" + token, auditstream.FormatNDJSON, "", "https://c.example.com/audit", "t0k", true},
		{"splunk=http://127.0.0.1:8088/services/collector/event?format=hec&channel=x", auditstream.FormatHEC, "", "http://127.0.0.1:8088/services/collector/event?channel=x", "", false},
	}
	for _, g := range good {
		d, err := auditstream.ParseDestination(g.spec)
		if err != nil || d.Format != g.format || d.Address != g.address || d.URL != g.url || d.Token != g.token || (d.TLS != nil) != g.tls {
			t.Errorf("ParseDestination(%q) = %+v, %v", g.spec, d, err)
		}
		if strings.Contains(d.String(), "t0k") {
			t.Errorf("String() shows the token: %s", d)
		}
	}
	for _, bad := range []string{
		"", "siem", "=syslog+tcp://h:1", "Siem=syslog+tcp://h:1", "siem=syslog+tcp://h", "siem=syslog+udp://h:514",
		"siem=syslog+tcp://h:514?ca_file=/x", "siem=syslog+tcp://h:514/path", "siem=syslog+tcp://h:514?token_file=" + token,
		"lake=https://u:p@h/x", "lake=https://h/x?format=xml", "lake=ftp://h/x", "lake=https://h/x?token_file=" + dir + "/none",
		"lake=https://h/x?ca_file=" + token, "lake=http://h/x?server_name=h",
	} {
		if _, err := auditstream.ParseDestination(bad); err == nil {
			t.Errorf("ParseDestination(%q) succeeded", bad)
		}
	}
}

func TestOrgStreamsSendOnlyTheirOrganisation(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := open(t)
		log := audit.New(s, key, nil)
		record(t, log, 12) // org_0: 1 4 7 10; org_1: 2 5 8 11; org_2: 3 6 9 12
		one, zero := &receiver{fail: 1}, &receiver{}
		a, b := httptest.NewServer(one), httptest.NewServer(zero)
		defer a.Close()
		defer b.Close()
		ctx := t.Context()
		if err := s.CreateAuditStream(ctx, domain.AuditStream{ID: "ast_1", OrgID: "org_1", Name: "lake", URL: a.URL + "/audit", Format: auditstream.FormatNDJSON, TokenSealed: []byte("tok"), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		st := auditstream.New(auditstream.Options{Store: s, Interval: 10 * time.Millisecond, Lease: 2 * time.Second, Batch: 3,
			OrgStreams: func(as domain.AuditStream) (auditstream.Destination, error) {
				return auditstream.OrgDestination(as, string(as.TokenSealed)) // the test's "sealing" is none
			}})
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); st.Run(runCtx) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "org_1's 4 records", func() bool { return len(one.got()) >= 4 })
		// A stream created while the streamer runs is picked up.
		if err := s.CreateAuditStream(ctx, domain.AuditStream{ID: "ast_2", OrgID: "org_0", Name: "lake", URL: b.URL + "/audit", Format: auditstream.FormatNDJSON, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		record(t, log, 3) // 13 org_0, 14 org_1, 15 org_2
		waitFor(t, "org_0's 5 records", func() bool { return len(zero.got()) >= 5 })
		waitFor(t, "org_1's 5 records", func() bool { return len(one.got()) >= 5 })
		if got, want := one.got(), []int64{2, 5, 8, 11, 14}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("org_1's stream received %v, want %v", got, want)
		}
		if got, want := zero.got(), []int64{1, 4, 7, 10, 13}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("org_0's stream received %v, want %v", got, want)
		}
		if one.auth[0] != "Bearer tok" || zero.auth[0] != "" {
			t.Errorf("Authorization = %q, %q", one.auth[0], zero.auth[0])
		}
		// The failed first round is in the stream's health, and the
		// deliveries since have reset the count.
		waitFor(t, "org_1's stream at 14", func() bool {
			l, err := s.ListAuditStreams(ctx, "org_1")
			return err == nil && len(l) == 1 && l[0].Delivered == 14
		})
		l, err := s.ListAuditStreams(ctx, "org_1")
		if err != nil {
			t.Fatal(err)
		}
		if h := l[0]; h.Failures != 0 || !strings.Contains(h.LastError, "503") || h.LastErrorAt == nil || h.DeliveredAt == nil || h.DeliveredAt.Before(*h.LastErrorAt) {
			t.Errorf("org_1's stream health: failures %d, last error %q at %v, delivered at %v; want 0, the 503 before the delivery",
				h.Failures, h.LastError, h.LastErrorAt, h.DeliveredAt)
		}
		// Retention keeps what the slowest stream has not delivered: org_0's
		// ends at 13, org_1's at 14.
		waitFor(t, "both positions saved", func() bool { keep, err := st.Keep(ctx); return err == nil && keep == 13 })
	})
}

func TestOrgDestinationRefusesServerFiles(t *testing.T) {
	for _, as := range []domain.AuditStream{
		{Name: "x", URL: "https://siem.example.com/a?token_file=/etc/shadow"},
		{Name: "x", URL: "syslog+tls://siem.example.com:6514?ca_file=/etc/ssl/key.pem"},
		{Name: "x", URL: "https://siem.example.com/a?format=hec"},
		{Name: "x", URL: "https://siem.example.com/a", Format: "syslog"},
		{Name: "x", URL: "syslog+tcp://siem.example.com:514", Format: "ndjson"},
	} {
		if _, err := auditstream.OrgDestination(as, ""); err == nil {
			t.Errorf("OrgDestination(%s, %q) accepted", as.URL, as.Format)
		}
	}
	if _, err := auditstream.OrgDestination(domain.AuditStream{Name: "x", URL: "syslog+tcp://siem.example.com:514"}, "tok"); err == nil {
		t.Error("a syslog stream accepted a token")
	}
	d, err := auditstream.OrgDestination(domain.AuditStream{Name: "x", URL: "https://splunk.example.com/services/collector/event", Format: "hec"}, "t")
	if err != nil || d.Format != auditstream.FormatHEC || d.Token != "t" || d.TLS == nil {
		t.Errorf("OrgDestination(hec) = %+v, %v", d, err)
	}
}
