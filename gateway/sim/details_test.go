package sim

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func messagesOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	data, ok := body["data"].(map[string]any)
	require.True(t, ok, "%v", body)
	return data["messages"].(map[string]any)
}

func descriptions(m map[string]any, key string) []string {
	var out []string
	for _, e := range m[key].([]any) {
		out = append(out, e.(map[string]any)["description"].(string))
	}
	return out
}

func TestDetailsNotFoundForms(t *testing.T) {
	ts := startSim(t, Options{})
	serial := defaultAppliances[0].Serial
	cases := []struct {
		name   string
		query  string
		status int
	}{
		{"odd mid gives 404", "serialNumber=" + serial + "&mid=7", 404},
		{"even mid gives N/A", "serialNumber=" + serial + "&mid=8", 200},
		{"unknown serial odd", "serialNumber=NOPE&mid=104201", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, ep := range []string{"details", "amp-details", "url-details"} {
				status, body := ts.get(t, "/sma/api/v2.0/message-tracking/"+ep+"?"+tc.query)
				require.Equal(t, tc.status, status, ep)
				if status == 404 {
					require.Equal(t, "Invalid value for attribute - mid or icid.", errorOf(body)["message"])
					continue
				}
				require.Equal(t, []any{"N/A"}, messagesOf(t, body)["mid"])
			}
		})
	}
}

func TestDetailsMalwareAMP(t *testing.T) {
	ts := startSim(t, Options{})
	mw := ts.Stories().Malware
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}$`), mw.SHA256)
	q := "?serialNumber=" + mw.Serial + "&mid=" + midKey(mw.MIDs[0])

	status, body := ts.get(t, "/sma/api/v2.0/message-tracking/details"+q)
	require.Equal(t, http.StatusOK, status)
	m := messagesOf(t, body)
	require.Equal(t, "Dropped By Anti-Virus", m["messageStatus"])
	require.Equal(t, []any{"INV-20931.xlsm"}, m["attachments"])
	require.Equal(t, true, m["showAMP"])
	summary := m["summary"].([]any)
	require.Equal(t, true, summary[len(summary)-1].(map[string]any)["lastEvent"])
	require.Equal(t, false, summary[0].(map[string]any)["lastEvent"])
	require.Contains(t, strings.Join(descriptions(m, "summary"), "\n"), "(SHA256 "+mw.SHA256+")")

	_, body = ts.get(t, "/sma/api/v2.0/message-tracking/amp-details"+q)
	amp := strings.Join(descriptions(messagesOf(t, body), "ampDetails"), "\n")
	require.Contains(t, amp, "Disposition = MALICIOUS")
	require.Contains(t, amp, "sha256 = "+mw.SHA256)
	require.Contains(t, amp, "File Name = INV-20931.xlsm")
}

func TestDetailsPhishingURL(t *testing.T) {
	ts := startSim(t, Options{})
	ph := ts.Stories().Phishing
	q := "?serialNumber=" + ph.Serial + "&mid=" + midKey(ph.MIDs[0])
	cases := []struct{ api, sep string }{{"sma", " ,"}, {"esa", ","}}
	for _, tc := range cases {
		t.Run(tc.api, func(t *testing.T) {
			status, body := ts.get(t, "/"+tc.api+"/api/v2.0/message-tracking/url-details"+q)
			require.Equal(t, http.StatusOK, status)
			m := messagesOf(t, body)
			require.Equal(t, true, m["showURLDetails"])
			urls := descriptions(m, "urlDetails")
			require.Contains(t, urls, "Message "+midKey(ph.MIDs[0])+" URL: "+ph.URL+tc.sep+" URL reputation: -9.1, Condition: URL Reputation Rule.")
			require.Contains(t, urls, "Message "+midKey(ph.MIDs[0])+" rewritten URL u'"+ph.URL+"'.")
		})
	}
}

func TestDetailsMultiMIDAndZones(t *testing.T) {
	ts := startSim(t, Options{})
	nl := ts.Stories().Newsletter
	_, body := ts.get(t, "/sma/api/v2.0/message-tracking/details?serialNumber="+nl.Serial+"&mid="+midKey(nl.MIDs[0])+"&mid="+midKey(nl.MIDs[1])+"&mid="+midKey(nl.MIDs[2]))
	m := messagesOf(t, body)
	require.True(t, midsEqual(m["mid"], nl.MIDs))
	require.Equal(t, "Delivered", m["messageStatus"])
	require.Equal(t, "", m["attachments"], "the manager writes an empty string when there are no attachments")
	require.Contains(t, strings.Join(descriptions(m, "summary"), "\n"), "split creating MID "+midKey(nl.MIDs[1]))

	camp := ts.Stories().Campaign
	var onB Story
	for _, c := range camp {
		if c.Serial == defaultAppliances[1].Serial {
			onB = c
		}
	}
	require.NotEmpty(t, onB.MIDs)
	_, body = ts.get(t, "/sma/api/v2.0/message-tracking/details?serialNumber="+onB.Serial+"&mid="+midKey(onB.MIDs[0]))
	require.True(t, strings.HasSuffix(messagesOf(t, body)["timestamp"].(string), "(GMT-05:00)"))

	status, _ := ts.get(t, "/esa/api/v2.0/message-tracking/details?serialNumber="+onB.Serial+"&mid="+midKey(onB.MIDs[0]|1))
	require.Equal(t, http.StatusNotFound, status, "the ESA prefix knows only its own messages")
}
