package sim

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInjectedErrorStatus(t *testing.T) {
	for _, status := range []int{429, 500, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ts := startSim(t, Options{})
			ts.SetFault(Fault{ErrorRate: 1, ErrorStatus: status})
			got, body := ts.get(t, "/esa/api/v2.0/login/privileges")
			require.Equal(t, status, got)
			require.Equal(t, midKey(int64(status)), errorOf(body)["code"])
			require.Equal(t, 1, ts.CountStatus("login/privileges", status))

			ts.SetFault(Fault{})
			got, _ = ts.get(t, "/esa/api/v2.0/login/privileges")
			require.Equal(t, http.StatusOK, got)
		})
	}
}

func TestInjectedErrorRateIsPartial(t *testing.T) {
	ts := startSim(t, Options{})
	ts.SetFault(Fault{ErrorRate: 0.5})
	for range 40 {
		ts.get(t, "/esa/api/v2.0/health")
	}
	failed := ts.CountStatus("health", 503)
	require.Greater(t, failed, 5)
	require.Less(t, failed, 35)
}

func TestDroppedConnectionsAndOutage(t *testing.T) {
	cases := []struct {
		name  string
		fault Fault
	}{
		{"drop", Fault{DropConnections: true}},
		{"outage", Fault{Outage: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSim(t, Options{})
			ts.SetFault(tc.fault)
			req, err := http.NewRequest(http.MethodGet, ts.base+"/esa/api/v2.0/health", nil)
			require.NoError(t, err)
			resp, err := ts.client.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
		})
	}
}

func TestSlowEndpointHitsClientDeadline(t *testing.T) {
	ts := startSim(t, Options{})
	ts.SetFault(Fault{SlowEndpoint: "message-tracking/messages", SlowDelay: time.Minute})
	client := &http.Client{Timeout: 200 * time.Millisecond}

	req, _ := http.NewRequest(http.MethodGet, ts.base+"/esa/api/v2.0/health", nil)
	req.SetBasicAuth("admin", "ironport")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	req, _ = http.NewRequest(http.MethodGet, ts.base+"/esa/api/v2.0/message-tracking/messages?"+window, nil)
	req.SetBasicAuth("admin", "ironport")
	resp, err = client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the slow endpoint must outlast the client deadline")
}

func TestRequestLogKeepsRawQuery(t *testing.T) {
	ts := startSim(t, Options{})
	raw := window + "&subjectfilterOperator=is&subjectfilterValue=a+b%20c&mid=1&mid=2"
	ts.get(t, "/sma/api/v2.0/message-tracking/messages?"+raw)
	ts.do(t, http.MethodPost, "/sma/api/v2.0/login", map[string]any{"data": map[string]any{}}, http.Header{})

	reqs := ts.Requests()
	require.Len(t, reqs, 2)
	require.Equal(t, raw, reqs[0].RawQuery)
	require.Equal(t, "message-tracking/messages", reqs[0].Endpoint)
	require.Equal(t, http.StatusOK, reqs[0].Status)
	require.Equal(t, `{"data":{}}`, string(reqs[1].Body))
	require.Equal(t, 1, ts.Count("login"))
	require.Equal(t, 1, ts.CountStatus("login", 404))

	ts.ResetRequests()
	require.Empty(t, ts.Requests())
	require.Zero(t, ts.Count("login"))
}

func TestStartTLSWithGeneratedCA(t *testing.T) {
	s, err := New(Options{Messages: 10})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	base, err := s.StartTLS("")
	require.NoError(t, err)

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.CAPEM()))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodGet, base+"/esa/api/v2.0/health", nil)
	req.SetBasicAuth("admin", "ironport")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	plain := &http.Client{Timeout: 5 * time.Second}
	_, err = plain.Get(base + "/esa/api/v2.0/health")
	require.Error(t, err, "the certificate must not verify against the system roots")
}

func TestStoriesStableAcrossSeeds(t *testing.T) {
	a, err := New(Options{Seed: 1, Messages: 200, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	b, err := New(Options{Seed: 99, Messages: 350, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	sa, sb := a.Stories(), b.Stories()
	for _, pair := range [][2]Story{{sa.Phishing, sb.Phishing}, {sa.Malware, sb.Malware}, {sa.Newsletter, sb.Newsletter}, {sa.Spam, sb.Spam}, {sa.RejectedIP, sb.RejectedIP}} {
		x, y := pair[0], pair[1]
		x.MIDs, y.MIDs, x.QuarantineMID, y.QuarantineMID = nil, nil, 0, 0
		require.Equal(t, x, y)
		require.WithinDuration(t, fixedNow.Add(-24*time.Hour), x.Time, 24*time.Hour, "%s within 2 days of Now", x.Name)
	}
	require.Len(t, sa.Phishing.Recipients, 3)
	require.Equal(t, malwareSHA256, sb.Malware.SHA256)
	require.Len(t, sb.Campaign, 4)
}

func TestDataFileRoundTrip(t *testing.T) {
	a, err := New(Options{Messages: 100, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "data.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, a.WriteData(f))
	require.NoError(t, f.Close())

	b, err := New(Options{DataFile: path})
	require.NoError(t, err)
	require.Equal(t, a.Stories(), b.Stories())

	require.NoError(t, os.WriteFile(path, []byte(`{"appliances":[]}`), 0o600))
	_, err = New(Options{DataFile: path})
	require.ErrorContains(t, err, "no appliances")
}
