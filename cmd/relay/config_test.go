package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef-cmd-secret"

// envOf builds a getenv from pairs.
func envOf(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(envOf("RELAY_JWT_SECRET", testSecret))

	require.NoError(t, err)
	require.Equal(t, ":9090", cfg.Addr)
	require.Equal(t, ":9091", cfg.MetricsAddr)
	require.Len(t, cfg.JWKSHosts, 3)
	require.Equal(t, slog.LevelInfo, cfg.LogLevel)
	require.Equal(t, "json", cfg.LogFormat)
	require.Equal(t, int64(1<<20), cfg.MaxBody)
	require.Equal(t, 100, cfg.MaxObservables)
	require.Equal(t, time.Hour, cfg.JWKSTTL)
	require.Equal(t, 60*time.Second, cfg.NegativeTTL)
	require.Equal(t, 50, cfg.MaxRecipients)
	require.Empty(t, cfg.RedisURL)
}

func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(envOf(
		"RELAY_ADDR", "9090",
		"RELAY_JWT_SECRET", "short-"+"secret-value",
		"RELAY_GATEWAY_HOSTS", "sma.example.com,https://bad/",
		"RELAY_LOG_FORMAT", "xml",
		"RELAY_LOG_LEVEL", "loud",
		"RELAY_MAX_OBSERVABLES", "0",
		"RELAY_JWKS_TTL", "forever",
		"RELAY_REDIS_URL", "redis://127.0.0.1:6379",
	))

	require.Error(t, err)
	msg := err.Error()
	for _, name := range []string{"RELAY_ADDR", "RELAY_JWT_SECRET", "RELAY_GATEWAY_HOSTS", "RELAY_LOG_FORMAT", "RELAY_LOG_LEVEL", "RELAY_MAX_OBSERVABLES", "RELAY_JWKS_TTL", "RELAY_STATE_KEY", "no token can be accepted"} {
		require.Contains(t, msg, name)
	}
	require.NotContains(t, msg, "short-secret-value")
}

func TestConfigRS256Only(t *testing.T) {
	cfg, err := LoadConfig(envOf("RELAY_AUDIENCE", "https://relay.example.com", "RELAY_GATEWAY_HOSTS", "sma.example.com:6443, esa.example.com", "RELAY_METRICS_ADDR", "off"))

	require.NoError(t, err)
	require.Equal(t, []string{"sma.example.com:6443", "esa.example.com"}, cfg.GatewayHosts)
	require.Empty(t, cfg.MetricsAddr)
}

func TestHelpPrintsSettingsTable(t *testing.T) {
	var out, errOut bytes.Buffer

	code := run(t.Context(), []string{"-h"}, environment{Stdout: &out, Stderr: &errOut, Getenv: envOf()})

	require.Equal(t, 0, code)
	for _, s := range settings {
		require.Contains(t, out.String(), s.Name)
	}
	require.Contains(t, out.String(), "healthcheck")
	rows := 0
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "RELAY_") {
			rows++
		}
	}
	require.Equal(t, len(settings), rows)
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer

	code := run(t.Context(), []string{"bogus"}, environment{Stdout: &out, Stderr: &errOut, Getenv: envOf()})

	require.Equal(t, 2, code)
	require.Contains(t, errOut.String(), `unknown command "bogus"`)
}
