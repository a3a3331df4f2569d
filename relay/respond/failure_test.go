package respond_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

func TestTriggerGatewayDownThenRetry(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)

	e.sim.SetFault(sim.Fault{Outage: true})
	res := e.trigger(request(a))
	require.Equal(t, relay.StatusFailure, res.Status)
	require.Len(t, res.Errors, 1)
	require.Equal(t, relay.CodeServiceUnavailable, res.Errors[0].Code)
	require.Zero(t, e.sim.CountStatus("remediation", 200))
	require.NotEqual(t, respond.OutcomeSuccess, e.audit()[0].Outcome)

	e.sim.SetFault(sim.Fault{})
	requireSuccess(t, e.trigger(request(a)))
	require.Equal(t, 1, e.sim.Count("remediation"))
}

func TestTriggerSubmitFailsThenRetries(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)

	e.sim.SetFault(sim.Fault{ErrorRate: 1, ErrorStatus: 503})
	res := e.trigger(request(a))
	requireFailure(t, res, relay.CodeServiceUnavailable)
	require.NotEqual(t, respond.OutcomeSuccess, e.audit()[0].Outcome)

	e.sim.SetFault(sim.Fault{})
	requireSuccess(t, e.trigger(request(a)))
	require.Equal(t, 1, e.sim.CountStatus("remediation", 200))
}

// breakerEvents records the breaker state changes the pool reports.
type breakerEvents struct {
	mu     sync.Mutex
	states []string
}

func (b *breakerEvents) ObserveCall(string, string, string, time.Duration) {}

func (b *breakerEvents) ObserveBreaker(_, state string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.states = append(b.states, state)
}

func (b *breakerEvents) seen(state string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Contains(b.states, state)
}

func TestTriggerBreakerOpenThenRetry(t *testing.T) {
	// gobreaker keeps its own clock, so the open period is real time. It
	// is long enough for the checks made while it is open, and the retry
	// waits for the event of a success rather than for a duration.
	const openFor = 2 * time.Second
	events := &breakerEvents{}
	e := newEnv(t, envOptions{pool: gateway.PoolOptions{BreakerFailures: 2, BreakerOpenFor: openFor, Observer: events}})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)

	e.sim.SetFault(sim.Fault{ErrorRate: 1, ErrorStatus: 503})
	for range 3 {
		e.trigger(request(a))
	}
	require.True(t, events.seen("open"), "the breaker opened; states: %v", events.states)
	e.sim.SetFault(sim.Fault{})
	e.sim.ResetRequests()

	res := e.trigger(request(a))
	requireFailure(t, res, relay.CodeServiceUnavailable)
	require.Empty(t, e.sim.Requests(), "an open breaker sends nothing")
	for _, entry := range e.audit() {
		require.NotEqual(t, respond.OutcomeSuccess, entry.Outcome)
	}

	require.Eventually(t, func() bool {
		return e.trigger(request(a)).Status == relay.StatusSuccess
	}, 30*time.Second, openFor/4)
	require.True(t, events.seen("half-open"), "the breaker let a trial call through; states: %v", events.states)
	require.Equal(t, 1, e.sim.Count("remediation"))
}

func TestTriggerSubmitTimeoutReconciles(t *testing.T) {
	// The submit never answers by itself: the simulator records it once
	// the relay's call times out and drops the connection. The other calls
	// answer at once, far inside the timeout.
	e := newEnv(t, envOptions{pool: gateway.PoolOptions{Timeout: 2 * time.Second}})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)

	e.sim.SetFault(sim.Fault{SlowEndpoint: "remediation", SlowDelay: time.Hour})
	res := e.trigger(request(a))
	requireFailure(t, res, relay.CodeServiceUnavailable)
	require.Eventually(t, func() bool { return e.sim.CountStatus("remediation", 200) == 1 },
		30*time.Second, 20*time.Millisecond, "the timed-out submit completes at the simulator")

	e.sim.SetFault(sim.Fault{})
	requireSuccess(t, e.trigger(request(a)))
	require.Equal(t, 1, e.sim.Count("remediation"), "the retry reconciled instead of resubmitting")

	requireAlready(t, e.trigger(request(a)))
	require.Equal(t, 1, e.sim.Count("remediation"))
}

func TestTriggerTwoReplicasShareRedis(t *testing.T) {
	srv := storetest.StartRedis(t)
	open := func() store.Store {
		st, err := store.OpenRedis(srv.URL(), store.RedisOptions{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	e := newEnv(t, envOptions{store: open(), respond: respond.Options{FailClosed: true}})
	second := envOptions{respond: respond.Options{FailClosed: true}}
	e2store := open()
	replica := &env{t: t, sim: e.sim, url: e.url, clock: e.clock, store: e2store, logs: e.logs, mod: e.mod}
	replica.svc = replica.service(second)

	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)
	var wg sync.WaitGroup
	results := make([]relay.TriggerResult, 10)
	for i := range results {
		svc := e.svc
		if i%2 == 1 {
			svc = replica.svc
		}
		wg.Go(func() { results[i] = svc.Trigger(context.Background(), e.mod, request(a)) })
	}
	wg.Wait()

	require.Equal(t, 1, e.sim.Count("remediation"))
	for _, r := range results {
		require.Equal(t, relay.StatusSuccess, r.Status, "errors: %+v", r.Errors)
	}

	// Only one replica polls at a time, and the result is audited once.
	e.clock.Advance(10 * time.Second)
	var n1, n2 int
	wg.Go(func() { n1, _ = e.svc.PollOnce(context.Background()) })
	wg.Go(func() { n2, _ = replica.svc.PollOnce(context.Background()) })
	wg.Wait()
	require.Equal(t, 1, n1+n2)
}

func TestTriggerFailsClosedWithoutRedis(t *testing.T) {
	srv := storetest.StartRedis(t)
	st, err := store.OpenRedis(srv.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e := newEnv(t, envOptions{store: st, respond: respond.Options{FailClosed: true}})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)

	srv.Stop()
	requireFailure(t, e.trigger(request(a)), relay.CodeServiceUnavailable)
	require.Zero(t, e.sim.Count("remediation"), "a trigger whose audit cannot be written is not run")

	srv.Restart()
	require.Eventually(t, func() bool { return st.Ping(context.Background()) == nil }, 5*time.Second, 50*time.Millisecond)
	requireSuccess(t, e.trigger(request(a)))
	require.Equal(t, 1, e.sim.Count("remediation"))
}

func TestTriggerNotRunWhenAuditWriteFails(t *testing.T) {
	srv := storetest.StartRedis(t)
	st, err := store.OpenRedis(srv.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e := newEnv(t, envOptions{store: st, respond: respond.Options{FailClosed: true}})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)

	// A string where the audit stream belongs makes every append fail in
	// Redis, while the trigger records still work.
	require.NoError(t, st.Set(context.Background(), respond.AuditStream, []byte("not a stream"), time.Hour))

	requireFailure(t, e.trigger(request(a)), relay.CodeServiceUnavailable)
	require.Zero(t, e.sim.Count("remediation"))

	require.NoError(t, st.Delete(context.Background(), respond.AuditStream))
	requireSuccess(t, e.trigger(request(a)))
	require.Equal(t, 1, e.sim.Count("remediation"))
}
