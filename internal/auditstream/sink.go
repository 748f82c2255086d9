package auditstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// sink delivers records to one destination.
type sink interface {
	// send delivers recs in order. For a sink that acknowledges (HTTP),
	// nil means the receiver has them; otherwise see confirm.
	send(ctx context.Context, recs []Record) error
	// acknowledges reports whether a nil send means delivered.
	acknowledges() bool
	// confirm reports whether what was sent so far reached the receiver
	// as far as the sink can tell (syslog: the connection is still open).
	confirm() error
	close()
}

func newSink(d Destination) sink {
	if d.Format == FormatSyslog {
		host, _ := os.Hostname()
		return &syslogSink{d: d, host: host}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = d.TLS
	tr.Proxy = nil
	if d.Control != nil {
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: d.Control}).DialContext
	}
	return &httpSink{d: d, client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// syslogSink writes RFC 5424 messages, octet-counted, on one connection
// that it keeps open. Plain syslog has no acknowledgement: a message is
// taken as delivered when the connection is still open at the next round
// (the receiver has not closed or reset it meanwhile); otherwise the
// stream sends it again on a new connection. What a receiver had not read
// from its socket when it stopped cleanly after that check is lost:
// receivers that need more use HTTP (acknowledged) or check the sequence
// numbers.
type syslogSink struct {
	d    Destination
	host string
	conn net.Conn
}

func (s *syslogSink) acknowledges() bool { return false }

func (s *syslogSink) dial(ctx context.Context) error {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: s.d.Control}
	var conn net.Conn
	var err error
	if s.d.TLS != nil {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.d.TLS}).DialContext(ctx, "tcp", s.d.Address)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", s.d.Address)
	}
	if err != nil {
		return err
	}
	s.conn = conn
	return nil
}

func (s *syslogSink) send(ctx context.Context, recs []Record) error {
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	for _, r := range recs {
		buf.Write(octetCounted(r.Syslog(s.host)))
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	s.conn.SetWriteDeadline(deadline)
	if _, err := s.conn.Write(buf.Bytes()); err != nil {
		s.close()
		return err
	}
	return nil
}

// confirm reads with a deadline that has already passed: a receiver that
// closed or reset the connection answers EOF or an error at once; an open
// one times out (syslog receivers never write).
func (s *syslogSink) confirm() error {
	if s.conn == nil {
		return errors.New("not connected")
	}
	s.conn.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
	var b [1]byte
	_, err := s.conn.Read(b[:])
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	s.close()
	if err == nil {
		return errors.New("the receiver wrote to a syslog connection")
	}
	return fmt.Errorf("the receiver closed the connection: %w", err)
}

func (s *syslogSink) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// httpSink POSTs a batch as JSON lines; any 2xx acknowledges it.
type httpSink struct {
	d      Destination
	client *http.Client
}

func (s *httpSink) acknowledges() bool { return true }
func (s *httpSink) confirm() error     { return nil }
func (s *httpSink) close()             { s.client.CloseIdleConnections() }

func (s *httpSink) send(ctx context.Context, recs []Record) error {
	var body bytes.Buffer
	for _, r := range recs {
		if s.d.Format == FormatHEC {
			body.Write(r.HEC())
		} else {
			body.Write(r.JSON())
		}
		body.WriteByte('\n')
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.d.URL, &body)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "Keywarden-Audit-Stream")
	switch {
	case s.d.Format == FormatHEC:
		req.Header.Set("Content-Type", "application/json")
		if s.d.Token != "" {
			req.Header.Set("Authorization", "Splunk "+s.d.Token)
		}
	default:
		req.Header.Set("Content-Type", "application/x-ndjson")
		if s.d.Token != "" {
			req.Header.Set("Authorization", "Bearer "+s.d.Token)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", s.d.Name, resp.Status)
	}
	return nil
}
