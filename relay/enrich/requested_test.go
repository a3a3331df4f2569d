package enrich_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
)

func TestEntitiesCarryRequestedValue(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.module(simPassword)
	upper := strings.ToUpper(e.stories.Malware.SHA256)
	requested := obs(observables.SHA256, upper)

	b, errs := e.observe(t, m, obs(observables.SHA256, "  "+upper+"\t"))
	require.Empty(t, errs)
	require.Len(t, b.Sightings, 1)
	require.Equal(t, requested, b.Sightings[0].Observables[0])
	require.Len(t, b.Judgements, 1)
	require.Equal(t, requested, b.Judgements[0].Observable)
	require.Len(t, b.Verdicts, 1)
	require.Equal(t, requested, b.Verdicts[0].Observable)

	// The verdict cached by observe is keyed and stored by the normalised
	// value, and each request gets it back with its own spelling.
	e.sim.ResetRequests()
	lower := obs(observables.SHA256, e.stories.Malware.SHA256)
	verdicts, errs := e.deliberate(t, m, lower)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
	require.Equal(t, lower, verdicts[0].Observable)

	verdicts, errs = e.deliberate(t, m, requested)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
	require.Equal(t, requested, verdicts[0].Observable)
	require.Equal(t, b.Verdicts[0].JudgementID, verdicts[0].JudgementID)
	require.Zero(t, e.sim.Count("message-tracking/messages"), "both spellings hit the cache")
}

func TestMessageIDWithoutBracketsKeptAsRequested(t *testing.T) {
	e := newEnv(t, envOptions{})
	bare := strings.Trim(e.stories.Malware.MessageID, "<>")
	requested := obs(observables.MessageID, bare)

	verdicts, errs := e.deliberate(t, e.module(simPassword), requested)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
	require.Equal(t, requested, verdicts[0].Observable)
}
