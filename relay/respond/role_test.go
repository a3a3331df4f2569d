package respond_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

func TestDictionaryGatewayErrorsNameItsSettings(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	e.mod.ESAConfig.Password = "wrong-esa-password"

	_, errs := e.svc.Actions(context.Background(), e.mod, []observables.Observable{{Type: observables.Email, Value: phish.Sender}})
	require.NotEmpty(t, errs)
	for _, err := range errs {
		require.Contains(t, err.Message, "ESA_CONFIG_PASSWORD")
		require.NotContains(t, err.Message, "GATEWAY_")
		require.NotContains(t, err.Message, "wrong-esa-password")
	}

	res := e.trigger(request(respond.Action{ID: respond.ActionBlockSender, QueryParams: map[string]string{
		"observable_type": "email", "observable_value": phish.Sender, "gateway": e.url, "serial": "", "mids": ""}}))
	require.Equal(t, relay.StatusFailure, res.Status)
	require.Contains(t, res.Errors[0].Message, "ESA_CONFIG_PASSWORD")
	require.NotContains(t, res.Errors[0].Message, "GATEWAY_")
}
