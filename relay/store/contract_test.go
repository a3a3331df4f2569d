package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

// redisNodeEntries is the default of Redis's stream-node-max-entries:
// MAXLEN ~ trims whole nodes, so a Redis stream can exceed its cap by that
// many entries.
const redisNodeEntries = 100

// backend is one Store implementation under the contract tests.
type backend struct {
	store store.Store
	// expire makes a value written with ttl expire, and waits for it.
	expire func(t *testing.T, ttl time.Duration, expired func() bool)
	// ttl is the time to live to write values with in expiry tests.
	ttl time.Duration
	// capSlack is how many entries a stream may keep beyond its cap.
	capSlack int
	// age makes entries appended so far older than maxAge.
	age func(t *testing.T, maxAge time.Duration)
	// maxAge is the age limit for stream age tests.
	maxAge time.Duration
}

func memoryBackend(t *testing.T) *backend {
	t.Helper()
	clock := storetest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	m := store.NewMemory(clock.Now)
	t.Cleanup(func() { _ = m.Close() })

	return &backend{
		store: m,
		ttl:   time.Minute,
		expire: func(t *testing.T, ttl time.Duration, expired func() bool) {
			clock.Advance(ttl - time.Millisecond)
			require.False(t, expired(), "value expired before its time to live")
			clock.Advance(time.Millisecond)
			require.True(t, expired(), "value still present after its time to live")
		},
		age: func(t *testing.T, maxAge time.Duration) {
			clock.Advance(maxAge + time.Second)
		},
		maxAge: time.Hour,
	}
}

func redisBackend(t *testing.T) (*backend, *storetest.Server, *store.Redis) {
	t.Helper()
	server := storetest.StartRedis(t)
	r, err := store.OpenRedis(server.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })

	b := &backend{
		store:    r,
		ttl:      50 * time.Millisecond,
		capSlack: redisNodeEntries,
		expire: func(t *testing.T, _ time.Duration, expired func() bool) {
			require.Eventually(t, expired, 5*time.Second, 10*time.Millisecond)
		},
		age: func(t *testing.T, maxAge time.Duration) {
			time.Sleep(maxAge + 50*time.Millisecond)
		},
		maxAge: 200 * time.Millisecond,
	}
	return b, server, r
}

// prefix returns a key prefix unique to the test, so that tests sharing an
// external Redis do not see each other's keys.
func prefix(t *testing.T) string {
	t.Helper()
	random := make([]byte, 6)
	_, _ = rand.Read(random)
	return "test:{" + hex.EncodeToString(random) + "}:"
}

func TestMemoryContract(t *testing.T) {
	runContract(t, memoryBackend)
}

func TestRedisContract(t *testing.T) {
	runContract(t, func(t *testing.T) *backend {
		b, _, _ := redisBackend(t)
		return b
	})
}

func runContract(t *testing.T, newBackend func(t *testing.T) *backend) {
	tests := []struct {
		name string
		run  func(t *testing.T, b *backend)
	}{
		{name: "get set and miss", run: testGetSetMiss},
		{name: "ttl expiry", run: testTTLExpiry},
		{name: "no ttl keeps value", run: testNoTTL},
		{name: "setnx", run: testSetNX},
		{name: "setnx race has one winner", run: testSetNXRace},
		{name: "compare and swap", run: testCompareAndSwap},
		{name: "delete", run: testDelete},
		{name: "stream order and cap", run: testStreamCap},
		{name: "stream age", run: testStreamAge},
		{name: "ping", run: testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newBackend(t))
		})
	}
}

func testGetSetMiss(t *testing.T, b *backend) {
	ctx := context.Background()
	p := prefix(t)

	require.NoError(t, b.store.Set(ctx, p+"a", []byte("alpha"), time.Hour))
	require.NoError(t, b.store.Set(ctx, p+"empty", []byte{}, time.Hour))
	require.NoError(t, b.store.Set(ctx, p+"a2", []byte("overwritten"), time.Hour))
	require.NoError(t, b.store.Set(ctx, p+"a2", []byte("beta"), time.Hour))

	values, err := b.store.GetMany(ctx, []string{p + "a", p + "missing", p + "a2", p + "empty"})
	require.NoError(t, err)
	require.Len(t, values, 4)
	require.Equal(t, []byte("alpha"), values[0])
	require.Nil(t, values[1])
	require.Equal(t, []byte("beta"), values[2])
	require.NotNil(t, values[3])
	require.Empty(t, values[3])

	values, err = b.store.GetMany(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, values)
}

func testTTLExpiry(t *testing.T, b *backend) {
	ctx := context.Background()
	key := prefix(t) + "ttl"
	require.NoError(t, b.store.Set(ctx, key, []byte("v"), b.ttl))

	b.expire(t, b.ttl, func() bool {
		values, err := b.store.GetMany(ctx, []string{key})
		require.NoError(t, err)
		return values[0] == nil
	})

	created, err := b.store.SetNX(ctx, key, []byte("again"), b.ttl)
	require.NoError(t, err)
	require.True(t, created, "SetNX must succeed on an expired key")
}

