package enrich_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/api"
	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
	"github.com/securex-esa/relay/relay/ctim/ctimtest"
	"github.com/securex-esa/relay/relay/enrich"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

const simPassword = "ironport"

// testStateKey is the RELAY_STATE_KEY of the tests' Service.
const testStateKey = "state-key-for-tests-0123456789ab"

// testNow is the fixed clock of the simulator and the relay.
var testNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// env is a simulator, a gateway pool and a Service wired together.
type env struct {
	sim     *sim.Server
	url     string
	ca      string
	stories sim.Stories
	clock   *storetest.Clock
	store   store.Store
	svc     *enrich.Service
	logs    *syncBuffer
}

type envOptions struct {
	store    store.Store
	maxBytes int
	budget   int
	// lookups and details set LookupConcurrency and Concurrency.
	lookups, details int
	// component, when set, makes the Service's logger write JSON and name
	// this component, as cmd/relay's logger does.
	component string
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	clk := storetest.NewClock(testNow)
	s, err := sim.New(sim.Options{Now: clk.Now, Messages: 300})
	require.NoError(t, err)
	base, err := s.StartTLS("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	if o.store == nil {
		o.store = store.NewMemory(clk.Now)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	if o.component != "" {
		logger = slog.New(slog.NewJSONHandler(logs, nil)).With("component", o.component)
	}
	pool := gateway.NewPool(gateway.PoolOptions{
		AllowedHosts: []string{"127.0.0.1"},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	svc := enrich.New(enrich.Options{
		Pool:              pool,
		Store:             o.store,
		StateKey:          []byte(testStateKey),
		Now:               clk.Now,
		Logger:            logger,
		MaxResponseBytes:  o.maxBytes,
		CallBudget:        o.budget,
		LookupConcurrency: o.lookups,
		Concurrency:       o.details,
	})
	return &env{sim: s, url: base, ca: string(s.CAPEM()), stories: s.Stories(), clock: clk,
		store: o.store, svc: svc, logs: logs}
}

func (e *env) module(password string) *relay.Module {
	return &relay.Module{
		Gateways: []gateway.Config{{
			BaseURL: e.url, API: gateway.SMA, User: "admin", Password: gateway.Secret(password), CAPEM: e.ca,
		}},
		UIURL:         "https://sma.example.com",
		EntitiesLimit: 100,
		LookbackDays:  30,
	}
}

// observe runs Observe and checks the response against the schema.
func (e *env) observe(t *testing.T, m *relay.Module, obs ...observables.Observable) (ctim.Bundle, []*relay.Error) {
	t.Helper()
	data, errs := e.svc.Observe(context.Background(), m, obs)
	raw := envelope(t, "ObserveResponse", data, errs)
	var b ctim.Bundle
	require.NoError(t, json.Unmarshal(raw, &b))
	return b, errs
}

// deliberate runs Deliberate and checks the response against the schema.
func (e *env) deliberate(t *testing.T, m *relay.Module, obs ...observables.Observable) ([]ctim.Verdict, []*relay.Error) {
	t.Helper()
	data, errs := e.svc.Deliberate(context.Background(), m, obs)
	raw := envelope(t, "DeliberateResponse", data, errs)
	var b ctim.Bundle
	require.NoError(t, json.Unmarshal(raw, &b))
	return b.Verdicts, errs
}

// envelope wraps data and errors as the api package does, validates the
// result against def and returns the encoded data.
func envelope(t *testing.T, def string, data any, errs []*relay.Error) []byte {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	body := map[string]any{"data": json.RawMessage(raw)}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	doc, err := json.Marshal(body)
	require.NoError(t, err)
	ctimtest.Validate(t, def, doc)
	return raw
}

func obs(typ observables.Type, value string) observables.Observable {
	return observables.Observable{Type: typ, Value: value}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The api package serves the Service through this interface.
var _ api.Enricher = (*enrich.Service)(nil)
