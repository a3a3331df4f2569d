package sim

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func remediationBody(action string, fwd []string, st Story, rcpts []string) map[string]any {
	d := map[string]any{
		"batch_id": "", "batch_name": "rem1", "initiated_username": "admin", "initiated_source": "relay",
		"batch_description": "", "action": action, "folder_name": "", "report_to_talos": 0,
		"message_details": []any{map[string]any{
			"mid": st.MIDs, "message_id": st.MessageID, "from_email": []string{st.Sender},
			"recipient_email": rcpts, "subject": st.Subject, "serial_number": st.Serial, "sent_at": st.Time.Unix(),
		}},
	}
	if fwd != nil {
		d["fwd_email_address"] = fwd
	}
	return map[string]any{"data": d}
}

func TestRemediationValidation(t *testing.T) {
	ts := startSim(t, Options{})
	ph := ts.Stories().Phishing
	missingID := remediationBody("delete", nil, ph, ph.Recipients)
	missingID["data"].(map[string]any)["message_details"].([]any)[0].(map[string]any)["message_id"] = ""
	cases := []struct {
		name    string
		body    any
		message string
	}{
		{"unknown action", remediationBody("purge", nil, ph, ph.Recipients), "Invalid value for attribute - action."},
		{"forward without address", remediationBody("forward", nil, ph, ph.Recipients), "Missing attribute - fwd_email_address."},
		{"fwdDelete with empty address", remediationBody("fwdDelete", []string{""}, ph, ph.Recipients), "Missing attribute - fwd_email_address."},
		{"no recipients", remediationBody("delete", nil, ph, []string{}), "Missing attribute - recipient_email."},
		{"no message id", missingID, "Missing attribute - message_id."},
		{"no data", map[string]any{"action": "delete"}, "Missing attribute - data."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.do(t, http.MethodPost, "/sma/api/v2.0/remediation", tc.body, nil)
			require.Equal(t, http.StatusNotFound, status)
			require.Equal(t, tc.message, errorOf(body)["message"])
		})
	}
	status, _ := ts.do(t, http.MethodPost, "/esa/api/v2.0/remediation", remediationBody("delete", nil, ph, ph.Recipients), nil)
	require.Equal(t, http.StatusNotFound, status, "remediation submit exists only on the manager")
}

func statuses(t *testing.T, body map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range body["message_details"].([]any) {
		m := d.(map[string]any)
		out[m["recipient_email"].(string)] = m["mor_status"].(string)
	}
	return out
}

func TestRemediationProgressWithInjectedClock(t *testing.T) {
	clock := &manualClock{t: fixedNow}
	ts := startSim(t, Options{Now: clock.Now, RemediationDelay: time.Minute})
	ph := ts.Stories().Phishing

	status, body := ts.do(t, http.MethodPost, "/sma/api/v2.0/remediation", remediationBody("fwdDelete", []string{"soc@example.com"}, ph, ph.Recipients), nil)
	require.Equal(t, http.StatusOK, status)
	data := body["data"].(map[string]any)
	require.NotEmpty(t, data["batch_id"])
	require.Equal(t, float64(1), data["totalCount"])

	lookup := "/esa/api/v2.0/message-tracking/remediation-details?sma_serial_number=" + ph.Serial + "&mid=" + midKey(ph.MIDs[0])
	_, body = ts.get(t, lookup)
	require.Equal(t, map[string]string{"alice@example.com": "Queued", "bob@sales.example.com": "Queued", "carol@branch.example.net": "Queued"}, statuses(t, body))
	batch := body["batch_details"].(map[string]any)
	require.Equal(t, "Forward and Delete", batch["mor_action"])
	require.Equal(t, "rem1", batch["batch_name"])

	ts.Advance(59 * time.Second)
	_, body = ts.get(t, lookup)
	require.Equal(t, "Queued", statuses(t, body)["alice@example.com"])

	ts.Advance(time.Second)
	_, body = ts.get(t, "/sma/api/v2.0/message-tracking/remediation-details?serialNumber="+ph.Serial+"&mid="+midKey(ph.MIDs[0]))
	require.Equal(t, map[string]string{"alice@example.com": "Success", "bob@sales.example.com": "Success", "carol@branch.example.net": "Failed"}, statuses(t, body))

	_, body = ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&ciscoMid="+midKey(ph.MIDs[0]))
	it := items(t, body)[0]
	mor := it["morDetails"].(map[string]any)
	require.Equal(t, "Partial", mor["mor_status"])
	require.Equal(t, "Failed", mor["carol@branch.example.net"])
	require.Equal(t, "Partial", it["morInfo"].(map[string]any)["midVsState"].(map[string]any)[midKey(ph.MIDs[0])])
}

func TestRemediationFailsWhenNotDelivered(t *testing.T) {
	ts := startSim(t, Options{RemediationDelay: time.Nanosecond})
	var quarantined Story
	for _, c := range ts.Stories().Campaign {
		if c.Status != "Delivered" {
			quarantined = c
		}
	}
	require.NotEmpty(t, quarantined.MIDs)
	status, _ := ts.do(t, http.MethodPost, "/sma/api/v2.0/remediation", remediationBody("delete", nil, quarantined, quarantined.Recipients), nil)
	require.Equal(t, http.StatusOK, status)
	ts.Advance(time.Second)
	_, body := ts.get(t, "/sma/api/v2.0/message-tracking/remediation-details?serialNumber="+quarantined.Serial+"&mid="+midKey(quarantined.MIDs[0]))
	require.Equal(t, map[string]string{quarantined.Recipients[0]: "Failed"}, statuses(t, body))
}

func TestRemediationDetailsUnknownMID(t *testing.T) {
	ts := startSim(t, Options{})
	status, body := ts.get(t, "/sma/api/v2.0/message-tracking/remediation-details?serialNumber=X&mid=5")
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "Invalid value for attribute - mid or icid.", errorOf(body)["message"])
}

func TestRemediationCustomActionNames(t *testing.T) {
	ts := startSim(t, Options{ActionNames: [3]string{"del", "fwd", "fwd_del"}})
	ph := ts.Stories().Phishing
	status, _ := ts.do(t, http.MethodPost, "/sma/api/v2.0/remediation", remediationBody("delete", nil, ph, ph.Recipients), nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _ = ts.do(t, http.MethodPost, "/sma/api/v2.0/remediation", remediationBody("del", nil, ph, ph.Recipients), nil)
	require.Equal(t, http.StatusOK, status)
}
