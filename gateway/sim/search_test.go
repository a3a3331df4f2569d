package sim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSearchDateRules(t *testing.T) {
	ts := startSim(t, Options{})
	cases := []struct {
		name    string
		query   string
		status  int
		message string
	}{
		{"missing both", "", 404, "Missing attribute - startDate or endDate."},
		{"missing end", "startDate=2024-01-01T10:15:00.000Z", 404, "Missing attribute - startDate or endDate."},
		{"non-zero seconds", "startDate=2024-01-01T10:15:42.000Z&endDate=2024-01-02T00:00:00.000Z", 404,
			"startDate and endDate attribute supports only 00 seconds and 000 microseconds."},
		{"non-zero millis", "startDate=2024-01-01T10:15:00.000Z&endDate=2024-01-02T00:00:00.120Z", 404,
			"startDate and endDate attribute supports only 00 seconds and 000 microseconds."},
		{"encoded colons", "startDate=2024-01-01T10%3A15%3A00.000Z&endDate=2024-01-02T00:00:00.000Z", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.get(t, "/esa/api/v2.0/message-tracking/messages?"+tc.query)
			require.Equal(t, tc.status, status)
			if tc.message != "" {
				require.Equal(t, map[string]any{"error": map[string]any{
					"message": tc.message, "code": "404", "explanation": "404 = Nothing matches the given URI.",
				}}, body)
			}
		})
	}
}

func TestSearchPlusIsLiteral(t *testing.T) {
	ts := startSim(t, Options{Messages: 3000})
	base := "/sma/api/v2.0/message-tracking/messages?" + window + "&limit=1000&subjectfilterOperator=is&subjectfilterValue="

	_, body := ts.get(t, base+"a%20b")
	spaced := items(t, body)
	require.NotEmpty(t, spaced, "dataset must hold subject \"a b\"")
	for _, it := range spaced {
		require.Equal(t, "a b", it["subject"])
	}

	_, body = ts.get(t, base+"a+b")
	require.Empty(t, items(t, body), "a+b must not match \"a b\"")

	_, body = ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&limit=1000&subjectfilterOperator=contains&subjectfilterValue=a+b")
	plus := items(t, body)
	require.NotEmpty(t, plus)
	for _, it := range plus {
		require.Contains(t, it["subject"], "a+b")
	}
}

func TestSearchPagingWithBadRecords(t *testing.T) {
	ts := startSim(t, Options{BadRecordsPerPage: 3})
	var all []map[string]any
	for offset := 0; ; offset += 20 {
		_, body := ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&limit=20&offset="+midKey(int64(offset)))
		good, bad := meta(body)
		page := items(t, body)
		require.Equal(t, float64(len(page)), good, "totalCount counts the records in the page")
		all = append(all, page...)
		if good+bad < 20 {
			break
		}
		require.Equal(t, float64(3), bad)
	}
	require.Greater(t, len(all), 100)
	var prev time.Time
	for i, it := range all {
		ts := parseStamp(t, it["timestamp"].(string))
		if i > 0 {
			require.False(t, ts.After(prev), "results must be newest first at %d", i)
		}
		prev = ts
	}
}

// parseStamp reads the appliance timestamp forms used in the dataset.
func parseStamp(t *testing.T, s string) time.Time {
	t.Helper()
	for _, layout := range []string{
		"02 Jan 2006 15:04:05 (GMT)", "02 Jan 2006 15:04:05 (GMT -07:00)", "02 Jan 2006 15:04:05 (GMT-07:00)",
	} {
		if v, err := time.Parse(layout, s); err == nil {
			return v
		}
	}
	require.Failf(t, "unknown timestamp form", "%q", s)
	return time.Time{}
}

func TestSearchEmptyForms(t *testing.T) {
	q := "/esa/api/v2.0/message-tracking/messages?" + window + "&senderIp=203.0.113.255"
	ts := startSim(t, Options{})
	_, body := ts.get(t, q)
	require.Equal(t, []any{}, body["data"])
	good, bad := meta(body)
	require.Zero(t, good)
	require.Zero(t, bad)

	obj := startSim(t, Options{EmptyAsObject: true})
	_, body = obj.get(t, q)
	require.Equal(t, map[string]any{}, body)
}

