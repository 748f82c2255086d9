package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"keywarden/internal/buildinfo"
)

// Metrics are the collectors one server registers. Every method is safe
// on a nil *Metrics (it does nothing), so services built without metrics
// (commands, tests) need no stand-in. The label values of each series are
// resolved once, in New: counting on a request path is a map read and an
// atomic add.
type Metrics struct {
	registry *prometheus.Registry
	http     httpMetrics
	auth     authMetrics
	webhooks webhookMetrics
	leaks    map[string]prometheus.Counter
	listener listenerMetrics
}

// New returns a registry with Go runtime, process, build and Keywarden
// collectors.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(buildInfo(buildinfo.Read()))
	m.http = newHTTPMetrics(m.registry)
	m.auth = newAuthMetrics(m.registry)
	m.webhooks = newWebhookMetrics(m.registry)
	m.leaks = newLeakMetrics(m.registry)
	m.listener = newListenerMetrics(m.registry)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// buildInfo is the constant series that names the running build, joined
// onto others in queries (… * on(instance) group_left(version) …).
func buildInfo(i buildinfo.Info) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "keywarden_build_info", Help: "The running build: version, VCS commit and Go version (always 1).",
	}, []string{"version", "commit", "go_version"})
	g.WithLabelValues(i.Version, i.Commit, i.GoVersion).Set(1)
	return g
}

// children resolves a counter for each label value once; a value outside
// the set counts as "other" (which is resolved too), so a caller's typo
// cannot create series.
func children(v *prometheus.CounterVec, values ...string) map[string]prometheus.Counter {
	out := make(map[string]prometheus.Counter, len(values)+1)
	for _, s := range append(values, "other") {
		out[s] = v.WithLabelValues(s)
	}
	return out
}

func inc(cs map[string]prometheus.Counter, value string) {
	c, ok := cs[value]
	if !ok {
		c = cs["other"]
	}
	c.Inc()
}
