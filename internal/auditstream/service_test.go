package auditstream_test

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"keywarden/internal/audit"
	"keywarden/internal/auditstream"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/webhook"
)

func TestServiceCreateListDelete(t *testing.T) {
	s := enginetest.All()[0].Open(t)
	kr, err := keyring.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(s, key, nil)
	svc := auditstream.NewService(auditstream.ServiceOptions{Store: s, Keyring: kr, Audit: log,
		Guard: webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	acme := domain.UserActor("org_acme", "usr_1", domain.RoleSuperAdmin, "192.0.2.1")
	ctx := t.Context()
	record(t, log, 2)

	for _, bad := range []auditstream.NewStream{
		{Name: "Bad Name", URL: "https://siem.example.com/a"},
		{Name: "lake", URL: "http://siem.example.com/a"},         // no TLS
		{Name: "lake", URL: "syslog+tcp://siem.example.com:514"}, // no TLS
		{Name: "lake", URL: "https://10.0.0.1/a"},                // private
		{Name: "lake", URL: "syslog+tls://169.254.169.254:6514"}, // link-local
		{Name: "lake", URL: "https://localhost/a"},               // local name
		{Name: "lake", URL: "https://siem.example.com/a?token_file=/etc/passwd"},
		{Name: "lake", URL: "ftp://siem.example.com/a"},
		{Name: "lake", URL: "https://siem.example.com/a", Format: "xml"},
		{Name: "lake", URL: "syslog+tls://siem.example.com:6514", Token: "t"}, // syslog takes no token
	} {
		var ve *domain.ValidationError
		if _, err := svc.CreateStream(ctx, acme, bad); !errors.As(err, &ve) {
			t.Errorf("CreateStream(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	for _, tc := range []struct {
		in    auditstream.NewStream
		field string
	}{
		{auditstream.NewStream{Name: "Lake", URL: "https://siem.example.com/a"}, "name"},
		{auditstream.NewStream{Name: "lake", URL: "https://10.0.0.1/a"}, "url"},
		{auditstream.NewStream{Name: "lake", URL: "https://siem.example.com/a", Format: "xml"}, "format"},
		{auditstream.NewStream{Name: "lake", URL: "https://siem.example.com/a", Format: "syslog"}, "format"},
		{auditstream.NewStream{Name: "lake", URL: "syslog+tls://siem.example.com:6514", Format: "hec"}, "format"},
		{auditstream.NewStream{Name: "lake", URL: "syslog+tls://siem.example.com:6514", Token: "t"}, "token"},
	} {
		err := svc.CheckStream(tc.in)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields()) != 1 || ve.Fields()[0].Field != tc.field {
			t.Errorf("CheckStream(%+v) = %v, want invalid %s", tc.in, err, tc.field)
		}
	}
	as, err := svc.CreateStream(ctx, acme, auditstream.NewStream{Name: "lake", URL: "http://127.0.0.1:9/audit", Token: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	if as.Format != auditstream.FormatNDJSON || as.Delivered != 2 || as.OrgID != "org_acme" {
		t.Errorf("created %+v; want ndjson, starting after the 2 events so far", as)
	}
	if bytes.Contains(as.TokenSealed, []byte("s3cret-token")) {
		t.Error("the token is stored in the clear")
	}
	if _, err := svc.CreateStream(ctx, acme, auditstream.NewStream{Name: "lake", URL: "https://siem.example.com/a"}); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second stream named lake = %v, want ErrConflict", err)
	}
	if _, err := svc.CreateStream(ctx, acme, auditstream.NewStream{Name: "siem", URL: "syslog+tls://siem.example.com:6514"}); err != nil {
		t.Fatal(err)
	}
	list, err := svc.Streams(ctx, acme)
	if err != nil || len(list) != 2 {
		t.Fatalf("Streams = %+v, %v", list, err)
	}
	d, err := svc.Destination(list[0])
	if err != nil || d.Token != "s3cret-token" || d.Control == nil {
		t.Errorf("Destination = %+v, %v; want the token unsealed and the guard on the dialer", d, err)
	}
	other := domain.UserActor("org_globex", "usr_2", domain.RoleSuperAdmin, "192.0.2.1")
	got, err := svc.Stream(ctx, acme, as.ID)
	if err != nil || got.ID != as.ID || got.Name != "lake" {
		t.Errorf("Stream(lake) = %+v, %v", got, err)
	}
	if _, err := svc.Stream(ctx, other, as.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Stream of another organisation = %v, want ErrNotFound", err)
	}
	// Nothing sent yet: lake is behind from its own creation (event 3) to
	// siem's (event 4, the organisation's newest).
	lag, err := svc.Lag(ctx, got)
	if err != nil || lag.Latest != 4 || lag.Undelivered == nil {
		t.Errorf("Lag(lake) = %+v, %v; want latest 4, undelivered since event 3", lag, err)
	}
	got.Delivered = 4
	if lag, err := svc.Lag(ctx, got); err != nil || lag.Latest != 4 || lag.Undelivered != nil {
		t.Errorf("Lag(lake at 4) = %+v, %v; want caught up", lag, err)
	}
	if list, err := svc.Streams(ctx, other); err != nil || len(list) != 0 {
		t.Errorf("another organisation's Streams = %+v, %v", list, err)
	}
	if err := svc.DeleteStream(ctx, other, as.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteStream by another organisation = %v, want ErrNotFound", err)
	}
	if err := svc.DeleteStream(ctx, acme, as.ID); err != nil {
		t.Fatal(err)
	}
	events, err := s.ScanOrgAudit(ctx, "org_acme", 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+" "+e.Target)
		if bytes.Contains([]byte(e.Detail["destination"]), []byte("s3cret")) {
			t.Errorf("the token is in the audit detail: %v", e.Detail)
		}
	}
	if len(actions) != 3 || actions[0] != "audit.stream_create "+as.ID || actions[2] != "audit.stream_delete "+as.ID {
		t.Errorf("audited %v; want create lake, create siem, delete lake", actions)
	}
}
