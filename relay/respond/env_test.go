package respond_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/securex-esa/relay/relay/respond"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

var (
	_ api.Responder     = (*respond.Service)(nil)
	_ api.HealthChecker = (*respond.Service)(nil)
)

const (
	password       = "ironport"
	forwardAddress = "soc@secops.example.com"
	dictionary     = "relay_blocked_senders"
)

// env is one simulator, one relay Service and the module that points at it.
type env struct {
	t     *testing.T
	sim   *sim.Server
	url   string
	clock *storetest.Clock
	store store.Store
	svc   *respond.Service
	mod   *relay.Module
	logs  *syncBuffer
}

type envOptions struct {
	simOpts   sim.Options
	pool      gateway.PoolOptions
	respond   respond.Options
	store     store.Store
	esaFlavor bool
}

func newEnv(t *testing.T, eo envOptions) *env {
	t.Helper()
	clk := storetest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	so := eo.simOpts
	so.Now = clk.Now
	if so.Messages == 0 {
		so.Messages = 200
	}
	s, err := sim.New(so)
	require.NoError(t, err)
	url, err := s.StartTLS("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	e := &env{t: t, sim: s, url: url, clock: clk, logs: &syncBuffer{}}
	e.mod = e.module(gateway.SMA)
	if eo.esaFlavor {
		e.mod = e.module(gateway.ESA)
	}

	e.store = eo.store
	if e.store == nil {
		e.store = store.NewMemory(clk.Now)
	}
	e.svc = e.service(eo)
	return e
}

// service builds a Service with its own pool, as a second replica would.
func (e *env) service(eo envOptions) *respond.Service {
	po := eo.pool
	po.AllowedHosts = []string{"127.0.0.1"}
	po.Now = e.clock.Now
	po.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	ro := eo.respond
	ro.Pool = gateway.NewPool(po)
	ro.Store = e.store
	ro.StateKey = []byte("0123456789abcdef0123456789abcdef")
	ro.Now = e.clock.Now
	ro.Logger = slog.New(slog.NewJSONHandler(e.logs, nil))
	if ro.ForwardDomains == nil {
		ro.ForwardDomains = []string{"secops.example.com"}
	}
	if ro.ProtectedDomains == nil {
		ro.ProtectedDomains = []string{"gmail.com", "partner.example"}
	}
	return respond.New(ro)
}

func (e *env) module(api gateway.API) *relay.Module {
	cfg := gateway.Config{BaseURL: e.url, API: api, User: "admin", Password: password, CAPEM: string(e.sim.CAPEM())}
	esa := cfg
	esa.API = gateway.ESA
	return &relay.Module{
		Gateways:        []gateway.Config{cfg},
		ESAConfig:       &esa,
		BlockDictionary: dictionary,
		ForwardAddress:  forwardAddress,
		EntitiesLimit:   100,
		LookbackDays:    30,
		Instance:        "instance-1",
	}
}

// actions lists the offered actions of one observable.
func (e *env) actions(typ observables.Type, value string) []respond.Action {
	e.t.Helper()
	data, errs := e.svc.Actions(context.Background(), e.mod, []observables.Observable{{Type: typ, Value: value}})
	require.Empty(e.t, errs)
	list, ok := data.([]respond.Action)
	require.True(e.t, ok, "Actions returns []respond.Action, got %T", data)
	return list
}

func actionIDs(list []respond.Action) []string {
	ids := []string{}
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	return ids
}

func findAction(t *testing.T, list []respond.Action, id string) respond.Action {
	t.Helper()
	for _, a := range list {
		if a.ID == id {
			return a
		}
	}
	require.Failf(t, "action not offered", "%s not in %v", id, actionIDs(list))
	return respond.Action{}
}

// request turns an offered action into the trigger request the platform
// sends back.
func request(a respond.Action) relay.TriggerRequest {
	params := map[string]json.RawMessage{}
	for k, v := range a.QueryParams {
		if k == "observable_type" || k == "observable_value" {
			continue
		}
		raw, _ := json.Marshal(v)
		params[k] = raw
	}
	return relay.TriggerRequest{
		ActionID: a.ID, ObservableType: a.QueryParams["observable_type"],
		ObservableValue: a.QueryParams["observable_value"], Params: params,
	}
}

func (e *env) trigger(req relay.TriggerRequest) relay.TriggerResult {
	return e.svc.Trigger(context.Background(), e.mod, req)
}

// writes counts the simulator's write requests of every kind.
func (e *env) writes() int {
	n := 0
	for _, r := range e.sim.Requests() {
		if r.Method != "GET" && r.Endpoint != "login" {
			n++
		}
	}
	return n
}

func (e *env) audit() []respond.AuditEntry {
	e.t.Helper()
	entries, err := respond.ListAudit(context.Background(), e.store, 1000)
	require.NoError(e.t, err)
	return entries
}

// syncBuffer is a log sink safe for concurrent handlers.
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

func simDelay(d time.Duration) sim.Options {
	return sim.Options{RemediationDelay: d}
}
