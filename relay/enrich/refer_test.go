package enrich_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/enrich"
)

func TestReferLinksEncoded(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.module(simPassword)
	m.Gateways = append(m.Gateways, gateway.Config{BaseURL: "https://esa2.example.net:6443", API: gateway.SMA,
		User: "admin", Password: simPassword})
	msgID := e.stories.Phishing.MessageID // holds < > $ + @
	e.sim.ResetRequests()

	data, errs := e.svc.Refer(context.Background(), m, []observables.Observable{
		obs(observables.MessageID, msgID),
		obs(observables.Email, "Alice@Example.com"),
		obs(observables.Subject, "a b+c"),
		obs(observables.CiscoMID, "-1"),
	})
	require.Len(t, errs, 1)
	require.Equal(t, "invalid observable", errs[0].Code)
	envelope(t, "ReferResponse", data, errs)
	require.Empty(t, e.sim.Requests())

	links := data.([]enrich.ReferLink)
	// Message-ID, email as sender and recipient, subject: on two interfaces.
	require.Len(t, links, 8)
	ids := map[string]bool{}
	for _, l := range links {
		require.False(t, ids[l.ID], "duplicate id %s", l.ID)
		ids[l.ID] = true
	}

	first := links[0].URL
	require.True(t, strings.HasPrefix(first, "https://sma.example.com/"), first)
	require.Contains(t, first, "messageIdHeader="+strings.NewReplacer(
		"<", "%3C", ">", "%3E", "$", "%24", "+", "%2B", "@", "%40").Replace(msgID))
	u, err := url.Parse(first)
	require.NoError(t, err)
	require.Equal(t, msgID, u.Query().Get("messageIdHeader"))

	var hosts []string
	var subject string
	for _, l := range links {
		u, err := url.Parse(l.URL)
		require.NoError(t, err)
		hosts = append(hosts, u.Host)
		if v := u.Query().Get("subjectfilterValue"); v != "" {
			subject = l.URL
		}
		if v := u.Query().Get("envelopeRecipientfilterValue"); v != "" {
			require.Equal(t, "alice@example.com", v)
		}
	}
	require.Contains(t, hosts, "sma.example.com")
	require.Contains(t, hosts, "esa2.example.net")
	require.Contains(t, subject, "subjectfilterValue=a%20b%2Bc")
}

func TestReferEmptyList(t *testing.T) {
	e := newEnv(t, envOptions{})
	data, errs := e.svc.Refer(context.Background(), e.module(simPassword), nil)
	require.Empty(t, errs)
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	require.JSONEq(t, `[]`, string(raw))
}
