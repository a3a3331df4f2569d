package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securex-esa/relay/gateway/sim"
)

// Gateway account of the simulator, sent in the configuration token.
const (
	simUser     = "admin"
	simPassword = "ironport"
)

// tokenTTL outlives the longest run with a wide margin.
const tokenTTL = 2 * time.Hour

// bench is the environment every scenario shares: the temporary folder,
// the relay binary, Redis, the simulator and its dataset, the HS256 secret
// and a token for the simulator.
type bench struct {
	opts   *options
	log    io.Writer
	dir    string
	binary string

	redisURL  string
	stopRedis func()

	sim    *sim.Server
	simURL string
	caPEM  []byte
	data   *dataset

	secret string
	token  string
}

// setup builds the relay, starts Redis unless one is given, starts the
// simulator and mints the token. On error it releases what it started.
func setup(ctx context.Context, o *options, log io.Writer) (*bench, error) {
	dir, err := os.MkdirTemp("", "relaybench-")
	if err != nil {
		return nil, fmt.Errorf("creating the temporary folder: %w", err)
	}
	b := &bench{opts: o, log: log, dir: dir, stopRedis: func() {}}
	if err := b.start(ctx); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *bench) start(ctx context.Context) error {
	var err error
	if b.binary, err = buildRelay(ctx, b.dir); err != nil {
		return err
	}
	if err = b.startRedis(ctx); err != nil {
		return err
	}
	if err = b.startSimulator(); err != nil {
		return err
	}
	if b.secret, err = randomText(); err != nil {
		return err
	}
	b.token, err = b.mintToken(time.Now())
	return err
}

// buildRelay runs go build ./cmd/relay into dir, from the module root.
func buildRelay(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "relay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/relay")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ./cmd/relay in %s: %w\n%s", root, err, msg)
	}
	return out, nil
}

// moduleRoot finds the folder of go.mod, so the benchmark runs from any
// folder inside the module, tests included.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("running go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("no go.mod found; run relaybench inside the relay module")
	}
	return filepath.Dir(gomod), nil
}

func (b *bench) startRedis(ctx context.Context) error {
	if b.opts.redisURL != "" {
		b.redisURL = b.opts.redisURL
		return pingRedis(ctx, b.redisURL)
	}
	url, stop, err := startRedisServer(ctx, b.dir)
	if err != nil {
		return err
	}
	b.redisURL, b.stopRedis = url, stop
	return nil
}

// startSimulator serves the simulator over HTTPS on 127.0.0.1 and writes
// its CA certificate next to the relay binary.
func (b *bench) startSimulator() error {
	s, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("creating the simulator: %w", err)
	}
	url, err := s.StartTLS("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the simulator: %w", err)
	}
	b.sim, b.simURL, b.caPEM = s, url, s.CAPEM()
	if err := os.WriteFile(filepath.Join(b.dir, "gatewaysim-ca.pem"), b.caPEM, 0o600); err != nil {
		return fmt.Errorf("writing the simulator CA: %w", err)
	}
	if b.data, err = loadDataset(s, time.Now()); err != nil {
		return err
	}
	return nil
}

// mintToken signs the configuration token the platform would send for a
// module pointed at the simulator's SMA prefix.
func (b *bench) mintToken(now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"GATEWAY_URL":      b.simURL,
		"GATEWAY_API":      "sma",
		"GATEWAY_USER":     simUser,
		"GATEWAY_PASSWORD": simPassword,
		"GATEWAY_CA_PEM":   string(b.caPEM),
		"iat":              now.Unix(),
		"exp":              now.Add(tokenTTL).Unix(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(b.secret))
	if err != nil {
		return "", fmt.Errorf("signing the configuration token: %w", err)
	}
	return s, nil
}

// simHostPort is the simulator's host:port, the relay's allowed gateway.
func (b *bench) simHostPort() string {
	return strings.TrimPrefix(b.simURL, "https://")
}

// close stops the simulator and Redis and removes the temporary folder
// unless -keep is set.
func (b *bench) close() {
	if b.sim != nil {
		_ = b.sim.Close()
	}
	b.stopRedis()
	if b.opts.keep {
		fmt.Fprintf(b.log, "relaybench: kept %s\n", b.dir)
		return
	}
	_ = os.RemoveAll(b.dir)
}

// randomText returns 32 random bytes as 64 hex characters, for secrets and
// state keys.
func randomText() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(buf), nil
}
