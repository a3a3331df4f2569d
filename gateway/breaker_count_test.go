package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// countingEvents records observer calls and keeps breaker counts per
// host and state, as a metrics gauge would.
type countingEvents struct {
	*events
	mu     sync.Mutex
	counts map[string]int // "host:port/state" → breakers
	host   string
}

func (c *countingEvents) CountBreakers(host, state string, delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[host+"/"+state] += delta
}

func (c *countingEvents) count(state string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[c.host+"/"+state]
}

func TestBreakerCountsPerCredentialSet(t *testing.T) {
	g := newFakeGateway(t, nil)
	standard := g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"})
	g.setRoute(func(w http.ResponseWriter, r *http.Request, body []byte) {
		// Only the user "failing" meets a failing appliance API.
		if strings.HasSuffix(r.URL.Path, "/login/privileges") && strings.Contains(r.Header.Get("jwtToken"), "failing") {
			writeJSON(w, http.StatusServiceUnavailable, `{"error":{"message":"Service Unavailable.","code":"503"}}`)
			return
		}
		standard(w, r, body)
	})
	ev := &countingEvents{events: newEvents(), counts: map[string]int{}, host: strings.TrimPrefix(g.srv.URL, "https://")}
	p, _, _ := testPool(t, func(o *PoolOptions) {
		o.Observer = ev
		o.BreakerFailures = 2
		o.BreakerOpenFor = time.Hour
		o.MaxClients = 2
	})
	ctx := context.Background()

	healthy := testClient(t, p, g.config("healthy"))
	failing := testClient(t, p, g.config("failing"))
	require.Equal(t, 2, ev.count("closed"))
	require.Equal(t, 0, ev.count("open"))

	_, err := healthy.Privileges(ctx)
	require.NoError(t, err)
	_, err = failing.Privileges(ctx)
	requireKind(t, err, KindUnavailable)
	require.Equal(t, "open", <-ev.changed)
	require.Equal(t, 1, ev.count("closed"))
	require.Equal(t, 1, ev.count("open"))

	testClient(t, p, g.config("healthy"))
	testClient(t, p, g.config("third")) // evicts the failing client, the least recently used
	require.Equal(t, 2, ev.count("closed"))
	require.Equal(t, 0, ev.count("open"))
	require.Equal(t, 0, ev.count("half-open"))
}
