package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAuditSettings(t *testing.T) {
	c, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditCheckpointInterval != 10*time.Minute || c.AuditRetention != 0 || len(c.AuditStreams) != 0 || c.AuditStreamInterval != time.Second {
		t.Errorf("audit defaults = %+v", c.Audit)
	}
	c, err = load(t, "audit_streams: [\"siem=syslog+tls://siem.example.com:6514\", \"lake=https://c.example.com/a\"]\naudit_retention: 8760h\n",
		map[string]string{"KEYWARDEN_AUDIT_CHECKPOINT_INTERVAL": "1m"}, "--audit-stream-interval", "50ms")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.AuditStreams, []string{"siem=syslog+tls://siem.example.com:6514", "lake=https://c.example.com/a"}) ||
		c.AuditRetention != 8760*time.Hour || c.AuditCheckpointInterval != time.Minute || c.AuditStreamInterval != 50*time.Millisecond {
		t.Errorf("audit settings from file, env and flags = %+v", c.Audit)
	}
	// Flags win over the file; repeated or comma-separated.
	c, err = load(t, "audit_streams: [\"old=syslog+tcp://h:514\"]\n", nil,
		"--audit-stream", "a=syslog+tcp://h:514,b=syslog+tcp://h:515", "--audit-stream", "c=https://h/x?format=hec&token_file=/t")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.AuditStreams, []string{"a=syslog+tcp://h:514", "b=syslog+tcp://h:515", "c=https://h/x?format=hec&token_file=/t"}) {
		t.Errorf("--audit-stream = %q", c.AuditStreams)
	}
	_, err = load(t, "", nil, "--audit-checkpoint-interval", "0s", "--audit-retention", "10m", "--audit-stream-interval", "2m")
	for _, want := range []string{"audit-checkpoint-interval", "audit-retention", "audit-stream-interval"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}
