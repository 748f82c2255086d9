package httpx_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"keywarden/internal/httpx"
)

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func TestResolvePeer(t *testing.T) {
	proxy := prefixes("10.0.0.0/8", "127.0.0.1/32", "::1/128")
	xff := httpx.Trust{Proxies: proxy}
	fwd := httpx.Trust{Proxies: proxy, Header: httpx.Forwarded}
	tests := []struct {
		name       string
		trust      httpx.Trust
		remote     string
		tls        bool
		headers    map[string][]string
		wantIP     string
		wantSecure bool
		wantProxy  string
	}{
		{"no trust: socket peer", httpx.Trust{}, "10.1.2.3:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}}, "10.1.2.3", false, ""},
		{"untrusted peer: forged headers change nothing", xff, "198.51.100.7:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}, "Forwarded": {"for=203.0.113.9;proto=https"}}, "198.51.100.7", false, ""},
		{"tls on the socket", httpx.Trust{}, "198.51.100.7:5000", true, nil, "198.51.100.7", true, ""},
		{"trusted proxy, one hop", xff, "127.0.0.1:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}}, "203.0.113.9", true, "127.0.0.1"},
		{"right-most untrusted hop wins over a forged left part", xff, "127.0.0.1:5000", false,
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9"}}, "203.0.113.9", false, "127.0.0.1"},
		{"trusted hops are skipped", xff, "127.0.0.1:5000", false,
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9, 10.0.0.5", "10.9.9.9"}}, "203.0.113.9", false, "127.0.0.1"},
		{"all hops trusted: the left-most", xff, "127.0.0.1:5000", false,
			map[string][]string{"X-Forwarded-For": {"10.0.0.2, 10.0.0.5"}}, "10.0.0.2", false, "127.0.0.1"},
		{"unreadable hop: the proxy that reported it", xff, "127.0.0.1:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, garbage, 10.0.0.5"}}, "10.0.0.5", false, "127.0.0.1"},
		{"ports and brackets", xff, "[::1]:5000", false,
			map[string][]string{"X-Forwarded-For": {"[2001:db8::7]:443"}}, "2001:db8::7", false, "::1"},
		{"zoned link-local proxy", httpx.Trust{Proxies: prefixes("fe80::/10")}, "[fe80::1%eth0]:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9", false, "fe80::1"},
		{"mapped v4 socket", xff, "[::ffff:127.0.0.1]:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9", false, "127.0.0.1"},
		{"right-most X-Forwarded-Proto", xff, "127.0.0.1:5000", true,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https, http"}}, "203.0.113.9", false, "127.0.0.1"},
		{"no header from a trusted proxy", xff, "127.0.0.1:5000", false, nil, "127.0.0.1", false, ""},
		{"xff mode ignores Forwarded", xff, "127.0.0.1:5000", false,
			map[string][]string{"Forwarded": {"for=203.0.113.9"}}, "127.0.0.1", false, ""},
		{"forwarded mode ignores X-Forwarded-For", fwd, "127.0.0.1:5000", false,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "127.0.0.1", false, ""},
		{"forwarded: RFC 7239 example", fwd, "127.0.0.1:5000", false,
			map[string][]string{"Forwarded": {`for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https`}}, "2001:db8:cafe::17", true, "127.0.0.1"},
		{"forwarded: proto of the client hop", fwd, "127.0.0.1:5000", false,
			map[string][]string{"Forwarded": {`for=203.0.113.9;proto=https;by=10.0.0.1`, `For="10.0.0.3";Proto=http`}}, "203.0.113.9", true, "127.0.0.1"},
		{"forwarded: obfuscated node stops the walk", fwd, "127.0.0.1:5000", false,
			map[string][]string{"Forwarded": {`for=203.0.113.9, for=_hidden, for=unknown`}}, "127.0.0.1", false, "127.0.0.1"},
		{"forwarded: unterminated quote", fwd, "127.0.0.1:5000", false,
			map[string][]string{"Forwarded": {`for=203.0.113.9, for="10.0.0.3`}}, "127.0.0.1", false, "127.0.0.1"},
		{"forwarded: quoted separators", fwd, "127.0.0.1:5000", false,
			map[string][]string{"Forwarded": {`for="203.0.113.9";ext="a,b;c=d"`}}, "203.0.113.9", false, "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.headers {
				r.Header[k] = v
			}
			var got httpx.Peer
			var ip string
			var secure bool
			httpx.ResolvePeer(tc.trust, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got, ip, secure = httpx.PeerOf(r), httpx.ClientIP(r), httpx.Secure(r)
			})).ServeHTTP(httptest.NewRecorder(), r)
			if ip != tc.wantIP || secure != tc.wantSecure {
				t.Errorf("client %s secure %v; want %s %v", ip, secure, tc.wantIP, tc.wantSecure)
			}
			proxy := ""
			if got.Proxy.IsValid() {
				proxy = got.Proxy.String()
			}
			if proxy != tc.wantProxy {
				t.Errorf("proxy %q, want %q", proxy, tc.wantProxy)
			}
		})
	}
}

// Without ResolvePeer (a handler mounted on its own), the accessors fall
// back to the socket.
func TestPeerWithoutMiddleware(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:99"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if ip := httpx.ClientIP(r); ip != "192.0.2.1" {
		t.Errorf("ClientIP = %s", ip)
	}
	if httpx.Secure(r) || httpx.ClientCertificate(r) != nil {
		t.Error("plain request reported secure or with a certificate")
	}
}

func TestHSTSOnlyWhenSecure(t *testing.T) {
	h := httpx.ResolvePeer(httpx.Trust{Proxies: prefixes("127.0.0.1/32")},
		httpx.Middleware(discardLogger(), nil, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	for _, tc := range []struct {
		remote, proto string
		want          bool
	}{
		{"127.0.0.1:1", "https", true},
		{"127.0.0.1:1", "", false},
		{"192.0.2.1:1", "https", false}, // forged by an untrusted caller
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Strict-Transport-Security") != ""; got != tc.want {
			t.Errorf("%s proto %q: HSTS %v, want %v", tc.remote, tc.proto, got, tc.want)
		}
	}
}

func FuzzForwarded(f *testing.F) {
	for _, s := range []string{`for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https`, `for=_x;by=unknown`, `for="\"`, `;;,,=`, `for=1.2.3.4;proto="ht\"tps"`} {
		f.Add(s)
	}
	trust := httpx.Trust{Proxies: prefixes("127.0.0.0/8"), Header: httpx.Forwarded}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("Forwarded", v)
		httpx.ResolvePeer(trust, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			if p := httpx.PeerOf(r); !p.Addr.IsValid() {
				t.Fatalf("no client address for %q", v)
			}
		})).ServeHTTP(httptest.NewRecorder(), r)
	})
}
