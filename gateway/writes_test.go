package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDetailsMergesAMPAndURLs(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{
		"/message-tracking/details":     "esa-tracking-details-multi-mid-quarantined.json",
		"/message-tracking/amp-details": "sma-tracking-amp-details.json",
		"/message-tracking/url-details": "esa-tracking-url-details.json",
	}))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	d, err := c.Details(context.Background(), "TESTAAA", []int64{765, 766, 767})
	require.NoError(t, err)
	require.Equal(t, []int64{765, 766, 767}, d.Message.MIDs)
	require.Len(t, d.Attachments, 1)
	require.Equal(t, "23a9113530549916cd5b410edee79cb5a0fc01233eb9051f9c882a2e7c3fbfbe", d.Attachments[0].SHA256)
	require.Len(t, d.URLs, 3)

	for _, suffix := range []string{"/details", "/amp-details", "/url-details"} {
		reqs := g.requestsTo("/message-tracking" + suffix)
		require.Len(t, reqs, 1, suffix)
		require.Equal(t, "serialNumber=TESTAAA&mid=765&mid=766&mid=767", reqs[0].RawQuery)
	}
}

func TestDetailsNotFoundForms(t *testing.T) {
	tests := []struct {
		name, file string
		status     int
	}{
		{"404 invalid mid", "tracking-details-not-found-404.json", http.StatusNotFound},
		{"200 with N/A", "tracking-details-not-found-na.json", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
				if strings.HasSuffix(r.URL.Path, "/login") {
					g.login(w, body)
					return
				}
				writeJSON(w, tc.status, string(fixtureBytes(tc.file)))
			})
			p, _, _ := testPool(t, nil)
			_, err := testClient(t, p, g.config("relay")).Details(context.Background(), "S", []int64{4})
			requireKind(t, err, KindNotFound)
			require.Len(t, g.requestsTo("/details"), 1)
		})
	}
}

func TestSubmitRemediationBody(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		writeJSON(w, http.StatusOK, `{"data":{"batch_id":"b-17","batch_name":"rem1","totalCount":1}}`)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	receipt, err := c.SubmitRemediation(context.Background(), RemediationBatch{
		Name: "rem1", Description: "phish", Action: ActionForwardDelete, ForwardAddress: "soc@example.com",
		Folder: "Quarantine", InitiatedUser: "analyst", InitiatedSource: "relay",
		Messages: []RemediationMessage{{
			MIDs: []int64{266969}, MessageID: "<6755fc$84mp@esa1.example.com>", From: []string{"a@x.example"},
			Recipients: []string{"alan@example.com"}, Serial: "422AF8", Subject: "test",
			SentAt: time.Unix(1718691448, 0),
		}},
	})
	require.NoError(t, err)
	require.Equal(t, "b-17", receipt.BatchID)

	reqs := g.requestsTo("/remediation")
	require.Len(t, reqs, 1)
	require.Equal(t, http.MethodPost, reqs[0].Method)
	require.Equal(t, "/sma/api/v2.0/remediation", reqs[0].Path)
	require.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	require.JSONEq(t, `{"data":{"batch_id":"","batch_name":"rem1","initiated_username":"analyst",
		"initiated_source":"relay","batch_description":"phish","action":"fwdDelete",
		"fwd_email_address":["soc@example.com"],"folder_name":"Quarantine","report_to_talos":0,
		"message_details":[{"mid":[266969],"message_id":"<6755fc$84mp@esa1.example.com>",
		"from_email":["a@x.example"],"recipient_email":["alan@example.com"],"subject":"test",
		"serial_number":"422AF8","sent_at":1718691448}]}}`, reqs[0].Body)
}

func TestSubmitRemediationNeverRetried(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		writeJSON(w, http.StatusServiceUnavailable, `{}`)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	_, err := c.SubmitRemediation(context.Background(), RemediationBatch{
		Name: "r", Action: ActionDelete,
		Messages: []RemediationMessage{{MessageID: "<m@x>", Recipients: []string{"a@example.com"}, Serial: "S"}},
	})
	requireKind(t, err, KindUnavailable)
	require.Len(t, g.requestsTo("/remediation"), 1)
	require.NotContains(t, g.requestsTo("/remediation")[0].Body, "fwd_email_address")
}

