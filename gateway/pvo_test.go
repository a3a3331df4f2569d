package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
)

// pvoRoute returns a handler that serves login and replies to the
// quarantine calls with the named testdata files.
func pvoRoute(g *fakeGateway, search, release, remove string) func(w http.ResponseWriter, r *http.Request, body []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/login"):
			g.login(w, body)
		case r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, string(fixtureBytes(search)))
		case r.Method == http.MethodPost:
			writeJSON(w, http.StatusOK, string(fixtureBytes(release)))
		default:
			writeJSON(w, http.StatusOK, string(fixtureBytes(remove)))
		}
	}
}

func TestPVOSearchRawRequest(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(pvoRoute(g, "pvo-quarantine-search.json", "pvo-quarantine-release.json", "pvo-quarantine-delete-not-found.json"))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{
		Start: utc("2025-03-13T12:00:30Z"), End: utc("2025-03-14T12:00:30Z"),
		Sender: "accounts@invoice-center.example", Recipient: "henry@example.com", Subject: "INV-20931 + more",
	})
	require.NoError(t, err)

	reqs := g.requestsTo("/quarantine/messages")
	require.Len(t, reqs, 1)
	require.Equal(t, http.MethodGet, reqs[0].Method)
	require.Equal(t, "/sma/api/v2.0/quarantine/messages", reqs[0].Path)
	require.Equal(t, "quarantineType=pvo"+
		"&quarantines=Outbreak%2CVirus%2CFile%20Analysis%2CUnclassified%2CPolicy"+
		"&startDate=2025-03-13T12:00:00.000Z&endDate=2025-03-14T12:01:00.000Z"+
		"&envelopeSenderFilterBy=contains&envelopeSenderFilterValue=accounts%40invoice-center.example"+
		"&envelopeRecipientFilterBy=contains&envelopeRecipientFilterValue=henry%40example.com"+
		"&subjectFilterBy=contains&subjectFilterValue=INV-20931%20%2B%20more"+
		"&orderBy=received&orderDir=desc&offset=0&limit=100", reqs[0].RawQuery)
	require.NotEmpty(t, reqs[0].Header.Get("jwtToken"))
}

func TestPVOSearchNamedQuarantinesOnly(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(pvoRoute(g, "pvo-quarantine-search.json", "pvo-quarantine-release.json", "pvo-quarantine-delete-not-found.json"))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{
		Start: utc("2025-03-13T12:00:00Z"), End: utc("2025-03-14T12:00:00Z"),
		Quarantines: []string{PVOVirus, "Encrypted Message"},
	})
	require.NoError(t, err)

	query := g.requestsTo("/quarantine/messages")[0].RawQuery
	require.Equal(t, "quarantineType=pvo&quarantines=Virus%2CEncrypted%20Message"+
		"&startDate=2025-03-13T12:00:00.000Z&endDate=2025-03-14T12:00:00.000Z"+
		"&orderBy=received&orderDir=desc&offset=0&limit=100", query)
}

func TestPVOSearchDecodesDocumentedBody(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(pvoRoute(g, "pvo-quarantine-search.json", "pvo-quarantine-release.json", "pvo-quarantine-delete-not-found.json"))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	msgs, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{
		Start: utc("2025-03-13T00:00:00Z"), End: utc("2025-03-14T12:00:00Z"),
	})
	require.NoError(t, err)
	require.Len(t, msgs, 2)

	virus := msgs[0]
	require.EqualValues(t, 9104, virus.MID)
	require.Equal(t, []string{PVOVirus, PVOOutbreak}, virus.Quarantines)
	require.Equal(t, []string{"henry@example.com"}, virus.Recipients)
	require.Equal(t, "accounts@invoice-center.example", virus.Sender)
	require.Equal(t, "Invoice INV-20931 overdue", virus.Subject)
	require.Equal(t, utc("2025-03-14T04:00:00Z"), virus.Received)
	require.Equal(t, "192.0.2.10", virus.OriginatingESA)

	policy := msgs[1]
	require.EqualValues(t, 9102, policy.MID, "a MID sent as a string")
	require.Equal(t, []string{PVOPolicy}, policy.Quarantines)
	require.Equal(t, []string{"grace@example.com", "ivan@example.com"}, policy.Recipients, "one comma-separated string")
	require.Equal(t, "it-support@account-verify.example", policy.Sender, "a sender sent as a list")
	require.Empty(t, policy.Subject, "N/A is absent")
	require.Equal(t, utc("2025-03-13T15:00:00Z"), policy.Received, "GMT -05:00 converted to UTC")
	require.Empty(t, policy.OriginatingESA)
}

