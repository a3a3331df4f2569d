package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	relayStartTimeout = 30 * time.Second
	relayStopTimeout  = 30 * time.Second
)

// relayProcess is one running relay.
type relayProcess struct {
	name        string
	cmd         *exec.Cmd
	addr        string
	metricsAddr string
	logPath     string
	stateKey    string
	exited      chan struct{}
}

// startRelays starts n relays sharing one state key, so they share cache
// entries in Redis. Each scenario gets its own key, so no scenario reads
// another's cache entries.
func (b *bench) startRelays(ctx context.Context, scenario string, n int) ([]*relayProcess, error) {
	stateKey, err := randomText()
	if err != nil {
		return nil, err
	}
	var relays []*relayProcess
	for i := range n {
		name := fmt.Sprintf("%s-%d", scenario, i+1)
		p, err := b.startRelay(ctx, name, stateKey)
		if err != nil {
			stopRelays(relays)
			return nil, err
		}
		relays = append(relays, p)
	}
	return relays, nil
}

func (b *bench) startRelay(ctx context.Context, name, stateKey string) (*relayProcess, error) {
	p := &relayProcess{name: name, stateKey: stateKey, exited: make(chan struct{}),
		logPath: filepath.Join(b.dir, "relay-"+name+".log")}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the relay log: %w", err)
	}

	p.cmd = exec.Command(b.binary, "serve")
	p.cmd.Env = b.relayEnv(stateKey)
	setParentDeathSignal(p.cmd)
	// An os.Pipe rather than StderrPipe, because Wait runs while the log
	// is still being read.
	stderr, stderrW, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("creating a pipe for the relay's standard error: %w", err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, stderrW
	err = p.cmd.Start()
	stderrW.Close()
	if err != nil {
		stderr.Close()
		logFile.Close()
		return nil, fmt.Errorf("starting the relay: %w", err)
	}

	addrs := make(chan listenAddrs, 1)
	go func() {
		defer stderr.Close()
		p.copyLog(stderr, logFile, addrs)
	}()
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitListening(ctx, addrs); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// relayEnv is the environment without any RELAY_ setting of the caller,
// plus the benchmark's settings and then those of -relay-env.
func (b *bench) relayEnv(stateKey string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RELAY_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"RELAY_ADDR=127.0.0.1:0",
		"RELAY_METRICS_ADDR=127.0.0.1:0",
		"RELAY_JWT_SECRET="+b.secret,
		"RELAY_GATEWAY_HOSTS="+b.simHostPort(),
		"RELAY_REDIS_URL="+b.redisURL,
		"RELAY_STATE_KEY="+stateKey,
		"RELAY_LOG_FORMAT=json",
		"RELAY_LOG_LEVEL=info",
	)
	return append(env, b.opts.relayEnv...)
}

// listenAddrs are the addresses a relay logs once it listens.
type listenAddrs struct {
	relay, metrics string
}

// copyLog copies the relay's log lines to its log file and reports the
// listener addresses: "metrics listening" comes first, then "relay
// listening".
func (p *relayProcess) copyLog(r io.Reader, logFile *os.File, addrs chan<- listenAddrs) {
	defer logFile.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	// A line past the buffer stops the scanner; the rest is still copied
	// so the relay never blocks on a full pipe.
	defer func() { _, _ = io.Copy(logFile, r) }()
	var found listenAddrs
	sent := false
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = logFile.Write(append(line, '\n'))
		if sent {
			continue
		}
		var entry struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &entry) != nil {
			continue
		}
		switch entry.Msg {
		case "metrics listening":
			found.metrics = entry.Addr
		case "relay listening":
			found.relay = entry.Addr
			addrs <- found
			sent = true
		}
	}
}

func (p *relayProcess) waitListening(ctx context.Context, addrs <-chan listenAddrs) error {
	timer := time.NewTimer(relayStartTimeout)
	defer timer.Stop()
	select {
	case a := <-addrs:
		p.addr, p.metricsAddr = a.relay, a.metrics
		return nil
	case <-p.exited:
		return fmt.Errorf("relay %s exited at start; its log is %s:\n%s", p.name, p.logPath, tailFile(p.logPath))
	case <-timer.C:
		return fmt.Errorf("relay %s logged no \"relay listening\" line within %s; its log is %s", p.name, relayStartTimeout, p.logPath)
	case <-ctx.Done():
		return fmt.Errorf("waiting for relay %s: %w", p.name, ctx.Err())
	}
}

// baseURL is the relay's protocol address.
func (p *relayProcess) baseURL() string { return "http://" + p.addr }

// stop sends SIGTERM and kills the relay if it has not exited within
// relayStopTimeout.
func (p *relayProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(relayStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func stopRelays(relays []*relayProcess) {
	for _, p := range relays {
		p.stop()
	}
}

// procStatus reads the kB fields of /proc/<pid>/status, such as VmHWM (peak
// resident set) and VmRSS.
func procStatus(pid int) (map[string]int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("reading the process status (Linux only): %w", err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(raw), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[name] = n * 1024
		}
	}
	return out, nil
}

// peakRSS returns the relay's peak resident set size in bytes (VmHWM).
func (p *relayProcess) peakRSS() (int64, error) {
	st, err := procStatus(p.cmd.Process.Pid)
	if err != nil {
		return 0, err
	}
	hwm, ok := st["VmHWM"]
	if !ok {
		return 0, errors.New("no VmHWM line in /proc/<pid>/status")
	}
	return hwm, nil
}

// openFiles counts the relay's open file descriptors, sockets included.
func (p *relayProcess) openFiles() (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("listing the relay's open files: %w", err)
	}
	return len(entries), nil
}

// tailFile returns the last lines of a log, for start errors.
func tailFile(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
