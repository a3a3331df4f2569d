package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

func TestRedisLogsRoutedToSlog(t *testing.T) {
	srv := storetest.StartRedis(t)
	buf := &lockedWriter{}
	store.RouteRedisLogs(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { store.RouteRedisLogs(slog.New(slog.DiscardHandler)) })

	st, err := store.OpenRedis(srv.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Ping(context.Background()))
	srv.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.Error(t, st.Ping(ctx))
	require.Contains(t, buf.String(), "component=go-redis")
}

// lockedWriter is a buffer that go-redis's connection goroutines may write
// while the test reads it.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
