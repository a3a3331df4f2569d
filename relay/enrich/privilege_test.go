package enrich_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// dropPrivilege takes one privilege from the simulator's accounts.
func dropPrivilege(e *env, name string) {
	e.sim.SetPrivileges(slices.DeleteFunc(slices.Clone(sim.DefaultPrivileges), func(p string) bool { return p == name }))
}

func TestObserveMissingDetailPrivilege(t *testing.T) {
	tests := []struct {
		name      string
		privilege string
		wantText  string
	}{
		{"amp-details refused", gateway.PrivAMPDetails, "AMP verdicts and file hashes of attachments are missing"},
		{"url-details refused", gateway.PrivURLDetails, "URL verdicts are missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			dropPrivilege(e, tc.privilege)
			story := e.stories.Malware

			b, errs := e.observe(t, e.module(simPassword), obs(observables.MessageID, story.MessageID))

			require.Len(t, errs, 1, "errors: %+v", errs)
			require.Equal(t, relay.Warning, errs[0].Type)
			require.Equal(t, relay.CodePermission, errs[0].Code)
			require.Contains(t, errs[0].Message, tc.privilege)
			require.Contains(t, errs[0].Message, tc.wantText)
			require.Contains(t, errs[0].Message, "Grant it on the gateway.")
			require.NotContains(t, errs[0].Message, "Try again later")
			require.Len(t, b.Sightings, 1)
			requireRelation(t, b.Sightings[0], "Sent_By", story.Sender)
		})
	}
}

func TestDeliberateMissingPrivilegeCachesBriefly(t *testing.T) {
	e := newEnv(t, envOptions{})
	dropPrivilege(e, gateway.PrivAMPDetails)
	m := e.module(simPassword)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)

	_, errs := e.deliberate(t, m, hash)
	require.Len(t, errs, 1, "errors: %+v", errs)
	require.Contains(t, errs[0].Message, gateway.PrivAMPDetails)

	e.clock.Advance(30 * time.Second)
	e.sim.ResetRequests()
	_, errs = e.deliberate(t, m, hash)
	require.Empty(t, errs)
	require.Empty(t, e.sim.Requests(), "the verdict is cached for the negative TTL")

	e.clock.Advance(31 * time.Second)
	e.sim.ResetRequests()
	_, _ = e.deliberate(t, m, hash)
	require.Equal(t, 1, e.sim.CountStatus("message-tracking/messages", 200), "the verdict expired with the negative TTL")
}
