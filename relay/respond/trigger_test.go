package respond_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

// remediationBody is the recorded submit body, decoded field by field.
type remediationBody struct {
	Data struct {
		BatchID          string   `json:"batch_id"`
		BatchName        string   `json:"batch_name"`
		InitiatedUser    string   `json:"initiated_username"`
		InitiatedSource  string   `json:"initiated_source"`
		BatchDescription string   `json:"batch_description"`
		Action           string   `json:"action"`
		ForwardAddresses []string `json:"fwd_email_address"`
		Folder           string   `json:"folder_name"`
		ReportToTalos    int      `json:"report_to_talos"`
		Messages         []struct {
			MIDs       []int64  `json:"mid"`
			MessageID  string   `json:"message_id"`
			From       []string `json:"from_email"`
			Recipients []string `json:"recipient_email"`
			Subject    string   `json:"subject"`
			Serial     string   `json:"serial_number"`
			SentAt     int64    `json:"sent_at"`
		} `json:"message_details"`
	} `json:"data"`
}

func (e *env) requestsTo(endpoint string) []sim.Request {
	var out []sim.Request
	for _, r := range e.sim.Requests() {
		if r.Endpoint == endpoint && r.Method != "GET" {
			out = append(out, r)
		}
	}
	return out
}

func requireSuccess(t *testing.T, res relay.TriggerResult) {
	t.Helper()
	require.Equal(t, relay.StatusSuccess, res.Status, "errors: %+v", res.Errors)
	require.Empty(t, res.Errors)
}

func requireFailure(t *testing.T, res relay.TriggerResult, code string) {
	t.Helper()
	require.Equal(t, relay.StatusFailure, res.Status)
	require.Len(t, res.Errors, 1)
	require.Equal(t, relay.Fatal, res.Errors[0].Type)
	require.Equal(t, code, res.Errors[0].Code, "message: %s", res.Errors[0].Message)
}

func requireAlready(t *testing.T, res relay.TriggerResult) {
	t.Helper()
	require.Equal(t, relay.StatusSuccess, res.Status)
	require.Len(t, res.Errors, 1)
	require.Equal(t, relay.Warning, res.Errors[0].Type)
	require.Equal(t, relay.CodeAlreadyRequested, res.Errors[0].Code)
	at := res.Errors[0].Message[strings.LastIndex(res.Errors[0].Message, " at ")+4:]
	_, err := time.Parse(time.RFC3339, at)
	require.NoError(t, err, "message %q ends with an RFC 3339 time", res.Errors[0].Message)
}

func TestTriggerRemediationBody(t *testing.T) {
	cases := []struct {
		id, action string
		forward    bool
	}{
		{respond.ActionRemediateDelete, "delete", false},
		{respond.ActionRemediateForward, "forward", true},
		{respond.ActionRemediateForwardDelete, "fwdDelete", true},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			phish := e.sim.Stories().Phishing
			a := findAction(t, e.actions(observables.MessageID, phish.MessageID), tc.id)

			requireSuccess(t, e.trigger(request(a)))

			reqs := e.requestsTo("remediation")
			require.Len(t, reqs, 1)
			require.Equal(t, "POST", reqs[0].Method)
			var body remediationBody
			require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
			d := body.Data
			require.Regexp(t, `^securex-[0-9a-f]{20}$`, d.BatchName)
			require.Equal(t, "admin", d.InitiatedUser)
			require.Equal(t, "SecureX relay", d.InitiatedSource)
			require.Contains(t, d.BatchDescription, phish.MessageID)
			require.Contains(t, d.BatchDescription, "instance-1")
			require.Equal(t, tc.action, d.Action)
			if tc.forward {
				require.Equal(t, []string{forwardAddress}, d.ForwardAddresses)
			} else {
				require.Empty(t, d.ForwardAddresses)
			}
			require.Equal(t, "SecureX", d.Folder)
			require.Zero(t, d.ReportToTalos)
			require.Len(t, d.Messages, 1)
			m := d.Messages[0]
			require.Equal(t, phish.MIDs, m.MIDs)
			require.Equal(t, phish.MessageID, m.MessageID)
			require.Equal(t, []string{phish.Sender}, m.From)
			require.ElementsMatch(t, phish.Recipients, m.Recipients)
			require.Equal(t, phish.Subject, m.Subject)
			require.Equal(t, phish.Serial, m.Serial)
			require.Equal(t, phish.Time.Unix(), m.SentAt)

			e.requirePerRecipientAudit(t, d.BatchName)
		})
	}
}

