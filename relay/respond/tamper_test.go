package respond_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

func TestTriggerTamperedParamsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	st := e.sim.Stories()
	phish := st.Phishing
	a := findAction(t, e.actions(observables.MessageID, phish.MessageID), respond.ActionRemediateForward)
	other := st.Campaign[2] // delivered on the second appliance
	for _, c := range st.Campaign {
		if c.Serial != phish.Serial {
			other = c
		}
	}
	require.NotEqual(t, phish.Serial, other.Serial, "the dataset has a second appliance")

	cases := []struct {
		name string
		edit func(r *relay.TriggerRequest)
		code string
	}{
		{"foreign MID", func(r *relay.TriggerRequest) {
			r.Params["mids"] = str(formatMIDs(st.Malware.MIDs))
		}, relay.CodeInvalidArgument},
		{"extra MID", func(r *relay.TriggerRequest) {
			r.Params["mids"] = str(formatMIDs(append(append([]int64{}, phish.MIDs...), st.Malware.MIDs[0]+1000000)))
		}, relay.CodeInvalidArgument},
		{"other serial", func(r *relay.TriggerRequest) { r.Params["serial"] = str(other.Serial) }, relay.CodeInvalidArgument},
		{"other gateway", func(r *relay.TriggerRequest) { r.Params["gateway"] = str("https://127.0.0.1:1") }, relay.CodeInvalidArgument},
		{"gateway differs in case", func(r *relay.TriggerRequest) {
			r.Params["gateway"] = str("HTTPS" + e.url[5:])
		}, relay.CodeInvalidArgument},
		{"extra forward address", func(r *relay.TriggerRequest) {
			r.Params["fwd_email_address"] = str("attacker@evil.test")
		}, relay.CodeInvalidArgument},
		{"forward address key", func(r *relay.TriggerRequest) {
			r.Params["forward_address"] = str("soc@secops.example.com,attacker@evil.test")
		}, relay.CodeInvalidArgument},
		{"unknown key", func(r *relay.TriggerRequest) { r.Params["note"] = str("x") }, relay.CodeInvalidArgument},
		{"null serial", func(r *relay.TriggerRequest) { r.Params["serial"] = json.RawMessage("null") }, relay.CodeInvalidArgument},
		{"missing mids", func(r *relay.TriggerRequest) { delete(r.Params, "mids") }, relay.CodeInvalidArgument},
		{"missing gateway", func(r *relay.TriggerRequest) { delete(r.Params, "gateway") }, relay.CodeInvalidArgument},
		{"numeric mids", func(r *relay.TriggerRequest) {
			r.Params["mids"] = json.RawMessage(strconv.FormatInt(phish.MIDs[0], 10))
		}, relay.CodeInvalidArgument},
		{"mids list", func(r *relay.TriggerRequest) { r.Params["mids"] = json.RawMessage("[1,2]") }, relay.CodeInvalidArgument},
		{"mids with spaces", func(r *relay.TriggerRequest) { r.Params["mids"] = str(" " + formatMIDs(phish.MIDs)) }, relay.CodeInvalidArgument},
		{"empty mids", func(r *relay.TriggerRequest) { r.Params["mids"] = str("") }, relay.CodeInvalidArgument},
		{"observable of another message", func(r *relay.TriggerRequest) { r.ObservableValue = st.Malware.MessageID }, relay.CodeInvalidArgument},
		{"unknown action", func(r *relay.TriggerRequest) { r.ActionID = "esa-remediate-everything" }, relay.CodeInvalidRequest},
		{"unsupported type", func(r *relay.TriggerRequest) { r.ObservableType = "ip" }, relay.CodeUnsupportedType},
		{"unknown type", func(r *relay.TriggerRequest) { r.ObservableType = "mac_address" }, relay.CodeUnsupportedType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.audit())
			req := request(a)
			tc.edit(&req)

			requireFailure(t, e.trigger(req), tc.code)

			require.Zero(t, e.writes(), "nothing is written at the gateway")
			entries := e.audit()
			require.Len(t, entries, before+1)
			require.Equal(t, respond.OutcomeRefused, entries[0].Outcome)
			require.Equal(t, tc.code, entries[0].Code)
		})
	}
}

