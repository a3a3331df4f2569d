package respond_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

// conflicting fires n triggers of each action at once and returns their
// results by action.
func conflicting(e *env, n int, actions ...respond.Action) map[string][]relay.TriggerResult {
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = map[string][]relay.TriggerResult{}
	)
	for _, a := range actions {
		for range n {
			wg.Go(func() {
				res := e.trigger(request(a))
				mu.Lock()
				defer mu.Unlock()
				out[a.ID] = append(out[a.ID], res)
			})
		}
	}
	wg.Wait()
	return out
}

func TestTriggerConflictingActionsOnOneMessage(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		ids      []string
		spam     bool
	}{
		{"remediation delete and forward-delete", "remediation",
			[]string{respond.ActionRemediateDelete, respond.ActionRemediateForwardDelete}, false},
		{"quarantine release and delete", "quarantine/messages",
			[]string{respond.ActionQuarantineRelease, respond.ActionQuarantineDelete}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			st := e.sim.Stories()
			id := st.Phishing.MessageID
			if tc.spam {
				id = st.Spam.MessageID
			}
			list := e.actions(observables.MessageID, id)
			first, second := findAction(t, list, tc.ids[0]), findAction(t, list, tc.ids[1])
			// Every write is slow, so that the triggers overlap.
			e.sim.SetFault(sim.Fault{SlowEndpoint: tc.endpoint, SlowDelay: 200 * time.Millisecond})

			results := conflicting(e, 5, first, second)

			writes := 0
			for _, r := range e.sim.Requests() {
				if r.Endpoint == tc.endpoint && r.Method != "GET" {
					writes++
				}
			}
			require.Equal(t, 1, writes, "one action on the message reaches the gateway")
			conflicts := 0
			for _, list := range results {
				for _, res := range list {
					if res.Status == relay.StatusFailure {
						require.Contains(t, res.Errors[0].Message, "Another action on this message")
						conflicts++
					} else if len(res.Errors) > 0 {
						require.Equal(t, relay.CodeAlreadyRequested, res.Errors[0].Code)
					}
				}
			}
			require.Positive(t, conflicts)
		})
	}
}

func TestTriggerOtherActionAfterFinishedOneIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	spam := e.sim.Stories().Spam
	list := e.actions(observables.MessageID, spam.MessageID)
	release := findAction(t, list, respond.ActionQuarantineRelease)
	del := findAction(t, list, respond.ActionQuarantineDelete)

	requireSuccess(t, e.trigger(request(release)))
	res := e.trigger(request(del))

	require.Equal(t, relay.StatusFailure, res.Status)
	require.True(t, strings.Contains(res.Errors[0].Message, "released") || strings.Contains(res.Errors[0].Message, "quarantine"),
		"message: %s", res.Errors[0].Message)
	require.Equal(t, 1, e.writes())
}
