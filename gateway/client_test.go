package gateway

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func requireKind(t *testing.T, err error, want Kind) *Error {
	t.Helper()
	var ge *Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, want.String(), ge.Kind.String(), "error: %v", err)
	return ge
}

func TestSearchRawRequest(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{"/message-tracking/messages": "sma-tracking-search-map-status.json"}))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	res, err := c.Search(context.Background(), Query{
		Start:     time.Date(2024, 3, 1, 10, 15, 42, 0, time.UTC),
		End:       time.Date(2024, 3, 1, 11, 0, 0, 0, time.UTC),
		Subject:   &Match{Op: Contains, Value: "bla bla"},
		MessageID: "<a+b@x.example>",
	})
	require.NoError(t, err)
	require.Len(t, res.Messages, 4)
	require.False(t, res.Truncated)
	require.Equal(t, g.srv.URL, res.Messages[0].Gateway)

	reqs := g.requests()
	require.Len(t, reqs, 2)
	login := reqs[0]
	require.Equal(t, http.MethodPost, login.Method)
	require.Equal(t, "/sma/api/v2.0/login", login.Path)
	require.JSONEq(t, fmt.Sprintf(`{"data":{"userName":%q,"passphrase":%q}}`,
		base64.StdEncoding.EncodeToString([]byte("relay")),
		base64.StdEncoding.EncodeToString([]byte(testPassword))), login.Body)

	search := reqs[1]
	require.Equal(t, http.MethodGet, search.Method)
	require.Equal(t, "/sma/api/v2.0/message-tracking/messages", search.Path)
	require.Equal(t, "startDate=2024-03-01T10:15:00.000Z&endDate=2024-03-01T11:00:00.000Z&searchOption=messages&ciscoHost=All_Hosts"+
		"&subjectfilterOperator=contains&subjectfilterValue=bla%20bla"+
		"&messageIdHeader=%3Ca%2Bb%40x.example%3E&offset=0&limit=100", search.RawQuery)
	require.Equal(t, "tok-relay-1", search.Header.Get("jwtToken"))
	require.Empty(t, search.Header.Get("Authorization"))
	require.Equal(t, "esa-relay/test", search.Header.Get("User-Agent"))
}

// pagedRoute serves a search whose pages are given by offset.
func pagedRoute(g *fakeGateway, pages map[string]string) func(w http.ResponseWriter, r *http.Request, body []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		if !g.authorized(w, r) {
			return
		}
		writeJSON(w, http.StatusOK, pages[r.URL.Query().Get("offset")])
	}
}

// hits builds a page body with the given MIDs and meta counts.
func hits(bad, total int, mids ...int) string {
	var items []string
	for _, m := range mids {
		items = append(items, fmt.Sprintf(`{"attributes":{"mid":[%d],"serialNumber":"S1","messageStatus":{"%d":"Delivered"}}}`, m, m))
	}
	return fmt.Sprintf(`{"meta":{"num_bad_records":%d,"totalCount":%d},"data":[%s]}`, bad, total, strings.Join(items, ","))
}

func TestSearchPagingWithBadRecords(t *testing.T) {
	g := newFakeGateway(t, nil)
	// Page 0 held 3 records, one of them bad; paging by len(data) would
	// read offset 2 and repeat MID 7.
	g.setRoute(pagedRoute(g, map[string]string{
		"0": hits(1, 2, 9, 8),
		"2": hits(0, 3, 7, 6, 5),
		"3": hits(0, 3, 6, 5, 4),
		"6": hits(0, 1, 3),
	}))
	p, _, _ := testPool(t, func(o *PoolOptions) { o.PageSize = 3 })
	c := testClient(t, p, g.config("relay"))

	res, err := c.Search(context.Background(), Query{Start: time.Now().Add(-time.Hour), End: time.Now()})
	require.NoError(t, err)
	var got []int64
	for _, m := range res.Messages {
		got = append(got, m.MIDs...)
	}
	require.Equal(t, []int64{9, 8, 6, 5, 4, 3}, got)
	require.False(t, res.Truncated)

	var offsets []string
	for _, r := range g.requestsTo("/message-tracking/messages") {
		q, err := url.ParseQuery(r.RawQuery)
		require.NoError(t, err)
		require.Equal(t, "3", q.Get("limit"))
		offsets = append(offsets, q.Get("offset"))
	}
	require.Equal(t, []string{"0", "3", "6"}, offsets)
}

