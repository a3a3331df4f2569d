package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/store/storetest"
)

// resGuard bounds every wait of these tests. It only keeps a broken relay
// from hanging the run; the tests assert events and counters.
const resGuard = 30 * time.Second

// resEnv is the relay started through Run in process, in front of a
// simulated gateway over HTTPS, with every gateway dial counted.
type resEnv struct {
	sim     *sim.Server
	simURL  string
	ca      string
	stories sim.Stories
	relay   *runningRelay
	dials   atomic.Int64
	client  *http.Client
}

// resStart starts the simulator and the relay. settings are environment
// pairs on top of loopback addresses, the HS256 secret and the simulator
// host in the gateway allow-list.
func resStart(t *testing.T, settings ...string) *resEnv {
	t.Helper()
	s, err := sim.New(sim.Options{Messages: 200})
	require.NoError(t, err)
	base, err := s.StartTLS("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	e := &resEnv{sim: s, simURL: base, ca: string(s.CAPEM()), stories: s.Stories(),
		client: &http.Client{Timeout: resGuard}}
	t.Cleanup(e.client.CloseIdleConnections)
	e.relay = resRun(t, e.dial, settings...)
	return e
}

// dial counts gateway connections before opening them, so a test can tell
// whether the relay tried to reach the gateway at all.
func (e *resEnv) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	e.dials.Add(1)
	return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
}

// resRun runs the relay until the test ends.
func resRun(t *testing.T, dial func(context.Context, string, string) (net.Conn, error), settings ...string) *runningRelay {
	t.Helper()
	pairs := append([]string{
		"RELAY_ADDR", "127.0.0.1:0",
		"RELAY_METRICS_ADDR", "127.0.0.1:0",
		"RELAY_JWT_SECRET", testSecret,
		"RELAY_GATEWAY_HOSTS", "127.0.0.1",
		"RELAY_LOG_LEVEL", "debug",
	}, settings...)
	cfg, err := LoadConfig(envOf(pairs...))
	require.NoError(t, err)
	addrs := make(chan [2]string, 1)
	cfg.OnListen = func(r, m net.Addr) { addrs <- [2]string{r.String(), m.String()} }
	cfg.GatewayDial = dial

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
	case <-time.After(resGuard):
		t.Fatal("Run did not start listening")
	}
	return r
}

