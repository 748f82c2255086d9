package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AllowList is a list of CIDRs, addresses and host names. In YAML it is a
// sequence (or one comma-separated string); the boolean that
// webhook_allow_private used to be is refused with a message saying what
// replaced it.
type AllowList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *AllowList) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!bool":
		*l = AllowList{n.Value} // Validate explains true and accepts false
		return nil
	case n.Kind == yaml.ScalarNode:
		*l = AllowList(splitList(n.Value))
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*l = list
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// ParsePrefix reads a CIDR ("10.0.0.0/8") or a single address
// ("127.0.0.1", "::1") as a prefix, masked.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// TrustedProxyPrefixes returns TrustedProxies parsed (Validate has
// refused any that do not parse).
func (c Config) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		if p, err := ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// WebhookAllow returns WebhookAllowPrivate split into address ranges and
// lower-case host names ("false", the old boolean's default, is nothing).
func (c Config) WebhookAllow() (prefixes []netip.Prefix, hosts []string) {
	for _, s := range c.WebhookAllowPrivate {
		s = strings.TrimSpace(s)
		if s == "" || s == "false" {
			continue
		}
		if p, err := ParsePrefix(s); err == nil {
			prefixes = append(prefixes, p)
		} else if validHostName(s) {
			hosts = append(hosts, strings.TrimSuffix(strings.ToLower(s), "."))
		}
	}
	return prefixes, hosts
}

// validHostName accepts a DNS name (RFC 1123 labels).
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// validateNetwork checks the TLS, proxy, admin-listener and webhook
// allow-list settings.
func (c Config) validateNetwork() []error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key: set both or neither"))
	}
	switch c.TLSClientAuth {
	case "none", "":
		if c.TLSClientCA != "" {
			errs = append(errs, errors.New("tls-client-ca: needs --tls-client-auth verify-if-given"))
		}
	case "request", "verify-if-given":
		if c.TLSCert == "" {
			errs = append(errs, fmt.Errorf("tls-client-auth %s: needs --tls-cert and --tls-key", c.TLSClientAuth))
		}
		if c.TLSClientAuth == "verify-if-given" && c.TLSClientCA == "" {
			errs = append(errs, errors.New("tls-client-auth verify-if-given: needs --tls-client-ca"))
		}
		if c.TLSClientAuth == "request" && c.TLSClientCA != "" {
			errs = append(errs, errors.New("tls-client-ca: mode request verifies nothing; use --tls-client-auth verify-if-given"))
		}
	default:
		errs = append(errs, fmt.Errorf("tls-client-auth %q: must be none, request or verify-if-given", c.TLSClientAuth))
	}
	for _, s := range c.TrustedProxies {
		if _, err := ParsePrefix(s); err != nil {
			errs = append(errs, fmt.Errorf("trusted-proxies: %q is not a CIDR or an IP address", s))
		}
	}
	switch c.ProxyHeader {
	case "x-forwarded-for", "forwarded":
	default:
		errs = append(errs, fmt.Errorf("proxy-header %q: must be x-forwarded-for or forwarded", c.ProxyHeader))
	}
	if c.AdminListen != "" && c.AdminListen == c.Listen && !strings.HasSuffix(c.Listen, ":0") {
		errs = append(errs, errors.New("admin-listen: must differ from listen"))
	}
	if c.Pprof && c.AdminListen == "" {
		errs = append(errs, errors.New("pprof: needs --admin-listen (pprof is never served on the public listener)"))
	}
	for _, s := range c.WebhookAllowPrivate {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "-"):
			// The flag was a boolean: a bare --webhook-allow-private took
			// the next flag as its value.
			errs = append(errs, fmt.Errorf("webhook-allow-private: needs a value, a list of CIDRs and host names (it is no longer a boolean), not %q", s))
		case s == "true":
			errs = append(errs, errors.New(`webhook-allow-private: now a list of CIDRs and host names (e.g. "127.0.0.1/32,receiver.internal"), no longer a boolean; "true" allowed every non-public address, 169.254.169.254 included: list what your receivers need`))
		case s == "" || s == "false":
		default:
			if _, err := ParsePrefix(s); err != nil && !validHostName(s) {
				errs = append(errs, fmt.Errorf("webhook-allow-private: %q is not a CIDR, an IP address or a host name", s))
			}
		}
	}
	return errs
}
