package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckCommand calls /watchdog of the relay at RELAY_ADDR with a
// random Health-Check value and exits 0 only when the relay echoes it. The
// container image has no curl, so its HEALTHCHECK runs this.
func healthcheckCommand(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: relay healthcheck [-addr HOST:PORT] [-timeout 3s]\n\n"+
			"Calls /watchdog of a running relay and exits 0 when it echoes the Health-Check header.\n\n")
		fs.PrintDefaults()
	}
	def := env.Getenv("RELAY_ADDR")
	if def == "" {
		def = ":9090"
	}
	addr := fs.String("addr", def, "address of the relay; RELAY_ADDR when set")
	timeout := fs.Duration("timeout", 3*time.Second, "deadline of the check")
	if err := fs.Parse(args); err != nil {
		return exitCodeForFlags(err)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := checkWatchdog(ctx, *addr); err != nil {
		fmt.Fprintf(env.Stderr, "relay healthcheck: %v\n", err)
		return 1
	}
	fmt.Fprintln(env.Stdout, "ok")
	return 0
}

func checkWatchdog(ctx context.Context, addr string) error {
	url, err := watchdogURL(addr)
	if err != nil {
		return err
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	want := hex.EncodeToString(nonce)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Health-Check", want)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", url, err)
	}
	defer resp.Body.Close()

	var body struct {
		Data string `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil {
		return fmt.Errorf("%s returned HTTP %d with a body that is not the relay envelope: %w", url, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.Data != want {
		return fmt.Errorf("%s returned HTTP %d without echoing the Health-Check value", url, resp.StatusCode)
	}
	return nil
}

// watchdogURL calls a wildcard listen address on loopback.
func watchdogURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return "", fmt.Errorf("invalid relay address %q; expected host:port with a fixed port", addr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/watchdog", nil
}
