package api

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

const (
	testSecret   = "0123456789abcdef0123456789abcdef-test-secret"
	testPassword = "s3cret-Gateway-Passw0rd"
	testAudience = "https://relay.test"
)

// testNow is the fixed clock of every test server.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// call is one call a fake service received.
type call struct {
	Method string
	Module *relay.Module
	Obs    []observables.Observable
	Req    relay.TriggerRequest
}

// fakeServices implements Enricher, Responder and HealthChecker and records
// each call. Data and Errs are what every method returns.
type fakeServices struct {
	mu     sync.Mutex
	calls  []call
	Data   any
	Errs   []*relay.Error
	Result relay.TriggerResult
}

func (f *fakeServices) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeServices) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeServices) answer(method string, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	f.record(call{Method: method, Module: m, Obs: obs})
	return f.Data, f.Errs
}

func (f *fakeServices) Observe(_ context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	return f.answer("observe", m, obs)
}

func (f *fakeServices) Deliberate(_ context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	return f.answer("deliberate", m, obs)
}

func (f *fakeServices) Refer(_ context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	return f.answer("refer", m, obs)
}

func (f *fakeServices) Actions(_ context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	return f.answer("actions", m, obs)
}

func (f *fakeServices) Trigger(_ context.Context, m *relay.Module, req relay.TriggerRequest) relay.TriggerResult {
	f.record(call{Method: "trigger", Module: m, Req: req})
	return f.Result
}

func (f *fakeServices) Health(_ context.Context, m *relay.Module) []*relay.Error {
	f.record(call{Method: "health", Module: m})
	return f.Errs
}

// dialRecorder records every dial and rejects those to addresses that are
// not in allowed.
type dialRecorder struct {
	mu      sync.Mutex
	dials   []string
	allowed map[string]bool
}

func (d *dialRecorder) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, addr)
	ok := d.allowed[addr]
	d.mu.Unlock()
	if !ok {
		return nil, errors.New("test dialer: dial refused")
	}
	return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, network, addr)
}

func (d *dialRecorder) Dials() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

// testEnv is a relay server over real HTTP with fakes behind it.
type testEnv struct {
	URL      string
	Services *fakeServices
	Dialer   *dialRecorder
	Logs     *syncBuffer
	Server   *Server
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testOptions accepts HS256 tokens and allow-lists a loopback gateway.
func testOptions() Options {
	return Options{
		Token: TokenOptions{
			Secret:         []byte(testSecret),
			GatewayHosts:   []string{"127.0.0.1:6443", "localhost"},
			ForwardDomains: []string{"example.com"},
		},
		MaxObservables: 5,
		MaxBody:        4096,
		Version:        "1.2.3",
		Now:            func() time.Time { return testNow },
	}
}

func startEnv(t *testing.T, o Options) *testEnv {
	t.Helper()
	env := &testEnv{Services: &fakeServices{}, Dialer: &dialRecorder{allowed: map[string]bool{}}, Logs: &syncBuffer{}}
	o.Enricher, o.Responder, o.HealthChecker = env.Services, env.Services, env.Services
	if o.JWKS.DialContext == nil {
		o.JWKS.DialContext = env.Dialer.DialContext
	}
	o.Logger = slog.New(slog.NewJSONHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(o)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	env.URL, env.Server = ts.URL, srv
	return env
}

// validClaims configures one allow-listed loopback gateway.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		ClaimGatewayURL:      "https://127.0.0.1:6443",
		ClaimGatewayUser:     "api-user",
		ClaimGatewayPassword: testPassword,
		"exp":                testNow.Add(time.Hour).Unix(),
	}
}

func hs256(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	require.NoError(t, err)
	return s
}

func rs256(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// response is a decoded relay envelope.
type response struct {
	Status  int
	Header  http.Header
	Raw     string
	Data    json.RawMessage `json:"data"`
	Errors  []relay.Error   `json:"errors"`
	Version string          `json:"version"`
}

// do sends a request with an optional bearer token and decodes the reply.
func (e *testEnv) do(t *testing.T, method, path, token, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}

func (e *testEnv) post(t *testing.T, path, token, body string) response {
	t.Helper()
	return e.do(t, http.MethodPost, path, token, body)
}

// requireError checks a single fatal error with the code and HTTP 200.
func requireError(t *testing.T, r response, code string) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, r.Raw)
	require.Len(t, r.Errors, 1, r.Raw)
	require.Equal(t, relay.Fatal, r.Errors[0].Type, r.Raw)
	require.Equal(t, code, r.Errors[0].Code, r.Raw)
	require.Empty(t, r.Data, r.Raw)
}
