package api

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

// otherLabel replaces label values outside a known set, which keeps tenant
// data and unbounded values out of metric labels.
const otherLabel = "other"

// maxActionLabels bounds the distinct trigger action labels.
const maxActionLabels = 64

// breakerStates are the circuit breaker states counted per host.
var breakerStates = []string{"closed", "half-open", "open"}

// Metrics are the relay's Prometheus metrics. It receives gateway and use
// case events as a gateway.Observer and a relay.Observer.
type Metrics struct {
	registry *prometheus.Registry
	hosts    map[string]bool

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	gatewayCalls    *prometheus.CounterVec
	gatewayDuration *prometheus.HistogramVec
	breakers        *prometheus.GaugeVec
	cacheLookups    *prometheus.CounterVec
	triggers        *prometheus.CounterVec
	storeUp         prometheus.Gauge
	ready           prometheus.Gauge

	mu      sync.Mutex
	actions map[string]bool
}

var (
	_ gateway.Observer       = (*Metrics)(nil)
	_ gateway.BreakerCounter = (*Metrics)(nil)
	_ relay.Observer         = (*Metrics)(nil)
)

// MetricsOptions configures NewMetrics.
type MetricsOptions struct {
	// GatewayHosts are the only gateway hosts used as label values (entries
	// "host" or "host:port"); any other host is counted as "other".
	GatewayHosts []string
	// Version labels relay_build_info.
	Version string
	// Registry receives the metrics; nil creates one with the Go and process
	// collectors.
	Registry *prometheus.Registry
}

// NewMetrics registers the relay's metrics on o.Registry. It panics when
// they are registered there twice, like prometheus.MustRegister.
func NewMetrics(o MetricsOptions) *Metrics {
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{registry: reg, hosts: map[string]bool{}, actions: map[string]bool{}}
	for _, h := range o.GatewayHosts {
		if n, err := normalizeHostEntry(h); err == nil {
			m.hosts[n] = true
		}
	}
	m.register(o.Version)
	return m
}

func (m *Metrics) register(version string) {
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relay_requests_total", Help: "Relay requests by route and outcome (ok or the error code).",
	}, []string{"route", "outcome"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "relay_request_duration_seconds", Help: "Relay request latency by route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.gatewayCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relay_gateway_calls_total", Help: "Gateway API calls by allow-listed host, endpoint and classified result.",
	}, []string{"host", "endpoint", "result"})
	m.gatewayDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "relay_gateway_call_duration_seconds", Help: "Gateway API call latency by allow-listed host and endpoint.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"host", "endpoint"})
	m.breakers = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "relay_gateway_breakers",
		Help: "Gateway circuit breakers, one per credential set, by allow-listed host and state.",
	}, []string{"host", "state"})
	m.cacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relay_cache_lookups_total", Help: "Verdict cache lookups by result (hit or miss).",
	}, []string{"result"})
	m.triggers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relay_triggers_total", Help: "Response action triggers by action id and outcome.",
	}, []string{"action", "outcome"})
	m.storeUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "relay_state_store_up", Help: "1 when the last readiness check reached the shared state store, else 0.",
	})
	m.ready = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "relay_ready", Help: "1 while the relay serves requests, 0 while starting or shutting down.",
	})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "relay_build_info", Help: "Always 1; labelled with the relay version.", ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	m.registry.MustRegister(m.requests, m.requestDuration, m.gatewayCalls, m.gatewayDuration,
		m.breakers, m.cacheLookups, m.triggers, m.storeUp, m.ready, info)
}

// Registry returns the registry, so other packages can add collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ObserveCall counts one gateway call.
func (m *Metrics) ObserveCall(host, op, result string, d time.Duration) {
	h := m.hostLabel(host)
	op = boundedLabel(op)
	m.gatewayCalls.WithLabelValues(h, op, boundedLabel(result)).Inc()
	m.gatewayDuration.WithLabelValues(h, op).Observe(d.Seconds())
}

// ObserveBreaker does nothing: the breaker gauge is kept by CountBreakers,
// which also learns of new and evicted clients. It remains to satisfy
// gateway.Observer.
func (m *Metrics) ObserveBreaker(string, string) {}

// CountBreakers adds delta to the number of breakers of host in state. The
// first count of a host creates all its states, so each reads 0 rather
// than missing.
func (m *Metrics) CountBreakers(host, state string, delta int) {
	h := m.hostLabel(host)
	for _, s := range breakerStates {
		m.breakers.WithLabelValues(h, s)
	}
	m.breakers.WithLabelValues(h, boundedLabel(state)).Add(float64(delta))
}

// CacheLookups counts verdict cache hits and misses.
func (m *Metrics) CacheLookups(hits, misses int) {
	m.cacheLookups.WithLabelValues("hit").Add(float64(hits))
	m.cacheLookups.WithLabelValues("miss").Add(float64(misses))
}

// Trigger counts one trigger; action ids beyond the first 64 distinct ones
// are counted as "other".
func (m *Metrics) Trigger(action, outcome string) {
	m.triggers.WithLabelValues(m.actionLabel(action), boundedLabel(outcome)).Inc()
}

func (m *Metrics) observeRequest(route, outcome string, d time.Duration) {
	m.requests.WithLabelValues(route, outcome).Inc()
	m.requestDuration.WithLabelValues(route).Observe(d.Seconds())
}

// hostLabel keeps an allow-listed host (matched as host or host:port) and
// folds every other value into "other".
func (m *Metrics) hostLabel(host string) string {
	n, err := normalizeHostEntry(host)
	if err != nil {
		return otherLabel
	}
	if m.hosts[n] {
		return n
	}
	if h, _, err := net.SplitHostPort(n); err == nil && m.hosts[h] {
		return h
	}
	return otherLabel
}

func (m *Metrics) actionLabel(action string) string {
	action = boundedLabel(action)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.actions[action] {
		return action
	}
	if len(m.actions) >= maxActionLabels {
		return otherLabel
	}
	m.actions[action] = true
	return action
}

// boundedLabel keeps short identifiers and folds anything else, such as a
// value that could carry tenant data, into "other".
func boundedLabel(s string) string {
	if s == "" || len(s) > 64 {
		return otherLabel
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./ ", r)
		if !ok {
			return otherLabel
		}
	}
	return s
}

// readiness tracks whether the relay serves, for /readyz.
type readiness struct {
	ready atomic.Bool
}

// MetricsHandler serves /metrics and /readyz for the separate metrics
// listener.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	if s.opts.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Metrics.registry, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /readyz", s.readyz)
	return mux
}

// readyz fails only while the relay starts or shuts down. The state store
// is reported but does not fail readiness, because enrichment keeps working
// without it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	body := map[string]string{"status": "ready", "state_store": "in-process"}
	if s.opts.Ping != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		err := s.opts.Ping(ctx)
		cancel()
		body["state_store"] = "reachable"
		if err != nil {
			body["state_store"] = "unreachable"
		}
		s.setStoreUp(err == nil)
	}

	status := http.StatusOK
	if !s.ready.ready.Load() {
		status = http.StatusServiceUnavailable
		body["status"] = "not ready"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) setStoreUp(up bool) {
	if s.opts.Metrics == nil {
		return
	}
	if up {
		s.opts.Metrics.storeUp.Set(1)
	} else {
		s.opts.Metrics.storeUp.Set(0)
	}
}

func (s *Server) setReady(ready bool) {
	s.ready.ready.Store(ready)
	if s.opts.Metrics == nil {
		return
	}
	if ready {
		s.opts.Metrics.ready.Set(1)
	} else {
		s.opts.Metrics.ready.Set(0)
	}
}