func TestTriggerUnknownActionCallsNoGateway(t *testing.T) {
	e := newEnv(t, envOptions{})
	cases := []struct {
		name string
		req  relay.TriggerRequest
		code string
	}{
		{"unknown action", relay.TriggerRequest{ActionID: "nope", ObservableType: "email", ObservableValue: "a@b.test"},
			relay.CodeInvalidRequest},
		{"unsupported type", relay.TriggerRequest{ActionID: respond.ActionRemediateDelete, ObservableType: "sha256",
			ObservableValue: "ab"}, relay.CodeUnsupportedType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireFailure(t, e.trigger(tc.req), tc.code)
			require.Empty(t, e.sim.Requests())
		})
	}
}

func TestTriggerMaxRecipients(t *testing.T) {
	e := newEnv(t, envOptions{respond: respond.Options{MaxRecipients: 2}})
	phish := e.sim.Stories().Phishing
	req := relay.TriggerRequest{
		ActionID: respond.ActionRemediateDelete, ObservableType: "email_messageid", ObservableValue: phish.MessageID,
		Params: rawParams(map[string]any{"gateway": e.url, "serial": phish.Serial, "mids": formatMIDs(phish.MIDs)}),
	}
	res := e.trigger(req)
	requireFailure(t, res, relay.CodeInvalidRequest)
	require.Contains(t, res.Errors[0].Message, "3 recipients")
	require.Contains(t, res.Errors[0].Message, "at most 2")
	require.Zero(t, e.writes())
}

func TestTriggerForwardNeedsAllowedAddress(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	a := findAction(t, e.actions(observables.MessageID, phish.MessageID), respond.ActionRemediateForward)
	e.mod.ForwardAddress = "attacker@evil.test"
	requireFailure(t, e.trigger(request(a)), relay.CodeInvalidRequest)
	e.mod.ForwardAddress = "soc@secops.example.com, attacker@evil.test"
	requireFailure(t, e.trigger(request(a)), relay.CodeInvalidRequest)
	require.Zero(t, e.writes())
}

func str(s string) json.RawMessage {
	raw, _ := json.Marshal(s)
	return raw
}

func TestTriggerTamperedBlockParamsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	a := findAction(t, e.actions(observables.Email, phish.Sender), respond.ActionBlockSender)

	cases := []struct {
		name string
		edit func(r *relay.TriggerRequest)
	}{
		{"other gateway", func(r *relay.TriggerRequest) { r.Params["gateway"] = str("https://127.0.0.1:1") }},
		{"serial set", func(r *relay.TriggerRequest) { r.Params["serial"] = str(phish.Serial) }},
		{"mids set", func(r *relay.TriggerRequest) { r.Params["mids"] = str(formatMIDs(phish.MIDs)) }},
		{"dictionary named", func(r *relay.TriggerRequest) { r.Params["dictionary"] = str("other_dictionary") }},
		{"null mids", func(r *relay.TriggerRequest) { r.Params["mids"] = json.RawMessage("null") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := request(a)
			tc.edit(&req)
			requireFailure(t, e.trigger(req), relay.CodeInvalidArgument)
			require.Zero(t, e.writes())
			require.Equal(t, respond.OutcomeRefused, e.audit()[0].Outcome)
		})
	}
}

func TestAuditEscapesControlCharacters(t *testing.T) {
	e := newEnv(t, envOptions{})
	res := e.trigger(relay.TriggerRequest{ActionID: "forged\n level=ERROR\x1b[31m", ObservableType: "email", ObservableValue: "a@b.test"})
	requireFailure(t, res, relay.CodeInvalidRequest)

	entry := e.audit()[0]
	require.Equal(t, `forged\n level=ERROR\x1b[31m`, entry.Action)
	require.NotContains(t, e.logs.String(), "\x1b")
	require.NotContains(t, e.logs.String(), "forged\n")
}
