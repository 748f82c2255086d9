package metrics

import "github.com/prometheus/client_golang/prometheus"

// Labels of a leak finding (keywarden_leak_findings_total): the answers of
// internal/leak, which owns their meaning.
var leakLabels = []string{"revoked", "quarantined", "already_reported", "inactive", "unknown", "invalid"}

func newLeakMetrics(r *prometheus.Registry) map[string]prometheus.Counter {
	findings := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "keywarden_leak_findings_total",
		Help: "Values named by leak reports, by answer (revoked, quarantined: shut down by this report; already_reported, inactive, unknown, invalid).",
	}, []string{"label"})
	r.MustRegister(findings)
	return children(findings, leakLabels...)
}

// LeakFinding counts one value a leak report named, by its answer.
func (m *Metrics) LeakFinding(label string) {
	if m != nil {
		inc(m.leaks, label)
	}
}
