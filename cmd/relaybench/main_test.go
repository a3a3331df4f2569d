package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
)

// TestHerdScenarioPrintsTable runs the herd scenario with a small herd
// against a real relay process, simulator and redis-server. It checks the
// output and the JSON file, never the targets, which depend on the machine.
func TestHerdScenarioPrintsTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the relay; skipped with -short")
	}
	requireRedis(t)
	jsonPath := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-scenario", "herd", "-requests", "10", "-latency", "20ms", "-json", jsonPath}, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())

	out := stdout.String()
	require.Contains(t, out, "== herd:")
	require.Contains(t, out, "latency p50/p90/p99")
	require.Contains(t, out, "peak RSS (relay)")
	require.Contains(t, out, "target: searches per observable, gateway and filter")

	raw, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var file struct {
		Machine machine   `json:"machine"`
		Results []*result `json:"results"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Results, 1)
	require.Equal(t, "herd", file.Results[0].Scenario)
	require.Equal(t, 10, file.Results[0].Requests)
	require.Equal(t, 10, file.Results[0].Concurrency)
	require.Positive(t, file.Results[0].PeakRSSBytes)
	require.Len(t, file.Results[0].Targets, 1)
	require.NotEmpty(t, file.Machine.GoVersion)
}

// requireRedis skips the test without redis-server or RELAY_REDIS_URL,
// except in CI, where it fails so the test never skips silently.
func requireRedis(t *testing.T) {
	t.Helper()
	if os.Getenv("RELAY_REDIS_URL") != "" {
		return
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not found in PATH; install it or set RELAY_REDIS_URL")
		}
		t.Skip("redis-server not found in PATH")
	}
}

func TestParseOptions(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults", args: nil},
		{name: "one scenario", args: []string{"-scenario", "scale-out", "-requests", "5"}},
		{name: "unknown scenario", args: []string{"-scenario", "warp"}, wantErr: `unknown scenario "warp"`},
		{name: "negative requests", args: []string{"-requests", "-1"}, wantErr: "-requests: invalid value -1"},
		{name: "negative duration", args: []string{"-duration", "-2s"}, wantErr: "-duration: invalid value -2s"},
		{name: "stray argument", args: []string{"herd"}, wantErr: `unexpected argument "herd"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOptions(tc.args, io.Discard)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestSummarizePercentiles(t *testing.T) {
	var latencies []time.Duration
	for i := 100; i >= 1; i-- {
		latencies = append(latencies, time.Duration(i)*time.Millisecond)
	}
	s := summarize(latencies)
	require.Equal(t, 50.0, s.P50)
	require.Equal(t, 90.0, s.P90)
	require.Equal(t, 99.0, s.P99)
	require.Equal(t, 100.0, s.Max)
	require.Equal(t, latencySummary{}, summarize(nil))
}

func TestSearchCountsByFilter(t *testing.T) {
	window := "startDate=2025-03-01T00:00:00.000Z&endDate=2025-03-14T12:01:00.000Z&searchOption=messages&ciscoHost=All_Hosts"
	reqs := []sim.Request{
		{Endpoint: searchEndpoint, RawQuery: window + "&senderIp=192.0.2.1&offset=0&limit=100"},
		{Endpoint: searchEndpoint, RawQuery: window + "&senderIp=192.0.2.1&offset=100&limit=100"},
		{Endpoint: searchEndpoint, RawQuery: window + "&fileSha256=ab&offset=0&limit=100"},
		{Endpoint: searchEndpoint, RawQuery: window + "&fileSha256=ab&offset=0&limit=100"},
		{Endpoint: "message-tracking/details", RawQuery: "mid=1"},
	}
	searches, pages := searchCounts(reqs)
	require.Equal(t, map[string]int{
		"searchOption=messages senderIp=192.0.2.1": 1,
		"fileSha256=ab searchOption=messages":      2,
	}, searches)
	require.Equal(t, map[string]int{"searchOption=messages senderIp=192.0.2.1": 1}, pages)
	require.Equal(t, map[string]int{searchEndpoint: 4, "message-tracking/details": 1}, countEndpoints(reqs))
}

func TestParseMetrics(t *testing.T) {
	text := strings.Join([]string{
		`# TYPE relay_cache_lookups_total counter`,
		`relay_cache_lookups_total{result="hit"} 150`,
		`relay_cache_lookups_total{result="miss"} 3`,
		`# TYPE relay_gateway_calls_total counter`,
		`relay_gateway_calls_total{endpoint="search",host="127.0.0.1:1",result="ok"} 4`,
		`relay_gateway_calls_total{endpoint="search",host="127.0.0.1:1",result="retryable"} 1`,
		`relay_gateway_calls_total{endpoint="login",host="127.0.0.1:1",result="ok"} 1`,
		``,
	}, "\n")
	m, err := parseMetrics(strings.NewReader(text))
	require.NoError(t, err)
	require.Equal(t, int64(150), m.cacheHits)
	require.Equal(t, int64(3), m.cacheMisses)
	require.Equal(t, map[string]int64{"search": 5, "login": 1}, m.gatewayCalls)
	require.Equal(t, int64(6), m.totalGatewayCalls())

	d := m.sub(relayMetrics{cacheHits: 100, gatewayCalls: map[string]int64{"search": 5}})
	require.Equal(t, int64(50), d.cacheHits)
	require.Equal(t, map[string]int64{"login": 1}, d.gatewayCalls)
}

func TestRelayEnvFlag(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"repeated", []string{"-relay-env", "RELAY_LOOKUP_CONCURRENCY=20", "-relay-env", "RELAY_DETAIL_CONCURRENCY=40"},
			[]string{"RELAY_LOOKUP_CONCURRENCY=20", "RELAY_DETAIL_CONCURRENCY=40"}, ""},
		{"empty value", []string{"-relay-env", "RELAY_LOG_LEVEL="}, []string{"RELAY_LOG_LEVEL="}, ""},
		{"no equals sign", []string{"-relay-env", "RELAY_LOOKUP_CONCURRENCY"}, nil, "expected KEY=VALUE"},
		{"no key", []string{"-relay-env", "=20"}, nil, "expected KEY=VALUE"},
		{"fixed setting", []string{"-relay-env", "RELAY_STATE_KEY=x"}, nil, "set by relaybench itself"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(tc.args, io.Discard)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, o.relayEnv)
		})
	}
}

func TestRelayEnvComesLast(t *testing.T) {
	b := &bench{opts: &options{relayEnv: []string{"RELAY_LOG_LEVEL=debug"}}, secret: "s", redisURL: "unix:///tmp/r.sock", simURL: "https://127.0.0.1:1"}

	env := b.relayEnv("key")

	require.Equal(t, "RELAY_LOG_LEVEL=debug", env[len(env)-1])
	require.Contains(t, env, "RELAY_LOG_LEVEL=info", "os/exec uses the last value of a repeated key")
}
