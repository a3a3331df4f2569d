package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fixedNow is the injected clock of the tests.
var fixedNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

type testSim struct {
	*Server
	base   string
	client *http.Client
}

func startSim(t *testing.T, o Options) *testSim {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	if o.Messages == 0 {
		o.Messages = 600
	}
	s, err := New(o)
	require.NoError(t, err)
	base, err := s.Start("")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return &testSim{Server: s, base: base, client: &http.Client{Timeout: 10 * time.Second}}
}

// do sends a request with admin Basic credentials unless header sets
// others, and decodes the JSON body.
func (ts *testSim) do(t *testing.T, method, pathQuery string, body any, header http.Header) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.base+pathQuery, rd)
	require.NoError(t, err)
	if header == nil {
		req.SetBasicAuth("admin", "ironport")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]any{}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return resp.StatusCode, out
}

func (ts *testSim) get(t *testing.T, pathQuery string) (int, map[string]any) {
	t.Helper()
	return ts.do(t, http.MethodGet, pathQuery, nil, nil)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// window is a tracking date range covering the whole test dataset.
const window = "startDate=2025-01-01T00:00:00.000Z&endDate=2025-03-15T00:00:00.000Z"

func errorOf(body map[string]any) map[string]any {
	e, _ := body["error"].(map[string]any)
	return e
}

func items(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	data, ok := body["data"].([]any)
	require.True(t, ok, "data is not a list: %v", body)
	out := make([]map[string]any, len(data))
	for i, d := range data {
		out[i] = d.(map[string]any)["attributes"].(map[string]any)
	}
	return out
}

func meta(body map[string]any) (good, bad float64) {
	m := body["meta"].(map[string]any)
	return m["totalCount"].(float64), m["num_bad_records"].(float64)
}

// manualClock is an injectable clock tests move by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
