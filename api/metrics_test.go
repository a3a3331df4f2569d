package api

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
)

// breakerSamples returns the relay_gateway_breakers samples as
// "host/state" → value, failing on any label other than host and state.
func breakerSamples(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "relay_gateway_breakers" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			require.Len(t, labels, 2)
			out[labels["host"]+"/"+labels["state"]] = s.GetGauge().GetValue()
		}
	}
	return out
}

func TestBreakerGaugeCountsCredentialSets(t *testing.T) {
	m := NewMetrics(MetricsOptions{GatewayHosts: []string{"sma.example.com"}, Registry: prometheus.NewRegistry()})
	pool := gateway.NewPool(gateway.PoolOptions{Observer: m})
	for _, user := range []string{"tenant-a-user", "tenant-b-user"} {
		_, err := pool.Client(gateway.Config{BaseURL: "https://sma.example.com:6443", API: gateway.SMA, User: user, Password: "p"})
		require.NoError(t, err)
	}
	require.Equal(t, map[string]float64{
		"sma.example.com/closed": 2, "sma.example.com/half-open": 0, "sma.example.com/open": 0,
	}, breakerSamples(t, m))

	// One tenant's breaker opens while the other's stays closed.
	m.CountBreakers("sma.example.com", "closed", -1)
	m.CountBreakers("sma.example.com", "open", 1)
	require.Equal(t, map[string]float64{
		"sma.example.com/closed": 1, "sma.example.com/half-open": 0, "sma.example.com/open": 1,
	}, breakerSamples(t, m))
}

func TestBreakerGaugeFoldsUnlistedHosts(t *testing.T) {
	m := NewMetrics(MetricsOptions{GatewayHosts: []string{"sma.example.com"}, Registry: prometheus.NewRegistry()})
	m.CountBreakers("tenant-secret.example.net", "closed", 1)
	m.CountBreakers("sma.example.com", "x\n{evil}", 1)

	samples := breakerSamples(t, m)
	require.Equal(t, 1.0, samples["other/closed"])
	require.Equal(t, 1.0, samples["sma.example.com/other"])
	for key := range samples {
		require.NotContains(t, key, "tenant-secret")
	}
}
