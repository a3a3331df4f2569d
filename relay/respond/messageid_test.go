package respond_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

// esa2Campaign returns the campaign message on esa2, whose search items
// use the 12.x record format and carry no Message-ID.
func esa2Campaign(t *testing.T, s *sim.Server) sim.Story {
	t.Helper()
	for _, st := range s.Stories().Campaign {
		if st.Host == "esa2.mail.example.com" {
			return st
		}
	}
	require.FailNow(t, "no campaign message on esa2")
	return sim.Story{}
}

func TestActionsMessageIDOnTwelveXAppliance(t *testing.T) {
	e := newEnv(t, envOptions{})
	msg := esa2Campaign(t, e.sim)

	list := e.actions(observables.MessageID, msg.MessageID)

	require.ElementsMatch(t, remediationIDs, actionIDs(list))
	del := findAction(t, list, respond.ActionRemediateDelete)
	require.Equal(t, msg.Serial, del.QueryParams["serial"])
	require.Equal(t, formatMIDs(msg.MIDs), del.QueryParams["mids"])
	require.Positive(t, e.sim.Count("message-tracking/details"), "the Message-ID is confirmed from the details")
}

func TestTriggerMessageIDOnTwelveXAppliance(t *testing.T) {
	e := newEnv(t, envOptions{})
	msg := esa2Campaign(t, e.sim)
	a := findAction(t, e.actions(observables.MessageID, msg.MessageID), respond.ActionRemediateDelete)

	requireSuccess(t, e.trigger(request(a)))

	reqs := e.requestsTo("remediation")
	require.Len(t, reqs, 1)
	var body remediationBody
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	require.Len(t, body.Data.Messages, 1)
	require.Equal(t, msg.MessageID, body.Data.Messages[0].MessageID)
	require.Equal(t, msg.Serial, body.Data.Messages[0].Serial)
	require.ElementsMatch(t, msg.Recipients, body.Data.Messages[0].Recipients)
}

func TestActionsUnknownMessageIDOffersNothing(t *testing.T) {
	e := newEnv(t, envOptions{})

	require.Empty(t, e.actions(observables.MessageID, "<no-such-message@nowhere.example>"))
}

func TestTriggerCiscoMIDOnTwelveXAppliance(t *testing.T) {
	e := newEnv(t, envOptions{})
	msg := esa2Campaign(t, e.sim)
	a := findAction(t, e.actions(observables.CiscoMID, strconv.FormatInt(msg.MIDs[0], 10)), respond.ActionRemediateDelete)

	requireSuccess(t, e.trigger(request(a)))

	reqs := e.requestsTo("remediation")
	require.Len(t, reqs, 1)
	var body remediationBody
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	require.Len(t, body.Data.Messages, 1)
	require.Equal(t, msg.MessageID, body.Data.Messages[0].MessageID)
}

func TestCiscoMIDWithoutMessageIDIsNotRemediated(t *testing.T) {
	// A dataset whose esa2 campaign message has no Message-ID at all, so
	// neither its search item nor its details name one.
	src := newEnv(t, envOptions{})
	msg := esa2Campaign(t, src.sim)
	var buf bytes.Buffer
	require.NoError(t, src.sim.WriteData(&buf))
	var data map[string][]map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &data))
	for _, rec := range data["messages"] {
		if rec["messageId"] == msg.MessageID {
			delete(rec, "messageId")
		}
	}
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "data.json")
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	e := newEnv(t, envOptions{simOpts: sim.Options{DataFile: path}})
	mid := strconv.FormatInt(msg.MIDs[0], 10)
	require.Empty(t, e.actions(observables.CiscoMID, mid))

	res := e.trigger(request(respond.Action{ID: respond.ActionRemediateDelete, QueryParams: map[string]string{
		"observable_type": "cisco_mid", "observable_value": mid,
		"gateway": e.url, "serial": msg.Serial, "mids": formatMIDs(msg.MIDs)}}))
	requireFailure(t, res, relay.CodeNotFound)
	require.Contains(t, res.Errors[0].Message, "Message-ID of the message could not be read")
	require.NotContains(t, res.Errors[0].Message, "The gateway")
	require.Zero(t, e.sim.Count("remediation"))
}