// token is an HS256 configuration token for the simulator's admin account.
func (e *resEnv) token(t *testing.T) string {
	t.Helper()
	claims := jwt.MapClaims{
		"GATEWAY_URL":      e.simURL,
		"GATEWAY_USER":     "admin",
		"GATEWAY_PASSWORD": "ironport",
		"GATEWAY_CA_PEM":   e.ca,
		"exp":              time.Now().Add(time.Hour).Unix(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	require.NoError(t, err)
	return s
}

// resResponse is a decoded relay envelope with its HTTP status.
type resResponse struct {
	Status int
	Raw    string
	Data   json.RawMessage `json:"data"`
	Errors []relay.Error   `json:"errors"`
}

// fatal returns the first fatal error, or nil.
func (a resResponse) fatal() *relay.Error {
	for i := range a.Errors {
		if a.Errors[i].Type == relay.Fatal {
			return &a.Errors[i]
		}
	}
	return nil
}

// resPost sends one relay request and decodes the response.
func resPost(client *http.Client, addr, path, token string, body io.Reader) (resResponse, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, body)
	if err != nil {
		return resResponse{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return resResponse{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resResponse{}, err
	}
	a := resResponse{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("decoding %q: %w", raw, err)
	}
	return a, nil
}

// deliberate requests the verdict of one IP address.
func (e *resEnv) deliberate(t *testing.T, token, ip string) resResponse {
	t.Helper()
	a, err := resPost(e.client, e.relay.Addr, "/deliberate/observables", token, resIPList(ip))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, a.Status, a.Raw)
	return a
}

func resIPList(ips ...string) io.Reader {
	list := make([]map[string]string, len(ips))
	for i, ip := range ips {
		list[i] = map[string]string{"type": "ip", "value": ip}
	}
	b, _ := json.Marshal(list)
	return bytes.NewReader(b)
}

// resIP is a distinct address of the benchmarking range 198.18.0.0/15 per
// n, so each request misses the verdict cache.
func resIP(n int) string {
	return fmt.Sprintf("198.18.%d.%d", n/250, n%250+1)
}

// gatewayContacts counts the connections the relay opened to the gateway
// and the requests the gateway received.
func (e *resEnv) gatewayContacts() int {
	return int(e.dials.Load()) + len(e.sim.Requests())
}

// metric returns the value of the first /metrics sample matching pattern,
// or -1 when there is none.
func (e *resEnv) metric(t *testing.T, pattern string) float64 {
	t.Helper()
	resp, err := e.client.Get("http://" + e.relay.MetricsAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + pattern + ` ([0-9.e+-]+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	var v float64
	_, err = fmt.Sscan(string(m[1]), &v)
	require.NoError(t, err)
	return v
}

func (e *resEnv) breakerState(t *testing.T, state string) float64 {
	t.Helper()
	return e.metric(t, `relay_gateway_breakers\{host="[^"]*",state="`+state+`"\}`)
}

// resEventually polls cond until it holds or the guard passes.
func resEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(resGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resSettleGoroutines waits until the goroutine count is back within slack
// of before, which allows for idle connections that come and go.
func resSettleGoroutines(t *testing.T, before, slack int) {
	t.Helper()
	deadline := time.Now().Add(resGuard)
	for {
		n := runtime.NumGoroutine()
		if n <= before+slack {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines remain, %d before; stacks:\n%s", n, before, buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resStream sends n deliberate requests from workers goroutines, each for
// a fresh address from first on, and returns the responses in order.
func (e *resEnv) resStream(t *testing.T, token string, first, n, workers int) []resResponse {
	t.Helper()
	out := make([]resResponse, n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				out[i], errs[i] = resPost(e.client, e.relay.Addr, "/deliberate/observables", token, resIPList(resIP(first+i)))
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "request %d", i)
		require.Equal(t, http.StatusOK, out[i].Status, out[i].Raw)
	}
	return out
}

func TestResilienceGatewayOutageOpensBreaker(t *testing.T) {
	e := resStart(t, "RELAY_BREAKER_FAILURES", "3", "RELAY_BREAKER_OPEN_FOR", "2s")
	tok := e.token(t)
	for _, a := range e.resStream(t, tok, 0, 8, 4) {
		require.Nil(t, a.fatal(), a.Raw)
	}
	before := runtime.NumGoroutine()

	e.sim.SetFault(sim.Fault{Outage: true})
	opened := -1
	for i := range 20 {
		a := e.deliberate(t, tok, resIP(100+i))
		require.NotNil(t, a.fatal(), a.Raw)
		if a.fatal().Code == relay.CodeServiceUnavailable && strings.Contains(a.fatal().Message, "paused until") {
			opened = i
			break
		}
	}
	require.GreaterOrEqual(t, opened, 0, "the breaker did not open during the outage")
	require.Equal(t, 1.0, e.breakerState(t, "open"))

	contacts := e.gatewayContacts()
	for _, a := range e.resStream(t, tok, 200, 30, 6) {
		require.NotNil(t, a.fatal(), a.Raw)
		require.Equal(t, relay.CodeServiceUnavailable, a.fatal().Code, a.Raw)
		require.Contains(t, a.fatal().Message, "paused until", a.Raw)
	}
	require.Equal(t, contacts, e.gatewayContacts(), "requests reached the gateway while the breaker was open")

	e.sim.SetFault(sim.Fault{})
	n := 300
	resEventually(t, "a request succeeds after the gateway returns", func() bool {
		n++
		return e.deliberate(t, tok, resIP(n)).fatal() == nil
	})
	require.Equal(t, 1.0, e.breakerState(t, "closed"))
	require.Equal(t, 0.0, e.breakerState(t, "open"))
	for _, a := range e.resStream(t, tok, 400, 8, 4) {
		require.Nil(t, a.fatal(), a.Raw)
	}
	e.client.CloseIdleConnections()
	resSettleGoroutines(t, before, 6)
}

func TestResilienceSlowGatewayTimesOut(t *testing.T) {
	const slowDelay = 20 * time.Second
	e := resStart(t, "RELAY_GATEWAY_TIMEOUT", "1s", "RELAY_REQUEST_TIMEOUT", "60s", "RELAY_BREAKER_FAILURES", "100")
	tok := e.token(t)
	require.Nil(t, e.deliberate(t, tok, resIP(0)).fatal())

	e.sim.SetFault(sim.Fault{SlowEndpoint: "message-tracking/messages", SlowDelay: slowDelay})
	start := time.Now()
	a := e.deliberate(t, tok, resIP(1))
	elapsed := time.Since(start)

	require.NotNil(t, a.fatal(), a.Raw)
	require.Equal(t, relay.CodeServiceUnavailable, a.fatal().Code, a.Raw)
	require.Contains(t, a.fatal().Message, "timed out", a.Raw)
	require.Less(t, elapsed, slowDelay/2, "the relay waited for the slow gateway")
}

func TestResilienceErrorBurstsThenRecovery(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
	}{
		{"rate limited", http.StatusTooManyRequests, relay.CodeTooManyRequests},
		{"unavailable", http.StatusServiceUnavailable, relay.CodeServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := resStart(t, "RELAY_BREAKER_FAILURES", "1000")
			tok := e.token(t)
			require.Nil(t, e.deliberate(t, tok, resIP(0)).fatal())

			e.sim.SetFault(sim.Fault{ErrorRate: 1, ErrorStatus: tc.status})
			burst := e.resStream(t, tok, 1, 10, 4)
			e.sim.SetFault(sim.Fault{})
			after := e.resStream(t, tok, 100, 10, 4)

			for _, a := range burst {
				require.NotNil(t, a.fatal(), a.Raw)
				require.Equal(t, tc.code, a.fatal().Code, a.Raw)
				require.Contains(t, a.fatal().Message, e.simURL, a.Raw)
			}
			require.Positive(t, e.sim.CountStatus("message-tracking/messages", tc.status))
			for _, a := range after {
				require.Nil(t, a.fatal(), a.Raw)
			}
		})
	}
}

func TestResilienceSessionExpiryLogsInOnce(t *testing.T) {
	e := resStart(t)
	tok := e.token(t)
	require.Nil(t, e.deliberate(t, tok, resIP(0)).fatal())
	require.Equal(t, 1, e.sim.Count("login"))

	// The second half starts with four requests at once that all carry
	// the expired token, so they race to log in again.
	answers := e.resStream(t, tok, 1, 30, 4)
	e.sim.ExpireTokens()
	answers = append(answers, e.resStream(t, tok, 100, 30, 4)...)

	for _, a := range answers {
		require.Nil(t, a.fatal(), a.Raw)
	}
	require.Positive(t, e.sim.CountStatus("message-tracking/messages", http.StatusUnauthorized), "no request carried the expired token")
	require.Equal(t, 2, e.sim.Count("login"))
}

func TestResilienceRedisRestartKeepsAnswering(t *testing.T) {
	redis := storetest.StartRedis(t)
	e := resStart(t, "RELAY_REDIS_URL", redis.URL(), "RELAY_STATE_KEY", "resilience-state-key-0123456789abcdef")
	tok := e.token(t)
	hash := []map[string]string{{"type": "sha256", "value": e.stories.Malware.SHA256}}
	verdict := func() int {
		t.Helper()
		body, err := json.Marshal(hash)
		require.NoError(t, err)
		searches := e.sim.Count("message-tracking/messages")
		a, err := resPost(e.client, e.relay.Addr, "/deliberate/observables", tok, bytes.NewReader(body))
		require.NoError(t, err)
		require.Nil(t, a.fatal(), a.Raw)
		require.Contains(t, a.Raw, `"disposition_name":"Malicious"`)
		return e.sim.Count("message-tracking/messages") - searches
	}

	require.Positive(t, verdict(), "the first verdict comes from the gateway")
	require.Zero(t, verdict(), "the second verdict comes from the cache")

	redis.Stop()
	require.Positive(t, verdict(), "without Redis the verdict comes from the gateway")
	require.Positive(t, verdict(), "without Redis nothing is cached")

	redis.Restart()
	resEventually(t, "the relay reaches Redis again", func() bool { return verdict() == 0 })
}

func TestResilienceSlowHeadersAreClosed(t *testing.T) {
	// The guard stays below the 10s default, so the test fails when the
	// configured timeout is not applied.
	const guard = 8 * time.Second
	e := resStart(t, "RELAY_READ_HEADER_TIMEOUT", "1s")
	conns := make([]net.Conn, 20)
	for i := range conns {
		c, err := net.Dial("tcp", e.relay.Addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		_, err = io.WriteString(c, "POST /deliberate/observables HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ")
		require.NoError(t, err)
		conns[i] = c
	}

	version, err := e.client.Post("http://"+e.relay.Addr+"/version", "application/json", nil)
	require.NoError(t, err)
	_ = version.Body.Close()
	require.Equal(t, http.StatusOK, version.StatusCode)

	for i, c := range conns {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(guard)))
		got, err := io.ReadAll(c)
		require.NoError(t, err, "connection %d was not closed by the relay", i)
		if len(got) > 0 {
			require.True(t, strings.HasPrefix(string(got), "HTTP/1.1 408"), "connection %d got %q", i, got)
		}
	}
}

// resRepeat streams prefix, then unit until size bytes, then suffix,
// without holding the body in memory.
func resRepeat(prefix, unit, suffix string, size int) io.Reader {
	n := (size - len(prefix) - len(suffix)) / len(unit)
	return io.MultiReader(strings.NewReader(prefix), io.LimitReader(&resLoop{unit: unit}, int64(n*len(unit))), strings.NewReader(suffix))
}

// resLoop repeats unit forever.
type resLoop struct {
	unit string
	off  int
}

func (l *resLoop) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.unit[l.off:])
		n += c
		l.off = (l.off + c) % len(l.unit)
	}
	return n, nil
}

