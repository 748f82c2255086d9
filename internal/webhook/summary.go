package webhook

import (
	"context"
	"fmt"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// The expiry summary (secrets.expiring_summary): once a period (a UTC
// day), each organisation whose enabled endpoints want it gets one event
// listing its secrets that expire within 1 day, within 1 to 7 days and
// within 7 to 14 days. A unique row per (organisation, period) is the
// gate, written in the transaction that enqueues the event, so the
// summary goes out once whatever the number of nodes; a period in which
// nothing expires within 14 days sends nothing.
const (
	SummaryPeriod = 24 * time.Hour
	// MaxSummarySecrets bounds the secrets a window lists (Truncated says
	// there were more); MaxSummaryCount bounds what its count counts.
	MaxSummarySecrets = 100
	MaxSummaryCount   = 1000
	noticeSummary     = "expiring-summary"
	summaryOrgBatch   = 100
)

// summaryWindows are the bands of a summary, in days from now.
var summaryWindows = []int{1, 7, 14}

// RunSummaries sends the period's expiry summaries that are due and
// returns how many it sent. Safe on every node at once, as often as one
// likes.
func (s *Service) RunSummaries(ctx context.Context) (int, error) {
	now := s.clock()
	period := now.Truncate(SummaryPeriod)
	sent := 0
	var after domain.OrgID
	for {
		orgs, err := s.o.Store.ListOrgWebhookOrgs(ctx, after, summaryOrgBatch)
		if err != nil {
			return sent, fmt.Errorf("list organisations with webhook endpoints: %w", err)
		}
		for _, org := range orgs {
			ok, err := s.summarize(ctx, org, period, now)
			if err != nil {
				return sent, fmt.Errorf("expiry summary of %s: %w", org, err)
			}
			if ok {
				sent++
			}
		}
		if len(orgs) < summaryOrgBatch {
			return sent, nil
		}
		after = orgs[len(orgs)-1]
	}
}

func (s *Service) summarize(ctx context.Context, org domain.OrgID, period, now time.Time) (bool, error) {
	sent := false
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		sent = false
		eps, err := tx.ListOrgWebhookEndpoints(ctx, org)
		if err != nil {
			return err
		}
		wanted := false
		for _, ep := range eps {
			wanted = wanted || ep.DisabledAt == nil && Wants(ep.Events, TypeExpiringSummary)
		}
		if !wanted {
			return nil
		}
		won, err := tx.RecordWebhookOrgNotice(ctx, domain.WebhookOrgNotice{OrgID: org, Notice: noticeSummary, Period: period, RecordedAt: now})
		if err != nil || !won {
			return err // !won: another node sends it
		}
		var windows []SummaryWindow
		some := false
		from := now
		for _, days := range summaryWindows {
			to := now.Add(time.Duration(days) * 24 * time.Hour)
			list, err := tx.ListOrgExpiringSecrets(ctx, org, from, to, MaxSummaryCount)
			if err != nil {
				return err
			}
			w := SummaryWindow{Days: days, Count: len(list), Secrets: []ExpiringSecret{}}
			for i, x := range list {
				if i == MaxSummarySecrets {
					w.Truncated = true
					break
				}
				w.Secrets = append(w.Secrets, ExpiringSecret{ClientID: x.ClientID, SecretID: x.ID, Description: x.Description, Hint: x.Hint, ExpiresAt: x.ExpiresAt.UTC()})
			}
			some = some || len(list) > 0
			windows = append(windows, w)
			from = to
		}
		if !some {
			return nil // the gate is recorded: nothing to say this period
		}
		sent = true
		return s.outbox.Enqueue(ctx, tx, ExpiringSummary(org, period, windows, now))
	})
	return sent, err
}