func TestSearchEmptyObjectAnswer(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(pagedRoute(g, map[string]string{"0": `{}`}))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	res, err := c.Search(context.Background(), Query{Start: time.Now().Add(-time.Hour), End: time.Now()})
	require.NoError(t, err)
	require.Empty(t, res.Messages)
	require.Len(t, g.requestsTo("/message-tracking/messages"), 1)
}

func TestObserverGetsHostAndPort(t *testing.T) {
	// Metrics match the host against RELAY_GATEWAY_HOSTS entries, which may
	// name a port, so the port must reach the observer.
	g := newFakeGateway(t, nil)
	g.setRoute(pagedRoute(g, map[string]string{"0": `{}`}))
	p, _, ev := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	_, err := c.Search(context.Background(), Query{Start: time.Now().Add(-time.Hour), End: time.Now()})
	require.NoError(t, err)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	require.NotEmpty(t, ev.hosts)
	require.Equal(t, strings.TrimPrefix(g.srv.URL, "https://"), ev.hosts[0])
}

func TestSearchMaxPagesAndLimit(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(pagedRoute(g, map[string]string{
		"0": hits(0, 2, 10, 9),
		"2": hits(0, 2, 8, 7),
		"4": hits(0, 2, 6, 5),
	}))
	p, _, _ := testPool(t, func(o *PoolOptions) { o.PageSize = 2; o.MaxPages = 2 })
	c := testClient(t, p, g.config("relay"))
	q := Query{Start: time.Now().Add(-time.Hour), End: time.Now()}

	res, err := c.Search(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, res.Messages, 4)
	require.True(t, res.Truncated)

	q.Limit = 3
	res, err = c.Search(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, res.Messages, 3)
	require.True(t, res.Truncated)
}

func TestReloginOnceOn401(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"}))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	ctx := context.Background()

	_, err := c.Privileges(ctx)
	require.NoError(t, err)
	g.tokens.Delete("tok-relay-1") // the appliance ends the session early

	privs, err := c.Privileges(ctx)
	require.NoError(t, err)
	require.Contains(t, privs, "e_message_tracking_messages")
	require.EqualValues(t, 2, g.logins.Load())
	calls := g.requestsTo("/login/privileges")
	require.Len(t, calls, 3)
	require.Equal(t, "tok-relay-1", calls[1].Header.Get("jwtToken"))
	require.Equal(t, "tok-relay-2", calls[2].Header.Get("jwtToken"))
}

func TestReloginStopsAfterOneRetry(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		writeJSON(w, http.StatusUnauthorized, `{"error":{"message":"InvalidTokenError.","code":"401"}}`)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	_, err := c.Privileges(context.Background())
	ge := requireKind(t, err, KindAuth)
	require.Equal(t, "InvalidTokenError.", ge.Message)
	require.EqualValues(t, 2, g.logins.Load())
	require.Len(t, g.requestsTo("/login/privileges"), 2)
}

func TestConcurrentCallersShareLogin(t *testing.T) {
	g := newFakeGateway(t, nil)
	standard := g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"})
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			time.Sleep(100 * time.Millisecond) // keep the login open while the others arrive
		}
		standard(w, r, body)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Privileges(context.Background())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, g.logins.Load())
	require.Len(t, g.requestsTo("/login"), 1)
}

func TestCredentialSetsGetSeparateSessions(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"}))
	p, _, _ := testPool(t, nil)
	a := testClient(t, p, g.config("alice"))
	b := testClient(t, p, g.config("bob"))
	require.NotSame(t, a, b)
	again := testClient(t, p, g.config("alice"))
	require.Same(t, a, again)

	_, err := a.Privileges(context.Background())
	require.NoError(t, err)
	_, err = b.Privileges(context.Background())
	require.NoError(t, err)

	calls := g.requestsTo("/login/privileges")
	require.Len(t, calls, 2)
	require.Equal(t, "tok-alice-1", calls[0].Header.Get("jwtToken"))
	require.Equal(t, "tok-bob-2", calls[1].Header.Get("jwtToken"))
}

