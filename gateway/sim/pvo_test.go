package sim

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

const pvoPath = "/sma/api/v2.0/quarantine/messages"

// pvoSearchQuery is a PVO search over the whole test dataset, all five
// quarantines named the way public integrations send them.
const pvoSearchQuery = pvoPath + "?quarantineType=pvo&quarantines=Outbreak,Virus,File+Analysis,Unclassified,Policy&" + window

func pvoMIDs(t *testing.T, body map[string]any) []int64 {
	t.Helper()
	data, ok := body["data"].([]any)
	require.True(t, ok, "data is not a list: %v", body)
	out := make([]int64, len(data))
	for i, d := range data {
		out[i] = int64(d.(map[string]any)["mid"].(float64))
	}
	return out
}

func TestPVOQuarantinesFollowStatus(t *testing.T) {
	tests := []struct {
		status string
		want   []string
	}{
		{statusAVHeld, []string{"Virus"}},
		{statusOutbreak, []string{"Outbreak"}},
		{statusContent, []string{"Policy"}},
		{statusMultiple, []string{"Virus", "Outbreak"}},
		{statusSpam, nil},
		{statusVirus, nil},
		{"Delivered", nil},
	}
	for _, tc := range tests {
		t.Run(tc.status, func(t *testing.T) {
			require.Equal(t, tc.want, pvoQuarantinesFor(tc.status))
		})
	}
}

func TestPVOStoryInVirusQuarantine(t *testing.T) {
	ts := startSim(t, Options{})
	story := ts.Stories().VirusQuarantine
	require.Equal(t, statusAVHeld, story.Status)
	require.Equal(t, []string{"Virus"}, story.PVOQuarantines)
	require.NotZero(t, story.PVOMID)
	require.False(t, slices.Contains(story.MIDs, story.PVOMID), "PVO MID must differ from tracking MIDs")

	status, body := ts.get(t, pvoSearchQuery+"&envelopeRecipientFilterBy=matches_exactly&envelopeRecipientFilterValue=laura%40example.com"+
		"&subjectFilterBy=contains&subjectFilterValue=salary%20statement")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []int64{story.PVOMID}, pvoMIDs(t, body))

	attrs := items(t, body)[0]
	require.Equal(t, "Virus", attrs["inQuarantines"])
	require.Equal(t, "payroll@hr-portal.example", attrs["sender"])
	require.Equal(t, []any{"laura@example.com"}, attrs["recipient"])
	require.Equal(t, "192.0.2.10", attrs["originatingEsaIp"])
	require.Equal(t, float64(story.MIDs[0]), attrs["esaMid"])
}

func TestPVOCampaignMessageInPolicy(t *testing.T) {
	ts := startSim(t, Options{})
	var held Story
	for _, s := range ts.Stories().Campaign {
		if s.Status == statusContent {
			held = s
		}
	}
	require.NotZero(t, held.PVOMID)

	_, body := ts.get(t, pvoPath+"?quarantineType=pvo&quarantines=Policy&"+window+
		"&envelopeSenderFilterBy=contains&envelopeSenderFilterValue=account-verify.example")
	require.Equal(t, []int64{held.PVOMID}, pvoMIDs(t, body))

	_, body = ts.get(t, pvoPath+"?quarantineType=pvo&quarantines=Virus&"+window+
		"&envelopeSenderFilterBy=contains&envelopeSenderFilterValue=account-verify.example")
	require.Empty(t, pvoMIDs(t, body), "the Virus quarantine does not hold a content-filtered message")
}

func TestPVOSearchFilters(t *testing.T) {
	ts := startSim(t, Options{})
	story := ts.Stories().VirusQuarantine
	tests := []struct {
		name  string
		extra string
		found bool
	}{
		{"originating gateway", "&originatingEsaIp=192.0.2.10&subjectFilterValue=salary", true},
		{"other gateway", "&originatingEsaIp=192.0.2.11&subjectFilterValue=salary", false},
		{"starts with", "&subjectFilterBy=starts_with&subjectFilterValue=updated", true},
		{"does not start with", "&subjectFilterBy=does_not_start_with&subjectFilterValue=updated", false},
		{"ends with", "&envelopeSenderFilterBy=ends_with&envelopeSenderFilterValue=hr-portal.example", true},
		{"plus is literal in values", "&subjectFilterValue=Updated+salary", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.get(t, pvoSearchQuery+tc.extra)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, tc.found, slices.Contains(pvoMIDs(t, body), story.PVOMID))
		})
	}
}