func TestSubmitRemediationValidation(t *testing.T) {
	msg := RemediationMessage{MessageID: "<m@x>", Recipients: []string{"a@example.com"}, Serial: "S"}
	tests := []struct {
		name string
		api  API
		b    RemediationBatch
		want string
	}{
		{"ESA", ESA, RemediationBatch{Name: "r", Action: ActionDelete, Messages: []RemediationMessage{msg}}, "only through an SMA"},
		{"unknown action", SMA, RemediationBatch{Name: "r", Action: "purge", Messages: []RemediationMessage{msg}}, `action "purge" is invalid`},
		{"forward without address", SMA, RemediationBatch{Name: "r", Action: ActionForward, Messages: []RemediationMessage{msg}}, "exactly one forward address"},
		{"two addresses", SMA, RemediationBatch{Name: "r", Action: ActionForward, ForwardAddress: "a@x, b@x", Messages: []RemediationMessage{msg}}, "exactly one forward address"},
		{"no messages", SMA, RemediationBatch{Name: "r", Action: ActionDelete}, "has no messages"},
		{"no name", SMA, RemediationBatch{Action: ActionDelete, Messages: []RemediationMessage{msg}}, "name is missing"},
		{"message without recipients", SMA, RemediationBatch{Name: "r", Action: ActionDelete, Messages: []RemediationMessage{{MessageID: "<m@x>", Serial: "S"}}}, "needs a Message-ID, recipients"},
	}
	p, _, _ := testPool(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testClient(t, p, Config{BaseURL: "https://sma.example.com", API: tc.api, User: "u", Password: "p"})
			_, err := c.SubmitRemediation(context.Background(), tc.b)
			ge := requireKind(t, err, KindInvalid)
			require.Contains(t, ge.Message, tc.want)
		})
	}
}

func TestRemediationStatusRecordedBody(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{"/remediation-details": "esa-remediation-details.json"}))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	st, err := c.RemediationStatus(context.Background(), "SER", []int64{3, 4})
	require.NoError(t, err)
	require.Equal(t, "Re7", st.BatchName)
	require.Empty(t, st.Description)
	require.Equal(t, "Delete", st.Action)
	require.Equal(t, "admin", st.InitiatedBy)
	require.Equal(t, "ESA 117", st.InitiatedSource)
	require.Equal(t, time.Unix(1590646987, 0).UTC(), st.InitiatedAt)
	require.Len(t, st.Recipients, 4)
	require.Equal(t, RecipientOutcome{MID: 3, Recipient: "test@test.com", Sender: "test@test.com",
		Status: "Success", Read: "0", DeliveredAt: time.Unix(1584574165, 0).UTC()}, st.Recipients[0])
	require.Equal(t, "Failed", st.Recipients[3].Status)
	require.Empty(t, st.Recipients[3].Read)

	reqs := g.requestsTo("/remediation-details")
	require.Len(t, reqs, 1)
	require.Equal(t, "/sma/api/v2.0/message-tracking/remediation-details", reqs[0].Path)
	require.Equal(t, "serialNumber=SER&mid=3&mid=4", reqs[0].RawQuery)
}