func TestBasicFallbackWhenNoLogin(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			writeJSON(w, http.StatusNotFound, string(fixtureBytes("login-unsupported-404.json")))
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != "relay" || pass != testPassword {
			writeJSON(w, http.StatusUnauthorized, string(fixtureBytes("login-unauthorized-basic.json")))
			return
		}
		writeJSON(w, http.StatusOK, string(fixtureBytes("esa-login-privileges.json")))
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	for range 2 {
		_, err := c.Privileges(context.Background())
		require.NoError(t, err)
	}
	require.Len(t, g.requestsTo("/login"), 1)
	calls := g.requestsTo("/login/privileges")
	require.Len(t, calls, 2)
	require.Empty(t, calls[1].Header.Get("jwtToken"))
}

// fakeClock is a settable clock for login backoff and RetryAt.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func TestRedirectNotFollowed(t *testing.T) {
	target := newFakeGateway(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, `{}`)
	})
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		http.Redirect(w, r, target.srv.URL+r.URL.Path, http.StatusFound)
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))

	_, err := c.Privileges(context.Background())
	requireKind(t, err, KindRedirect)
	require.Empty(t, target.requests())
	require.Len(t, g.requestsTo("/login/privileges"), 1)
}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	g := newFakeGateway(t, nil)
	standard := g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"})
	var failing atomic.Bool
	failing.Store(true)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if failing.Load() && !strings.HasSuffix(r.URL.Path, "/login") {
			writeJSON(w, http.StatusServiceUnavailable, `{"error":{"message":"Service Unavailable.","code":"503"}}`)
			return
		}
		standard(w, r, body)
	})
	p, _, ev := testPool(t, func(o *PoolOptions) { o.BreakerFailures = 3; o.BreakerOpenFor = time.Second })
	c := testClient(t, p, g.config("relay"))
	ctx := context.Background()

	// Each read is tried twice, so the second call's first try opens it.
	_, err := c.Privileges(ctx)
	requireKind(t, err, KindUnavailable)
	_, err = c.Privileges(ctx)
	ge := requireKind(t, err, KindUnavailable)
	require.False(t, ge.RetryAt.IsZero())
	require.Equal(t, "open", <-ev.changed)
	sent := len(g.requestsTo("/login/privileges"))
	require.Equal(t, 3, sent)

	_, err = c.Privileges(ctx)
	ge = requireKind(t, err, KindUnavailable)
	require.Contains(t, ge.Message, "calls are paused until")
	require.Len(t, g.requestsTo("/login/privileges"), sent, "no request may reach the gateway while open")

	failing.Store(false)
	require.Eventually(t, func() bool {
		_, err := c.Privileges(ctx)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, "half-open", <-ev.changed)
	require.Equal(t, "closed", <-ev.changed)
}

func TestBadRequestDoesNotOpenBreaker(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		writeJSON(w, http.StatusBadRequest, `{"error":{"message":"Bad request.","code":"400"}}`)
	})
	p, _, ev := testPool(t, func(o *PoolOptions) { o.BreakerFailures = 2 })
	c := testClient(t, p, g.config("relay"))

	for range 6 {
		_, err := c.Privileges(context.Background())
		requireKind(t, err, KindInvalid)
	}
	require.Len(t, g.requestsTo("/login/privileges"), 6)
	require.Empty(t, ev.breakers)
}

func TestDeadlineGivesTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g := newFakeGateway(t, nil)
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			g.login(w, body)
			return
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	require.NoError(t, c.Login(context.Background()))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Privileges(ctx)
	ge := requireKind(t, err, KindTimeout)
	require.Equal(t, "the call timed out", ge.Message)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestTLSVerificationWithoutCA(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(nil))
	p, _, _ := testPool(t, nil)
	cfg := g.config("relay")
	cfg.CAPEM = ""
	c := testClient(t, p, cfg)

	err := c.Login(context.Background())
	ge := requireKind(t, err, KindTLS)
	require.Equal(t, "Unable to verify SSL certificate", ge.Message)
	require.Empty(t, g.requests())
}

