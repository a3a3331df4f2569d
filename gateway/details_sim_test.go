package gateway_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

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
