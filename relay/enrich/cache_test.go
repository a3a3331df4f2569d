package enrich_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

func redisStore(t *testing.T) (store.Store, *storetest.Server) {
	t.Helper()
	srv := storetest.StartRedis(t)
	st, err := store.OpenRedis(srv.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st, srv
}

// verdictObservables are looked up by the cache tests: two with a
// malicious verdict, one suspicious and one with nothing found.
func verdictObservables(st sim.Stories) []observables.Observable {
	return []observables.Observable{
		obs(observables.SHA256, st.Malware.SHA256),
		obs(observables.MessageID, st.Malware.MessageID),
		obs(observables.IP, st.RejectedIP.SenderIP),
		obs(observables.Email, st.Newsletter.Sender),
	}
}

func TestDeliberateCacheHitMakesNoGatewayCall(t *testing.T) {
	st, _ := redisStore(t)
	e := newEnv(t, envOptions{store: st})
	m := e.module(simPassword)

	first, errs := e.deliberate(t, m, verdictObservables(e.stories)...)
	require.Empty(t, errs)
	require.Len(t, first, 3)
	require.NotZero(t, len(e.sim.Requests()))

	e.sim.ResetRequests()
	second, errs := e.deliberate(t, m, verdictObservables(e.stories)...)
	require.Empty(t, errs)
	require.Empty(t, e.sim.Requests())
	require.ElementsMatch(t, first, second)
}

func TestDeliberateCacheMissAsksGateway(t *testing.T) {
	st, _ := redisStore(t)
	e := newEnv(t, envOptions{store: st})
	m := e.module(simPassword)

	_, errs := e.deliberate(t, m, obs(observables.SHA256, e.stories.Malware.SHA256))
	require.Empty(t, errs)
	e.sim.ResetRequests()

	verdicts, errs := e.deliberate(t, m, obs(observables.MessageID, e.stories.Spam.MessageID))
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
	require.Equal(t, ctim.Suspicious, verdicts[0].Disposition)
	require.Equal(t, 1, e.sim.Count("message-tracking/messages"))
}

func TestObserveFillsDeliberateCache(t *testing.T) {
	st, _ := redisStore(t)
	e := newEnv(t, envOptions{store: st})
	m := e.module(simPassword)

	b, errs := e.observe(t, m, verdictObservables(e.stories)...)
	require.Empty(t, errs)
	e.sim.ResetRequests()

	verdicts, errs := e.deliberate(t, m, verdictObservables(e.stories)...)
	require.Empty(t, errs)
	require.Empty(t, e.sim.Requests())
	require.ElementsMatch(t, b.Verdicts, verdicts)
}

func TestCacheTenantIsolation(t *testing.T) {
	st, _ := redisStore(t)
	e := newEnv(t, envOptions{store: st})
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)

	verdicts, errs := e.deliberate(t, e.module(simPassword), hash)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)

	// Same gateway URL and user, another password: a different tenant,
	// which must not read the first tenant's entry.
	e.sim.ResetRequests()
	const wrong = "not-the-password-3141"
	verdicts, errs = e.deliberate(t, e.module(wrong), hash)
	require.Empty(t, verdicts)
	require.Len(t, errs, 1)
	require.Equal(t, "authorization error", errs[0].Code)
	require.NotZero(t, len(e.sim.Requests()))
	require.NotContains(t, errs[0].Message, wrong)
	require.NotContains(t, e.logs.String(), wrong)

	// The failed lookup cached nothing: the wrong password gets an error
	// again, and the right one still gets its verdict.
	verdicts, errs = e.deliberate(t, e.module(wrong), hash)
	require.Empty(t, verdicts)
	require.Len(t, errs, 1)
	verdicts, errs = e.deliberate(t, e.module(simPassword), hash)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
}

func TestCacheExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.module(simPassword)
	nothing := obs(observables.Email, e.stories.Newsletter.Sender)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)

	_, errs := e.deliberate(t, m, nothing, hash)
	require.Empty(t, errs)

	e.clock.Advance(30 * time.Second)
	e.sim.ResetRequests()
	_, errs = e.deliberate(t, m, nothing, hash)
	require.Empty(t, errs)
	require.Empty(t, e.sim.Requests(), "both entries are fresh")

	e.clock.Advance(31 * time.Second)
	e.sim.ResetRequests()
	verdicts, errs := e.deliberate(t, m, nothing, hash)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
	require.Equal(t, 2, e.sim.Count("message-tracking/messages"), "only the negative entry expired")

	e.clock.Advance(7 * 24 * time.Hour)
	e.sim.ResetRequests()
	_, errs = e.deliberate(t, m, hash)
	require.Empty(t, errs)
	// The session expired too, so a search may get a 401 and be retried
	// after a new login: count the successful ones.
	require.Equal(t, 1, e.sim.CountStatus("message-tracking/messages", 200), "the verdict expired with its valid time")
}