func testNoTTL(t *testing.T, b *backend) {
	ctx := context.Background()
	key := prefix(t) + "forever"
	require.NoError(t, b.store.Set(ctx, key, []byte("v"), 0))

	values, err := b.store.GetMany(ctx, []string{key})
	require.NoError(t, err)
	require.Equal(t, []byte("v"), values[0])
}

func testSetNX(t *testing.T, b *backend) {
	ctx := context.Background()
	key := prefix(t) + "claim"

	created, err := b.store.SetNX(ctx, key, []byte("first"), time.Hour)
	require.NoError(t, err)
	require.True(t, created)

	created, err = b.store.SetNX(ctx, key, []byte("second"), time.Hour)
	require.NoError(t, err)
	require.False(t, created)

	values, err := b.store.GetMany(ctx, []string{key})
	require.NoError(t, err)
	require.Equal(t, []byte("first"), values[0])
}

func testSetNXRace(t *testing.T, b *backend) {
	ctx := context.Background()
	key := prefix(t) + "race"
	const contenders = 20

	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, contenders)
	for i := range contenders {
		wg.Go(func() {
			<-start
			created, err := b.store.SetNX(ctx, key, fmt.Appendf(nil, "contender-%d", i), time.Hour)
			if err != nil {
				errs <- err
				return
			}
			if created {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)

	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), wins.Load())
}

func testCompareAndSwap(t *testing.T, b *backend) {
	ctx := context.Background()
	key := prefix(t) + "state"

	swapped, err := b.store.CompareAndSwap(ctx, key, []byte("claimed"), []byte("submitted"), time.Hour)
	require.NoError(t, err)
	require.False(t, swapped, "a missing key must not match a non-nil old value")

	swapped, err = b.store.CompareAndSwap(ctx, key, nil, []byte("claimed"), time.Hour)
	require.NoError(t, err)
	require.True(t, swapped, "a nil old value must match a missing key")

	swapped, err = b.store.CompareAndSwap(ctx, key, nil, []byte("claimed again"), time.Hour)
	require.NoError(t, err)
	require.False(t, swapped, "a nil old value must not match a present key")

	swapped, err = b.store.CompareAndSwap(ctx, key, []byte("done"), []byte("failed"), time.Hour)
	require.NoError(t, err)
	require.False(t, swapped)

	swapped, err = b.store.CompareAndSwap(ctx, key, []byte("claimed"), []byte("submitted"), time.Hour)
	require.NoError(t, err)
	require.True(t, swapped)

	values, err := b.store.GetMany(ctx, []string{key})
	require.NoError(t, err)
	require.Equal(t, []byte("submitted"), values[0])

	swapped, err = b.store.CompareAndSwap(ctx, key, []byte("submitted"), []byte("done"), b.ttl)
	require.NoError(t, err)
	require.True(t, swapped)
	b.expire(t, b.ttl, func() bool {
		values, err := b.store.GetMany(ctx, []string{key})
		require.NoError(t, err)
		return values[0] == nil
	})
}

func testDelete(t *testing.T, b *backend) {
	ctx := context.Background()
	p := prefix(t)
	require.NoError(t, b.store.Set(ctx, p+"a", []byte("1"), time.Hour))
	require.NoError(t, b.store.Set(ctx, p+"b", []byte("2"), time.Hour))
	require.NoError(t, b.store.Append(ctx, p+"stream", []byte("e"), 10, time.Hour))

	require.NoError(t, b.store.Delete(ctx, p+"a", p+"missing", p+"stream"))
	require.NoError(t, b.store.Delete(ctx))

	values, err := b.store.GetMany(ctx, []string{p + "a", p + "b"})
	require.NoError(t, err)
	require.Nil(t, values[0])
	require.Equal(t, []byte("2"), values[1])

	entries, err := b.store.Recent(ctx, p+"stream", 10)
	require.NoError(t, err)
	require.Empty(t, entries)
}

func testStreamCap(t *testing.T, b *backend) {
	ctx := context.Background()
	stream := prefix(t) + "audit"
	const maxLen, appended = 10, 250
	for i := range appended {
		require.NoError(t, b.store.Append(ctx, stream, fmt.Appendf(nil, "entry-%03d", i), maxLen, time.Hour))
	}

	newest, err := b.store.Recent(ctx, stream, 3)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("entry-249"), []byte("entry-248"), []byte("entry-247")}, newest)

	all, err := b.store.Recent(ctx, stream, 1000)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(all), maxLen)
	require.LessOrEqual(t, len(all), maxLen+b.capSlack)
	for i, entry := range all {
		require.Equal(t, fmt.Sprintf("entry-%03d", appended-1-i), string(entry))
	}

	missing, err := b.store.Recent(ctx, prefix(t)+"none", 5)
	require.NoError(t, err)
	require.Empty(t, missing)

	none, err := b.store.Recent(ctx, stream, 0)
	require.NoError(t, err)
	require.Empty(t, none)
}

