package enrich_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// unseenIPs returns n addresses the simulator's messages never come from.
func unseenIPs(n int) []observables.Observable {
	out := make([]observables.Observable, n)
	for i := range out {
		out[i] = obs(observables.IP, fmt.Sprintf("10.99.%d.%d", i/250, 1+i%250))
	}
	return out
}

// requireNoFatal checks that every error of a response is a warning.
func requireNoFatal(t *testing.T, errs []*relay.Error) {
	t.Helper()
	for _, e := range errs {
		require.Equal(t, relay.Warning, e.Type, "%s: %s", e.Code, e.Message)
	}
}

// findCode returns the error with code, failing the test when none has it.
func findCode(t *testing.T, errs []*relay.Error, code string) *relay.Error {
	t.Helper()
	for _, e := range errs {
		if e.Code == code {
			return e
		}
	}
	require.Failf(t, "error missing", "no %q error in %+v", code, errs)
	return nil
}

func TestSearchesComeBeforeDetails(t *testing.T) {
	// The login, the sender's two searches, two searches per address and
	// the details of one message.
	const addresses = 10
	budget := 1 + 2 + 2*addresses + 3
	e := newEnv(t, envOptions{budget: budget, lookups: 1})
	list := append([]observables.Observable{obs(observables.Email, e.stories.Phishing.Sender)}, unseenIPs(addresses)...)

	b, errs := e.observe(t, e.module(simPassword), list...)
	requireNoFatal(t, errs)
	require.Equal(t, 2+2*addresses, e.sim.Count("message-tracking/messages"), "every observable is searched")
	require.Len(t, b.Sightings, len(e.stories.Campaign))
	require.Len(t, errs, 1)
	w := findCode(t, errs, relay.CodeIncompleteDetails)
	require.Contains(t, w.Message, fmt.Sprintf("%d messages were not read", len(e.stories.Campaign)-1))
	require.Contains(t, w.Message, "RELAY_REQUEST_CALL_BUDGET")
	require.Equal(t, 1, e.sim.Count("message-tracking/details"))
}

func TestSpentBudgetGivesWarning(t *testing.T) {
	// RELAY_MAX_OBSERVABLES allows 100 observables, but 100 addresses
	// need 200 searches and a login.
	e := newEnv(t, envOptions{budget: 200})
	m := e.module(simPassword)
	list := unseenIPs(100)

	_, errs := e.observe(t, m, list...)
	requireNoFatal(t, errs)
	require.Len(t, errs, 1)
	w := findCode(t, errs, relay.CodeTooManyObservables)
	require.Contains(t, w.Message, "1 observable was not searched")
	require.Contains(t, w.Message, "budget of 200 gateway calls")
	require.Contains(t, w.Message, "Ask for fewer observables at once, or raise RELAY_REQUEST_CALL_BUDGET.")

	// Only the observable the budget left out is looked up again: a cut
	// lookup is never cached as "nothing found".
	e.sim.ResetRequests()
	_, errs = e.deliberate(t, m, list...)
	require.Empty(t, errs)
	require.Equal(t, 2, e.sim.Count("message-tracking/messages"))
}

func TestDefaultBudgetServesMaxObservables(t *testing.T) {
	e := newEnv(t, envOptions{})
	list := append(unseenIPs(99), obs(observables.SHA256, e.stories.Malware.SHA256))

	b, errs := e.observe(t, e.module(simPassword), list...)
	require.Empty(t, errs)
	require.Len(t, b.Verdicts, 1)
	require.Equal(t, 1, e.sim.Count("message-tracking/amp-details"))
}
