package enrich_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
)

func TestFailedGatewayGivesOneErrorBesideData(t *testing.T) {
	e := newEnv(t, envOptions{})
	down, err := sim.New(sim.Options{Now: e.clock.Now, Messages: 10})
	require.NoError(t, err)
	downURL, err := down.StartTLS("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = down.Close() })
	down.SetFault(sim.Fault{ErrorRate: 1, ErrorStatus: 503})

	m := e.module(simPassword)
	m.Gateways = append(m.Gateways, gateway.Config{BaseURL: downURL, API: gateway.SMA, User: "admin",
		Password: simPassword, CAPEM: string(down.CAPEM())})

	b, errs := e.observe(t, m,
		obs(observables.SHA256, e.stories.Malware.SHA256),
		obs(observables.Email, e.stories.Phishing.Sender))
	require.Len(t, errs, 1, "one error per failed gateway, not per observable")
	require.Equal(t, "fatal", errs[0].Type)
	require.Equal(t, "service unavailable", errs[0].Code)
	require.Contains(t, errs[0].Message, downURL)
	require.NotContains(t, errs[0].Message, simPassword)
	require.NotEmpty(t, b.Sightings)
	require.Len(t, b.Verdicts, 1)
	require.False(t, strings.Contains(e.logs.String(), simPassword))

	// A verdict computed while a gateway failed is not cached.
	e.sim.ResetRequests()
	_, errs = e.deliberate(t, m, obs(observables.SHA256, e.stories.Malware.SHA256))
	require.Len(t, errs, 1)
	require.NotZero(t, e.sim.Count("message-tracking/messages"))
}

func TestResponseCapLeavesOutSightings(t *testing.T) {
	e := newEnv(t, envOptions{maxBytes: 6000})
	b, errs := e.observe(t, e.module(simPassword), obs(observables.Email, e.stories.Phishing.Sender))
	require.Len(t, errs, 1)
	require.Equal(t, "warning", errs[0].Type)
	require.Equal(t, "response too large", errs[0].Code)
	require.NotEmpty(t, b.Sightings)
	require.Less(t, len(b.Sightings), len(e.stories.Campaign))
}

func TestMissedDetailsGiveWarningAndNoCache(t *testing.T) {
	// A budget of two calls covers the login and the search, so every
	// detail call is refused.
	e := newEnv(t, envOptions{budget: 2})
	m := e.module(simPassword)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)

	b, errs := e.observe(t, m, hash)
	require.NotEmpty(t, b.Sightings)
	require.Len(t, errs, 1)
	require.Equal(t, "warning", errs[0].Type)
	require.Equal(t, "incomplete details", errs[0].Code)
	require.Contains(t, errs[0].Message, "1 message ")

	e.sim.ResetRequests()
	_, _ = e.deliberate(t, m, hash)
	require.NotZero(t, e.sim.Count("message-tracking/messages"), "a verdict built without details must not be cached")
}

func TestIDNSenderSearchedInBothForms(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, errs := e.observe(t, e.module(simPassword), obs(observables.Email, "user@Bücher.example"))
	require.Empty(t, errs)

	var punycode, unicode int
	for _, r := range e.sim.Requests() {
		if r.Endpoint != "message-tracking/messages" {
			continue
		}
		if strings.Contains(r.RawQuery, "envelopeSenderfilterValue=user%40xn--bcher-kva.example") {
			punycode++
		}
		if strings.Contains(r.RawQuery, "envelopeSenderfilterValue=user%40b%C3%BCcher.example") {
			unicode++
		}
	}
	require.Equal(t, 1, punycode, "the punycode spelling is searched once")
	require.Equal(t, 1, unicode, "the Unicode spelling is searched once")
}