func testStreamAge(t *testing.T, b *backend) {
	ctx := context.Background()
	stream := prefix(t) + "aged"
	require.NoError(t, b.store.Append(ctx, stream, []byte("old-1"), 100, b.maxAge))
	require.NoError(t, b.store.Append(ctx, stream, []byte("old-2"), 100, b.maxAge))

	b.age(t, b.maxAge)
	require.NoError(t, b.store.Append(ctx, stream, []byte("new"), 100, b.maxAge))

	entries, err := b.store.Recent(ctx, stream, 10)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("new")}, entries)
}

func testPing(t *testing.T, b *backend) {
	require.NoError(t, b.store.Ping(context.Background()))
}

func TestMemoryClosed(t *testing.T) {
	m := store.NewMemory(nil)
	require.NoError(t, m.Close())

	err := m.Ping(context.Background())
	require.ErrorIs(t, err, store.ErrUnavailable)
	_, err = m.GetMany(context.Background(), []string{"k"})
	require.ErrorIs(t, err, store.ErrUnavailable)
}

func TestMemoryCopiesValues(t *testing.T) {
	ctx := context.Background()
	m := store.NewMemory(nil)
	value := []byte("original")
	require.NoError(t, m.Set(ctx, "k", value, time.Hour))
	value[0] = 'X'

	values, err := m.GetMany(ctx, []string{"k"})
	require.NoError(t, err)
	require.Equal(t, []byte("original"), values[0])

	values[0][0] = 'Y'
	again, err := m.GetMany(ctx, []string{"k"})
	require.NoError(t, err)
	require.Equal(t, []byte("original"), again[0])
}

func TestRedisUnavailableAfterStop(t *testing.T) {
	b, server, _ := redisBackend(t)
	ctx := context.Background()
	p := prefix(t)
	require.NoError(t, b.store.Set(ctx, p+"k", []byte("v"), time.Hour))

	server.Stop()

	checks := map[string]func() error{
		"ping":   func() error { return b.store.Ping(ctx) },
		"get":    func() error { _, err := b.store.GetMany(ctx, []string{p + "k"}); return err },
		"set":    func() error { return b.store.Set(ctx, p+"k", []byte("v"), time.Hour) },
		"setnx":  func() error { _, err := b.store.SetNX(ctx, p+"n", []byte("v"), time.Hour); return err },
		"cas":    func() error { _, err := b.store.CompareAndSwap(ctx, p+"k", nil, []byte("v"), time.Hour); return err },
		"delete": func() error { return b.store.Delete(ctx, p+"k") },
		"append": func() error { return b.store.Append(ctx, p+"s", []byte("e"), 10, time.Hour) },
		"recent": func() error { _, err := b.store.Recent(ctx, p+"s", 10); return err },
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			err := check()
			require.ErrorIs(t, err, store.ErrUnavailable)
			require.Contains(t, err.Error(), "state store unavailable")
		})
	}
}

func TestRedisRecoversAfterRestart(t *testing.T) {
	b, server, _ := redisBackend(t)
	ctx := context.Background()
	p := prefix(t)
	require.NoError(t, b.store.Append(ctx, p+"s", []byte("before"), 10, time.Hour))

	server.Stop()
	require.ErrorIs(t, b.store.Ping(ctx), store.ErrUnavailable)
	server.Restart()

	require.NoError(t, b.store.Ping(ctx))
	require.NoError(t, b.store.Append(ctx, p+"s", []byte("after"), 10, time.Hour))
	entries, err := b.store.Recent(ctx, p+"s", 10)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("after")}, entries, "a restarted test server starts empty")

	created, err := b.store.SetNX(ctx, p+"claim", []byte("v"), time.Hour)
	require.NoError(t, err)
	require.True(t, created)
}

func TestRedisScriptReloadedAfterRestart(t *testing.T) {
	b, server, _ := redisBackend(t)
	ctx := context.Background()
	key := prefix(t) + "state"

	swapped, err := b.store.CompareAndSwap(ctx, key, nil, []byte("claimed"), time.Hour)
	require.NoError(t, err)
	require.True(t, swapped)

	// A new server has an empty script cache, so EVALSHA fails with
	// NOSCRIPT and the store must fall back to EVAL.
	server.Restart()
	swapped, err = b.store.CompareAndSwap(ctx, key, nil, []byte("claimed"), time.Hour)
	require.NoError(t, err)
	require.True(t, swapped)
}
