package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/store"
	"keywarden/pkg/webhooksig"
)

// UserAgent is the User-Agent of every delivery.
const UserAgent = "Keywarden-Webhooks/1"

// Response excerpts in the delivery log.
const (
	maxExcerptRead  = 4 << 10
	maxExcerptRunes = 200
)

// RunDispatcher delivers due messages until ctx ends. Deliveries that have
// started when ctx ends run to completion (within the timeout), so that a
// graceful shutdown does not cut them off.
func (s *Service) RunDispatcher(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.DispatchOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.o.Log.Error("webhook dispatch failed", "err", err)
		}
		if n == s.o.Workers {
			t.Reset(0) // there may be more due right now
		} else {
			t.Reset(s.o.PollInterval)
		}
	}
}

// DispatchOnce claims up to Workers due messages, attempts each once, in
// parallel, and returns how many it claimed.
func (s *Service) DispatchOnce(ctx context.Context) (int, error) {
	now := s.clock()
	claim := domain.NewID("clm_")
	msgs, err := s.o.Store.ClaimWebhookMessages(ctx, now, now.Add(s.lease()), claim, s.o.Workers)
	if err != nil {
		return 0, fmt.Errorf("claim webhook messages: %w", err)
	}
	// Claimed messages are ours until the lease ends: finish them even if
	// ctx ends now.
	work := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		wg.Go(func() { errs[i] = s.attempt(work, m, claim) })
	}
	wg.Wait()
	return len(msgs), errors.Join(errs...)
}

// outcome is the result of one look at a message.
type outcome struct {
	attempt *domain.WebhookAttempt // nil when nothing was sent
	ok      bool                   // a 2xx answer
	final   string                 // set: give up now, for this reason
	hold    string                 // set: nothing to sign with yet; look again later
	// retryAfter is the receiver's Retry-After (0: none or unusable);
	// throttled says the receiver answered 429 or not in time.
	retryAfter time.Duration
	throttled  bool
}

// attempt handles one claimed message: decide, maybe send, record.
func (s *Service) attempt(ctx context.Context, m domain.WebhookMessage, claim string) error {
	if m.EndpointID != "" {
		return s.attemptOrg(ctx, m, claim)
	}
	c, err := s.o.Store.GetClient(ctx, m.OrgID, m.ClientID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // the client was deleted, and its messages with it
	}
	if err != nil {
		return err
	}
	var out outcome
	switch ep, err := s.o.Store.GetWebhookEndpoint(ctx, m.OrgID, m.ClientID); {
	case err != nil && !errors.Is(err, domain.ErrNotFound):
		return err
	case c.WebhookURL == "":
		out.final = "the client has no webhook endpoint any more"
	case err == nil && ep.URL == c.WebhookURL && ep.DisabledAt != nil:
		out.final = "the endpoint was disabled at " + ep.DisabledAt.Format(time.RFC3339) + " (" + ep.DisabledReason + "); enable it and redeliver"
	default:
		secrets, err := s.signingSecrets(ctx, c)
		if err != nil {
			return err
		}
		keys, err := s.signingKeys(ctx, c)
		if err != nil {
			return err
		}
		if len(secrets) == 0 && len(keys) == 0 {
			out.hold = "waiting for the client to have an active secret to sign with"
		} else {
			out = s.send(ctx, c.WebhookURL, m, secrets, keys)
		}
	}
	return s.record(ctx, m, claim, out, func(tx store.Tx, gaveUp bool, now time.Time) ([]string, error) {
		return s.health(ctx, tx, c, out, gaveUp, now)
	})
}

// signingSecrets returns the values of the client's active secrets, oldest
// first: every one signs webhook-signature, the first (the oldest
// unrevoked, unexpired secret) signs X-Keywarden-Hmac-Sha256.
func (s *Service) signingSecrets(ctx context.Context, c domain.Client) ([]string, error) {
	now := s.clock()
	// The few active secrets, not the client's history of revoked ones;
	// the store returns them in no particular order.
	list, err := s.o.Store.ListActiveSecrets(ctx, c.OrgID, c.ID, now)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b domain.Secret) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(string(a.ID), string(b.ID)))
	})
	var out []string
	for _, x := range list { // oldest first
		if x.State(now) != domain.SecretActive {
			continue
		}
		v, err := s.o.Keyring.Open(x.Sealed, []byte(x.ID))
		if err != nil {
			// Not the value, and not the sealed bytes: only which secret.
			s.o.Log.Error("cannot open a sealed secret to sign a webhook; it is left out", "secret_id", x.ID, "err", err)
			continue
		}
		out = append(out, string(v))
	}
	return out, nil
}

