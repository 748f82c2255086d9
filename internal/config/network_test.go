package config_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestNetworkSettings(t *testing.T) {
	c, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TLSClientAuth != "none" || c.ProxyHeader != "x-forwarded-for" || len(c.TrustedProxies) != 0 || c.AdminListen != "" || c.Pprof {
		t.Errorf("defaults = %+v", c)
	}
	for _, tc := range []struct {
		name string
		file string
		env  map[string]string
		args []string
	}{
		{"flag", "", nil, []string{"--trusted-proxies", "10.0.0.0/8,127.0.0.1", "--trusted-proxies", "::1"}},
		{"env", "", map[string]string{"KEYWARDEN_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,::1"}, nil},
		{"file", "trusted_proxies: [10.0.0.0/8, 127.0.0.1, '::1']\n", nil, nil},
		{"flag beats file", "trusted_proxies: [192.0.2.0/24]\n", nil, []string{"--trusted-proxies=10.0.0.0/8,127.0.0.1,::1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.file, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
			if got := c.TrustedProxyPrefixes(); !slices.Equal(got, want) {
				t.Errorf("trusted proxies = %v, want %v", got, want)
			}
		})
	}
	c, err = load(t, "tls_cert: /c.pem\ntls_key: /k.pem\ntls_client_auth: verify-if-given\ntls_client_ca: /ca.pem\nadmin_listen: 127.0.0.1:9090\npprof: true\nproxy_header: forwarded\n", nil,
		"--webhook-allow-private", "10.1.2.3/8,receiver.internal,::1")
	if err != nil {
		t.Fatal(err)
	}
	prefixes, hosts := c.WebhookAllow()
	if c.TLSCert != "/c.pem" || c.TLSClientCA != "/ca.pem" || !c.Pprof || c.ProxyHeader != "forwarded" ||
		!slices.Equal(prefixes, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}) || !slices.Equal(hosts, []string{"receiver.internal"}) {
		t.Errorf("settings = %+v; allow %v %v", c, prefixes, hosts)
	}
}

func TestNetworkErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		env  map[string]string
		args []string
		want []string
	}{
		{"half a key pair", "", nil, []string{"--tls-cert", "/c.pem"}, []string{"tls-cert and tls-key"}},
		{"client auth without tls", "", nil, []string{"--tls-client-auth", "request"}, []string{"needs --tls-cert"}},
		{"verify without ca", "tls_cert: a\ntls_key: b\n", nil, []string{"--tls-client-auth", "verify-if-given"}, []string{"needs --tls-client-ca"}},
		{"bad client auth", "", nil, []string{"--tls-client-auth", "require"}, []string{`tls-client-auth "require"`}},
		{"bad proxy", "", nil, []string{"--trusted-proxies", "10.0.0.0/33,nginx"}, []string{`"10.0.0.0/33"`, `"nginx"`}},
		{"bad proxy header", "", nil, []string{"--proxy-header", "x-real-ip"}, []string{"proxy-header"}},
		{"pprof without admin listener", "", nil, []string{"--pprof"}, []string{"pprof: needs --admin-listen"}},
		{"admin on the main address", "", nil, []string{"--admin-listen", "127.0.0.1:8080"}, []string{"admin-listen: must differ"}},
		{"old bare flag", "", nil, []string{"--webhook-allow-private", "--dev"}, []string{"needs a value", "no longer a boolean"}},
		{"old flag with true", "", nil, []string{"--webhook-allow-private=true"}, []string{"no longer a boolean", "169.254.169.254"}},
		{"old yaml boolean", "webhook_allow_private: true\n", nil, nil, []string{"no longer a boolean"}},
		{"old env boolean", "", map[string]string{"KEYWARDEN_WEBHOOK_ALLOW_PRIVATE": "true"}, nil, []string{"no longer a boolean"}},
		{"bad allow entry", "", nil, []string{"--webhook-allow-private", "127.0.0.1/32,http://x"}, []string{`"http://x" is not a CIDR`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.file, tc.env, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The old boolean's "false" still means nothing allowed.
	c, err := load(t, "webhook_allow_private: false\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, h := c.WebhookAllow(); len(p)+len(h) != 0 {
		t.Errorf("false allowed %v %v", p, h)
	}
}