// requirePerRecipientAudit lets the batch finish at the simulator, runs the
// poller and checks that every recipient's outcome reached the audit trail.
func (e *env) requirePerRecipientAudit(t *testing.T, batch string) {
	t.Helper()
	n, err := e.svc.PollOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "the batch is still queued")

	e.clock.Advance(10 * time.Second)
	n, err = e.svc.PollOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)

	var result *respond.AuditEntry
	for _, entry := range e.audit() {
		if entry.Outcome == respond.OutcomeResult && entry.Batch == batch {
			result = &entry
			break
		}
	}
	require.NotNil(t, result, "no result entry for %s", batch)
	got := map[string]string{}
	for _, r := range result.Results {
		got[r.Recipient] = r.Status
	}
	require.Equal(t, map[string]string{
		"alice@example.com":        "Success",
		"bob@sales.example.com":    "Success",
		"carol@branch.example.net": "Failed",
	}, got)

	// The job is gone: another round finds nothing to do.
	n, err = e.svc.PollOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestTriggerAuditsAcceptedTrigger(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mod.Subject = "analyst@example.com"
	phish := e.sim.Stories().Phishing
	a := findAction(t, e.actions(observables.MessageID, phish.MessageID), respond.ActionRemediateDelete)
	requireSuccess(t, e.trigger(request(a)))

	entries := e.audit()
	require.Len(t, entries, 2)
	done, requested := entries[0], entries[1]
	require.Equal(t, respond.OutcomeSuccess, done.Outcome)
	require.Equal(t, respond.OutcomeRequested, requested.Outcome)
	require.Equal(t, done.TriggerID, requested.TriggerID)
	require.Equal(t, "instance-1", done.Instance)
	require.Equal(t, "analyst@example.com", done.Subject)
	require.Equal(t, respond.ActionRemediateDelete, done.Action)
	require.Equal(t, "email_messageid", done.ObservableType)
	require.Equal(t, phish.MessageID, done.ObservableValue)
	require.Equal(t, e.url, done.Gateway)
	require.Equal(t, phish.Serial, done.Serial)
	require.Equal(t, phish.MIDs, done.MIDs)
	require.ElementsMatch(t, phish.Recipients, done.Recipients)
	require.NotEmpty(t, done.Batch)
	require.NotEmpty(t, done.Tenant)
	require.Contains(t, e.logs.String(), `"msg":"trigger audit"`)
}

func TestTriggerRepeatIsAlreadyRequested(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateDelete)
	requireSuccess(t, e.trigger(request(a)))
	e.clock.Advance(time.Minute)

	requireAlready(t, e.trigger(request(a)))
	require.Len(t, e.requestsTo("remediation"), 1)
	require.Empty(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID),
		"a remediated message is offered no further remediation")
}

func TestTriggerConcurrentSubmitsOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := findAction(t, e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID), respond.ActionRemediateForwardDelete)

	const n = 20
	results := make([]relay.TriggerResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = e.trigger(request(a)) })
	}
	wg.Wait()

	require.Equal(t, 1, e.sim.Count("remediation"))
	successes := 0
	for _, r := range results {
		require.Equal(t, relay.StatusSuccess, r.Status, "errors: %+v", r.Errors)
		if len(r.Errors) == 0 {
			successes++
		} else {
			require.Equal(t, relay.CodeAlreadyRequested, r.Errors[0].Code)
		}
	}
	require.Equal(t, 1, successes)
}

func TestTriggerQuarantine(t *testing.T) {
	cases := []struct {
		id, method, action string
	}{
		{respond.ActionQuarantineRelease, "POST", "release"},
		{respond.ActionQuarantineDelete, "DELETE", ""},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			spam := e.sim.Stories().Spam
			a := findAction(t, e.actions(observables.MessageID, spam.MessageID), tc.id)
			requireSuccess(t, e.trigger(request(a)))

			var writes []sim.Request
			for _, r := range e.sim.Requests() {
				if r.Endpoint == "quarantine/messages" && r.Method != "GET" {
					writes = append(writes, r)
				}
			}
			require.Len(t, writes, 1)
			require.Equal(t, tc.method, writes[0].Method)
			var body struct {
				Action         string  `json:"action"`
				MIDs           []int64 `json:"mids"`
				QuarantineType string  `json:"quarantineType"`
			}
			require.NoError(t, json.Unmarshal(writes[0].Body, &body))
			require.Equal(t, tc.action, body.Action)
			require.Equal(t, []int64{spam.QuarantineMID}, body.MIDs)
			require.Equal(t, "spam", body.QuarantineType)

			requireAlready(t, e.trigger(request(a)))
			require.Equal(t, 1, e.writes())
		})
	}
}

