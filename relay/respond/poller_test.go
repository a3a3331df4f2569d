package respond_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/respond"
)

func TestPollerKeepsCredentialsSealed(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)
	requireSuccess(t, e.trigger(request(a)))

	vals, err := e.store.GetMany(context.Background(), []string{"relay:{poller}:jobs"})
	require.NoError(t, err)
	require.NotNil(t, vals[0])
	var ids []string
	require.NoError(t, json.Unmarshal(vals[0], &ids))
	require.Len(t, ids, 1)

	jobs, err := e.store.GetMany(context.Background(), []string{"relay:{poller}:job:" + ids[0]})
	require.NoError(t, err)
	require.NotNil(t, jobs[0])
	require.NotContains(t, string(jobs[0]), password)
	require.NotContains(t, string(jobs[0]), "admin")

	// Once the batch is final, the job and its sealed credential set are gone.
	e.clock.Advance(10 * time.Second)
	n, err := e.svc.PollOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	jobs, err = e.store.GetMany(context.Background(), []string{"relay:{poller}:job:" + ids[0]})
	require.NoError(t, err)
	require.Nil(t, jobs[0])
}

func TestPollerGivesUpAfterPollFor(t *testing.T) {
	e := newEnv(t, envOptions{
		simOpts: simDelay(time.Hour),
		respond: respond.Options{PollFor: time.Minute},
	})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)
	requireSuccess(t, e.trigger(request(a)))

	e.clock.Advance(30 * time.Second)
	n, err := e.svc.PollOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)

	e.clock.Advance(time.Minute)
	_, err = e.svc.PollOnce(context.Background())
	require.NoError(t, err)
	last := e.audit()[0]
	require.Equal(t, respond.OutcomeResult, last.Outcome)
	require.Equal(t, "timeout", last.Code)
	require.Empty(t, last.Results)
}

func TestRunPollerAuditsResult(t *testing.T) {
	e := newEnv(t, envOptions{respond: respond.Options{PollInterval: 10 * time.Millisecond}})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)
	requireSuccess(t, e.trigger(request(a)))
	e.clock.Advance(10 * time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.RunPoller(ctx) }()

	require.Eventually(t, func() bool {
		for _, entry := range e.audit() {
			if entry.Outcome == respond.OutcomeResult && len(entry.Results) == 3 {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.True(t, strings.Contains(e.logs.String(), `"outcome":"result"`))
}