func TestPVOSearchPaging(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		first := `{"meta":{"totalCount":3},"data":[{"mid":1,"attributes":{}},{"mid":2,"attributes":{}}]}`
		if strings.Contains(r.URL.RawQuery, "offset=2&") {
			first = `{"meta":{"totalCount":3},"data":[{"mid":3,"attributes":{}}]}`
		}
		writeJSON(w, http.StatusOK, first)
	})
	p, _, _ := testPool(t, func(o *PoolOptions) { o.PageSize = 2 })
	c := testClient(t, p, g.config("relay"))

	msgs, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{
		Start: utc("2025-03-13T00:00:00Z"), End: utc("2025-03-14T00:00:00Z"),
	})
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.EqualValues(t, 3, msgs[2].MID)

	reqs := g.requestsTo("/quarantine/messages")
	require.Len(t, reqs, 2)
	require.True(t, strings.HasSuffix(reqs[0].RawQuery, "&offset=0&limit=2"))
	require.True(t, strings.HasSuffix(reqs[1].RawQuery, "&offset=2&limit=2"))
}

func TestPVOReleaseAndDeleteBodies(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(pvoRoute(g, "pvo-quarantine-search.json", "pvo-quarantine-release.json", "pvo-quarantine-delete-not-found.json"))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	ctx := context.Background()

	found, err := c.ReleasePVO(ctx, PVOVirus, 9104)
	require.NoError(t, err)
	require.True(t, found)
	found, err = c.DeletePVO(ctx, PVOFileAnalysis, 77)
	require.NoError(t, err)
	require.False(t, found, "totalCount 0")

	reqs := g.requestsTo("/quarantine/messages")
	require.Len(t, reqs, 2)
	require.Equal(t, http.MethodPost, reqs[0].Method)
	require.Equal(t, "/sma/api/v2.0/quarantine/messages", reqs[0].Path)
	require.Empty(t, reqs[0].RawQuery)
	require.JSONEq(t, `{"action":"release","mids":[9104],"quarantineName":"Virus","quarantineType":"pvo"}`, reqs[0].Body)
	require.Equal(t, http.MethodDelete, reqs[1].Method)
	require.Equal(t, "/sma/api/v2.0/quarantine/messages", reqs[1].Path)
	require.JSONEq(t, `{"mids":[77],"quarantineName":"File Analysis","quarantineType":"pvo"}`, reqs[1].Body)
}

func TestPVOInvalidInputSendsNothing(t *testing.T) {
	start, end := utc("2025-03-13T00:00:00Z"), utc("2025-03-14T00:00:00Z")
	tests := []struct {
		name string
		call func(c *Client) error
	}{
		{"search without dates", func(c *Client) error {
			_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{})
			return err
		}},
		{"search end before start", func(c *Client) error {
			_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{Start: end, End: start})
			return err
		}},
		{"search name with comma", func(c *Client) error {
			_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{Start: start, End: end, Quarantines: []string{"Virus,Policy"}})
			return err
		}},
		{"search empty name", func(c *Client) error {
			_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{Start: start, End: end, Quarantines: []string{" "}})
			return err
		}},
		{"release empty name", func(c *Client) error {
			_, err := c.ReleasePVO(context.Background(), "", 5)
			return err
		}},
		{"release control character", func(c *Client) error {
			_, err := c.ReleasePVO(context.Background(), "Virus\n", 5)
			return err
		}},
		{"release zero MID", func(c *Client) error {
			_, err := c.ReleasePVO(context.Background(), PVOVirus, 0)
			return err
		}},
		{"delete negative MID", func(c *Client) error {
			_, err := c.DeletePVO(context.Background(), PVOPolicy, -3)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(pvoRoute(g, "pvo-quarantine-search.json", "pvo-quarantine-release.json", "pvo-quarantine-delete-not-found.json"))
			p, _, _ := testPool(t, nil)
			c := testClient(t, p, g.config("relay"))

			err := tc.call(c)
			requireKind(t, err, KindInvalid)
			require.Empty(t, g.requests())
		})
	}
}

func TestPVOWritesNeverRetried(t *testing.T) {
	tests := []struct {
		name   string
		method string
		call   func(c *Client) error
		sent   int
	}{
		{"search retried once", http.MethodGet, func(c *Client) error {
			_, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{
				Start: utc("2025-03-13T00:00:00Z"), End: utc("2025-03-14T00:00:00Z"),
			})
			return err
		}, 2},
		{"release not retried", http.MethodPost, func(c *Client) error {
			_, err := c.ReleasePVO(context.Background(), PVOVirus, 9104)
			return err
		}, 1},
		{"delete not retried", http.MethodDelete, func(c *Client) error {
			_, err := c.DeletePVO(context.Background(), PVOVirus, 9104)
			return err
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
				if strings.HasSuffix(r.URL.Path, "/login") {
					g.login(w, body)
					return
				}
				writeJSON(w, http.StatusServiceUnavailable, `{"error":{"message":"Service Unavailable.","code":"503"}}`)
			})
			p, _, _ := testPool(t, nil)
			c := testClient(t, p, g.config("relay"))

			err := tc.call(c)
			requireKind(t, err, KindUnavailable)
			reqs := g.requestsTo("/quarantine/messages")
			require.Len(t, reqs, tc.sent)
			for _, r := range reqs {
				require.Equal(t, tc.method, r.Method)
			}
		})
	}
}

