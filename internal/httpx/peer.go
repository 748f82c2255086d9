package httpx

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Peer is what the server knows of the party that sent a request, once
// trusted proxies are accounted for. ResolvePeer computes it once per
// request; everything downstream (rate limits, allowed_cidrs, audit
// sources, last-used addresses, Secure cookies, HSTS) reads it through
// ClientIP, Secure and ClientCertificate instead of re-deriving it.
type Peer struct {
	// Addr is the client's address: the socket peer, or, when the socket
	// peer is a trusted proxy, the right-most untrusted hop it reported.
	Addr netip.Addr
	// Proxy is the socket peer when Addr came from a trusted proxy's
	// forwarding header (invalid otherwise).
	Proxy netip.Addr
	// Secure reports that the client reached us over HTTPS: TLS on this
	// connection, or https reported by a trusted proxy.
	Secure bool
	// Cert is the client certificate the client presented, nil if none.
	Cert *ClientCert
}

// ClientCert is a client certificate presented during the TLS handshake
// (--tls-client-auth). It is the material RFC 8705 client authentication
// works from: Chain[0] is the leaf, whose SHA-256 thumbprint binds tokens
// (RFC 8705 §3) and whose subject or SAN identifies a PKI client (§2.1).
type ClientCert struct {
	// Chain is the presented chain, leaf first.
	Chain []*x509.Certificate
	// Verified holds the chains Go verified against --tls-client-ca
	// (mode verify-if-given); empty in mode request, where the server
	// checks nothing and the certificate may be self-signed (§2.2).
	Verified [][]*x509.Certificate
	// Source is "tls" (this server's handshake). A certificate forwarded
	// by a trusted TLS-terminating proxy would carry "proxy".
	Source string
}

// ForwardHeader names the header a trusted proxy reports the client in.
type ForwardHeader string

// The headers ResolvePeer reads.
const (
	// XForwardedFor reads X-Forwarded-For (addresses) and
	// X-Forwarded-Proto (scheme). nginx, HAProxy and most load balancers.
	XForwardedFor ForwardHeader = "x-forwarded-for"
	// Forwarded reads RFC 7239 Forwarded (for= and proto=).
	Forwarded ForwardHeader = "forwarded"
)

// Trust says which socket peers are reverse proxies whose forwarding
// headers are believed, and which header they write. The zero value
// trusts no one: every request's client is its socket peer.
type Trust struct {
	Proxies []netip.Prefix
	Header  ForwardHeader // XForwardedFor when empty
}

func (t Trust) trusted(a netip.Addr) bool {
	for _, p := range t.Proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

const peerKey ctxKey = 1

// ResolvePeer computes the request's Peer once and stores it in the
// request's context for everything downstream. Forwarding headers are
// read only when the socket peer is in trust.Proxies: from anyone else they
// change nothing.
func ResolvePeer(trust Trust, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := peerOf(trust, r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), peerKey, p)))
	})
}

func peerOf(trust Trust, r *http.Request) Peer {
	p := Peer{Addr: socketAddr(r), Secure: r.TLS != nil}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		p.Cert = &ClientCert{Chain: r.TLS.PeerCertificates, Verified: r.TLS.VerifiedChains, Source: "tls"}
	}
	if !p.Addr.IsValid() || !trust.trusted(p.Addr) {
		return p
	}
	var hops []hop
	var proto string
	if trust.Header == Forwarded {
		hops = parseForwarded(r.Header.Values("Forwarded"))
	} else {
		hops = parseXForwardedFor(r.Header.Values("X-Forwarded-For"))
		if v := r.Header.Values("X-Forwarded-Proto"); len(v) > 0 {
			// The right-most value is the one our own (trusted) proxy wrote.
			list := strings.Split(v[len(v)-1], ",")
			proto = strings.TrimSpace(list[len(list)-1])
		}
	}
	// Walk from the nearest hop outwards; the first address that is not a
	// trusted proxy is the client. A hop we cannot read (unknown, an
	// obfuscated identifier, garbage) ends the walk: the client is then
	// the trusted proxy that reported it, never a value someone chose.
	client := p.Addr
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if !h.addr.IsValid() {
			break
		}
		client = h.addr
		if h.proto != "" {
			proto = h.proto
		}
		if !trust.trusted(h.addr) {
			break
		}
	}
	if len(hops) > 0 {
		p.Proxy, p.Addr = p.Addr, client
	}
	switch strings.ToLower(proto) {
	case "https":
		p.Secure = true
	case "http":
		p.Secure = false
	}
	// RFC 8705 behind a TLS-terminating proxy: a trusted proxy's
	// client-certificate header (e.g. nginx $ssl_client_escaped_cert) is
	// read here, and only here, into p.Cert with Source "proxy".
	return p
}

