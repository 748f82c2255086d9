package config

import (
	"errors"
	"time"

	"github.com/spf13/pflag"
)

// Audit configures the audit log's checkpoints and retention.
type Audit struct {
	// AuditCheckpointInterval is how often each node verifies the chain
	// and logs a checkpoint of its head.
	AuditCheckpointInterval time.Duration `yaml:"audit_checkpoint_interval"`
	// AuditRetention is how long audit events are kept (0: for ever);
	// older ones are removed, leaving an archive mark the chain verifies
	// from.
	AuditRetention time.Duration `yaml:"audit_retention"`
	// AuditStreams are the installation's audit streams, each
	// "name=URL" (auditstream.ParseDestination, which the server runs).
	AuditStreams []string `yaml:"audit_streams"`
	// AuditStreamInterval is how often an idle stream looks for events.
	AuditStreamInterval time.Duration `yaml:"audit_stream_interval"`
}

func init() {
	settings = append(settings,
		setting{"audit-checkpoint-interval", "how often to verify the audit chain and log (and stream) a checkpoint of its head", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.DurationVar(&c.AuditCheckpointInterval, "audit-checkpoint-interval", d.AuditCheckpointInterval, "")
		}},
		setting{"audit-retention", "how long audit events are kept (0: for ever); older ones are removed behind an authenticated archive mark", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.DurationVar(&c.AuditRetention, "audit-retention", d.AuditRetention, "")
		}},
		setting{"audit-stream", "stream the audit log to a SIEM: name=syslog+tcp://host:port, name=syslog+tls://host:port, name=https://… (NDJSON) or …?format=hec (Splunk); repeatable or comma-separated", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.StringSliceVar(&c.AuditStreams, "audit-stream", d.AuditStreams, "")
		}},
		setting{"audit-stream-interval", "how often an idle audit stream looks for new events", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.DurationVar(&c.AuditStreamInterval, "audit-stream-interval", d.AuditStreamInterval, "")
		}},
	)
}

func auditDefaults() Audit {
	return Audit{AuditCheckpointInterval: 10 * time.Minute, AuditStreamInterval: time.Second}
}

func (c Config) validateAudit() []error {
	var errs []error
	if c.AuditCheckpointInterval < time.Second || c.AuditCheckpointInterval > 24*time.Hour {
		errs = append(errs, errors.New("audit-checkpoint-interval: must be between 1s and 24h"))
	}
	if c.AuditRetention != 0 && c.AuditRetention < time.Hour {
		errs = append(errs, errors.New("audit-retention: must be 0 (keep for ever) or at least 1h"))
	}
	if c.AuditStreamInterval < 10*time.Millisecond || c.AuditStreamInterval > time.Minute {
		errs = append(errs, errors.New("audit-stream-interval: must be between 10ms and 1m"))
	}
	return errs
}
