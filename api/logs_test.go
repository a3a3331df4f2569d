package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

func TestSecretsStayOutOfLogsAndResponses(t *testing.T) {
	env := startEnv(t, rsOptions())
	env.Services.Errs = []*relay.Error{relay.FromGateway(&gateway.Error{Kind: gateway.KindAuth, Gateway: "https://127.0.0.1:6443", Message: "login failed"})}
	withClaim := func(k string, v any) jwt.MapClaims {
		c := rsClaims()
		c[k] = v
		return c
	}
	tokens := []string{
		hs256(t, withClaim(ClaimEntitiesLimit, "5000")),
		hs256(t, withClaim(ClaimGatewayURL, "https://api:"+testPassword+"@127.0.0.1:6443")),
		hs256(t, withClaim("aud", "https://elsewhere.test")),
		hs256(t, withClaim("exp", testNow.Add(-time.Hour).Unix())),
		hs256(t, withClaim(ClaimForwardAddress, testPassword+"@elsewhere.test")),
		rs256(t, testKey, "k1", withClaim(JWKSHostClaim, "127.0.0.1:1")),
		hs256(t, rsClaims()),
	}

	var bodies []string
	for _, tok := range tokens {
		bodies = append(bodies,
			env.post(t, "/health", tok, "").Raw,
			env.post(t, "/observe/observables", tok, `{"not":"a list"}`).Raw,
			env.post(t, "/respond/trigger", tok, `{"action-id":"x"}`).Raw,
			env.do(t, http.MethodGet, "/observe/observables", tok, "").Raw,
		)
	}
	bodies = append(bodies, env.do(t, http.MethodPost, "/health", "", "", "Authorization", "Basic "+testPassword).Raw)

	logs := env.Logs.String()
	require.Contains(t, logs, `"msg":"request rejected"`)
	require.Contains(t, logs, "request_id")
	for _, secret := range append(tokens, testPassword) {
		require.NotContains(t, logs, secret)
		for _, b := range bodies {
			require.NotContains(t, b, secret)
		}
	}
}

func TestRejectedRequestLogEscapesControlCharacters(t *testing.T) {
	env := startEnv(t, testOptions())

	r := env.post(t, "/no%0Awhere%1b", "", "")

	require.Equal(t, http.StatusNotFound, r.Status)
	logs := env.Logs.String()
	require.Contains(t, logs, `no\\nwhere\\x1b`)
	require.Contains(t, logs, r.Header.Get("X-Request-Id"))
}

func TestMetricsScrape(t *testing.T) {
	m := NewMetrics(MetricsOptions{GatewayHosts: []string{"127.0.0.1:6443", "sma.example.com"}, Version: "1.2.3"})
	o := testOptions()
	o.Metrics = m
	pingErr := errors.New("redis down")
	o.Ping = func(context.Context) error { return pingErr }
	env := startEnv(t, o)

	env.post(t, "/observe/observables", hs256(t, validClaims()), `[{"type":"ip","value":"192.0.2.1"}]`)
	env.post(t, "/observe/observables", "", `[]`)
	env.post(t, "/missing", "", "")
	m.ObserveCall("127.0.0.1:6443", "message-tracking/messages", "ok", 20*time.Millisecond)
	m.ObserveCall("sma.example.com:6443", "login", "KindAuth", time.Millisecond)
	m.ObserveCall("tenant-secret.example.net", "login", "ok", time.Millisecond)
	m.CountBreakers("127.0.0.1:6443", "closed", 1)
	m.CountBreakers("127.0.0.1:6443", "closed", -1)
	m.CountBreakers("127.0.0.1:6443", "open", 1)
	m.CacheLookups(2, 1)
	m.Trigger("esa-remediate-delete", "success")
	m.Trigger("x\n{evil}", "failure")

	metrics := httptest.NewServer(env.Server.MetricsHandler())
	defer metrics.Close()
	notReady := scrape(t, metrics.URL+"/readyz")
	env.Server.setReady(true)
	ready := scrape(t, metrics.URL+"/readyz")
	text := scrape(t, metrics.URL+"/metrics")

	require.Contains(t, notReady, `"status":"not ready"`)
	require.Contains(t, ready, `"status":"ready"`)
	require.Contains(t, ready, `"state_store":"unreachable"`)
	for _, want := range []string{
		`relay_requests_total{outcome="ok",route="/observe/observables"} 1`,
		`relay_requests_total{outcome="authorization error",route="/observe/observables"} 1`,
		`relay_requests_total{outcome="not found",route="unmatched"} 1`,
		`relay_request_duration_seconds_bucket{route="/observe/observables",le="+Inf"} 2`,
		`relay_gateway_calls_total{endpoint="message-tracking/messages",host="127.0.0.1:6443",result="ok"} 1`,
		`relay_gateway_calls_total{endpoint="login",host="sma.example.com",result="KindAuth"} 1`,
		`relay_gateway_calls_total{endpoint="login",host="other",result="ok"} 1`,
		`relay_gateway_call_duration_seconds_count{endpoint="login",host="other"} 1`,
		`relay_gateway_breakers{host="127.0.0.1:6443",state="open"} 1`,
		`relay_gateway_breakers{host="127.0.0.1:6443",state="closed"} 0`,
		`relay_gateway_breakers{host="127.0.0.1:6443",state="half-open"} 0`,
		`relay_cache_lookups_total{result="hit"} 2`,
		`relay_cache_lookups_total{result="miss"} 1`,
		`relay_triggers_total{action="esa-remediate-delete",outcome="success"} 1`,
		`relay_triggers_total{action="other",outcome="failure"} 1`,
		`relay_state_store_up 0`,
		`relay_ready 1`,
		`relay_build_info{version="1.2.3"} 1`,
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, "tenant-secret")
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}