// send makes one HTTP attempt.
func (s *Service) send(ctx context.Context, target string, m domain.WebhookMessage, secrets []string, keys []ed25519.PrivateKey) outcome {
	at := s.clock()
	a := &domain.WebhookAttempt{ID: domain.NewID("att_"), MessageID: m.ID, OrgID: m.OrgID, ClientID: m.ClientID, At: at, URL: target}
	out := outcome{attempt: a}
	if err := s.o.Guard.CheckURL(target); err != nil {
		a.Error = err.Error()
		return out
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(m.Payload))
	if err != nil {
		a.Error = "cannot build the request: " + err.Error()
		return out
	}
	sig := webhooksig.Sign(m.ID, at, m.Payload, secrets)
	webhooksig.AddV1a(sig, m.Payload, keys)
	for k, v := range sig {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("X-Keywarden-Event", m.EventType)
	started := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		a.Latency = time.Since(started)
		a.Error = describeError(err, s.o.Timeout)
		var ue *url.Error
		out.throttled = errors.As(err, &ue) && ue.Timeout()
		return out
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerptRead))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	resp.Body.Close()
	a.Latency = time.Since(started)
	a.StatusCode = resp.StatusCode
	a.ResponseExcerpt = cleanExcerpt(excerpt)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		out.ok = true
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode) + ": redirects are not followed"
	default:
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
		out.throttled = resp.StatusCode == http.StatusTooManyRequests
		out.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), at)
	}
	return out
}

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): whole
// seconds, or an HTTP date, from now. Anything else, or a time in the
// past, is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// describeError turns a client error into a log line without the URL (it
// is in the attempt already).
func describeError(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer within " + timeout.String()
		}
		err = ue.Err
	}
	if errors.Is(err, ErrRefusedAddress) {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			return "connection " + oe.Err.Error()
		}
	}
	return err.Error()
}

// cleanExcerpt keeps the start of a response body as printable text.
func cleanExcerpt(b []byte) string {
	var sb strings.Builder
	n := 0
	for len(b) > 0 && n < maxExcerptRunes {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '?'
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r):
			r = '?'
		}
		sb.WriteRune(r)
		n++
	}
	if len(b) > 0 {
		sb.WriteString("…")
	}
	return strings.TrimSpace(sb.String())
}

// healthFunc tracks the health of a message's endpoint after an attempt,
// in the attempt's transaction, and returns the stages it told.
type healthFunc func(tx store.Tx, gaveUp bool, now time.Time) ([]string, error)

// record stores an outcome: the attempt, the message's new state and the
// endpoint's health (through health), in one transaction.
func (s *Service) record(ctx context.Context, m domain.WebhookMessage, claim string, out outcome, health healthFunc) error {
	now := s.clock()
	m.NextAttemptAt = nil
	var counted string // the metrics' outcome
	switch {
	case out.final != "":
		m.Status, m.LastError, counted = domain.WebhookFailed, out.final, metrics.DeliveryDropped
	case out.hold != "":
		m.LastError, counted = out.hold, metrics.DeliveryHeld
		if window := s.retryWindow(); !now.Before(m.RetryFrom.Add(window)) {
			m.Status, m.LastError, counted = domain.WebhookFailed, "gave up: "+out.hold+" for "+window.String(), metrics.DeliveryGaveUp
			break
		}
		wait := HoldInterval
		if len(s.o.RetrySchedule) > 0 {
			wait = min(wait, s.o.RetrySchedule[0])
		}
		next := now.Add(wait)
		m.NextAttemptAt = &next
	case out.ok:
		m.Attempts++
		m.Status, m.DeliveredAt, m.LastError, counted = domain.WebhookDelivered, &now, "", metrics.DeliveryDelivered
	default:
		m.Attempts++
		m.RetryCount++
		m.LastError, counted = out.attempt.Error, metrics.DeliveryRetry
		d, ok := s.delay(m.RetryCount, out)
		if !ok {
			m.Status, counted = domain.WebhookFailed, metrics.DeliveryGaveUp
			m.LastError = fmt.Sprintf("gave up after %d attempts over %s (the retry schedule ran out); last: %s",
				m.RetryCount, now.Sub(m.RetryFrom).Round(time.Second), out.attempt.Error)
			break
		}
		next := now.Add(d)
		m.NextAttemptAt = &next
	}
	if a := out.attempt; a != nil {
		m.LastAttemptAt, m.LastStatusCode = &a.At, a.StatusCode
	}
	var stages []string
	var mine bool
	gaveUp := counted == metrics.DeliveryGaveUp && out.attempt != nil
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		stages, mine = nil, true
		err := tx.FinishWebhookMessage(ctx, m, claim)
		switch {
		case errors.Is(err, domain.ErrConflict):
			// Redelivered, or our lease ran out and another node has it:
			// the log still gets the attempt; the message is theirs.
			s.o.Log.Warn("webhook message changed hands during delivery", "message_id", m.ID)
			mine = false
		case errors.Is(err, domain.ErrNotFound):
			mine = false
			return nil
		case err != nil:
			return err
		}
		if out.attempt == nil {
			return nil
		}
		if err := tx.AddWebhookAttempt(ctx, *out.attempt); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return nil
			}
			return err
		}
		stages, err = health(tx, gaveUp, now)
		return err
	})
	if err == nil && mine {
		s.o.Metrics.WebhookHandled(counted)
	}
	if err == nil {
		for _, stage := range stages {
			s.o.Metrics.WebhookEndpointHealth(stage)
		}
	}
	return err
}

