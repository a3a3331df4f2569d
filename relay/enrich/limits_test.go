package enrich_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

func TestOversizedSubjectWarnsOthersServed(t *testing.T) {
	e := newEnv(t, envOptions{})
	huge := strings.Repeat("Invoice ", 115200)

	b, errs := e.observe(t, e.module(simPassword),
		obs(observables.Subject, huge),
		obs(observables.SHA256, e.stories.Malware.SHA256))
	require.Len(t, errs, 1)
	require.Equal(t, relay.Warning, errs[0].Type)
	require.Equal(t, relay.CodeInvalidObservable, errs[0].Code)
	require.Contains(t, errs[0].Message, "email_subject")
	require.Contains(t, errs[0].Message, "2048 bytes")
	require.Less(t, len(errs[0].Message), 400)
	require.Len(t, b.Sightings, 1)
	require.Equal(t, 1, e.sim.Count("message-tracking/messages"), "only the hash is searched")
}
