package metrics

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics are the per-request series.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// series caches each (route, method, code)'s resolved children, so a
	// request after the first of its kind costs a lock-free map read.
	series *sync.Map // httpKey → *httpSeries
}

type httpKey struct {
	pattern, method string
	code            int
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newHTTPMetrics(r *prometheus.Registry) httpMetrics {
	h := httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keywarden_http_requests_total", Help: "HTTP requests by route (the path pattern), method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keywarden_http_request_duration_seconds", Help: "HTTP request latency by route, method and status class (2xx, 4xx, 5xx, …).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status_class"}),
		series: &sync.Map{},
	}
	r.MustRegister(h.requests, h.duration)
	return h
}

// Observe records one finished request. pattern is the mux pattern that
// matched ("" for none): its method, if it names one, is left out of the
// route label, which the method label already carries.
func (m *Metrics) Observe(pattern, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if !isMethod(method) {
		method = "other" // before the key: a client's methods must not grow the cache
	}
	k := httpKey{pattern, method, code}
	s, ok := m.http.series.Load(k)
	if !ok {
		s, _ = m.http.series.LoadOrStore(k, m.http.resolve(k))
	}
	hs := s.(*httpSeries)
	hs.requests.Inc()
	hs.duration.Observe(d.Seconds())
}

// resolve names k's series. Patterns and methods come from the mux and a
// fixed list, codes from the handlers: the set of keys stays small.
func (h httpMetrics) resolve(k httpKey) *httpSeries {
	route := k.pattern
	if m, rest, ok := strings.Cut(route, " "); ok && isMethod(m) {
		route = strings.TrimSpace(rest)
	}
	if route == "" {
		route = "unmatched"
	}
	class := "other"
	if k.code >= 100 && k.code <= 599 {
		class = strconv.Itoa(k.code/100) + "xx"
	}
	return &httpSeries{
		requests: h.requests.WithLabelValues(route, k.method, strconv.Itoa(k.code)),
		duration: h.duration.WithLabelValues(route, k.method, class),
	}
}

func isMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return true
	}
	return false
}