// resObservables is n distinct IP observables as one JSON array.
func resObservables(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"ip","value":"10.%d.%d.%d"}`, i>>16&255, i>>8&255, i&255)
	}
	b.WriteByte(']')
	return b.Bytes()
}

func TestResilienceHostileBodies(t *testing.T) {
	const (
		tenMB     = 10 << 20
		allocated = 16 << 20
		retained  = 4 << 20
	)
	observable := `{"type":"ip","value":"192.0.2.1"},`
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	many := resObservables(100_000)
	cases := []struct {
		name string
		body func() (io.Reader, int64)
		want string
	}{
		{"10 MB with length", func() (io.Reader, int64) {
			return resRepeat("[", observable, `{"type":"ip","value":"192.0.2.2"}]`, tenMB), tenMB
		}, "larger than the limit"},
		{"10 MB streamed", func() (io.Reader, int64) {
			return resRepeat("[", observable, `{"type":"ip","value":"192.0.2.2"}]`, tenMB), -1
		}, "larger than the limit"},
		{"100000 observables", func() (io.Reader, int64) { return bytes.NewReader(many), int64(len(many)) }, "larger than the limit"},
		{"deeply nested", func() (io.Reader, int64) { return strings.NewReader("[" + deep + "]"), int64(len(deep) + 2) }, "not valid JSON"},
		{"invalid UTF-8", func() (io.Reader, int64) {
			s := "[{\"type\":\"ip\",\"value\":\"192.0.2.1\xff\xfe\"}]"
			return strings.NewReader(s), int64(len(s))
		}, "not valid UTF-8"},
	}
	e := resStart(t, "RELAY_LOG_LEVEL", "info")
	tok := e.token(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, length := tc.body()
			req, err := http.NewRequest(http.MethodPost, "http://"+e.relay.Addr+"/deliberate/observables", body)
			require.NoError(t, err)
			req.ContentLength = length
			req.Header.Set("Authorization", "Bearer "+tok)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)

			resp, err := e.client.Do(req)
			require.NoError(t, err)
			raw, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			require.NoError(t, err)
			runtime.ReadMemStats(&after)
			allocatedDuring := after.TotalAlloc - before.TotalAlloc
			runtime.GC()
			runtime.ReadMemStats(&after)

			var a resResponse
			require.NoError(t, json.Unmarshal(raw, &a), string(raw))
			require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
			require.NotNil(t, a.fatal(), string(raw))
			require.Equal(t, relay.CodeInvalidArgument, a.fatal().Code, string(raw))
			require.Contains(t, a.fatal().Message, tc.want)
			require.Less(t, allocatedDuring, uint64(allocated), "bytes allocated while serving the request")
			require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(retained), "bytes retained after the request")
		})
	}
	require.Zero(t, len(e.sim.Requests()), "a rejected body reached the gateway")
}

// resBuild builds the relay program into the test's temporary folder.
func resBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "relay")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// resGatewayServer serves the simulator over HTTPS through a handler that
// records the tracking searches it starts, before their injected delay.
func resGatewayServer(t *testing.T, s *sim.Server, started func(query string)) (string, string) {
	t.Helper()
	inner := s.Handler()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/message-tracking/messages") {
			started(r.URL.RawQuery)
		}
		inner.ServeHTTP(w, r)
	}))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	return ts.URL, string(ca)
}

// resStartProcess starts the built relay and returns its address, read
// from the "relay listening" log line.
func resStartProcess(t *testing.T, bin string, env []string) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	logs := &lockedBuffer{}
	addr := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			line := scanner.Text()
			_, _ = logs.Write([]byte(line + "\n"))
			var entry struct {
				Msg, Addr string
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "relay listening" {
				addr <- entry.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a, logs
	case <-time.After(resGuard):
		t.Fatalf("the relay did not start listening; logs:\n%s", logs.String())
		return nil, "", nil
	}
}

func TestResilienceSIGTERMDrainsRequests(t *testing.T) {
	const inFlight = 100
	bin := resBuild(t)
	s, err := sim.New(sim.Options{Messages: 200})
	require.NoError(t, err)
	s.SetFault(sim.Fault{SlowEndpoint: "message-tracking/messages", SlowDelay: 2 * time.Second})
	var mu sync.Mutex
	seen := map[string]bool{}
	ipPattern := regexp.MustCompile(`198\.18\.\d+\.\d+`)
	gatewayURL, ca := resGatewayServer(t, s, func(query string) {
		decoded, _ := url.QueryUnescape(query)
		mu.Lock()
		defer mu.Unlock()
		for _, ip := range ipPattern.FindAllString(decoded, -1) {
			seen[ip] = true
		}
	})
	cmd, addr, logs := resStartProcess(t, bin, []string{
		"RELAY_ADDR=127.0.0.1:0", "RELAY_METRICS_ADDR=off", "RELAY_JWT_SECRET=" + testSecret,
		"RELAY_GATEWAY_HOSTS=127.0.0.1", "RELAY_LOG_FORMAT=json",
	})
	e := &resEnv{simURL: gatewayURL, ca: ca}
	tok := e.token(t)
	client := &http.Client{Timeout: resGuard, Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
	t.Cleanup(client.CloseIdleConnections)

	answers := make([]resResponse, inFlight)
	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	for i := range inFlight {
		wg.Go(func() {
			answers[i], errs[i] = resPost(client, addr, "/deliberate/observables", tok, resIPList(resIP(i)))
		})
	}
	resEventually(t, "every request reached the gateway", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == inFlight
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	wg.Wait()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(resGuard):
		t.Fatal("the relay did not exit after SIGTERM")
	}

	for i := range inFlight {
		require.NoError(t, errs[i], "request %d", i)
		require.Equal(t, http.StatusOK, answers[i].Status, answers[i].Raw)
		require.Nil(t, answers[i].fatal(), answers[i].Raw)
	}
	require.NoError(t, err, "logs:\n%s", logs.String())
	require.Equal(t, 0, cmd.ProcessState.ExitCode())
	require.Contains(t, logs.String(), `"msg":"relay stopped"`)
}
