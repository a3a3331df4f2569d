package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/relay/store/storetest"
)

// TestReplicasSubmitOneRemediation sends the same trigger to two relay
// processes that share one Redis, ten times each at once, and expects a
// single remediation request at the gateway: the idempotency record in
// Redis, not process memory, must decide which trigger runs.
func TestReplicasSubmitOneRemediation(t *testing.T) {
	bin := resBuild(t)
	s, err := sim.New(sim.Options{Messages: 200})
	require.NoError(t, err)
	// A slow submit keeps the first trigger in flight while the others
	// re-check the message. The gateway's remediation state cannot stop a
	// second submit then, so only the shared record can.
	s.SetFault(sim.Fault{SlowEndpoint: "remediation", SlowDelay: time.Second})
	gatewayURL, ca := resGatewayServer(t, s, func(string) {})
	redis := storetest.StartRedis(t)

	env := []string{
		"RELAY_ADDR=127.0.0.1:0", "RELAY_METRICS_ADDR=off", "RELAY_JWT_SECRET=" + testSecret,
		"RELAY_GATEWAY_HOSTS=127.0.0.1", "RELAY_LOG_FORMAT=json",
		"RELAY_REDIS_URL=" + redis.URL(), "RELAY_STATE_KEY=replicas-test-state-key-0123456789",
	}
	_, addrA, _ := resStartProcess(t, bin, env)
	_, addrB, _ := resStartProcess(t, bin, env)
	tok := (&resEnv{simURL: gatewayURL, ca: ca}).token(t)
	client := &http.Client{Timeout: resGuard}
	t.Cleanup(client.CloseIdleConnections)

	story := s.Stories().Phishing
	list, err := json.Marshal([]map[string]string{{"type": "email_messageid", "value": story.MessageID}})
	require.NoError(t, err)
	offered, err := resPost(client, addrA, "/respond/observables", tok, bytes.NewReader(list))
	require.NoError(t, err)
	var actions []struct {
		ID     string            `json:"id"`
		Params map[string]string `json:"query-params"`
	}
	require.NoError(t, json.Unmarshal(offered.Data, &actions), offered.Raw)
	body := map[string]string{}
	for _, a := range actions {
		if a.ID == "esa-remediate-delete" {
			body = a.Params
			body["action-id"] = a.ID
		}
	}
	require.NotEmpty(t, body, "delete was not offered: %s", offered.Raw)
	trigger, err := json.Marshal(body)
	require.NoError(t, err)

	const perRelay = 10
	answers := make([]resResponse, 2*perRelay)
	errs := make([]error, 2*perRelay)
	var wg sync.WaitGroup
	for i := range answers {
		addr := addrA
		if i%2 == 1 {
			addr = addrB
		}
		wg.Go(func() {
			answers[i], errs[i] = resPost(client, addr, "/respond/trigger", tok, bytes.NewReader(trigger))
		})
	}
	wg.Wait()

	already := 0
	for i, a := range answers {
		require.NoError(t, errs[i])
		require.Nil(t, a.fatal(), a.Raw)
		require.JSONEq(t, `{"status":"success"}`, string(a.Data), a.Raw)
		for _, e := range a.Errors {
			if e.Code == "already requested" {
				already++
			}
		}
	}
	require.Equal(t, 1, s.Count("remediation"), "one remediation request at the gateway")
	require.Equal(t, len(answers)-1, already, "every other trigger is answered as already requested")
}
