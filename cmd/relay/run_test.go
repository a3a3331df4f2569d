package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// lockedBuffer collects log output written by the server goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningRelay is Run started in process on free loopback ports.
type runningRelay struct {
	Addr, MetricsAddr string
	Logs              *lockedBuffer
	cancel            context.CancelFunc
	done              chan struct{}
	err               error
}

// Stop cancels Run and returns its result; it may be called again.
func (r *runningRelay) Stop() error {
	r.cancel()
	<-r.done
	return r.err
}

func startRelay(t *testing.T) *runningRelay {
	t.Helper()
	cfg, err := LoadConfig(envOf(
		"RELAY_ADDR", "127.0.0.1:0",
		"RELAY_METRICS_ADDR", "127.0.0.1:0",
		"RELAY_JWT_SECRET", testSecret,
		"RELAY_GATEWAY_HOSTS", "127.0.0.1:6443",
		"RELAY_LOG_LEVEL", "debug",
	))
	require.NoError(t, err)
	addrs := make(chan [2]string, 1)
	cfg.OnListen = func(r, m net.Addr) { addrs <- [2]string{r.String(), m.String()} }

	ctx, cancel := context.WithCancel(context.Background())
	r := &runningRelay{Logs: &lockedBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = Run(ctx, cfg, newLogger(cfg, r.Logs))
		close(r.done)
	}()
	t.Cleanup(func() { _ = r.Stop() })

	select {
	case a := <-addrs:
		r.Addr, r.MetricsAddr = a[0], a[1]
	case <-r.done:
		t.Fatalf("Run stopped early: %v", r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start listening")
	}
	return r
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestRunServesAndStops(t *testing.T) {
	r := startRelay(t)
	relayAddr, metricsAddr := r.Addr, r.MetricsAddr

	resp, err := http.Post("http://"+relayAddr+"/version", "application/json", nil)
	require.NoError(t, err)
	var v map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	resp.Body.Close()
	readyCode, readyBody := get(t, "http://"+metricsAddr+"/readyz")
	metricsCode, metricsBody := get(t, "http://"+metricsAddr+"/metrics")
	err = r.Stop()

	require.Equal(t, version, v["version"])
	require.Equal(t, http.StatusOK, readyCode)
	require.Contains(t, readyBody, `"state_store":"in-process"`)
	require.Equal(t, http.StatusOK, metricsCode)
	require.Contains(t, metricsBody, `relay_requests_total{outcome="ok",route="/version"} 1`)
	require.NoError(t, err)
	require.Contains(t, r.Logs.String(), `"msg":"relay listening","component":"api","addr":"`+relayAddr)
	require.Contains(t, r.Logs.String(), `"msg":"relay stopped"`)
}

func TestHealthcheckCommand(t *testing.T) {
	relayAddr := startRelay(t).Addr
	var out, errOut bytes.Buffer
	env := environment{Stdout: &out, Stderr: &errOut, Getenv: envOf("RELAY_ADDR", relayAddr)}

	ok := run(t.Context(), []string{"healthcheck"}, env)
	closed := run(t.Context(), []string{"healthcheck", "-addr", "127.0.0.1:1", "-timeout", "2s"}, env)
	wildcard, err := watchdogURL(":9090")

	require.Equal(t, 0, ok, errOut.String())
	require.Equal(t, 1, closed)
	require.Contains(t, errOut.String(), "127.0.0.1:1/watchdog")
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9090/watchdog", wildcard)
}

func TestHealthcheckRejectsWrongEcho(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data":"something else"}`)
	}), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	err = checkWatchdog(t.Context(), ln.Addr().String())

	require.ErrorContains(t, err, "without echoing")
}

func TestTokenCommandMintsVerifiableToken(t *testing.T) {
	var out, errOut bytes.Buffer
	env := environment{Stdin: strings.NewReader(testSecret + "\n"), Stdout: &out, Stderr: &errOut, Getenv: envOf()}

	code := run(t.Context(), []string{"token", "--claim", "GATEWAY_URL=https://127.0.0.1:6443", "--claim", "GATEWAY_USER=api",
		"--claim", "GATEWAY_PASSWORD=pa=ss", "--claim", "CTR_ENTITIES_LIMIT=50", "--ttl", "2h"}, env)

	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, errOut.String(), "carries the gateway password")
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(strings.TrimSpace(out.String()), claims, func(*jwt.Token) (any, error) { return []byte(testSecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	require.NoError(t, err)
	require.Equal(t, "pa=ss", claims["GATEWAY_PASSWORD"])
	exp, err := claims.GetExpirationTime()
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(2*time.Hour), exp.Time, time.Minute)
}

func TestTokenCommandRejections(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   func(string) string
		stdin string
		want  string
	}{
		{"short secret", []string{"--claim", "GATEWAY_USER=a"}, envOf("RELAY_JWT_SECRET", "short"), "", "at least 32 bytes"},
		{"no secret", []string{"--claim", "GATEWAY_USER=a"}, envOf(), "", "has 0 bytes"},
		{"no claims", nil, envOf("RELAY_JWT_SECRET", testSecret), "", "no claims"},
		{"bad claim", []string{"--claim", "novalue"}, envOf("RELAY_JWT_SECRET", testSecret), "", "expected KEY=VALUE"},
		{"exp claim", []string{"--claim", "exp=1"}, envOf("RELAY_JWT_SECRET", testSecret), "", "set by --ttl"},
		{"negative ttl", []string{"--claim", "GATEWAY_USER=a", "--ttl", "-1h"}, envOf("RELAY_JWT_SECRET", testSecret), "", "positive duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := environment{Stdin: strings.NewReader(tc.stdin), Stdout: &out, Stderr: &errOut, Getenv: tc.env}

			code := run(t.Context(), append([]string{"token"}, tc.args...), env)

			require.NotEqual(t, 0, code)
			require.Contains(t, errOut.String(), tc.want)
			require.Empty(t, out.String())
		})
	}
}

func TestServeRejectsInvalidConfig(t *testing.T) {
	var out, errOut bytes.Buffer

	code := run(t.Context(), nil, environment{Stdout: &out, Stderr: &errOut, Getenv: envOf("RELAY_LOG_FORMAT", "xml")})

	require.Equal(t, 2, code)
	require.Contains(t, errOut.String(), "RELAY_LOG_FORMAT")
	require.Contains(t, errOut.String(), "no token can be accepted")
}