func TestPVOSearchInvalidParameters(t *testing.T) {
	ts := startSim(t, Options{})
	tests := []struct {
		name, query, message string
	}{
		{"no quarantines", pvoPath + "?quarantineType=pvo&" + window, "Missing attribute - quarantines."},
		{"no dates", pvoPath + "?quarantineType=pvo&quarantines=Virus", "Missing attribute - startDate or endDate."},
		{"unknown operator", pvoSearchQuery + "&subjectFilterBy=like&subjectFilterValue=x", "Invalid value for attribute - subjectFilterBy."},
		{"negative offset", pvoSearchQuery + "&offset=-1", "Invalid value for attribute - offset or limit."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.get(t, tc.query)
			require.Equal(t, http.StatusNotFound, status)
			require.Equal(t, tc.message, errorOf(body)["message"])
		})
	}
}

func TestPVOReleaseDeliversStory(t *testing.T) {
	ts := startSim(t, Options{})
	story := ts.Stories().VirusQuarantine
	release := map[string]any{"action": "release", "mids": []int64{story.PVOMID}, "quarantineName": "Virus", "quarantineType": "pvo"}

	status, body := ts.do(t, http.MethodPost, pvoPath, release, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"data": map[string]any{"action": "release", "totalCount": float64(1)}}, body)
	require.Equal(t, "Delivered", ts.Stories().VirusQuarantine.Status)

	_, body = ts.do(t, http.MethodPost, pvoPath, release, nil)
	require.Equal(t, float64(0), body["data"].(map[string]any)["totalCount"], "a released MID is no longer there")
	_, body = ts.get(t, pvoSearchQuery+"&limit=1000")
	require.NotContains(t, pvoMIDs(t, body), story.PVOMID)
}

func TestPVOMultipleQuarantinesRelease(t *testing.T) {
	ts := startSim(t, Options{})
	var held *record
	for _, r := range ts.recs {
		if r.Status == statusMultiple && r.Appliance == 0 {
			held = r
			break
		}
	}
	require.NotNil(t, held, "the dataset has a message held by two quarantines")
	mid := held.PVOMID

	_, body := ts.do(t, http.MethodPost, pvoPath,
		map[string]any{"action": "release", "mids": []int64{mid}, "quarantineName": "Virus", "quarantineType": "pvo"}, nil)
	require.Equal(t, float64(1), body["data"].(map[string]any)["totalCount"])
	_, body = ts.get(t, pvoPath+"?quarantineType=pvo&quarantines=Outbreak&limit=1000&"+window)
	require.Contains(t, pvoMIDs(t, body), mid, "still held by Outbreak")
	ts.mu.Lock()
	status := held.Status
	ts.mu.Unlock()
	require.Equal(t, statusMultiple, status, "not delivered while one quarantine holds it")

	_, body = ts.do(t, http.MethodPost, pvoPath,
		map[string]any{"action": "release", "mids": []int64{mid}, "quarantineName": "Outbreak", "quarantineType": "pvo"}, nil)
	require.Equal(t, float64(1), body["data"].(map[string]any)["totalCount"])
	ts.mu.Lock()
	status = held.Status
	ts.mu.Unlock()
	require.Equal(t, "Delivered", status)
}

