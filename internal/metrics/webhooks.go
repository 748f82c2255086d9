package metrics

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of a look at a webhook message (keywarden_webhook_deliveries_total).
const (
	DeliveryDelivered = "delivered" // a 2xx answer
	DeliveryRetry     = "retry"     // the attempt failed; another is scheduled
	DeliveryGaveUp    = "gave_up"   // failed, and the retry window is over
	DeliveryDropped   = "dropped"   // not sent: the endpoint is gone or disabled
	DeliveryHeld      = "held"      // not sent yet: no active secret to sign with
)

type webhookMetrics struct {
	deliveries map[string]prometheus.Counter
	disables   prometheus.Counter
}

func newWebhookMetrics(r *prometheus.Registry) webhookMetrics {
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_webhook_deliveries_total",
		Help: "Webhook messages handled by the dispatcher, by outcome (delivered, retry, gave_up, dropped, held).",
	}, []string{"outcome"})
	disables := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "keywarden_webhook_endpoint_disables_total", Help: "Webhook endpoints disabled for failing too long.",
	})
	r.MustRegister(deliveries, disables)
	return webhookMetrics{
		deliveries: children(deliveries, DeliveryDelivered, DeliveryRetry, DeliveryGaveUp, DeliveryDropped, DeliveryHeld),
		disables:   disables,
	}
}

// WebhookHandled counts a webhook message's outcome.
func (m *Metrics) WebhookHandled(outcome string) {
	if m != nil {
		inc(m.webhooks.deliveries, outcome)
	}
}

// WebhookEndpointDisabled counts an endpoint disabled for failing.
func (m *Metrics) WebhookEndpointDisabled() {
	if m != nil {
		m.webhooks.disables.Inc()
	}
}
