package config_test

import (
	"strings"
	"testing"
	"time"
)

func TestWebhookSettings(t *testing.T) {
	c, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookAllowPrivate) != 0 || !c.WebhookDispatch || c.WebhookTimeout != 10*time.Second || c.WebhookRetryWindow != 24*time.Hour ||
		c.WebhookDisableAfter != 24*time.Hour || c.WebhookRetryBase != 30*time.Second || c.WebhookPollInterval != time.Second {
		t.Errorf("webhook defaults = %+v", c)
	}
	c, err = load(t, "webhook_allow_private: [127.0.0.1/32, receiver.internal]\nwebhook_timeout: 2s\n",
		map[string]string{"KEYWARDEN_WEBHOOK_DISPATCH": "false"}, "--webhook-poll-interval", "100ms", "--webhook-retry-base", "200ms")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookAllowPrivate) != 2 || c.WebhookDispatch || c.WebhookTimeout != 2*time.Second || c.WebhookPollInterval != 100*time.Millisecond ||
		c.WebhookRetryBase != 200*time.Millisecond {
		t.Errorf("webhook settings from file, env and flags = %+v", c)
	}
	_, err = load(t, "", nil, "--webhook-timeout", "2m", "--webhook-retry-window", "0s", "--webhook-disable-after", "1ms")
	for _, want := range []string{"webhook-timeout", "webhook-retry-window", "webhook-disable-after"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}