func TestTriggerBlockAndUnblock(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing

	block := findAction(t, e.actions(observables.Domain, phish.SenderDomain), respond.ActionBlockDomain)
	requireSuccess(t, e.trigger(request(block)))
	adds := e.requestsTo("config/dictionaries/words")
	require.Len(t, adds, 1)
	require.Equal(t, "POST", adds[0].Method)
	require.Equal(t, "/esa/api/v2.0/config/dictionaries/"+dictionary+"/words", adds[0].Path)
	require.Equal(t, "device_type=esa&mode=cluster", adds[0].RawQuery)
	require.JSONEq(t, `{"data":{"words":[["[@.]account-verify\\.example$"]]}}`, string(adds[0].Body))
	require.Equal(t, []string{`[@.]account-verify\.example$`}, e.sim.Dictionary(dictionary))

	unblock := findAction(t, e.actions(observables.Domain, phish.SenderDomain), respond.ActionUnblockDomain)
	requireSuccess(t, e.trigger(request(unblock)))
	removes := e.requestsTo("config/dictionaries/words")
	require.Len(t, removes, 2)
	require.Equal(t, "DELETE", removes[1].Method)
	require.JSONEq(t, `{"data":{"words":["[@.]account-verify\\.example$"]}}`, string(removes[1].Body))
	require.Empty(t, e.sim.Dictionary(dictionary))

	// Blocking again after the unblock is a new action, not a repeat.
	requireSuccess(t, e.trigger(request(block)))
	require.Len(t, e.requestsTo("config/dictionaries/words"), 3)
}

func TestTriggerBlockSender(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	block := findAction(t, e.actions(observables.Email, phish.Sender), respond.ActionBlockSender)
	requireSuccess(t, e.trigger(request(block)))
	adds := e.requestsTo("config/dictionaries/words")
	require.Len(t, adds, 1)
	require.JSONEq(t, `{"data":{"words":[["^it-support@account-verify\\.example$"]]}}`, string(adds[0].Body))
}

func TestTriggerBlockRefusesProtectedAndRecipientDomains(t *testing.T) {
	e := newEnv(t, envOptions{respond: respond.Options{ProtectedDomains: []string{"gmail.com"}}})
	cases := []struct {
		name  string
		id    string
		typ   observables.Type
		value string
	}{
		{"protected domain", respond.ActionBlockDomain, observables.Domain, "gmail.com"},
		{"protected subdomain", respond.ActionBlockDomain, observables.Domain, "mail.gmail.com"},
		{"protected sender", respond.ActionBlockSender, observables.Email, "someone@gmail.com"},
		{"recipient domain", respond.ActionBlockDomain, observables.Domain, "example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.trigger(relay.TriggerRequest{ActionID: tc.id, ObservableType: string(tc.typ), ObservableValue: tc.value,
				Params: rawParams(map[string]any{"gateway": e.url, "serial": "", "mids": ""})})
			requireFailure(t, res, relay.CodeInvalidRequest)
		})
	}
	require.Zero(t, e.writes())
}

func rawParams(m map[string]any) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range m {
		raw, _ := json.Marshal(v)
		out[k] = raw
	}
	return out
}

func TestTriggerRefusesMessageRemediatedElsewhere(t *testing.T) {
	e := newEnv(t, envOptions{simOpts: sim.Options{Users: map[string]string{"admin": password, "ops": "ops-password"}}})
	phish := e.sim.Stories().Phishing
	a := findAction(t, e.actions(observables.MessageID, phish.MessageID), respond.ActionRemediateDelete)
	requireSuccess(t, e.trigger(request(a)))

	// Another credential set is another tenant, with its own records and
	// batch names: only the gateway's state stops the second remediation.
	other := *e.mod
	other.Gateways = append([]gateway.Config(nil), e.mod.Gateways...)
	other.Gateways[0].User, other.Gateways[0].Password = "ops", "ops-password"
	data, errs := e.svc.Actions(context.Background(), &other, []observables.Observable{{Type: observables.MessageID, Value: phish.MessageID}})
	require.Empty(t, errs)
	require.Empty(t, data)

	res := e.svc.Trigger(context.Background(), &other, request(a))
	requireFailure(t, res, relay.CodeInvalidRequest)
	require.Contains(t, res.Errors[0].Message, "already remediated")
	require.Equal(t, 1, e.sim.Count("remediation"))
}
