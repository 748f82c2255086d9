package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"keywarden/internal/webhook"
)

// TestAllowListOpensOnlyWhatItLists: allowing a loopback test receiver
// (--webhook-allow-private 127.0.0.1/32) leaves the cloud metadata
// address, other private ranges and plain http to public hosts refused.
func TestAllowListOpensOnlyWhatItLists(t *testing.T) {
	g := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("fd00:1::/64")},
		AllowHosts: []string{"receiver.internal", "hooks"}}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:8080/hook", true},
		{"https://127.0.0.1/hook", true},
		{"http://[fd00:1::5]/hook", true},
		{"http://receiver.internal/hook", true},
		{"https://RECEIVER.internal./hook", true},
		{"http://hooks:9000/x", true},
		{"https://hooks.example.com/kw", true},
		{"http://hooks.example.com/kw", false},
		{"https://169.254.169.254/latest/meta-data", false},
		{"http://169.254.169.254/latest/meta-data", false},
		{"https://127.0.0.2/hook", false},
		{"https://10.0.0.1/hook", false},
		{"https://[fd00:2::5]/hook", false},
		{"https://localhost/hook", false},
		{"https://intranet/hook", false}, // single label, not listed
		{"ftp://127.0.0.1/hook", false},
	} {
		err := g.CheckURL(tc.url)
		if (err == nil) != tc.want {
			t.Errorf("CheckURL(%s) = %v, want accepted %v", tc.url, err, tc.want)
		}
		if err != nil && !errors.Is(err, webhook.ErrRefusedAddress) {
			t.Errorf("CheckURL(%s): %v is not ErrRefusedAddress", tc.url, err)
		}
	}
	for _, tc := range []struct {
		addr string
		want bool
	}{{"127.0.0.1", true}, {"::ffff:127.0.0.1", true}, {"127.0.0.2", false}, {"169.254.169.254", false}, {"8.8.8.8", true}} {
		if err := g.CheckAddr(netip.MustParseAddr(tc.addr)); (err == nil) != tc.want {
			t.Errorf("CheckAddr(%s) = %v, want accepted %v", tc.addr, err, tc.want)
		}
	}
	if !g.AllowsNonPublic() || (webhook.Guard{}).AllowsNonPublic() {
		t.Error("AllowsNonPublic wrong")
	}
}

// TestAllowListAtConnectTime: the connect-time check honours the list: an
// allowed range and an allowed host name connect, an address outside the
// list does not, even when a listed name would resolve to it.
func TestAllowListAtConnectTime(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	post := func(g webhook.Guard, u string) error {
		resp, err := webhook.NewHTTPClient(g, 2*time.Second).Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	byRange := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if err := post(byRange, srv.URL); err != nil {
		t.Errorf("allowed range: %v", err)
	}
	other := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	if err := post(other, srv.URL); !errors.Is(err, webhook.ErrRefusedAddress) {
		t.Errorf("range not listed: err = %v, want ErrRefusedAddress", err)
	}
	byHost := webhook.Guard{AllowHosts: []string{"localhost"}}
	if err := post(byHost, "http://localhost"+port); err != nil {
		t.Errorf("allowed host: %v", err)
	}
	if hits != 2 {
		t.Errorf("receiver got %d requests, want 2", hits)
	}
}
