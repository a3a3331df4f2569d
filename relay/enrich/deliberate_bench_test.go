package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securex-esa/relay/api"
	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

const benchSecret = "bench-secret-0123456789abcdef0123456789"

// noResponder stands in for the response actions, which the deliberate
// route does not use.
type noResponder struct{}

func (noResponder) Actions(context.Context, *relay.Module, []observables.Observable) (any, []*relay.Error) {
	return nil, nil
}

func (noResponder) Trigger(context.Context, *relay.Module, relay.TriggerRequest) relay.TriggerResult {
	return relay.TriggerResult{}
}

func (noResponder) Health(context.Context, *relay.Module) []*relay.Error { return nil }

// BenchmarkDeliberateCached50 serves deliberate requests for 50 cached
// malicious verdicts through the api handler, the enrich Service and a
// real redis-server, as cmd/relay wires them: metrics on, logs at Info.
// Only the HTTP transport is left out, so a CPU profile of this benchmark
// shows the relay's own work per request.
func BenchmarkDeliberateCached50(b *testing.B) {
	now := time.Now()
	handler, token, body := benchDeliberateServer(b, now, 50)

	serve := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/deliberate/observables", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	first := serve()
	if got := strings.Count(first.Body.String(), `"type":"verdict"`); first.Code != http.StatusOK || got != 50 {
		b.Fatalf("status %d with %d verdicts; expected 200 with 50: %.300s", first.Code, got, first.Body.String())
	}

	// Eight requests in flight, as relaybench's cached-deliberate sends.
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := serve(); w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
			}
		}
	})
}

// benchDeliberateServer caches n malicious Message-ID verdicts and returns
// the relay's handler, a token for the module and the request body.
func benchDeliberateServer(b *testing.B, now time.Time, n int) (http.Handler, string, string) {
	b.Helper()
	redis := storetest.StartRedis(b)
	st, err := store.OpenRedis(redis.URL(), store.RedisOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	// The simulator is not started; it only supplies a CA certificate for
	// the token's GATEWAY_CA_PEM claim, as a real module carries one.
	simulator, err := sim.New(sim.Options{Messages: 1})
	if err != nil {
		b.Fatal(err)
	}
	claims := jwt.MapClaims{
		api.ClaimGatewayURL: "https://127.0.0.1:6443", api.ClaimGatewayAPI: "sma",
		api.ClaimGatewayUser: "admin", api.ClaimGatewayPassword: "bench-password",
		api.ClaimGatewayCAPEM: strings.ReplaceAll(string(simulator.CAPEM()), "\n", `\n`),
		"iat":                 now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(benchSecret))
	if err != nil {
		b.Fatal(err)
	}

	quiet := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc := New(Options{
		Pool:     gateway.NewPool(gateway.PoolOptions{AllowedHosts: []string{"127.0.0.1"}, Logger: quiet}),
		Store:    st,
		StateKey: []byte("bench-state-key-0123456789abcdef"),
		Logger:   quiet,
	})
	metrics := api.NewMetrics(api.MetricsOptions{GatewayHosts: []string{"127.0.0.1:6443"}})
	srv, err := api.New(api.Options{
		Enricher: svc, Responder: noResponder{}, HealthChecker: noResponder{},
		Token:   api.TokenOptions{Secret: []byte(benchSecret), GatewayHosts: []string{"127.0.0.1:6443"}},
		Logger:  quiet,
		Metrics: metrics,
	})
	if err != nil {
		b.Fatal(err)
	}
	svc.opts.Observer = metrics

	list := make([]observables.Observable, n)
	for i := range list {
		list[i] = observables.Observable{Type: observables.MessageID,
			Value: fmt.Sprintf("<%08x.%04d$notice+%02d@account-verify.example>", 0xb7f1e2c4+i, i, i%100)}
	}
	m := &relay.Module{Gateways: []gateway.Config{{BaseURL: "https://127.0.0.1:6443", API: gateway.SMA,
		User: "admin", Password: "bench-password", CAPEM: string(simulator.CAPEM())}}}
	benchFillCache(b, svc, relay.Tenant(svc.opts.StateKey, m), now, list)
	raw, err := json.Marshal(list)
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), token, string(raw)
}

// benchFillCache caches a malicious verdict for each observable, built as
// a lookup builds it, under the tenant of the token's module.
func benchFillCache(b *testing.B, svc *Service, tenant string, now time.Time, list []observables.Observable) {
	b.Helper()
	ts, warnings := prepare(list)
	if len(warnings) > 0 || len(ts) != len(list) {
		b.Fatalf("%d of %d observables valid, warnings %v", len(ts), len(list), warnings)
	}
	bld := &builder{source: svc.opts.Source, now: now, module: &relay.Module{UIURL: "https://127.0.0.1"}}
	for _, t := range ts {
		_, v := bld.judgements(t, []finding{{ctim.Malicious, engineAntiVirus, engineAntiVirus + " dropped or quarantined the message"}})
		if v == nil {
			b.Fatal("no verdict built")
		}
		svc.writeCache(context.Background(), tenant, t, v)
	}
}
