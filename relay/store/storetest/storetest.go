// Package storetest runs a real redis-server for tests, on a unix socket in
// a temporary folder, or points them at RELAY_TEST_REDIS_URL.
package storetest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvRedisURL names the variable that points tests at an existing Redis
// instead of starting one.
const EnvRedisURL = "RELAY_TEST_REDIS_URL"

const (
	startTimeout = 10 * time.Second
	pollInterval = 10 * time.Millisecond
	// maxSocketPath leaves room under the 108-byte limit of a unix socket
	// path on Linux.
	maxSocketPath = 100
)

// Server is a redis-server run by a test, or the external Redis named by
// RELAY_TEST_REDIS_URL.
type Server struct {
	t      testing.TB
	socket string
	url    string

	mu      sync.Mutex
	process *os.Process
	// exited is closed once the running process has exited and its output
	// has been copied.
	exited chan struct{}
}

// StartRedis returns a running Redis for the test. Unless
// RELAY_TEST_REDIS_URL is set, it starts redis-server from PATH on a unix
// socket, without persistence, and kills it when the test ends. Without
// redis-server the test is skipped, or fails when the CI variable is set,
// so CI never skips silently.
func StartRedis(t testing.TB) *Server {
	t.Helper()
	if external := os.Getenv(EnvRedisURL); external != "" {
		return &Server{t: t, url: external}
	}

	if _, err := exec.LookPath("redis-server"); err != nil {
		message := "redis-server not found in PATH; install it (apt-get install redis-server) or set " +
			EnvRedisURL + " to a Redis URL"
		if os.Getenv("CI") != "" {
			t.Fatal(message)
		}
		t.Skip(message)
	}

	s := &Server{t: t, socket: socketPath(t)}
	s.url = "unix://" + s.socket
	t.Cleanup(s.Stop)
	s.start()
	return s
}

// socketPath returns a socket path in t.TempDir(), or in a shorter
// temporary folder when that path would be too long for a unix socket.
func socketPath(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.sock")
	if len(path) <= maxSocketPath {
		return path
	}

	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		t.Fatalf("create a folder for the redis socket: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "redis.sock")
}

// URL returns the URL to open the server with: unix:///path/redis.sock for
// a server started here, or the value of RELAY_TEST_REDIS_URL.
func (s *Server) URL() string {
	return s.url
}

// Stop kills the server as a crash would, without a clean shutdown. It does
// nothing when the server is already stopped, and skips the test when the
// server is external, because the test cannot stop it.
func (s *Server) Stop() {
	s.t.Helper()
	if s.socket == "" {
		s.t.Skip("cannot stop the external Redis named by " + EnvRedisURL)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.process == nil {
		return
	}

	_ = s.process.Kill()
	<-s.exited
	s.process = nil
}

// Restart stops the server if it runs and starts a new, empty one on the
// same socket path.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func (s *Server) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()

	// A killed server leaves its socket file behind.
	_ = os.Remove(s.socket)

	output := &bytes.Buffer{}
	cmd := exec.Command("redis-server",
		"--port", "0",
		"--unixsocket", s.socket,
		"--unixsocketperm", "700",
		"--save", "",
		"--appendonly", "no",
		"--dir", filepath.Dir(s.socket),
	)
	cmd.Stdout = output
	cmd.Stderr = output
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}

	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.process, s.exited = cmd.Process, exited
	s.waitUntilReady(exited, output)
}

func (s *Server) waitUntilReady(exited <-chan struct{}, output *bytes.Buffer) {
	s.t.Helper()
	client := redis.NewClient(&redis.Options{Network: "unix", Addr: s.socket, MaxRetries: -1})
	defer client.Close()

	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}

		select {
		case <-exited:
			s.t.Fatalf("redis-server exited before answering PING: %s", output.String())
		case <-time.After(pollInterval):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not answer PING within %s: %v", startTimeout, err)
		}
	}
}
