package api_test

import (
	"net/http"
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

const streamsPath = "/v1/audit/streams"

// auditStreamSession is TestOpenAPIResponses' walk through the audit
// stream routes: create, list, show, delete, and their errors.
func auditStreamSession(t *testing.T, e *env) {
	res := e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "lake", URL: "https://lake.example.test/audit", Token: "lake-token"})
	want(t, res, http.StatusCreated)
	lake := decode[apiv1.AuditStream](t, res)
	if loc := res.Header.Get("Location"); loc != streamsPath+"/"+lake.ID {
		t.Errorf("Location = %q", loc)
	}
	want(t, e.do(t, "GET", streamsPath, nil), http.StatusOK)
	want(t, e.do(t, "GET", streamsPath+"/"+lake.ID, nil), http.StatusOK)
	wantProblem(t, e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "lake", URL: "https://other.example.test/audit"}), http.StatusConflict)
	wantProblem(t, e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "x", URL: "https://10.0.0.1/audit"}), http.StatusUnprocessableEntity)
	want(t, e.do(t, "DELETE", streamsPath+"/"+lake.ID, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", streamsPath+"/"+lake.ID, nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", streamsPath+"/"+lake.ID, nil), http.StatusNotFound)
}

// TestAuditStreams: a super admin creates, lists, shows and deletes the
// organisation's streams; bad input is 422 on its field and changes
// nothing; the URL goes through the webhooks' SSRF guard; the token is
// never in an answer (nor in the audit log); another organisation sees
// none of it; the health the streamer records is shown.
func TestAuditStreams(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const token = "tok-3f9c2a7e-never-shown"

	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"name missing", apiv1.CreateAuditStream{URL: "https://siem.example.test/a"}, "name"},
		{"name upper case", apiv1.CreateAuditStream{Name: "Lake", URL: "https://siem.example.test/a"}, "name"},
		{"name too long", apiv1.CreateAuditStream{Name: strings.Repeat("a", 41), URL: "https://siem.example.test/a"}, "name"},
		{"url missing", apiv1.CreateAuditStream{Name: "lake"}, "url"},
		{"url not a URL", apiv1.CreateAuditStream{Name: "lake", URL: "siem.example.test"}, "url"},
		{"plain http to a public host", apiv1.CreateAuditStream{Name: "lake", URL: "http://siem.example.test/a"}, "url"},
		{"syslog without TLS", apiv1.CreateAuditStream{Name: "lake", URL: "syslog+tcp://siem.example.test:514"}, "url"},
		{"syslog without a port", apiv1.CreateAuditStream{Name: "lake", URL: "syslog+tls://siem.example.test"}, "url"},
		{"private address", apiv1.CreateAuditStream{Name: "lake", URL: "https://10.1.2.3/a"}, "url"},
		{"loopback", apiv1.CreateAuditStream{Name: "lake", URL: "https://127.0.0.1:8443/a"}, "url"},
		{"cloud metadata", apiv1.CreateAuditStream{Name: "lake", URL: "syslog+tls://169.254.169.254:6514"}, "url"},
		{"local name", apiv1.CreateAuditStream{Name: "lake", URL: "https://localhost/a"}, "url"},
		{"a server file", apiv1.CreateAuditStream{Name: "lake", URL: "https://siem.example.test/a?token_file=/etc/passwd"}, "url"},
		{"user information", apiv1.CreateAuditStream{Name: "lake", URL: "https://u:p@siem.example.test/a"}, "url"},
		{"another scheme", apiv1.CreateAuditStream{Name: "lake", URL: "ftp://siem.example.test/a"}, "url"},
		{"unknown format", apiv1.CreateAuditStream{Name: "lake", URL: "https://siem.example.test/a", Format: "xml"}, "format"},
		{"syslog format over https", apiv1.CreateAuditStream{Name: "lake", URL: "https://siem.example.test/a", Format: "syslog"}, "format"},
		{"hec over syslog", apiv1.CreateAuditStream{Name: "lake", URL: "syslog+tls://siem.example.test:6514", Format: "hec"}, "format"},
		{"a token for syslog", apiv1.CreateAuditStream{Name: "lake", URL: "syslog+tls://siem.example.test:6514", Token: "t"}, "token"},
		{"token too long", apiv1.CreateAuditStream{Name: "lake", URL: "https://siem.example.test/a", Token: strings.Repeat("t", 4097)}, "token"},
	} {
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			p := wantProblem(t, e.do(t, "POST", streamsPath, tc.body), http.StatusUnprocessableEntity)
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Errorf("422 errors = %+v, want one for %s", p.Errors, tc.field)
			}
			sameState(t, before, e.snapshot(t), 0)
		})
	}
	for _, body := range []string{`{"name":"lake","url":"https://siem.example.test/a","extra":1}`, `{"name":"lake","url":null}`, `[]`} {
		wantProblem(t, e.do(t, "POST", streamsPath, raw(body)), http.StatusBadRequest)
	}
	if res := e.do(t, "GET", streamsPath, nil); len(decode[apiv1.AuditStreamList](t, res).Items) != 0 {
		t.Fatalf("refused requests created streams: %s", res)
	}

	// Created: starts with its own creation, nothing delivered yet.
	head := auditHead(t, e)
	res := e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "splunk", URL: "https://splunk.example.test:8088/services/collector/event?channel=c1",
		Format: "hec", Token: token})
	want(t, res, http.StatusCreated)
	splunk := decode[apiv1.AuditStream](t, res)
	if splunk.Name != "splunk" || splunk.Format != "hec" || !splunk.HasToken || splunk.DeliveredSeq != head || splunk.LatestSeq != head+1 ||
		splunk.UndeliveredSince == nil || splunk.DeliveredAt != nil || splunk.Status != "ok" || splunk.Failures != 0 || splunk.LastError != "" {
		t.Errorf("created %+v; want hec with a token, delivered up to %d, its creation (%d) undelivered, healthy", splunk, head, head+1)
	}
	res = e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "lake", URL: "https://lake.example.test/audit"})
	want(t, res, http.StatusCreated)
	lake := decode[apiv1.AuditStream](t, res)
	if lake.Format != "ndjson" || lake.HasToken {
		t.Errorf("created %+v; want ndjson (the default) without a token", lake)
	}
	res = e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "siem", URL: "syslog+tls://siem.example.test:6514"})
	want(t, res, http.StatusCreated)
	if siem := decode[apiv1.AuditStream](t, res); siem.Format != "syslog" {
		t.Errorf("created %+v; want syslog", siem)
	}
	p := wantProblem(t, e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "lake", URL: "https://other.example.test/a"}), http.StatusConflict)
	if !strings.Contains(p.Detail, "lake") {
		t.Errorf("409 detail %q does not name the stream", p.Detail)
	}

	res = e.do(t, "GET", streamsPath, nil)
	want(t, res, http.StatusOK)
	list := decode[apiv1.AuditStreamList](t, res).Items
	if len(list) != 3 || list[0].Name != "lake" || list[1].Name != "siem" || list[2].Name != "splunk" {
		t.Fatalf("listed %+v; want lake, siem, splunk", list)
	}
	if l := list[2]; l.LatestSeq != auditHead(t, e) || l.DeliveredSeq != head {
		t.Errorf("splunk lists latest %d, delivered %d; want %d, %d", l.LatestSeq, l.DeliveredSeq, auditHead(t, e), head)
	}

	// The health the streamer records: failing, then delivering again.
	st := e.core.Store
	now := splunk.CreatedAt
	if _, ok, err := st.ClaimAuditStream(ctx, splunk.ID, "node-test", now, now.Add(3600e9)); err != nil || !ok {
		t.Fatalf("ClaimAuditStream: %v, %v", ok, err)
	}
	if err := st.FailAuditStream(ctx, splunk.ID, "node-test", "splunk answered 503 Service Unavailable", now); err != nil {
		t.Fatal(err)
	}
	res = e.do(t, "GET", streamsPath+"/"+splunk.ID, nil)
	want(t, res, http.StatusOK)
	if got := decode[apiv1.AuditStream](t, res); got.Status != "failing" || got.Failures != 1 || !strings.Contains(got.LastError, "503") || got.LastErrorAt == nil {
		t.Errorf("after a failure: %+v; want failing, 1, the 503", got)
	}
	latest := auditHead(t, e)
	if err := st.AdvanceAuditStream(ctx, splunk.ID, "node-test", head, latest, now); err != nil {
		t.Fatal(err)
	}
	res = e.do(t, "GET", streamsPath+"/"+splunk.ID, nil)
	want(t, res, http.StatusOK)
	if got := decode[apiv1.AuditStream](t, res); got.Status != "ok" || got.Failures != 0 || got.DeliveredSeq != latest ||
		got.UndeliveredSince != nil || got.DeliveredAt == nil || !strings.Contains(got.LastError, "503") {
		t.Errorf("after a delivery: %+v; want ok, caught up at %d, the last error kept", got, latest)
	}

	// Another organisation sees none of it, and cannot delete it.
	globex := e.newOrg(t, "Globex", "root@globex.test")
	other := as(globex.APIToken.Reveal())
	res = e.do(t, "GET", streamsPath, nil, other)
	want(t, res, http.StatusOK)
	if l := decode[apiv1.AuditStreamList](t, res).Items; len(l) != 0 {
		t.Errorf("another organisation lists %+v", l)
	}
	wantProblem(t, e.do(t, "GET", streamsPath+"/"+splunk.ID, nil, other), http.StatusNotFound)
	before := e.snapshot(t, e.boot.Org.ID, globex.Org.ID)
	wantProblem(t, e.do(t, "DELETE", streamsPath+"/"+splunk.ID, nil, other), http.StatusNotFound)
	sameState(t, before, e.snapshot(t, e.boot.Org.ID, globex.Org.ID), 0)
	// Its own stream of the same name is its own.
	want(t, e.do(t, "POST", streamsPath, apiv1.CreateAuditStream{Name: "splunk", URL: "https://globex-siem.example.test/a"}, other), http.StatusCreated)
	wantProblem(t, e.do(t, "GET", streamsPath+"/ast_0000000000000000000000", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", streamsPath+"/nope", nil), http.StatusNotFound)

	// The token is in no answer and not in the audit log.
	for _, path := range []string{streamsPath, streamsPath + "/" + splunk.ID, "/v1/audit?action=audit.stream_create"} {
		res := e.do(t, "GET", path, nil)
		want(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), token) {
			t.Errorf("GET %s shows the token: %s", path, res.Body)
		}
	}
	res = e.do(t, "GET", "/v1/audit?action=audit.stream_create&target="+splunk.ID, nil)
	want(t, res, http.StatusOK)
	if !strings.Contains(string(res.Body), "splunk.example.test") {
		t.Errorf("the creation is not audited with its destination: %s", res.Body)
	}

	// Deleted: gone from the list, audited.
	want(t, e.do(t, "DELETE", streamsPath+"/"+splunk.ID, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", streamsPath+"/"+splunk.ID, nil), http.StatusNotFound)
	res = e.do(t, "GET", streamsPath, nil)
	if l := decode[apiv1.AuditStreamList](t, res).Items; len(l) != 2 {
		t.Errorf("after the delete: %+v", l)
	}
	res = e.do(t, "GET", "/v1/audit?action=audit.stream_delete&target="+splunk.ID, nil)
	want(t, res, http.StatusOK)
	if l := decode[apiv1.AuditList](t, res).Items; len(l) != 1 || l[0].ActorID != string(e.boot.User.ID) {
		t.Errorf("the delete is audited as %+v", l)
	}
}
