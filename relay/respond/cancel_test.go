package respond_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

// cancelOnCall cancels a context when the gateway call op completes, as a
// client that hangs up while a trigger is running.
type cancelOnCall struct {
	mu     sync.Mutex
	op     string
	cancel context.CancelFunc
}

func (c *cancelOnCall) ObserveCall(_, op, _ string, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil && strings.HasPrefix(op, c.op) {
		c.cancel()
	}
}

func (c *cancelOnCall) ObserveBreaker(string, string) {}

func (c *cancelOnCall) arm(cancel context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancel = cancel
}

func TestTriggerCanceledByClient(t *testing.T) {
	cases := []struct {
		name string
		// op is the gateway call after which the client hangs up; empty
		// hangs up before the trigger starts.
		op string
	}{
		{"before the trigger", ""},
		{"after the tracking search", "message-tracking/messages"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := &cancelOnCall{op: tc.op}
			e := newEnv(t, envOptions{pool: gateway.PoolOptions{Observer: obs}})
			a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.op == "" {
				cancel()
			} else {
				obs.arm(cancel)
			}

			res := e.svc.Trigger(ctx, e.mod, request(a))

			require.Equal(t, relay.StatusFailure, res.Status)
			require.Len(t, res.Errors, 1)
			require.Contains(t, res.Errors[0].Message, "client canceled the request")
			require.NotContains(t, res.Errors[0].Message, "timed out")
			require.Zero(t, e.sim.Count("remediation"), "nothing is submitted")
			entries := e.audit()
			require.NotEmpty(t, entries)
			require.Equal(t, respond.OutcomeCanceled, entries[0].Outcome)
			require.Equal(t, res.Errors[0].Message, entries[0].Message)
			for _, entry := range entries {
				require.NotContains(t, entry.Message, "gateway "+e.url)
			}

			// The record is free, so the next trigger runs.
			requireSuccess(t, e.trigger(request(a)))
			require.Equal(t, 1, e.sim.Count("remediation"))
		})
	}
}
