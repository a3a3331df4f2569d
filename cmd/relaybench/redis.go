package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
)

const redisStartTimeout = 10 * time.Second

// startRedisServer runs redis-server without persistence on a unix socket
// in dir and waits until it replies to PING. The returned function kills it.
func startRedisServer(ctx context.Context, dir string) (string, func(), error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return "", nil, fmt.Errorf("redis-server not found in PATH; install it (apt-get install redis-server) or pass -redis URL")
	}
	socket := filepath.Join(dir, "redis.sock")
	output := &bytes.Buffer{}
	cmd := exec.Command("redis-server",
		"--port", "0",
		"--unixsocket", socket,
		"--unixsocketperm", "700",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
	)
	cmd.Stdout, cmd.Stderr = output, output
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	url := "unix://" + socket
	if err := waitForRedis(ctx, url, exited); err != nil {
		stop()
		return "", nil, fmt.Errorf("%w\nredis-server output:\n%s", err, output.String())
	}
	return url, stop, nil
}

func waitForRedis(ctx context.Context, url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(redisStartTimeout)
	for {
		err := pingRedis(ctx, url)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited before replying to PING")
		case <-ctx.Done():
			return fmt.Errorf("waiting for redis-server: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not reply to PING within %s: %w", redisStartTimeout, err)
		}
	}
}

// openRedis opens a client for a redis:// or unix:// URL.
func openRedis(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("invalid Redis URL (the relaybench client takes redis://, rediss:// or unix://): %w", err)
	}
	opts.MaxRetries = -1
	return redis.NewClient(opts), nil
}

func pingRedis(ctx context.Context, url string) error {
	c, err := openRedis(url)
	if err != nil {
		return err
	}
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("pinging Redis: %w", err)
	}
	return nil
}

// countExisting returns how many of keys exist in Redis.
func countExisting(ctx context.Context, url string, keys []string) (int64, error) {
	c, err := openRedis(url)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := c.Exists(cctx, keys...).Result()
	if err != nil {
		return 0, fmt.Errorf("checking the cache keys in Redis: %w", err)
	}
	return n, nil
}
