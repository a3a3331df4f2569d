package respond_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

func TestAuditConcurrentIdenticalTriggers(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	a := findAction(t, e.actions(observables.MessageID, phish.MessageID), respond.ActionRemediateDelete)

	const n = 10
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { e.trigger(request(a)) })
	}
	wg.Wait()
	// A repeat after the first finished reads its reply from the record.
	e.clock.Advance(time.Minute)
	requireAlready(t, e.trigger(request(a)))

	counts := map[string]int{}
	var requested, success respond.AuditEntry
	for _, entry := range e.audit() {
		counts[entry.Outcome]++
		require.ElementsMatch(t, phish.Recipients, entry.Recipients, "%s entry names the recipients", entry.Outcome)
		switch entry.Outcome {
		case respond.OutcomeRequested:
			requested = entry
		case respond.OutcomeSuccess:
			success = entry
			require.NotEmpty(t, entry.Batch)
		default:
			require.Equal(t, respond.OutcomeAlready, entry.Outcome)
			require.Empty(t, entry.Batch, "a trigger that submitted nothing names no batch")
			require.Equal(t, relay.CodeAlreadyRequested, entry.Code)
		}
	}
	require.Equal(t, map[string]int{respond.OutcomeRequested: 1, respond.OutcomeSuccess: 1, respond.OutcomeAlready: n}, counts)
	require.Equal(t, success.TriggerID, requested.TriggerID, "the trigger that claimed the record wrote the requested entry")
	require.Empty(t, requested.Batch)
	require.Equal(t, 1, e.sim.Count("remediation"))
}

func TestAuditRefusedTriggerNamesNoBatch(t *testing.T) {
	e := newEnv(t, envOptions{respond: respond.Options{MaxRecipients: 2}})
	phish := e.sim.Stories().Phishing
	a := respond.Action{ID: respond.ActionRemediateDelete, QueryParams: map[string]string{
		"observable_type": "email_messageid", "observable_value": phish.MessageID,
		"gateway": e.url, "serial": phish.Serial, "mids": formatMIDs(phish.MIDs)}}

	requireFailure(t, e.trigger(request(a)), relay.CodeInvalidRequest)

	entries := e.audit()
	require.Len(t, entries, 1)
	require.Equal(t, respond.OutcomeRefused, entries[0].Outcome)
	require.Empty(t, entries[0].Batch)
	require.ElementsMatch(t, phish.Recipients, entries[0].Recipients)
}