func TestRedisStoppedKeepsAnswering(t *testing.T) {
	st, srv := redisStore(t)
	e := newEnv(t, envOptions{store: st})
	m := e.module(simPassword)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)

	_, errs := e.deliberate(t, m, hash)
	require.Empty(t, errs)

	srv.Stop()
	for range 3 {
		verdicts, errs := e.deliberate(t, m, hash)
		require.Empty(t, errs)
		require.Len(t, verdicts, 1)
		require.Equal(t, ctim.Malicious, verdicts[0].Disposition)
	}
	b, errs := e.observe(t, m, hash)
	require.Empty(t, errs)
	require.Len(t, b.Sightings, 1)
	require.Equal(t, 1, strings.Count(e.logs.String(), "verdict cache failed"), "logged once per interval")

	e.clock.Advance(2 * time.Minute)
	_, _ = e.deliberate(t, m, hash)
	require.Equal(t, 2, strings.Count(e.logs.String(), "verdict cache failed"))
}

func TestGatewayFailureIsNotCached(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.module(simPassword)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)

	e.sim.SetFault(sim.Fault{ErrorRate: 1, ErrorStatus: 500})
	verdicts, errs := e.deliberate(t, m, hash)
	require.Empty(t, verdicts)
	require.Len(t, errs, 1)
	require.Equal(t, "fatal", errs[0].Type)

	e.sim.SetFault(sim.Fault{})
	verdicts, errs = e.deliberate(t, m, hash)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
}

func TestConcurrentObservesCoalesce(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.module(simPassword)
	sender := obs(observables.Email, e.stories.Phishing.Sender)

	// Log in first so the count below holds searches only, and slow the
	// searches so all 20 requests overlap.
	_, errs := e.observe(t, m, obs(observables.CiscoMID, "1"))
	require.Empty(t, errs)
	e.sim.ResetRequests()
	e.sim.SetFault(sim.Fault{SlowEndpoint: "message-tracking/messages", SlowDelay: 300 * time.Millisecond})

	var wg sync.WaitGroup
	counts := make([]int, 20)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, errs := e.svc.Observe(context.Background(), m, []observables.Observable{sender})
			if len(errs) == 0 {
				counts[i] = len(data.(ctim.Bundle).Sightings)
			}
		}()
	}
	wg.Wait()

	// One search as sender and one as recipient, whatever the request count.
	require.Equal(t, 2, e.sim.Count("message-tracking/messages"))
	for _, n := range counts {
		require.Equal(t, counts[0], n)
		require.NotZero(t, n)
	}
}

func TestCorruptCacheEntryIsMiss(t *testing.T) {
	st, _ := redisStore(t)
	e := newEnv(t, envOptions{store: st})
	m := e.module(simPassword)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)
	key := relay.Key(relay.Tenant([]byte(testStateKey), m), "verdict", string(hash.Type), hash.Value)

	for _, raw := range [][]byte{[]byte(`{"verdict":{"type":"verdict"}}`), {2, 0, 0}, {2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, '{'}} {
		require.NoError(t, st.Set(context.Background(), key, raw, time.Hour))
		e.sim.ResetRequests()

		verdicts, errs := e.deliberate(t, m, hash)
		require.Empty(t, errs)
		require.Len(t, verdicts, 1)
		require.Equal(t, ctim.Malicious, verdicts[0].Disposition)
		require.Equal(t, 1, e.sim.Count("message-tracking/messages"), "entry %q", raw)
	}
	require.Equal(t, 3, strings.Count(e.logs.String(), "verdict cache entry unreadable"))

	// The lookup replaced the corrupt entry, so the next request is a hit.
	e.sim.ResetRequests()
	verdicts, errs := e.deliberate(t, m, hash)
	require.Empty(t, errs)
	require.Len(t, verdicts, 1)
	require.Empty(t, e.sim.Requests())
}
