package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWebhookSettings(t *testing.T) {
	c, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookAllowPrivate) != 0 || !c.WebhookDispatch || c.WebhookTimeout != 10*time.Second || c.WebhookRetryAfterMax != 6*time.Hour ||
		c.WebhookDisableAfter != 5*24*time.Hour || len(c.WebhookRetrySchedule) != 7 || c.WebhookRetrySchedule[6] != 10*time.Hour ||
		c.WebhookPollInterval != time.Second {
		t.Errorf("webhook defaults = %+v", c)
	}
	c, err = load(t, "webhook_allow_private: [127.0.0.1/32, receiver.internal]\nwebhook_timeout: 2s\nwebhook_retry_schedule: [1s, 1m]\n",
		map[string]string{"KEYWARDEN_WEBHOOK_DISPATCH": "false"}, "--webhook-poll-interval", "100ms", "--webhook-retry-schedule", "200ms,3s")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookAllowPrivate) != 2 || c.WebhookDispatch || c.WebhookTimeout != 2*time.Second || c.WebhookPollInterval != 100*time.Millisecond ||
		!slices.Equal(c.WebhookRetrySchedule, []time.Duration{200 * time.Millisecond, 3 * time.Second}) {
		t.Errorf("webhook settings from file, env and flags = %+v", c)
	}
	c, err = load(t, "webhook_retry_schedule: [1s, 1m]\n", nil)
	if err != nil || !slices.Equal(c.WebhookRetrySchedule, []time.Duration{time.Second, time.Minute}) {
		t.Errorf("schedule from the file = %v, %v", c.WebhookRetrySchedule, err)
	}
	_, err = load(t, "", nil, "--webhook-timeout", "2m", "--webhook-retry-schedule", "0s", "--webhook-disable-after", "1ms")
	for _, want := range []string{"webhook-timeout", "webhook-retry-schedule", "webhook-disable-after"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}
