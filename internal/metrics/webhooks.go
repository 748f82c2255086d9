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

// Stages of a webhook endpoint's health
// (keywarden_webhook_endpoint_health_total), as internal/webhook tells
// them.
const (
	EndpointFailing   = "failing"
	EndpointExhausted = "retries_exhausted"
	EndpointDisabled  = "disabled"
	EndpointRecovered = "recovered"
)

type webhookMetrics struct {
	deliveries map[string]prometheus.Counter
	disables   prometheus.Counter
	health     map[string]prometheus.Counter
}

func newWebhookMetrics(r *prometheus.Registry) webhookMetrics {
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_webhook_deliveries_total",
		Help: "Webhook messages handled by the dispatcher, by outcome (delivered, retry, gave_up, dropped, held).",
	}, []string{"outcome"})
	disables := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "keywarden_webhook_endpoint_disables_total", Help: "Webhook endpoints disabled for failing too long.",
	})
	health := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_webhook_endpoint_health_total",
		Help: "Webhook endpoints that reached a stage of a failing streak (failing, retries_exhausted, disabled, recovered).",
	}, []string{"stage"})
	r.MustRegister(deliveries, disables, health)
	return webhookMetrics{
		deliveries: children(deliveries, DeliveryDelivered, DeliveryRetry, DeliveryGaveUp, DeliveryDropped, DeliveryHeld),
		disables:   disables,
		health:     children(health, EndpointFailing, EndpointExhausted, EndpointDisabled, EndpointRecovered),
	}
}

// WebhookHandled counts a webhook message's outcome.
func (m *Metrics) WebhookHandled(outcome string) {
	if m != nil {
		inc(m.webhooks.deliveries, outcome)
	}
}

// WebhookEndpointHealth counts an endpoint that reached a stage of a
// failing streak (one of the Endpoint constants); a disabled one is also
// counted in keywarden_webhook_endpoint_disables_total.
func (m *Metrics) WebhookEndpointHealth(stage string) {
	if m == nil {
		return
	}
	inc(m.webhooks.health, stage)
	if stage == EndpointDisabled {
		m.webhooks.disables.Inc()
	}
}
