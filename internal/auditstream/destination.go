package auditstream

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"

	"keywarden/internal/domain"
)

// Formats of a destination.
const (
	FormatSyslog = "syslog" // RFC 5424, octet-counted, over TCP or TLS
	FormatNDJSON = "ndjson" // one JSON record per line, HTTP POST
	FormatHEC    = "hec"    // Splunk HTTP Event Collector events, HTTP POST
)

// Destination is where one stream goes.
type Destination struct {
	Name   string
	Format string
	// Address is host:port for syslog; URL the HTTP endpoint.
	Address string
	URL     string
	// TLS is set for syslog over TLS and for https.
	TLS *tls.Config
	// Token is sent as "Authorization: Splunk <token>" (HEC) or
	// "Bearer <token>" (NDJSON), when set.
	Token string
	// Control, when set, checks every address dialled (the webhook SSRF
	// guard, for the organisations' streams).
	Control func(network, address string, c syscall.RawConn) error
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ParseDestination reads "name=URL":
//
//	siem=syslog+tcp://siem.internal:514
//	siem=syslog+tls://siem.example.com:6514?ca_file=/etc/keywarden/siem-ca.pem&server_name=siem.example.com
//	lake=https://collector.example.com/audit?token_file=/etc/keywarden/token     (NDJSON)
//	splunk=https://splunk.example.com:8088/services/collector/event?format=hec&token_file=/etc/keywarden/hec
//
// ca_file, server_name, token_file and format are Keywarden's parameters
// and are not sent; any other query parameter stays in the HTTP URL.
func ParseDestination(spec string) (Destination, error) {
	name, raw, ok := strings.Cut(spec, "=")
	if !ok || !nameRE.MatchString(name) {
		return Destination{}, fmt.Errorf("audit stream %q: want name=URL, the name of lower-case letters, digits, - and _", spec)
	}
	d := Destination{Name: name}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return d, fmt.Errorf("audit stream %s: %q is not a URL with a host (and no user or fragment)", name, raw)
	}
	q := u.Query()
	take := func(k string) string { v := q.Get(k); q.Del(k); return v }
	caFile, serverName, tokenFile, format := take("ca_file"), take("server_name"), take("token_file"), take("format")
	tlsConfig := func() (*tls.Config, error) {
		c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
		if c.ServerName == "" {
			c.ServerName = u.Hostname()
		}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, fmt.Errorf("audit stream %s: ca_file: %w", name, err)
			}
			c.RootCAs = x509.NewCertPool()
			if !c.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("audit stream %s: ca_file %s holds no PEM certificate", name, caFile)
			}
		}
		return c, nil
	}
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return d, fmt.Errorf("audit stream %s: token_file: %w", name, err)
		}
		if d.Token = strings.TrimSpace(string(b)); d.Token == "" {
			return d, fmt.Errorf("audit stream %s: token_file %s is empty", name, tokenFile)
		}
	}
	switch u.Scheme {
	case "syslog+tcp", "syslog+tls":
		if format != "" && format != FormatSyslog || d.Token != "" || u.Path != "" && u.Path != "/" || len(q) > 0 {
			return d, fmt.Errorf("audit stream %s: a syslog URL takes only ca_file and server_name (with syslog+tls)", name)
		}
		if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			return d, fmt.Errorf("audit stream %s: %s needs host:port", name, u.Scheme)
		}
		d.Format, d.Address = FormatSyslog, u.Host
		if u.Scheme == "syslog+tls" {
			if d.TLS, err = tlsConfig(); err != nil {
				return d, err
			}
		} else if caFile != "" || serverName != "" {
			return d, fmt.Errorf("audit stream %s: ca_file and server_name need syslog+tls", name)
		}
	case "http", "https":
		switch format {
		case "", FormatNDJSON:
			d.Format = FormatNDJSON
		case FormatHEC:
			d.Format = FormatHEC
		default:
			return d, fmt.Errorf("audit stream %s: format %q: want ndjson or hec", name, format)
		}
		if u.Scheme == "https" {
			if d.TLS, err = tlsConfig(); err != nil {
				return d, err
			}
		} else if caFile != "" || serverName != "" {
			return d, fmt.Errorf("audit stream %s: ca_file and server_name need https", name)
		}
		u.RawQuery = q.Encode()
		d.URL = u.String()
	default:
		return d, fmt.Errorf("audit stream %s: scheme %q: want syslog+tcp, syslog+tls, http or https", name, u.Scheme)
	}
	return d, nil
}

// String names the destination without its token.
func (d Destination) String() string {
	if d.Format == FormatSyslog {
		scheme := "syslog+tcp"
		if d.TLS != nil {
			scheme = "syslog+tls"
		}
		return d.Name + "=" + scheme + "://" + d.Address
	}
	return d.Name + "=" + d.URL + " (" + d.Format + ")"
}

// OrgDestination is the destination of an organisation's stream (configured
// through the API): its URL may not name files of the server (ca_file,
// token_file), so it uses the system's roots; format is ndjson, hec or
// syslog; token is the receiver's token, already unsealed ("" for none).
func OrgDestination(as domain.AuditStream, token string) (Destination, error) {
	u, err := url.Parse(as.URL)
	if err != nil {
		return Destination{}, fmt.Errorf("audit stream %s: %q is not a URL", as.Name, as.URL)
	}
	q := u.Query()
	for _, k := range []string{"ca_file", "token_file", "format"} {
		if q.Has(k) {
			return Destination{}, fmt.Errorf("audit stream %s: an organisation's stream takes no %s", as.Name, k)
		}
	}
	if as.Format != "" && as.Format != FormatSyslog {
		q.Set("format", as.Format)
		u.RawQuery = q.Encode()
	}
	d, err := ParseDestination(as.Name + "=" + u.String())
	if err != nil {
		return d, err
	}
	if as.Format != "" && as.Format != d.Format {
		return d, fmt.Errorf("audit stream %s: format %q does not fit %s", as.Name, as.Format, u.Scheme)
	}
	if token != "" && d.Format == FormatSyslog {
		return d, fmt.Errorf("audit stream %s: a syslog stream takes no token", as.Name)
	}
	d.Token = token
	return d, nil
}