func TestSearchFiltersFindStories(t *testing.T) {
	ts := startSim(t, Options{})
	st := ts.Stories()
	phishRewritten := "https://secure-web.cisco.com/" + phishRewriteToken + "/" + url.QueryEscape(phishURL)
	cases := []struct {
		name   string
		query  string
		expect Story
	}{
		{"sender is", "envelopeSenderfilterOperator=is&envelopeSenderfilterValue=" + url.PathEscape(st.Malware.Sender), st.Malware},
		{"sender begins_with", "envelopeSenderfilterOperator=begins_with&envelopeSenderfilterValue=accounts%40invoice", st.Malware},
		{"recipient contains", "envelopeRecipientfilterOperator=contains&envelopeRecipientfilterValue=carol%40branch", st.Phishing},
		{"attachment name", "attachmentNameOperator=is&attachmentNameValue=INV-20931.xlsm", st.Malware},
		{"sha256", "fileSha256=" + st.Malware.SHA256, st.Malware},
		{"message id", "messageIdHeader=" + url.QueryEscape(st.Phishing.MessageID), st.Phishing},
		{"cisco mid", "ciscoMid=" + midKey(st.Newsletter.MIDs[1]), st.Newsletter},
		{"domain", "domainNameOperator=is&domainNameValue=updates.example.org", st.Newsletter},
		{"rewritten url", "webInteractionTrackingUrls=" + url.QueryEscape(phishRewritten), st.Phishing},
		{"direction and ip", "messageDirection=incoming&senderIp=203.0.113.99", st.Spam},
		{"host", "ciscoHost=esa1.mail.example.com&senderIp=203.0.113.45", st.Malware},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&searchOption=messages&limit=100&"+tc.query)
			require.Equal(t, http.StatusOK, status, "%v", body)
			found := false
			for _, it := range items(t, body) {
				if it["serialNumber"] == tc.expect.Serial && midsEqual(it["mid"], tc.expect.MIDs) {
					found = true
				}
			}
			require.True(t, found, "story %s not in %v", tc.expect.Name, body)
		})
	}
}

func midsEqual(v any, want []int64) bool {
	got, _ := v.([]any)
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if int64(got[i].(float64)) != want[i] {
			return false
		}
	}
	return true
}

func TestSearchCampaignBySender(t *testing.T) {
	ts := startSim(t, Options{})
	_, body := ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&envelopeSenderfilterOperator=is&envelopeSenderfilterValue=it-support%40account-verify.example")
	require.Len(t, items(t, body), len(ts.Stories().Campaign))
	require.Len(t, ts.Stories().Campaign, 4)
}

func TestSearchRejectedConnections(t *testing.T) {
	ts := startSim(t, Options{})
	rej := ts.Stories().RejectedIP
	_, body := ts.get(t, "/esa/api/v2.0/message-tracking/messages?"+window+"&searchOption=rejected_connections&senderIp="+rej.SenderIP)
	got := items(t, body)
	require.Len(t, got, 1)
	require.Equal(t, "-7.4", got[0]["sbrs"])
	require.NotContains(t, got[0], "mid")

	_, body = ts.get(t, "/esa/api/v2.0/message-tracking/messages?"+window+"&senderIp="+rej.SenderIP)
	require.Empty(t, items(t, body), "a messages search never returns rejected connections")
}

func TestSearchRecordFormats(t *testing.T) {
	ts := startSim(t, Options{})
	_, body := ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&limit=400")
	forms := map[string]bool{}
	for _, it := range items(t, body) {
		switch it["messageStatus"].(type) {
		case string:
			forms["string"] = true
			require.Equal(t, "0", it["verdictChart"])
			require.Equal(t, defaultAppliances[1].Serial, it["serialNumber"])
		case map[string]any:
			forms["map"] = true
			require.Contains(t, it, "recipientMap")
			require.Equal(t, defaultAppliances[0].Serial, it["serialNumber"])
		}
		stamp := it["timestamp"].(string)
		require.True(t, strings.HasSuffix(stamp, "(GMT)") || strings.HasSuffix(stamp, "(GMT -05:00)"), stamp)
	}
	require.True(t, forms["string"] && forms["map"], "both messageStatus forms: %v", forms)

	_, body = ts.get(t, "/esa/api/v2.0/message-tracking/messages?"+window+"&limit=50")
	for _, it := range items(t, body) {
		require.Equal(t, "", it["hostName"])
		require.True(t, strings.HasSuffix(it["timestamp"].(string), "(GMT +00:00)"))
	}
}

func TestSearchNewsletterPerMIDMaps(t *testing.T) {
	ts := startSim(t, Options{})
	nl := ts.Stories().Newsletter
	require.Len(t, nl.MIDs, 3)
	_, body := ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+window+"&ciscoMid="+midKey(nl.MIDs[0]))
	got := items(t, body)
	require.Len(t, got, 1)
	rmap := got[0]["recipientMap"].(map[string]any)
	require.Len(t, rmap, 3)
	for i, m := range nl.MIDs {
		require.Equal(t, []any{nl.Recipients[i]}, rmap[midKey(m)])
	}
	require.Equal(t, "Delivered", got[0]["messageStatus"].(map[string]any)[midKey(nl.MIDs[2])])
}