// socketAddr is the address of the connection's other end.
func socketAddr(r *http.Request) netip.Addr {
	// No zone: netip.Prefix never contains a zoned address.
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	a, _ := netip.ParseAddr(r.RemoteAddr)
	return a.Unmap().WithZone("")
}

// PeerOf returns the request's Peer: the one ResolvePeer stored, or, for a
// handler run without it, the socket peer.
func PeerOf(r *http.Request) Peer {
	if p, ok := r.Context().Value(peerKey).(Peer); ok {
		return p
	}
	return peerOf(Trust{}, r)
}

// ClientIP returns the client's address (no port): the socket peer, or
// the client a trusted proxy reported.
func ClientIP(r *http.Request) string {
	if a := PeerOf(r).Addr; a.IsValid() {
		return a.String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Secure reports whether the client used HTTPS (so cookies get Secure and
// responses carry HSTS).
func Secure(r *http.Request) bool { return PeerOf(r).Secure }

// ClientCertificate returns the certificate the client presented, or nil.
func ClientCertificate(r *http.Request) *ClientCert { return PeerOf(r).Cert }

// hop is one proxy hop: the address it received from (invalid when
// unreadable) and, for Forwarded, the scheme it was reached by.
type hop struct {
	addr  netip.Addr
	proto string
}

// parseNode reads an address as forwarding headers carry it: an IP, an
// IP:port, or a bracketed IPv6 address with or without a port.
func parseNode(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
			return a.WithZone("")
		}
	}
	return netip.Addr{}
}

// parseXForwardedFor splits X-Forwarded-For: a comma-separated list of
// addresses, client first, over any number of header fields.
func parseXForwardedFor(values []string) []hop {
	var hops []hop
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			hops = append(hops, hop{addr: parseNode(s)})
		}
	}
	return hops
}

// parseForwarded reads RFC 7239 §4 Forwarded fields:
//
//	Forwarded = 1#forwarded-element
//	forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//	forwarded-pair = token "=" value ; value = token / quoted-string
//
// Each element is one hop; for= is its node (§5.2, §6: an IP, a quoted
// "[v6]:port", "unknown" or an obfuscated _identifier, which read as
// invalid) and proto= its scheme (§5.4). A malformed field makes the whole
// list unreadable from that point on, as a hop that cannot be read.
func parseForwarded(values []string) []hop {
	var hops []hop
	for _, v := range values {
		cur, ok := hop{}, true
		i := 0
		for ok {
			// One pair, or an empty one between separators.
			for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
				i++
			}
			if i == len(v) {
				hops = append(hops, cur)
				break
			}
			if v[i] == ',' || v[i] == ';' {
				if v[i] == ',' {
					hops = append(hops, cur)
					cur = hop{}
				}
				i++
				continue
			}
			eq := strings.IndexByte(v[i:], '=')
			if eq <= 0 {
				ok = false
				break
			}
			name := strings.ToLower(strings.TrimSpace(v[i : i+eq]))
			i += eq + 1
			var value string
			if i < len(v) && v[i] == '"' {
				var b strings.Builder
				i++
				closed := false
				for i < len(v) {
					c := v[i]
					i++
					if c == '\\' && i < len(v) {
						b.WriteByte(v[i])
						i++
						continue
					}
					if c == '"' {
						closed = true
						break
					}
					b.WriteByte(c)
				}
				if !closed {
					ok = false
					break
				}
				value = b.String()
			} else {
				j := i
				for j < len(v) && v[j] != ';' && v[j] != ',' && v[j] != ' ' && v[j] != '\t' {
					j++
				}
				value, i = v[i:j], j
			}
			switch name {
			case "for":
				cur.addr = parseNode(value)
			case "proto":
				cur.proto = value
			}
		}
		if !ok {
			// An unreadable field: the client cannot be told from it.
			hops = append(hops, hop{})
		}
	}
	return hops
}
