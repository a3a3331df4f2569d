package gateway_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
)

func TestSimDetailsCallsAllThreeEndpoints(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	story := s.Stories().Malware
	s.ResetRequests()

	_, err = c.Details(context.Background(), story.Serial, story.MIDs)
	require.NoError(t, err)
	for _, endpoint := range []string{"message-tracking/details", "message-tracking/amp-details", "message-tracking/url-details"} {
		require.Equal(t, 1, s.Count(endpoint), endpoint)
	}
}

func TestSimDetailsMissingPrivileges(t *testing.T) {
	tests := []struct {
		name        string
		drop        string
		wantMissing []string
	}{
		{name: "all privileges"},
		{name: "no amp-details privilege", drop: gateway.PrivAMPDetails, wantMissing: []string{gateway.PrivAMPDetails}},
		{name: "no url-details privilege", drop: gateway.PrivURLDetails, wantMissing: []string{gateway.PrivURLDetails}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			privileges := slices.DeleteFunc(slices.Clone(sim.DefaultPrivileges), func(p string) bool { return p == tc.drop })
			s, p, cfg := startSim(t, sim.Options{Privileges: privileges})
			c, err := p.Client(cfg)
			require.NoError(t, err)
			story := s.Stories().Malware

			d, err := c.Details(context.Background(), story.Serial, story.MIDs)

			require.NoError(t, err)
			require.Equal(t, tc.wantMissing, d.Missing)
			require.NotEmpty(t, d.Attachments)
			require.Equal(t, story.MIDs, d.Message.MIDs)
		})
	}
}
