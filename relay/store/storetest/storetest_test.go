package storetest

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// recordingTB records how StartRedis ended a test instead of ending it.
type recordingTB struct {
	testing.TB
	skipped string
	failed  string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
	runtime.Goexit()
}

// startWithout runs StartRedis with redis-server missing from PATH.
func startWithout(t *testing.T, ci string) *recordingTB {
	t.Helper()
	t.Setenv("PATH", t.TempDir())
	t.Setenv(EnvRedisURL, "")
	t.Setenv("CI", ci)

	recorder := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartRedis(recorder)
	}()
	<-done
	return recorder
}

func TestStartRedisSkipsWithoutServer(t *testing.T) {
	recorder := startWithout(t, "")
	require.Contains(t, recorder.skipped, "redis-server not found")
	require.Empty(t, recorder.failed)
}

func TestStartRedisFailsWithoutServerInCI(t *testing.T) {
	recorder := startWithout(t, "true")
	require.Contains(t, recorder.failed, "redis-server not found")
	require.Empty(t, recorder.skipped)
}

func TestStartRedisUsesExternalURL(t *testing.T) {
	t.Setenv(EnvRedisURL, "redis://127.0.0.1:6399/0")
	server := StartRedis(t)
	require.Equal(t, "redis://127.0.0.1:6399/0", server.URL())
}

func TestStartRedisAnswersOnSocket(t *testing.T) {
	if os.Getenv(EnvRedisURL) != "" {
		t.Skip("uses the external Redis")
	}
	server := StartRedis(t)
	require.True(t, strings.HasPrefix(server.URL(), "unix:///"))

	socket := strings.TrimPrefix(server.URL(), "unix://")
	ping(t, socket)

	server.Restart()
	ping(t, socket)

	server.Stop()
	_, err := net.Dial("unix", socket)
	require.Error(t, err)
	server.Stop()
}

func ping(t *testing.T, socket string) {
	t.Helper()
	conn, err := net.Dial("unix", socket)
	require.NoError(t, err)
	defer conn.Close()

	_, err = conn.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	reply := make([]byte, 7)
	_, err = io.ReadFull(conn, reply)
	require.NoError(t, err)
	require.Equal(t, "+PONG\r\n", string(reply))
}
