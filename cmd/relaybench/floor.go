package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// floorConfigEnv names the floor server's configuration file. When set,
// relaybench runs as the floor server instead of the benchmark, so the
// floor gets a process of its own like the relay.
const floorConfigEnv = "RELAYBENCH_FLOOR_CONFIG"

// floorConfig is the input of the floor server: the secret, the Redis URL,
// the verdict keys and the response bytes of a cached deliberate request.
type floorConfig struct {
	Secret   string   `json:"secret"`
	RedisURL string   `json:"redis_url"`
	Keys     []string `json:"keys"`
	// Response is the relay's response body, written back unchanged.
	Response []byte `json:"response"`
}

// floorMain serves the floor until SIGTERM and returns the exit code. It
// prints "floor listening <addr>" on standard output once it listens.
func floorMain(configPath string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveFloor(ctx, configPath, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "relaybench floor: %v\n", err)
		return 1
	}
	return 0
}

func serveFloor(ctx context.Context, configPath string, stdout io.Writer) error {
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return fmt.Errorf("reading the floor configuration: %w", err)
	}
	var cfg floorConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("decoding the floor configuration %s: %w", configPath, err)
	}
	rdb, err := openRedis(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening on 127.0.0.1:0: %w", err)
	}
	srv := &http.Server{
		Handler:           floorHandler(cfg, rdb),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      40 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "floor listening %s\n", ln.Addr())

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// floorHandler is the least a relay must do for a cached deliberate
// request: verify the HS256 token with golang-jwt, read the body, read the
// verdicts with one MGET and write the response bytes.
func floorHandler(cfg floorConfig, rdb *redis.Client) http.Handler {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithJSONNumber())
	secret := []byte(cfg.Secret)
	keyFunc := func(*jwt.Token) (any, error) { return secret, nil }

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/deliberate/observables", func(c echo.Context) error {
		raw, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok {
			return c.String(http.StatusUnauthorized, "missing bearer token")
		}
		if _, err := parser.Parse(raw, keyFunc); err != nil {
			return c.String(http.StatusUnauthorized, "invalid token")
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(c.Request().Body, 1<<20)); err != nil {
			return c.String(http.StatusBadRequest, "unreadable body")
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
		defer cancel()
		if err := rdb.MGet(ctx, cfg.Keys...).Err(); err != nil {
			return c.String(http.StatusServiceUnavailable, "redis unavailable")
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, cfg.Response)
	})
	return e
}

// floorProcess is a running floor server.
type floorProcess struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

// startFloor writes cfg to the temporary folder and starts this program
// again as the floor server.
func (b *bench) startFloor(ctx context.Context, cfg floorConfig) (*floorProcess, error) {
	path := filepath.Join(b.dir, "floor.json")
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the floor configuration: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, fmt.Errorf("writing the floor configuration: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the relaybench executable: %w", err)
	}

	p := &floorProcess{cmd: exec.Command(self), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), floorConfigEnv+"="+path)
	p.cmd.Stderr = os.Stderr
	setParentDeathSignal(p.cmd)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("connecting to the floor's output: %w", err)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the floor server: %w", err)
	}
	addr, err := readFloorAddr(ctx, stdout)
	// The floor prints nothing after its address, so Wait may run now.
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	if err != nil {
		p.stop()
		return nil, err
	}
	p.addr = addr
	return p, nil
}

func readFloorAddr(ctx context.Context, stdout io.Reader) (string, error) {
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "floor listening ")
		if !ok {
			return "", errors.New("the floor server exited before it listened; its errors are above")
		}
		return addr, nil
	case <-time.After(relayStartTimeout):
		return "", fmt.Errorf("the floor server did not listen within %s", relayStartTimeout)
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for the floor server: %w", ctx.Err())
	}
}

func (p *floorProcess) baseURL() string { return "http://" + p.addr }

func (p *floorProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(relayStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *floorProcess) peakRSS() (int64, error) {
	st, err := procStatus(p.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	return st["VmHWM"], nil
}
