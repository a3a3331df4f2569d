package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one scenario's measurements, printed as a table and written
// to the JSON file.
type result struct {
	Scenario    string  `json:"scenario"`
	Description string  `json:"description"`
	Route       string  `json:"route"`
	Observables int     `json:"observables_per_request"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// Throughput is completed requests per second.
	Throughput float64        `json:"throughput_rps"`
	LatencyMS  latencySummary `json:"latency_ms"`
	// GatewayRequests counts the simulator's requests by endpoint during
	// the measured phase.
	GatewayRequests map[string]int `json:"gateway_requests"`
	CacheHits       int64          `json:"cache_hits"`
	CacheMisses     int64          `json:"cache_misses"`
	// CacheSource is "metrics" when the counts come from the relay's
	// /metrics, else "derived" from the requests and gateway searches.
	CacheSource string `json:"cache_source"`
	// PeakRSSBytes is the largest VmHWM of the scenario's relays.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// Extra are scenario-specific rows, in order.
	Extra   []row    `json:"extra,omitempty"`
	Targets []target `json:"targets,omitempty"`
}

// row is a named value printed under the common rows.
type row struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// target is a goal and whether the measurement met it.
type target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
}

func (r *result) addRow(name, format string, args ...any) {
	r.Extra = append(r.Extra, row{Name: name, Value: fmt.Sprintf(format, args...)})
}

func (r *result) addTarget(name, goal, measured string, pass bool) {
	r.Targets = append(r.Targets, target{Name: name, Goal: goal, Measured: measured, Pass: pass})
}

// setLoad copies a load run's numbers into the result.
func (r *result) setLoad(l loadResult, concurrency int) {
	r.Requests = len(l.latencies) + l.errors
	r.Errors = l.errors
	r.FirstError = l.firstError
	r.Concurrency = concurrency
	r.Seconds = l.elapsed.Seconds()
	r.Throughput = l.throughput()
	r.LatencyMS = summarize(l.latencies)
}

func printResult(w io.Writer, r *result) {
	fmt.Fprintf(w, "\n== %s: %s\n", r.Scenario, r.Description)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	put := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, args...))
	}

	put("route", "%s", r.Route)
	put("observables/request", "%d", r.Observables)
	put("requests", "%d (%d errors)", r.Requests, r.Errors)
	if r.FirstError != "" {
		put("first error", "%s", r.FirstError)
	}
	put("concurrency", "%d", r.Concurrency)
	put("throughput", "%.1f req/s over %.1fs", r.Throughput, r.Seconds)
	put("latency p50/p90/p99", "%.1f / %.1f / %.1f ms (max %.1f)", r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	put("gateway requests", "%s", formatCounts(r.GatewayRequests))
	put("cache hits", "%d hits, %d misses (%s)", r.CacheHits, r.CacheMisses, r.CacheSource)
	put("peak RSS (relay)", "%s", formatMB(r.PeakRSSBytes))
	for _, x := range r.Extra {
		put(x.Name, "%s", x.Value)
	}
	for _, t := range r.Targets {
		verdict := "MISS"
		if t.Pass {
			verdict = "PASS"
		}
		put("target: "+t.Name, "%s  (goal %s)  %s", t.Measured, t.Goal, verdict)
	}
	_ = tw.Flush()
}

func formatCounts[V int | int64](counts map[string]V) string {
	if len(counts) == 0 {
		return "none"
	}
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

func formatMB(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

// machine describes where the run happened, for the JSON file.
type machine struct {
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	MemoryKB  int64  `json:"memory_kb"`
}

func (b *bench) machine() machine {
	m := machine{
		Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
	}
	if out, err := exec.Command("lscpu").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "Model name" {
				m.CPUModel = strings.TrimSpace(value)
			}
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(raw), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryKB = kb
		}
	}
	return m
}

// writeJSON writes the machine, the settings -relay-env added and the
// results to path.
func writeJSON(path string, m machine, relayEnv []string, results []*result) error {
	if results == nil {
		results = []*result{}
	}
	raw, err := json.MarshalIndent(struct {
		Machine  machine   `json:"machine"`
		RelayEnv []string  `json:"relay_env,omitempty"`
		Results  []*result `json:"results"`
	}{m, relayEnv, results}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the results: %w", err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the results to %s: %w", path, err)
	}
	return nil
}
