package sim

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpamQuarantineLifecycle(t *testing.T) {
	ts := startSim(t, Options{})
	sp := ts.Stories().Spam
	require.NotZero(t, sp.QuarantineMID)
	require.False(t, slices.Contains(sp.MIDs, sp.QuarantineMID), "quarantine MID must differ from tracking MIDs")
	qmid := midKey(sp.QuarantineMID)

	_, body := ts.get(t, "/sma/api/v2.0/quarantine/messages?quarantineType=spam&"+window+
		"&filterBy=from_address&filterOperator=contains&filterValue=cheap-meds.test&limit=10")
	data := body["data"].([]any)
	require.Len(t, data, 1)
	require.Equal(t, float64(sp.QuarantineMID), data[0].(map[string]any)["mid"])
	require.Equal(t, float64(1), body["meta"].(map[string]any)["totalCount"])

	status, body := ts.get(t, "/sma/api/v2.0/quarantine/messages/details?quarantineType=spam&mid="+qmid)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []any{"ken@example.com"}, body["data"].(map[string]any)["attributes"].(map[string]any)["envelopeRecipient"])

	release := map[string]any{"action": "release", "mids": []int64{sp.QuarantineMID}, "quarantineType": "spam"}
	_, body = ts.do(t, http.MethodPost, "/sma/api/v2.0/quarantine/messages", release, nil)
	require.Equal(t, map[string]any{"data": map[string]any{"action": "release", "totalCount": float64(1)}}, body)
	_, body = ts.do(t, http.MethodPost, "/sma/api/v2.0/quarantine/messages", release, nil)
	require.Equal(t, float64(0), body["data"].(map[string]any)["totalCount"], "a released MID is no longer there")
}

func TestSpamQuarantineDeleteUnknownMID(t *testing.T) {
	ts := startSim(t, Options{})
	status, body := ts.do(t, http.MethodDelete, "/esa/api/v2.0/quarantine/messages",
		map[string]any{"mids": []int64{999999}, "quarantineType": "spam"}, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"data": map[string]any{"action": "delete", "totalCount": float64(0)}}, body)

	sp := ts.Stories().Spam
	_, body = ts.do(t, http.MethodDelete, "/esa/api/v2.0/quarantine/messages",
		map[string]any{"mids": []int64{sp.QuarantineMID}, "quarantineType": "spam"}, nil)
	require.Equal(t, float64(1), body["data"].(map[string]any)["totalCount"])
}

func TestSpamQuarantineRequiresType(t *testing.T) {
	ts := startSim(t, Options{})
	status, body := ts.get(t, "/sma/api/v2.0/quarantine/messages?"+window)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "Missing attribute - quarantineType.", errorOf(body)["message"])
}

func TestDictionaryEdits(t *testing.T) {
	ts := startSim(t, Options{})
	path := "/esa/api/v2.0/config/dictionaries/relay_blocked_senders"
	q := "?device_type=esa&mode=cluster"

	status, body := ts.do(t, http.MethodPost, path+"/words"+q, map[string]any{"data": map[string]any{"words": [][]string{{`evil\.example`}, {`bad@x\.example`}}}}, nil)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.NotEmpty(t, body["data"].(map[string]any)["message"])
	require.Equal(t, []string{`evil\.example`, `bad@x\.example`}, ts.Dictionary("relay_blocked_senders"))

	_, body = ts.get(t, path+q)
	d := body["data"].(map[string]any)
	require.Equal(t, "relay_blocked_senders", d["name"])
	require.Equal(t, []any{[]any{`evil\.example`, float64(1)}, []any{`bad@x\.example`, float64(1)}}, d["words"])

	status, _ = ts.do(t, http.MethodDelete, path+"/words"+q, map[string]any{"data": map[string]any{"words": []string{`evil\.example`}}}, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{`bad@x\.example`}, ts.Dictionary("relay_blocked_senders"))
}

func TestDictionaryErrors(t *testing.T) {
	ts := startSim(t, Options{})
	cases := []struct {
		name, method, path string
		body               any
		status             int
		message            string
	}{
		{"unknown dictionary", "GET", "/esa/api/v2.0/config/dictionaries/nope?device_type=esa&mode=cluster", nil, 404, "Dictionary not found."},
		{"missing device type", "GET", "/esa/api/v2.0/config/dictionaries/relay_blocked_senders", nil, 404, "Missing attribute - device_type."},
		{"empty words", "POST", "/esa/api/v2.0/config/dictionaries/relay_blocked_senders/words?device_type=esa", map[string]any{"data": map[string]any{"words": []any{}}}, 404, "Missing attribute - words."},
		{"manager prefix", "GET", "/sma/api/v2.0/config/dictionaries/relay_blocked_senders?device_type=esa", nil, 404, "Not Found."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.do(t, tc.method, tc.path, tc.body, nil)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.message, errorOf(body)["message"])
		})
	}
	_, body := ts.get(t, "/esa/api/v2.0/config/dictionaries/nope?device_type=esa&mode=cluster")
	require.Equal(t, map[string]any{"error": map[string]any{
		"message": "Dictionary not found.", "code": "404", "explanation": "404 = Nothing matches the given URI.",
	}}, body)
}

func TestHealthOnlyOnGateway(t *testing.T) {
	ts := startSim(t, Options{})
	status, body := ts.get(t, "/esa/api/v2.0/health")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body["data"], "percentage_cpu_load")
	status, _ = ts.get(t, "/sma/api/v2.0/health")
	require.Equal(t, http.StatusNotFound, status)
}
