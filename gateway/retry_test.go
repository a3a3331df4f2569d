package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

const internalErrorBody = `{"error":{"message":"Internal Server Error.","code":"500"}}`

// failingFirst returns a route that fails the first n requests whose path
// ends with suffix with a 500 and serves everything else like an
// appliance.
func failingFirst(g *fakeGateway, suffix string, n int64) func(w http.ResponseWriter, r *http.Request, body []byte) {
	standard := g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"})
	var seen atomic.Int64
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, suffix) && seen.Add(1) <= n {
			writeJSON(w, http.StatusInternalServerError, internalErrorBody)
			return
		}
		standard(w, r, body)
	}
}

func TestReadRetriedOnceAfter500(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(failingFirst(g, "/login/privileges", 1))
	p, _, ev := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	privs, err := c.Privileges(context.Background())
	require.NoError(t, err)
	require.Contains(t, privs, "e_message_tracking_messages")
	require.Len(t, g.requestsTo("/login/privileges"), 2)
	require.Equal(t, []string{"login=ok", "login/privileges=internal", "login/privileges=ok"}, ev.calls)
}

func TestReadFailsAfterTwo500s(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(failingFirst(g, "/login/privileges", 100))
	p, _, ev := testPool(t, func(o *PoolOptions) { o.BreakerFailures = 2 })
	c := testClient(t, p, g.config("relay"))

	_, err := c.Privileges(context.Background())
	ge := requireKind(t, err, KindInternal)
	require.Equal(t, http.StatusInternalServerError, ge.Status)
	require.Len(t, g.requestsTo("/login/privileges"), 2)
	require.Equal(t, "open", <-ev.changed, "each try counts as a breaker failure")
}

func TestUnexpectedStatusNotRetried(t *testing.T) {
	g := newFakeGateway(t, nil)
	standard := g.standardRoute(nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login/privileges") {
			writeJSON(w, http.StatusNotImplemented, `{}`)
			return
		}
		standard(w, r, body)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	_, err := c.Privileges(context.Background())
	requireKind(t, err, KindInternal)
	require.Len(t, g.requestsTo("/login/privileges"), 1)
}

func TestLoginRetriedOnceAfter500(t *testing.T) {
	cases := []struct {
		name string
		call func(c *Client) error
	}{
		{"explicit login", func(c *Client) error { return c.Login(context.Background()) }},
		{"login before a read", func(c *Client) error {
			_, err := c.Privileges(context.Background())
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(failingFirst(g, "/login", 1))
			p, _, _ := testPool(t, nil)
			c := testClient(t, p, g.config("relay"))

			require.NoError(t, tc.call(c))
			require.Len(t, g.requestsTo("/login"), 2)
			require.EqualValues(t, 1, g.logins.Load())
		})
	}
}

func TestWritesNotRetriedAfter500(t *testing.T) {
	batch := RemediationBatch{Name: "r", Action: ActionDelete,
		Messages: []RemediationMessage{{MessageID: "<m@x>", Recipients: []string{"a@example.com"}, Serial: "S"}}}
	cases := []struct {
		name   string
		suffix string
		call   func(c *Client) error
	}{
		{"remediation submit", "/remediation", func(c *Client) error {
			_, err := c.SubmitRemediation(context.Background(), batch)
			return err
		}},
		{"dictionary add", "/words", func(c *Client) error {
			r, err := c.dictionaryRequest("block", http.MethodPost, "/words", map[string]any{})
			require.NoError(t, err)
			return c.do(context.Background(), r, nil)
		}},
		{"dictionary remove", "/words", func(c *Client) error {
			r, err := c.dictionaryRequest("block", http.MethodDelete, "/words", map[string]any{})
			require.NoError(t, err)
			return c.do(context.Background(), r, nil)
		}},
		{"spam quarantine release", "/quarantine/messages", func(c *Client) error {
			_, err := c.ReleaseSpam(context.Background(), 42)
			return err
		}},
		{"policy quarantine delete", "/quarantine/messages", func(c *Client) error {
			_, err := c.DeletePVO(context.Background(), PVOVirus, 42)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(failingFirst(g, tc.suffix, 100))
			p, _, _ := testPool(t, nil)
			c := testClient(t, p, g.config("relay"))

			requireKind(t, tc.call(c), KindInternal)
			require.Len(t, g.requestsTo(tc.suffix), 1)
		})
	}
}

func TestWriteRepeatedAfterLogin500(t *testing.T) {
	g := newFakeGateway(t, nil)
	standard := failingFirst(g, "/login", 1)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/remediation") && g.authorized(w, r) {
			writeJSON(w, http.StatusOK, `{"data":{"batch_id":"b-1"}}`)
			return
		}
		standard(w, r, body)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	receipt, err := c.SubmitRemediation(context.Background(), RemediationBatch{Name: "r", Action: ActionDelete,
		Messages: []RemediationMessage{{MessageID: "<m@x>", Recipients: []string{"a@example.com"}, Serial: "S"}}})
	require.NoError(t, err)
	require.NotNil(t, receipt)
	require.Len(t, g.requestsTo("/login"), 2)
	require.Len(t, g.requestsTo("/remediation"), 1)
}
