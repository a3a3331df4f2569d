package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// requestTimeout bounds one benchmark request; the relay's own request
	// timeout is 30s by default.
	requestTimeout = 60 * time.Second
	// maxResponseBytes caps what is read of one response.
	maxResponseBytes = 16 << 20
)

// fatalMarker is the JSON fragment of a fatal error in a relay envelope.
var fatalMarker = []byte(`"type":"fatal"`)

// loadSpec describes one closed-loop run: concurrency workers send
// requests back to back until requests are sent or duration has passed.
type loadSpec struct {
	targets     []string // base URLs, used round-robin
	path        string
	token       string
	body        func(i int) []byte
	concurrency int
	requests    int           // 0: run for duration
	duration    time.Duration // used when requests is 0
	// check, when set, inspects each successful response body.
	check func(body []byte) error
}

// loadResult is the measurement of one run.
type loadResult struct {
	latencies  []time.Duration
	errors     int
	firstError string
	elapsed    time.Duration
}

func (r *loadResult) add(o loadResult) {
	r.latencies = append(r.latencies, o.latencies...)
	r.errors += o.errors
	if r.firstError == "" {
		r.firstError = o.firstError
	}
	r.elapsed += o.elapsed
}

// throughput is completed requests per second.
func (r *loadResult) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.latencies)) / r.elapsed.Seconds()
}

// newClient returns a keep-alive client with room for conns idle
// connections per host.
func newClient(conns int, dials *atomic.Int64) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials != nil {
					dials.Add(1)
				}
				return dialer.DialContext(ctx, network, addr)
			},
			MaxIdleConns:        conns * 4,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// runClosedLoop runs spec and returns every latency. Failed requests are
// counted as errors and leave no latency.
func runClosedLoop(ctx context.Context, client *http.Client, spec loadSpec) loadResult {
	var next atomic.Int64
	var deadline time.Time
	if spec.requests == 0 {
		deadline = time.Now().Add(spec.duration)
	}
	results := make([]loadResult, spec.concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range spec.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if spec.requests > 0 && i >= spec.requests || spec.requests == 0 && time.Now().After(deadline) {
					return
				}
				target := spec.targets[i%len(spec.targets)]
				d, err := post(ctx, client, target+spec.path, spec.token, spec.body(i), spec.check)
				results[w].record(d, err)
			}
		}()
	}
	wg.Wait()

	var total loadResult
	for _, r := range results {
		total.add(r)
	}
	total.elapsed = time.Since(start)
	return total
}

func (r *loadResult) record(d time.Duration, err error) {
	if err != nil {
		r.errors++
		if r.firstError == "" {
			r.firstError = err.Error()
		}
		return
	}
	r.latencies = append(r.latencies, d)
}

// post sends one relay request and returns its latency. A transport
// error, a status other than 200, a fatal error in the envelope or a
// failed check is an error.
func post(ctx context.Context, client *http.Client, url, token string, body []byte, check func([]byte) error) (time.Duration, error) {
	got, d, err := postBody(ctx, client, url, token, body)
	if err == nil && check != nil {
		err = check(got)
	}
	return d, err
}

// postBody is post that also returns the response body.
func postBody(ctx context.Context, client *http.Client, url, token string, body []byte) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("building the request to %s: %w", url, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("POST %s: %w", url, err)
	}
	got, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return nil, d, fmt.Errorf("reading the response of %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return got, d, fmt.Errorf("POST %s: status %d: %s", url, resp.StatusCode, clip(got, 300))
	}
	if bytes.Contains(got, fatalMarker) {
		return got, d, fmt.Errorf("POST %s: fatal error in the response: %s", url, clip(got, 300))
	}
	return got, d, nil
}

func clip(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// latencySummary holds percentiles in milliseconds.
type latencySummary struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// summarize computes nearest-rank percentiles.
func summarize(latencies []time.Duration) latencySummary {
	if len(latencies) == 0 {
		return latencySummary{}
	}
	sorted := append([]time.Duration(nil), latencies...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	at := func(p float64) float64 {
		i := int(p*float64(len(sorted))+0.5) - 1
		i = min(max(i, 0), len(sorted)-1)
		return float64(sorted[i]) / float64(time.Millisecond)
	}
	return latencySummary{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: at(1)}
}
