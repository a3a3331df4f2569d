package respond_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

func TestActionsWarnAboutInvalidObservables(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing

	data, errs := e.svc.Actions(context.Background(), e.mod, []observables.Observable{
		{Type: observables.Email, Value: "not an address"},
		{Type: observables.Email, Value: phish.Sender},
		{Type: "no_such_type", Value: "x"},
	})

	require.Len(t, errs, 1)
	require.Equal(t, relay.Warning, errs[0].Type)
	require.Equal(t, relay.CodeInvalidObservable, errs[0].Code)
	require.Equal(t, []string{respond.ActionBlockSender}, actionIDs(data.([]respond.Action)))
}

func TestTriggerUnblockOfAbsentEntryIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})

	res := e.trigger(request(respond.Action{ID: respond.ActionUnblockSender, QueryParams: map[string]string{
		"observable_type": "email", "observable_value": "never.blocked@nowhere.test", "gateway": e.url, "serial": "", "mids": ""}}))

	requireFailure(t, res, relay.CodeNotFound)
	require.Contains(t, res.Errors[0].Message, "not in the dictionary")
	require.Zero(t, e.writes())
}