func TestPVOErrorsClassified(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   Kind
	}{
		{"forbidden", http.StatusForbidden, `{"error":{"message":"Forbidden.","code":"403"}}`, KindPermission},
		{"unknown 404 text", http.StatusNotFound, `{"error":{"message":"Invalid value for attribute - quarantineName.","code":"404"}}`, KindNotFound},
		{"rate limited", http.StatusTooManyRequests, `{"error":{"message":"Too many requests.","code":"429"}}`, KindRateLimited},
		{"internal", http.StatusInternalServerError, `{"error":{"message":"boom","code":"500"}}`, KindInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
				if strings.HasSuffix(r.URL.Path, "/login") {
					g.login(w, body)
					return
				}
				writeJSON(w, tc.status, tc.body)
			})
			p, _, _ := testPool(t, nil)
			c := testClient(t, p, g.config("relay"))

			_, err := c.ReleasePVO(context.Background(), PVOPolicy, 12)
			e := requireKind(t, err, tc.kind)
			require.Equal(t, tc.status, e.Status)
			require.NotContains(t, err.Error(), testPassword)
			require.Len(t, g.requestsTo("/quarantine/messages"), 1)
		})
	}
}

func TestPVOSearchDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	require.NoError(t, c.Login(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	_, err := c.SearchPVOQuarantine(ctx, PVOQuery{Start: utc("2025-03-13T00:00:00Z"), End: utc("2025-03-14T00:00:00Z")})
	e := requireKind(t, err, KindTimeout)
	require.Contains(t, fmt.Sprint(e), "timed out")
}

// pvoSimNow is the injected clock of the simulator tests.
var pvoSimNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// startPVOSim runs the simulator over HTTPS on loopback and returns a
// client for its SMA prefix.
func startPVOSim(t *testing.T) (*sim.Server, *Client) {
	t.Helper()
	s, err := sim.New(sim.Options{Messages: 300, Now: func() time.Time { return pvoSimNow }})
	require.NoError(t, err)
	base, err := s.StartTLS("")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	p := NewPool(PoolOptions{AllowedHosts: []string{"127.0.0.1"}, UserAgent: "esa-relay/test"})
	cfg := Config{BaseURL: base, API: SMA, User: "admin", Password: "ironport", CAPEM: string(s.CAPEM())}
	return s, testClient(t, p, cfg)
}

func TestSimPVOReleaseDeliversVirusStory(t *testing.T) {
	s, c := startPVOSim(t)
	story := s.Stories().VirusQuarantine
	ctx := context.Background()
	start, end := pvoSimNow.Add(-72*time.Hour), pvoSimNow

	msgs, err := c.SearchPVOQuarantine(ctx, PVOQuery{
		Start: start, End: end, Recipient: story.Recipients[0], Subject: story.Subject,
	})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	held := msgs[0]
	require.Equal(t, story.PVOMID, held.MID)
	require.NotContains(t, story.MIDs, held.MID, "the quarantine MID is not a tracking MID")
	require.Equal(t, []string{PVOVirus}, held.Quarantines)
	require.Equal(t, story.Sender, held.Sender)
	require.Equal(t, story.Recipients, held.Recipients)
	require.Equal(t, story.Time.Truncate(time.Minute), held.Received)
	require.NotEmpty(t, held.OriginatingESA)

	found, err := c.ReleasePVO(ctx, PVOVirus, held.MID)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "Delivered", s.Stories().VirusQuarantine.Status)

	found, err = c.DeletePVO(ctx, PVOVirus, held.MID)
	require.NoError(t, err)
	require.False(t, found, "the released message is gone")
}

func TestSimPVOUnknownMIDNotFound(t *testing.T) {
	_, c := startPVOSim(t)

	found, err := c.ReleasePVO(context.Background(), PVOPolicy, 987654)
	require.NoError(t, err)
	require.False(t, found)
	found, err = c.DeletePVO(context.Background(), PVOOutbreak, 987654)
	require.NoError(t, err)
	require.False(t, found)
}

func TestSimPVOSearchNamedQuarantine(t *testing.T) {
	s, c := startPVOSim(t)
	story := s.Stories().VirusQuarantine
	start, end := pvoSimNow.Add(-72*time.Hour), pvoSimNow

	msgs, err := c.SearchPVOQuarantine(context.Background(), PVOQuery{
		Start: start, End: end, Quarantines: []string{PVOPolicy, PVOFileAnalysis}, Sender: story.Sender,
	})
	require.NoError(t, err)
	require.Empty(t, msgs, "the Virus quarantine was not searched")
}