func TestPVODeleteNeverDelivers(t *testing.T) {
	ts := startSim(t, Options{})
	var held *record
	for _, r := range ts.recs {
		if r.Status == statusMultiple && r.Appliance == 0 {
			held = r
			break
		}
	}
	require.NotNil(t, held)

	_, body := ts.do(t, http.MethodDelete, "/esa/api/v2.0/quarantine/messages",
		map[string]any{"mids": []int64{held.PVOMID}, "quarantineName": "Outbreak", "quarantineType": "pvo"}, nil)
	require.Equal(t, map[string]any{"data": map[string]any{"action": "delete", "totalCount": float64(1)}}, body)
	_, body = ts.do(t, http.MethodPost, pvoPath,
		map[string]any{"action": "release", "mids": []int64{held.PVOMID}, "quarantineName": "Virus", "quarantineType": "pvo"}, nil)
	require.Equal(t, float64(1), body["data"].(map[string]any)["totalCount"])

	ts.mu.Lock()
	defer ts.mu.Unlock()
	require.Empty(t, held.PVOQuarantines)
	require.Equal(t, statusMultiple, held.Status)
	require.False(t, held.Delivered)
}

func TestPVOActionNotFoundOrInvalid(t *testing.T) {
	ts := startSim(t, Options{})
	story := ts.Stories().VirusQuarantine
	tests := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		status int
		want   string // error message, or "" for a 200 with totalCount 0
	}{
		{"unknown MID", http.MethodPost, pvoPath,
			map[string]any{"action": "release", "mids": []int64{999999}, "quarantineName": "Virus", "quarantineType": "pvo"}, http.StatusOK, ""},
		{"wrong quarantine", http.MethodPost, pvoPath,
			map[string]any{"action": "release", "mids": []int64{story.PVOMID}, "quarantineName": "Policy", "quarantineType": "pvo"}, http.StatusOK, ""},
		{"tracking MID", http.MethodDelete, pvoPath,
			map[string]any{"mids": story.MIDs, "quarantineName": "Virus", "quarantineType": "pvo"}, http.StatusOK, ""},
		{"no quarantine name", http.MethodPost, pvoPath,
			map[string]any{"action": "release", "mids": []int64{story.PVOMID}, "quarantineType": "pvo"}, http.StatusNotFound, "Missing attribute - quarantineName."},
		{"no MIDs", http.MethodDelete, pvoPath,
			map[string]any{"quarantineName": "Virus", "quarantineType": "pvo"}, http.StatusNotFound, "Missing attribute - mids."},
		{"wrong action", http.MethodPost, pvoPath,
			map[string]any{"action": "delete", "mids": []int64{story.PVOMID}, "quarantineName": "Virus", "quarantineType": "pvo"}, http.StatusNotFound, msgInvalidAction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.do(t, tc.method, tc.path, tc.body, nil)
			require.Equal(t, tc.status, status)
			if tc.want != "" {
				require.Equal(t, tc.want, errorOf(body)["message"])
				return
			}
			require.Equal(t, float64(0), body["data"].(map[string]any)["totalCount"])
		})
	}
	require.Equal(t, []string{"Virus"}, ts.Stories().VirusQuarantine.PVOQuarantines, "nothing left the quarantine")
}

func TestPVOGatewayPrefixSeesOwnMessages(t *testing.T) {
	ts := startSim(t, Options{})
	_, all := ts.get(t, pvoSearchQuery+"&limit=1000")
	_, local := ts.get(t, "/esa/api/v2.0/quarantine/messages?quarantineType=pvo&quarantines=Outbreak,Virus,Policy&"+window+"&limit=1000")
	require.Greater(t, len(pvoMIDs(t, all)), len(pvoMIDs(t, local)))

	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, mid := range pvoMIDs(t, local) {
		idx := slices.IndexFunc(ts.recs, func(r *record) bool { return r.PVOMID == mid })
		require.GreaterOrEqual(t, idx, 0)
		require.Equal(t, 0, ts.recs[idx].Appliance)
	}
}

func TestSpamQuarantineUnchangedByPVORoutes(t *testing.T) {
	ts := startSim(t, Options{})
	sp := ts.Stories().Spam
	_, body := ts.get(t, "/sma/api/v2.0/quarantine/messages?quarantineType=spam&"+window+
		"&filterBy=from_address&filterOperator=contains&filterValue=cheap-meds.test")
	require.Equal(t, []int64{sp.QuarantineMID}, pvoMIDs(t, body))
}
