package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testPassword = "s3cret-Pa55word!"

// recorded is one raw request as the test server received it.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     string
}

// fakeGateway is a TLS test server that records every request and answers
// through a replaceable handler. By default it issues a JWT per login and
// accepts only the tokens it issued.
type fakeGateway struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	route  func(w http.ResponseWriter, r *http.Request, body []byte)
	logins atomic.Int64
	tokens sync.Map // token → true while valid
}

func newFakeGateway(t *testing.T, route func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeGateway {
	t.Helper()
	g := &fakeGateway{t: t, route: route}
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(g.serve))
	g.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	g.srv.StartTLS()
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.reqs = append(g.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
	route := g.route
	g.mu.Unlock()
	route(w, r, body)
}

func (g *fakeGateway) setRoute(route func(w http.ResponseWriter, r *http.Request, body []byte)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.route = route
}

func (g *fakeGateway) requests() []recorded {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]recorded(nil), g.reqs...)
}

// requestsTo returns the recorded requests whose path ends with suffix.
func (g *fakeGateway) requestsTo(suffix string) []recorded {
	var out []recorded
	for _, r := range g.requests() {
		if strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

func (g *fakeGateway) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw}))
}

func (g *fakeGateway) config(user string) Config {
	return Config{BaseURL: g.srv.URL, API: SMA, User: user, Password: testPassword, CAPEM: g.caPEM()}
}

// login answers POST .../login like an appliance: base64 fields, a new
// token per login.
func (g *fakeGateway) login(w http.ResponseWriter, body []byte) {
	var b loginBody
	if json.Unmarshal(body, &b) != nil {
		writeJSON(w, http.StatusBadRequest, `{"error":{"message":"Bad request.","code":"400"}}`)
		return
	}
	pass, _ := base64.StdEncoding.DecodeString(b.Data.Passphrase)
	user, _ := base64.StdEncoding.DecodeString(b.Data.UserName)
	if string(pass) != testPassword {
		writeJSON(w, http.StatusUnauthorized, string(fixtureBytes("esa-login-invalid-credentials-401.json")))
		return
	}
	n := g.logins.Add(1)
	token := fmt.Sprintf("tok-%s-%d", user, n)
	g.tokens.Store(token, true)
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"data":{"userName":%q,"jwtToken":%q}}`, user, token))
}

// authorized reports whether r carries a valid token, answering 401 if not.
func (g *fakeGateway) authorized(w http.ResponseWriter, r *http.Request) bool {
	if _, ok := g.tokens.Load(r.Header.Get("jwtToken")); ok {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, `{"error":{"message":"ExpiredSignatureError.","code":"401"}}`)
	return false
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func fixtureBytes(name string) []byte {
	b, err := readTestdata(name)
	if err != nil {
		panic(err)
	}
	return b
}

// standardRoute serves login and answers every other path from files.
func (g *fakeGateway) standardRoute(files map[string]string) func(w http.ResponseWriter, r *http.Request, body []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		if !g.authorized(w, r) {
			return
		}
		for suffix, file := range files {
			if strings.HasSuffix(r.URL.Path, suffix) {
				writeJSON(w, http.StatusOK, string(fixtureBytes(file)))
				return
			}
		}
		writeJSON(w, http.StatusNotFound, `{"error":{"message":"Not Found.","code":"404"}}`)
	}
}

// events records observer calls.
type events struct {
	mu       sync.Mutex
	calls    []string
	hosts    []string
	breakers []string
	changed  chan string
}

func newEvents() *events { return &events{changed: make(chan string, 64)} }

func (e *events) ObserveCall(host, op, result string, _ time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, op+"="+result)
	e.hosts = append(e.hosts, host)
}

func (e *events) ObserveBreaker(host, state string) {
	e.mu.Lock()
	e.breakers = append(e.breakers, state)
	e.mu.Unlock()
	e.changed <- state
}

// lockedBuffer collects log output from concurrent goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testPool returns a pool that may reach 127.0.0.1 and logs at debug level
// into the returned buffer.
func testPool(t *testing.T, edit func(o *PoolOptions)) (*Pool, *lockedBuffer, *events) {
	t.Helper()
	logs := &lockedBuffer{}
	ev := newEvents()
	o := PoolOptions{
		AllowedHosts: []string{"127.0.0.1"},
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observer:     ev,
		UserAgent:    "esa-relay/test",
		Timeout:      5 * time.Second,
	}
	if edit != nil {
		edit(&o)
	}
	return NewPool(o), logs, ev
}

func testClient(t *testing.T, p *Pool, cfg Config) *Client {
	t.Helper()
	c, err := p.Client(cfg)
	require.NoError(t, err)
	return c
}

func readTestdata(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}