func TestDictionaryRequests(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/login"):
			g.login(w, body)
		case strings.Contains(r.URL.Path, "/missing"):
			writeJSON(w, http.StatusNotFound, string(fixtureBytes("dictionary-not-found.json")))
		case r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, string(fixtureBytes("dictionary-view.json")))
		default:
			writeJSON(w, http.StatusOK, `{"data":{"message":"ok"}}`)
		}
	})
	p, _, _ := testPool(t, nil)
	cfg := g.config("relay")
	cfg.API = ESA
	c := testClient(t, p, cfg)
	ctx := context.Background()

	dict, err := c.Dictionary(ctx, "relay_blocked_senders")
	require.NoError(t, err)
	require.Equal(t, "relay_blocked_senders", dict.Name)
	require.True(t, dict.IgnoreCase)
	require.False(t, dict.WholeWords)
	require.Equal(t, []string{`evil\.example`, `bad\+tag@evil\.example`, `^\d+spam`}, dict.Terms)
	require.NoError(t, c.AddDictionaryTerm(ctx, "relay_blocked_senders", `^bad\+tag@evil\.example$`))
	require.NoError(t, c.RemoveDictionaryTerm(ctx, "relay_blocked_senders", `evil\.example`))
	_, err = c.Dictionary(ctx, "missing")
	ge := requireKind(t, err, KindNotFound)
	require.Equal(t, "Dictionary not found.", ge.Message)

	reqs := g.requestsTo("/words")
	require.Len(t, reqs, 2)
	require.Equal(t, http.MethodPost, reqs[0].Method)
	require.Equal(t, "/esa/api/v2.0/config/dictionaries/relay_blocked_senders/words", reqs[0].Path)
	require.Equal(t, "device_type=esa&mode=cluster", reqs[0].RawQuery)
	require.JSONEq(t, `{"data":{"words":[["^bad\\+tag@evil\\.example$"]]}}`, reqs[0].Body)
	require.Equal(t, http.MethodDelete, reqs[1].Method)
	require.JSONEq(t, `{"data":{"words":["evil\\.example"]}}`, reqs[1].Body)

	err = c.AddDictionaryTerm(ctx, "a/b", "x")
	requireKind(t, err, KindInvalid)
	err = c.AddDictionaryTerm(ctx, "d", "x\ny")
	requireKind(t, err, KindInvalid)
}

func TestSpamQuarantineRequests(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/login"):
			g.login(w, body)
		case r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, string(fixtureBytes("esa-spam-quarantine-search.json")))
		case r.Method == http.MethodPost:
			writeJSON(w, http.StatusOK, string(fixtureBytes("sma-spam-quarantine-release.json")))
		default:
			writeJSON(w, http.StatusOK, string(fixtureBytes("esa-spam-quarantine-delete-not-found.json")))
		}
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	ctx := context.Background()

	msgs, err := c.SearchSpamQuarantine(ctx, QuarantineQuery{
		Start: utc("2022-09-20T00:00:00Z"), End: utc("2022-09-21T00:00:00Z"),
		Sender: "test@test.com", Recipient: "test@test.com", Subject: "FW:",
	})
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.EqualValues(t, 782, msgs[0].MID)
	require.Equal(t, utc("2022-09-20T15:11:00Z"), msgs[0].Received)
	require.Equal(t, []string{"Test Test <test@test.com>"}, msgs[0].From)

	search := g.requestsTo("/quarantine/messages")[0]
	require.Equal(t, "quarantineType=spam&startDate=2022-09-20T00:00:00.000Z&endDate=2022-09-21T00:00:00.000Z"+
		"&filterBy=from_address&filterOperator=contains&filterValue=test%40test.com"+
		"&envelopeRecipientFilterOperator=is&envelopeRecipientFilterValue=test%40test.com"+
		"&orderBy=date&orderDir=desc&offset=0&limit=100", search.RawQuery)

	found, err := c.ReleaseSpam(ctx, 782)
	require.NoError(t, err)
	require.True(t, found)
	found, err = c.DeleteSpam(ctx, 120)
	require.NoError(t, err)
	require.False(t, found)

	reqs := g.requestsTo("/quarantine/messages")
	require.Len(t, reqs, 3)
	require.JSONEq(t, `{"action":"release","mids":[782],"quarantineType":"spam"}`, reqs[1].Body)
	require.Equal(t, http.MethodDelete, reqs[2].Method)
	require.JSONEq(t, `{"mids":[120],"quarantineType":"spam"}`, reqs[2].Body)
}