func TestCAPEMWithLiteralNewlines(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(nil))
	p, _, _ := testPool(t, nil)
	cfg := g.config("relay")
	cfg.CAPEM = strings.ReplaceAll(cfg.CAPEM, "\n", `\n`)
	require.NoError(t, testClient(t, p, cfg).Login(context.Background()))
}

// staticResolver resolves every name to one address.
type staticResolver struct{ ip net.IP }

func (s staticResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return []net.IPAddr{{IP: s.ip}}, nil
}

func TestAddressGuard(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(nil))
	_, port, err := net.SplitHostPort(g.srv.Listener.Addr().String())
	require.NoError(t, err)
	// The test certificate names example.com, which the resolver maps to
	// the loopback server.
	named := g.config("relay")
	named.BaseURL = "https://example.com:" + port
	tests := []struct {
		name    string
		allowed []string
		cfg     Config
		blocked bool
	}{
		{"loopback IP not listed", nil, g.config("relay"), true},
		{"name resolving to loopback not listed", []string{"127.0.0.1"}, named, true},
		{"listed name with port", []string{"example.com:" + port}, named, false},
		{"listed name without port", []string{"EXAMPLE.com"}, named, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.requests())
			p, _, _ := testPool(t, func(o *PoolOptions) {
				o.AllowedHosts = tc.allowed
				o.Resolver = staticResolver{ip: net.ParseIP("127.0.0.1")}
			})
			err := testClient(t, p, tc.cfg).Login(context.Background())
			if tc.blocked {
				requireKind(t, err, KindBlocked)
				require.Len(t, g.requests(), before)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestRestrictedAddresses(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "::1", "169.254.169.254", "fe80::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "224.0.0.1"} {
		ip := net.ParseIP(s)
		addr, ok := netipFrom(ip)
		require.True(t, ok, s)
		require.True(t, restricted(addr), s)
	}
	for _, s := range []string{"10.0.0.5", "192.168.1.1", "203.0.113.9", "2001:db8::1"} {
		addr, ok := netipFrom(net.ParseIP(s))
		require.True(t, ok, s)
		require.False(t, restricted(addr), s)
	}
}

func TestConfigValidation(t *testing.T) {
	good := Config{BaseURL: "https://sma.example.com:6443", API: SMA, User: "u", Password: testPassword}
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"http scheme", func(c *Config) { c.BaseURL = "http://sma.example.com" }, "must use https"},
		{"user info", func(c *Config) { c.BaseURL = "https://u:" + testPassword + "@sma.example.com" }, "must not carry user info"},
		{"path", func(c *Config) { c.BaseURL = "https://sma.example.com/sma/api" }, "no path, query or fragment"},
		{"query", func(c *Config) { c.BaseURL = "https://sma.example.com?a=1" }, "no path, query or fragment"},
		{"fragment", func(c *Config) { c.BaseURL = "https://sma.example.com#x" }, "no path, query or fragment"},
		{"relative", func(c *Config) { c.BaseURL = "sma.example.com" }, "not an absolute URL"},
		{"api", func(c *Config) { c.API = "wsa" }, `GATEWAY_API "wsa" is invalid`},
		{"user", func(c *Config) { c.User = " " }, "GATEWAY_USER is missing"},
		{"password", func(c *Config) { c.Password = "" }, "GATEWAY_PASSWORD is missing"},
		{"ca", func(c *Config) { c.CAPEM = "not a pem" }, "GATEWAY_CA_PEM is invalid"},
	}
	p, _, _ := testPool(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := p.Client(cfg)
			ge := requireKind(t, err, KindInvalid)
			require.Contains(t, ge.Message, tc.want)
			require.NotContains(t, err.Error(), testPassword)
		})
	}
	c, err := p.Client(Config{BaseURL: "https://sma.example.com/", API: ESA, User: "u", Password: "p"})
	require.NoError(t, err)
	require.Equal(t, "https://sma.example.com", c.Config().BaseURL)
}

