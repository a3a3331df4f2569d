package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/securex-esa/relay/observables"
)

// Relay routes the scenarios drive.
const (
	deliberatePath = "/deliberate/observables"
	observePath    = "/observe/observables"
)

// verdictMarker counts the verdicts of a deliberate response.
var verdictMarker = []byte(`"type":"verdict"`)

// scenario is one named measurement.
type scenario struct {
	name    string
	summary string
	run     func(ctx context.Context, b *bench) (*result, error)
}

// scenarios run in this order; the fast ones that need no gateway latency
// come first.
var scenarios = []scenario{
	{"cached-deliberate", "deliberate on 50 cached verdicts, against a floor server doing the minimum (token check, one MGET, same bytes)", runCachedDeliberate},
	{"cold-observe", "observe on 20 uncached observables with a warm gateway session and simulator latency (-latency)", runColdObserve},
	{"herd", "100 concurrent identical cold observe requests: gateway searches per observable, gateway and filter", runHerd},
	{"connections", "1,000 keep-alive clients, each sending a cached deliberate request every 2s: relay RSS", runConnections},
	{"scale-out", "three relays sharing one Redis behind a round-robin client: verdicts fetched through one are served by the others from the cache", runScaleOut},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

func findScenario(name string) *scenario {
	for i := range scenarios {
		if scenarios[i].name == name {
			return &scenarios[i]
		}
	}
	return nil
}

// orDefault returns override when it is set, else def.
func orDefault[T int | time.Duration](override, def T) T {
	if override > 0 {
		return override
	}
	return def
}

// measureCache fills in the cache counts from the relay's metrics, or from
// derived counts when the metrics could not be read.
func measureCache(r *result, before, after relayMetrics, err error, derivedHits, derivedMisses int64) {
	if err != nil {
		r.CacheHits, r.CacheMisses, r.CacheSource = derivedHits, derivedMisses, "derived"
		r.addRow("metrics", "unreadable: %v", err)
		return
	}
	d := after.sub(before)
	r.CacheHits, r.CacheMisses, r.CacheSource = d.cacheHits, d.cacheMisses, "metrics"
}

// scrapeAll reads every relay's metrics; the error is the first failure.
func scrapeAll(ctx context.Context, relays []*relayProcess) ([]relayMetrics, error) {
	out := make([]relayMetrics, len(relays))
	var errs []error
	for i, p := range relays {
		m, err := p.scrapeMetrics(ctx)
		out[i] = m
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// peakRSS returns the largest VmHWM of the relays; unreadable values
// count as 0.
func peakRSS(relays []*relayProcess) int64 {
	var peak int64
	for _, p := range relays {
		if v, err := p.peakRSS(); err == nil {
			peak = max(peak, v)
		}
	}
	return peak
}

// warmUp sends one request and reports a failure as a row, because the
// measured requests will show the same failure in their error count.
func warmUp(ctx context.Context, b *bench, r *result, url string, body []byte) []byte {
	got, _, err := postBody(ctx, newClient(1, nil), url, b.token, body)
	if err != nil {
		r.addRow("warm-up", "failed: %v", err)
	}
	return got
}

func runCachedDeliberate(ctx context.Context, b *bench) (*result, error) {
	const n = 50
	obs, err := b.data.threatObservables(0, n)
	if err != nil {
		return nil, err
	}
	relays, err := b.startRelays(ctx, "cached-deliberate", 1)
	if err != nil {
		return nil, err
	}
	defer stopRelays(relays)
	relay := relays[0]

	body := encodeObservables(obs)
	response, err := b.fillCache(ctx, relay, body, obs)
	if err != nil {
		return nil, err
	}
	keys, err := b.verdictKeys(relay.stateKey, obs)
	if err != nil {
		return nil, err
	}
	if found, err := countExisting(ctx, b.redisURL, keys); err != nil || found != int64(len(keys)) {
		return nil, fmt.Errorf("the floor's cache keys do not match the relay's: %d of %d found in Redis (err: %v); check how relay/enrich builds verdict keys", found, len(keys), err)
	}
	floor, err := b.startFloor(ctx, floorConfig{Secret: b.secret, RedisURL: b.redisURL, Keys: keys, Response: response})
	if err != nil {
		return nil, err
	}
	defer floor.stop()

	r := &result{Description: "deliberate on 50 cached verdicts, relay against the floor", Route: "POST " + deliberatePath, Observables: n}
	relayLoad, floorLoad, before, after, mErr := b.compareWithFloor(ctx, relay, floor, body)
	r.setLoad(relayLoad, orDefault(b.opts.concurrency, 8))
	r.GatewayRequests = countEndpoints(b.sim.Requests())
	measureCache(r, before, after, mErr, int64(n*len(relayLoad.latencies)), 0)
	r.PeakRSSBytes = peakRSS(relays)

	addFloorRows(r, floor, floorLoad, len(response), bytes.Count(response, verdictMarker))
	ratio := 0.0
	if ft := floorLoad.throughput(); ft > 0 {
		ratio = relayLoad.throughput() / ft
	}
	r.addRow("relay/floor throughput", "%.2f", ratio)
	r.addTarget("relay/floor throughput", ">= 0.60", fmt.Sprintf("%.2f", ratio), ratio >= 0.6)
	return r, nil
}

// fillCache sends the observables once to fill the verdict cache, then
// again, and returns the second, cached, response body.
func (b *bench) fillCache(ctx context.Context, relay *relayProcess, body []byte, obs []observables.Observable) ([]byte, error) {
	client := newClient(1, nil)
	url := relay.baseURL() + deliberatePath
	if _, _, err := postBody(ctx, client, url, b.token, body); err != nil {
		return nil, fmt.Errorf("filling the verdict cache: %w", err)
	}
	response, _, err := postBody(ctx, client, url, b.token, body)
	if err != nil {
		return nil, fmt.Errorf("reading the cached verdicts: %w", err)
	}
	if got := bytes.Count(response, verdictMarker); got != len(obs) {
		return nil, fmt.Errorf("the cached response contains %d verdicts, expected %d: one per observable with a threat verdict", got, len(obs))
	}
	return response, nil
}

// compareWithFloor measures the relay and the floor in alternating rounds,
// so that noise from other processes falls on both alike.
func (b *bench) compareWithFloor(ctx context.Context, relay *relayProcess, floor *floorProcess, body []byte) (relayLoad, floorLoad loadResult, before, after relayMetrics, err error) {
	const rounds = 2
	conc := orDefault(b.opts.concurrency, 8)
	client := newClient(conc, nil)
	spec := loadSpec{path: deliberatePath, token: b.token, body: func(int) []byte { return body }, concurrency: conc}
	if b.opts.requests > 0 {
		spec.requests = max(b.opts.requests/rounds, 1)
	} else {
		spec.duration = orDefault(b.opts.duration, 10*time.Second) / rounds
	}

	// An untimed warm-up opens the connections and grows both heaps.
	warm := spec
	warm.requests, warm.duration = conc*20, 0
	for _, target := range []string{relay.baseURL(), floor.baseURL()} {
		warm.targets = []string{target}
		runClosedLoop(ctx, client, warm)
	}

	b.sim.ResetRequests()
	before, err = relay.scrapeMetrics(ctx)
	for range rounds {
		spec.targets = []string{relay.baseURL()}
		relayLoad.add(runClosedLoop(ctx, client, spec))
		spec.targets = []string{floor.baseURL()}
		floorLoad.add(runClosedLoop(ctx, client, spec))
	}
	if err == nil {
		after, err = relay.scrapeMetrics(ctx)
	}
	return relayLoad, floorLoad, before, after, err
}

func addFloorRows(r *result, floor *floorProcess, l loadResult, responseBytes, verdicts int) {
	s := summarize(l.latencies)
	r.addRow("response", "%d bytes, %d verdicts", responseBytes, verdicts)
	r.addRow("floor requests", "%d (%d errors)", len(l.latencies)+l.errors, l.errors)
	if l.firstError != "" {
		r.addRow("floor first error", "%s", l.firstError)
	}
	r.addRow("floor throughput", "%.1f req/s over %.1fs", l.throughput(), l.elapsed.Seconds())
	r.addRow("floor latency p50/p90/p99", "%.1f / %.1f / %.1f ms", s.P50, s.P90, s.P99)
	rss, _ := floor.peakRSS()
	r.addRow("floor peak RSS", "%s", formatMB(rss))
}