// Stages of an endpoint's health that operators are told about, each
// once per failing streak: an audit event (webhook.endpoint_<stage>, by
// the system), a metric (keywarden_webhook_endpoint_health_total) and a
// log line.
const (
	StageFailing   = "failing"           // the first failure after a success
	StageExhausted = "retries_exhausted" // the first delivery of the streak that ran out of retries
	StageDisabled  = "disabled"          // failing for DisableAfter, and a delivery's retries ran out
	StageRecovered = "recovered"         // a success after failures
)

// health tracks an endpoint's failures and tells each stage of a failing
// streak once. It disables the endpoint only as a last resort: when a
// delivery has just run out of retries (gaveUp) and the endpoint has
// failed without a single success for DisableAfter. It returns the
// stages it told.
func (s *Service) health(ctx context.Context, tx store.Tx, c domain.Client, out outcome, gaveUp bool, now time.Time) ([]string, error) {
	var stages []string
	var before domain.WebhookEndpoint
	ep, err := tx.UpdateWebhookEndpoint(ctx, c.OrgID, c.ID, c.WebhookURL, now, func(ep *domain.WebhookEndpoint) error {
		stages = nil
		fresh := ep.URL != c.WebhookURL
		if fresh { // a new URL starts with a clean record
			*ep = domain.WebhookEndpoint{OrgID: c.OrgID, ClientID: c.ID, URL: c.WebhookURL, UpdatedAt: now}
		}
		before = *ep
		switch {
		case out.ok && ep.FailingSince == nil && !fresh:
			return store.ErrNoChange // healthy, and recorded as such
		case out.ok:
			if ep.FailingSince != nil {
				stages = append(stages, StageRecovered)
			}
			ep.FailingSince, ep.ExhaustedAt, ep.UpdatedAt = nil, nil, now
			return nil
		case ep.FailingSince == nil:
			ep.FailingSince, ep.UpdatedAt = &now, now
			stages = append(stages, StageFailing)
		}
		if gaveUp && ep.ExhaustedAt == nil {
			ep.ExhaustedAt, ep.UpdatedAt = &now, now
			stages = append(stages, StageExhausted)
		}
		if stages == nil && !fresh {
			return store.ErrNoChange // failing since before, told already
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !out.ok && gaveUp && ep.DisabledAt == nil && now.Sub(*ep.FailingSince) >= s.o.DisableAfter {
		reason := "every delivery failed since " + ep.FailingSince.Format(time.RFC3339) + " and retries ran out; last: " + out.attempt.Error
		won, err := tx.DisableWebhookEndpoint(ctx, c.OrgID, c.ID, c.WebhookURL, now, reason)
		if err != nil {
			return nil, err
		}
		if won { // !won: another delivery disabled it first, and told it
			stages = append(stages, StageDisabled)
		}
	}
	for _, stage := range stages {
		detail := map[string]string{"url": c.WebhookURL}
		switch stage {
		case StageRecovered:
			detail["failing_since"] = before.FailingSince.Format(time.RFC3339)
			detail["failed_for"] = now.Sub(*before.FailingSince).Round(time.Second).String()
		default:
			detail["failing_since"] = ep.FailingSince.Format(time.RFC3339)
			detail["last_error"] = out.attempt.Error
		}
		action := "webhook.endpoint_" + stage
		if stage == StageDisabled {
			action = "webhook.endpoint_disable" // the name it always had
		}
		s.o.Log.Warn("webhook endpoint "+strings.ReplaceAll(stage, "_", " "), "client_id", c.ID, "failing_since", detail["failing_since"])
		// The organisation's endpoints are told too; the event is written
		// before the audit append, which takes the chain's lock last.
		var since time.Time
		if stage == StageRecovered {
			since = *before.FailingSince
		} else {
			since = *ep.FailingSince
		}
		lastErr := ""
		if out.attempt != nil {
			lastErr = out.attempt.Error
		}
		if err := s.outbox.Enqueue(ctx, tx, EndpointHealth(c.OrgID, c.ID, "", c.WebhookURL, stage, since, lastErr, now)); err != nil {
			return nil, err
		}
		if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: domain.System(c.OrgID, "webhook-dispatcher"), Action: action,
			Target: string(c.ID), Result: domain.ResultSuccess, Detail: detail}); err != nil {
			return nil, err
		}
	}
	return stages, nil
}