func TestPasswordNeverInErrorsOrLogs(t *testing.T) {
	g := newFakeGateway(t, nil)
	var mode atomic.Int32
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch mode.Load() {
		case 0:
			writeJSON(w, http.StatusUnauthorized, string(fixtureBytes("esa-login-invalid-credentials-401.json")))
		case 1:
			writeJSON(w, http.StatusInternalServerError, `{"error":{"message":"boom `+testPassword+`","code":"500"}}`)
		default:
			http.Redirect(w, r, "https://other.example/", http.StatusFound)
		}
	})
	p, logs, _ := testPool(t, func(o *PoolOptions) { o.LoginBackoff = time.Nanosecond })
	c := testClient(t, p, g.config("relay"))
	ctx := context.Background()

	var errs []error
	for m := range int32(3) {
		mode.Store(m)
		_, err := c.Privileges(ctx)
		require.Error(t, err)
		errs = append(errs, err)
	}
	closed := g.config("relay")
	closed.BaseURL = "https://127.0.0.1:1"
	_, err := testClient(t, p, closed).Privileges(ctx)
	require.Error(t, err)
	errs = append(errs, err)

	encoded := base64.StdEncoding.EncodeToString([]byte(testPassword))
	for _, err := range errs {
		for err := err; err != nil; err = errors.Unwrap(err) {
			text := fmt.Sprintf("%v %+v %#v", err, err, err)
			require.NotContains(t, text, testPassword)
			require.NotContains(t, text, encoded)
		}
	}
	require.NotContains(t, logs.String(), testPassword)
	require.NotContains(t, logs.String(), encoded)
	require.NotEmpty(t, logs.String())
}

func TestBudgetSharedAcrossCalls(t *testing.T) {
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"}))
	p, _, _ := testPool(t, nil)
	c := testClient(t, p, g.config("relay"))
	ctx := WithBudget(context.Background(), 2)

	_, err := c.Privileges(ctx) // login + call
	require.NoError(t, err)
	_, err = c.Privileges(ctx)
	requireKind(t, err, KindBudget)
	require.Len(t, g.requests(), 2)
}

func TestFanOutBoundedAndAligned(t *testing.T) {
	p, _, _ := testPool(t, func(o *PoolOptions) { o.FanOut = 2 })
	cfgs := make([]Config, 6)
	for i := range cfgs {
		cfgs[i] = Config{BaseURL: fmt.Sprintf("https://esa%d.example.com", i), API: ESA, User: "u", Password: "p"}
	}
	cfgs[3].BaseURL = "http://plain.example.com"

	var running, peak atomic.Int32
	errs := p.FanOut(context.Background(), cfgs, func(ctx context.Context, c *Client) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		if strings.HasPrefix(c.Config().BaseURL, "https://esa5.") {
			return errors.New("esa5 failed")
		}
		return nil
	})
	require.Len(t, errs, 6)
	require.NoError(t, errs[0])
	requireKind(t, errs[3], KindInvalid)
	require.EqualError(t, errs[5], "esa5 failed")
	require.LessOrEqual(t, peak.Load(), int32(2))
}

func TestPoolEvictsLeastRecentlyUsed(t *testing.T) {
	p, _, _ := testPool(t, func(o *PoolOptions) { o.MaxClients = 2 })
	cfg := func(user string) Config {
		return Config{BaseURL: "https://sma.example.com", API: SMA, User: user, Password: "p"}
	}
	a := testClient(t, p, cfg("a"))
	testClient(t, p, cfg("b"))
	require.Same(t, a, testClient(t, p, cfg("a")))
	testClient(t, p, cfg("c")) // evicts b
	require.Same(t, a, testClient(t, p, cfg("a")))
	require.Equal(t, 2, p.lru.Len())
}

func netipFrom(ip net.IP) (netip.Addr, bool) {
	return netip.AddrFromSlice(ip)
}
