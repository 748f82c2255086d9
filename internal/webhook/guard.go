package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefusedAddress means a webhook URL, or the address its host resolved
// to, is one that Keywarden does not send to: a plain-http URL, or a
// loopback, private, link-local or otherwise non-public address, unless
// --webhook-allow-private lists it.
var ErrRefusedAddress = errors.New("refused")

// Guard keeps webhook deliveries away from the server's own network (SSRF).
// It checks a URL when it is registered and before each delivery, and,
// through the dialer's Control hook, the very address each connection is
// made to: a host name that resolved to a public address when it was
// registered and to 127.0.0.1 at delivery time (DNS rebinding) is refused
// at connect time.
//
// Allow and AllowHosts (--webhook-allow-private) open exactly what they
// list, so a test receiver on 127.0.0.1 does not also open the cloud
// metadata address 169.254.169.254.
type Guard struct {
	// Allow lists address ranges deliveries may reach although they are
	// not public; a URL whose host is an address in them may use http.
	Allow []netip.Prefix
	// AllowHosts lists host names (lower case) deliveries may reach
	// whatever they resolve to, over http or https: the operator vouches
	// for their DNS.
	AllowHosts []string
	// AllowPrivate allows every destination and plain http. Only
	// in-process tests set it; the server configures Allow and AllowHosts.
	AllowPrivate bool
}

// AllowsNonPublic reports whether any non-public destination is allowed
// (the console then says that http and private addresses may work).
func (g Guard) AllowsNonPublic() bool {
	return g.AllowPrivate || len(g.Allow) > 0 || len(g.AllowHosts) > 0
}

func (g Guard) hostAllowed(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range g.AllowHosts {
		if h == host {
			return true
		}
	}
	return false
}

func (g Guard) addrAllowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckURL checks a webhook URL without resolving it: https only, and a
// host that is not a non-public IP literal or a local name, unless the
// host is on the allow-list. Host names are checked at connect time.
func (g Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: not an absolute URL", ErrRefusedAddress)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%w: only http and https URLs", ErrRefusedAddress)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	ip, ipErr := netip.ParseAddr(host)
	if g.AllowPrivate || g.hostAllowed(host) || ipErr == nil && g.addrAllowed(ip) {
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%w: only https URLs (http needs the host in --webhook-allow-private)", ErrRefusedAddress)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || !strings.Contains(host, ".") && !strings.Contains(host, ":") {
		return fmt.Errorf("%w: %q is a local host name (allowed only when --webhook-allow-private lists it)", ErrRefusedAddress, host)
	}
	if ipErr == nil {
		return g.CheckAddr(ip)
	}
	return nil
}

// CheckAddr refuses an address that is not public, unless allowed.
func (g Guard) CheckAddr(ip netip.Addr) error {
	if g.AllowPrivate || g.addrAllowed(ip) {
		return nil
	}
	if why := nonPublic(ip); why != "" {
		return fmt.Errorf("%w: %s is a %s address (allowed only when --webhook-allow-private lists it)", ErrRefusedAddress, ip, why)
	}
	return nil
}

var nonPublicPrefixes = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\""},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	// ::a.b.c.d, the deprecated IPv4-compatible form (RFC 4291 §2.5.5.1):
	// ::127.0.0.1 and ::10.0.0.1 are not mapped addresses, so Unmap
	// leaves them as they are. :: and ::1 inside it are caught above.
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated"}, // RFC 2765 §2.1
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

// embeddedV4 are IPv6 ranges that carry an IPv4 address in their last 32
// bits (NAT64) or in bits 16–48 (6to4): the IPv4 address is checked too.
var (
	nat64   = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48")}
	sixToV4 = netip.MustParsePrefix("2002::/16")

	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// nonPublic names the kind of a non-public address, or returns "".
func nonPublic(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range nonPublicPrefixes {
		if p.prefix.Contains(ip) {
			return p.why
		}
	}
	if ip.Is6() {
		b := ip.As16()
		for _, p := range nat64 {
			if p.Contains(ip) {
				if why := nonPublic(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
					return "NAT64 " + why
				}
			}
		}
		if sixToV4.Contains(ip) {
			if why := nonPublic(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
				return "6to4 " + why
			}
		}
		// Global unicast is 2000::/3 (RFC 4291 §2.4); the rest of the
		// space, but NAT64, is local, special or unassigned.
		if !globalUnicast.Contains(ip) && !nat64[0].Contains(ip) && !nat64[1].Contains(ip) {
			return "reserved IPv6"
		}
	}
	return ""
}

// Control is the net.Dialer Control hook that checks each address at
// connect time (for other senders to the same guard: audit streams).
func (g Guard) Control(network, address string, c syscall.RawConn) error {
	return g.control(network, address, c)
}

// control is the net.Dialer Control hook: it runs after name resolution,
// just before each connect, with the address actually dialled.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check the address %q", ErrRefusedAddress, address)
	}
	return g.CheckAddr(ap.Addr())
}

// NewHTTPClient returns the client deliveries go out through: the Guard
// checks every address at connect time, no proxy from the environment (it
// would hide the destination from the check), no redirects followed (a 3xx
// is the answer, and a failure), and timeout for the whole exchange.
func NewHTTPClient(g Guard, timeout time.Duration) *http.Client {
	guarded := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}
	listed := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	// With no proxy, addr is the URL's host:port before resolution: a
	// host on AllowHosts connects wherever it resolves to.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && g.hostAllowed(host) {
			return listed.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            dial,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    timeout,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
