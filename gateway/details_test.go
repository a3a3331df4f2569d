package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// detailFiles maps each detail endpoint to the fixture it returns.
var detailFiles = map[string]string{
	"/message-tracking/details":     "esa-tracking-details-multi-mid-quarantined.json",
	"/message-tracking/amp-details": "sma-tracking-amp-details.json",
	"/message-tracking/url-details": "esa-tracking-url-details.json",
}

// detailRoute serves the detail fixtures, except that the endpoint named
// by failing returns status and body.
func detailRoute(g *fakeGateway, failing string, status int, body string) func(w http.ResponseWriter, r *http.Request, b []byte) {
	standard := g.standardRoute(detailFiles)
	return func(w http.ResponseWriter, r *http.Request, b []byte) {
		if strings.HasSuffix(r.URL.Path, "/message-tracking/"+failing) && g.authorized(w, r) {
			writeJSON(w, status, body)
			return
		}
		standard(w, r, b)
	}
}

func TestDetailsSubCallFailures(t *testing.T) {
	tests := []struct {
		name     string
		failing  string
		status   int
		body     string
		wantErr  bool
		wantKind Kind
		wantURLs int
		wantAMP  bool
	}{
		{"amp-details 503 fails", "amp-details", http.StatusServiceUnavailable,
			`{"error":{"message":"Service Unavailable.","code":"503"}}`, true, KindUnavailable, 0, false},
		{"url-details 400 fails", "url-details", http.StatusBadRequest,
			`{"error":{"message":"Bad request.","code":"400"}}`, true, KindInvalid, 0, false},
		{"amp-details not found ignored", "amp-details", http.StatusNotFound,
			string(fixtureBytes("tracking-details-not-found-404.json")), false, 0, 3, false},
		{"url-details N/A ignored", "url-details", http.StatusOK,
			string(fixtureBytes("tracking-details-not-found-na.json")), false, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGateway(t, nil)
			g.setRoute(detailRoute(g, tc.failing, tc.status, tc.body))
			p, _, _ := testPool(t, nil)

			d, err := testClient(t, p, g.config("relay")).Details(context.Background(), "TESTAAA", []int64{765})
			for _, suffix := range []string{"/details", "/amp-details", "/url-details"} {
				require.NotEmpty(t, g.requestsTo("/message-tracking"+suffix), suffix)
			}
			if tc.wantErr {
				requireKind(t, err, tc.wantKind)
				require.Nil(t, d)
				return
			}
			require.NoError(t, err)
			require.Len(t, d.URLs, tc.wantURLs)
			hasSHA := false
			for _, a := range d.Attachments {
				hasSHA = hasSHA || a.SHA256 != ""
			}
			require.Equal(t, tc.wantAMP, hasSHA)
		})
	}
}

func TestDetailsMainNotFoundWins(t *testing.T) {
	g := newFakeGateway(t, nil)
	notFound := string(fixtureBytes("tracking-details-not-found-404.json"))
	g.setRoute(func(w http.ResponseWriter, r *http.Request, b []byte) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/login"):
			g.login(w, b)
		case strings.HasSuffix(r.URL.Path, "/message-tracking/details"):
			writeJSON(w, http.StatusNotFound, notFound)
		default:
			writeJSON(w, http.StatusServiceUnavailable, `{"error":{"message":"Service Unavailable.","code":"503"}}`)
		}
	})
	p, _, _ := testPool(t, func(o *PoolOptions) { o.BreakerFailures = 100 })

	_, err := testClient(t, p, g.config("relay")).Details(context.Background(), "S", []int64{5})
	requireKind(t, err, KindNotFound)
}

func TestDetailsShowFlagsChooseAnswers(t *testing.T) {
	g := newFakeGateway(t, nil)
	main := strings.Replace(string(fixtureBytes(detailFiles["/message-tracking/details"])),
		`"showAMP": true`, `"showAMP": false`, 1)
	require.Contains(t, main, `"showAMP": false`)
	standard := g.standardRoute(detailFiles)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, b []byte) {
		if strings.HasSuffix(r.URL.Path, "/message-tracking/details") && g.authorized(w, r) {
			writeJSON(w, http.StatusOK, main)
			return
		}
		standard(w, r, b)
	})
	p, _, _ := testPool(t, nil)

	d, err := testClient(t, p, g.config("relay")).Details(context.Background(), "TESTAAA", []int64{765})
	require.NoError(t, err)
	require.Len(t, g.requestsTo("/message-tracking/amp-details"), 1)
	for _, a := range d.Attachments {
		require.Empty(t, a.SHA256, "attachment %s", a.Name)
	}
	require.Len(t, d.URLs, 3)
}

// TestDetailsSubCallsInParallel holds every detail response until all
// three requests arrived, so a sequential client would fail.
func TestDetailsSubCallsInParallel(t *testing.T) {
	g := newFakeGateway(t, nil)
	standard := g.standardRoute(detailFiles)
	var arrived atomic.Int32
	all := make(chan struct{})
	g.setRoute(func(w http.ResponseWriter, r *http.Request, b []byte) {
		if strings.Contains(r.URL.Path, "/message-tracking/") {
			if arrived.Add(1) == 3 {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(3 * time.Second):
				writeJSON(w, http.StatusServiceUnavailable, `{"error":{"message":"Service Unavailable.","code":"503"}}`)
				return
			}
		}
		standard(w, r, b)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	require.NoError(t, c.Login(context.Background()))

	_, err := c.Details(context.Background(), "TESTAAA", []int64{765})
	require.NoError(t, err)
}
