package auditstream

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// PrefixStream is the ID prefix of an organisation's audit stream.
const PrefixStream = "ast_"

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Store   store.Store
	Keyring *keyring.Keyring // seals the receivers' tokens
	Audit   *audit.Log
	// Guard is the webhooks' SSRF guard (--webhook-allow-private): a
	// stream must use TLS (syslog+tls, https) and reach a public address
	// unless the guard allows its host.
	Guard webhook.Guard
	Now   func() time.Time
}

// Service manages the audit streams organisations configure.
type Service struct{ o ServiceOptions }

// NewService returns a Service.
func NewService(o ServiceOptions) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{o: o}
}

// NewStream is what a caller gives to create a stream.
type NewStream struct {
	Name   string
	URL    string
	Format string // ndjson (default for http/https), hec, syslog
	Token  string // sent to the receiver; "" for none
}

// CheckStream validates a stream: its URL and format (OrgDestination),
// and its host against the guard, a syslog URL as if it were http
// (syslog+tcp) or https (syslog+tls).
func (s *Service) CheckStream(in NewStream) error {
	if !nameRE.MatchString(in.Name) {
		return domain.Invalid("name", "lower-case letters, digits, - and _, up to 40")
	}
	if len(in.Token) > 4096 {
		return domain.Invalid("token", "at most 4096 bytes")
	}
	syslog := strings.HasPrefix(strings.ToLower(in.URL), "syslog+")
	switch in.Format {
	case "":
	case FormatNDJSON, FormatHEC:
		if syslog {
			return domain.Invalid("format", in.Format+" is sent over http or https; a syslog+tcp or syslog+tls URL is format syslog")
		}
	case FormatSyslog:
		if !syslog {
			return domain.Invalid("format", "syslog needs a syslog+tcp or syslog+tls URL")
		}
	default:
		return domain.Invalid("format", "ndjson, hec or syslog")
	}
	if in.Token != "" && syslog {
		return domain.Invalid("token", "a syslog stream takes no token")
	}
	d, err := OrgDestination(domain.AuditStream{Name: in.Name, URL: in.URL, Format: in.Format}, in.Token)
	if err != nil {
		return domain.Invalid("url", err.Error())
	}
	check := in.URL
	if d.Format == FormatSyslog {
		scheme := "http"
		if d.TLS != nil {
			scheme = "https"
		}
		check = (&url.URL{Scheme: scheme, Host: d.Address}).String()
	}
	if err := s.o.Guard.CheckURL(check); err != nil {
		return domain.Invalid("url", err.Error())
	}
	return nil
}

// CreateStream adds a stream of by's organisation. It starts after the
// newest event: it sends what happens from now on.
func (s *Service) CreateStream(ctx context.Context, by domain.Actor, in NewStream) (domain.AuditStream, error) {
	if err := s.CheckStream(in); err != nil {
		return domain.AuditStream{}, err
	}
	d, _ := OrgDestination(domain.AuditStream{Name: in.Name, URL: in.URL, Format: in.Format}, in.Token)
	as := domain.AuditStream{ID: domain.NewID(PrefixStream), OrgID: by.OrgID, Name: in.Name, URL: in.URL, Format: d.Format,
		CreatedAt: s.o.Now().UTC().Truncate(time.Microsecond)}
	if in.Token != "" {
		as.TokenSealed = s.o.Keyring.Seal([]byte(in.Token), []byte(as.ID))
	}
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		head, _, err := tx.AuditHead(ctx)
		if err != nil {
			return err
		}
		as.Delivered = head
		if err := tx.CreateAuditStream(ctx, as); err != nil {
			return err
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "audit.stream_create", Target: as.ID,
			Detail: map[string]string{"name": as.Name, "destination": d.String(), "format": as.Format}})
	})
	return as, err
}

// Streams lists the streams of by's organisation.
func (s *Service) Streams(ctx context.Context, by domain.Actor) ([]domain.AuditStream, error) {
	return s.o.Store.ListAuditStreams(ctx, by.OrgID)
}

// Stream returns a stream of by's organisation (domain.ErrNotFound for
// any other).
func (s *Service) Stream(ctx context.Context, by domain.Actor, id string) (domain.AuditStream, error) {
	list, err := s.o.Store.ListAuditStreams(ctx, by.OrgID)
	if err != nil {
		return domain.AuditStream{}, err
	}
	for _, as := range list {
		if as.ID == id {
			return as, nil
		}
	}
	return domain.AuditStream{}, domain.ErrNotFound
}

// Lag is how far a stream is behind its organisation's audit log.
type Lag struct {
	// Latest is the sequence number of the organisation's newest event
	// (0 when it has none).
	Latest int64
	// Undelivered is the time of the oldest event the stream has not
	// delivered yet; nil when it is caught up.
	Undelivered *time.Time
}

// Lag returns how far as is behind: two indexed reads of its
// organisation's events.
func (s *Service) Lag(ctx context.Context, as domain.AuditStream) (Lag, error) {
	var l Lag
	newest, _, err := s.o.Store.ListAudit(ctx, as.OrgID, domain.AuditFilter{Page: domain.Page{Limit: 1}})
	if err != nil {
		return l, err
	}
	if len(newest) > 0 {
		l.Latest = newest[0].Seq
	}
	next, err := s.o.Store.ScanOrgAudit(ctx, as.OrgID, as.Delivered, 1)
	if err != nil {
		return l, err
	}
	if len(next) > 0 {
		at := next[0].At
		l.Undelivered = &at
	}
	return l, nil
}

// DeleteStream removes a stream of by's organisation; the streamer stops
// it within an interval.
func (s *Service) DeleteStream(ctx context.Context, by domain.Actor, id string) error {
	return s.o.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteAuditStream(ctx, by.OrgID, id); err != nil {
			return err
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "audit.stream_delete", Target: id})
	})
}

// Destination turns a stored stream into where the Streamer sends it: the
// token unsealed, every connection checked by the guard
// (Options.OrgStreams).
func (s *Service) Destination(as domain.AuditStream) (Destination, error) {
	var token string
	if as.TokenSealed != nil {
		b, err := s.o.Keyring.Open(as.TokenSealed, []byte(as.ID))
		if err != nil {
			return Destination{}, errors.New("audit stream " + as.ID + ": its token does not unseal")
		}
		token = string(b)
	}
	d, err := OrgDestination(as, token)
	if err != nil {
		return d, err
	}
	d.Control = s.o.Guard.Control
	return d, nil
}
