package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// connectionsInterval is the pause between two requests of one client in
// the connections scenario.
const connectionsInterval = 2 * time.Second

func runConnections(ctx context.Context, b *bench) (*result, error) {
	clients := orDefault(b.opts.concurrency, 1000)
	duration := orDefault(b.opts.duration, 20*time.Second)
	// Each client holds one socket; the rest covers Redis, the simulator
	// and the standard descriptors.
	if err := raiseOpenFileLimit(uint64(clients) + 1024); err != nil {
		return nil, err
	}
	obs, err := b.data.threatObservables(0, 10)
	if err != nil {
		return nil, err
	}
	body := encodeObservables(obs)

	relays, err := b.startRelays(ctx, "connections", 1)
	if err != nil {
		return nil, err
	}
	defer stopRelays(relays)
	relay := relays[0]

	r := &result{Description: fmt.Sprintf("%d keep-alive clients, one cached deliberate request each every %s", clients, connectionsInterval),
		Route: "POST " + deliberatePath, Observables: len(obs)}
	warmUp(ctx, b, r, relay.baseURL()+deliberatePath, body)

	b.sim.ResetRequests()
	before, mErr := relay.scrapeMetrics(ctx)
	sampler := startSampler(relay)
	load, dials := runPaced(ctx, pacedSpec{url: relay.baseURL() + deliberatePath, token: b.token, body: body,
		clients: clients, interval: connectionsInterval, duration: duration})
	maxFiles, lastRSS := sampler.stop()
	after, err := relay.scrapeMetrics(ctx)
	if mErr == nil {
		mErr = err
	}

	r.setLoad(load, clients)
	r.GatewayRequests = countEndpoints(b.sim.Requests())
	measureCache(r, before, after, mErr, int64(len(obs)*len(load.latencies)), 0)
	r.PeakRSSBytes = peakRSS(relays)
	r.addRow("offered rate", "%.0f req/s (%d clients / %s)", float64(clients)/connectionsInterval.Seconds(), clients, connectionsInterval)
	r.addRow("client connections opened", "%d", dials)
	r.addRow("relay open files (max sampled)", "%d", maxFiles)
	r.addRow("relay RSS at the end", "%s", formatMB(lastRSS))
	r.addTarget(fmt.Sprintf("peak RSS at %d connections", clients), "< 100 MB", formatMB(r.PeakRSSBytes),
		r.PeakRSSBytes > 0 && r.PeakRSSBytes < 100<<20)
	return r, nil
}

// pacedSpec describes an open-loop run: clients keep-alive clients, each
// with its own connection, each sending one request per interval.
type pacedSpec struct {
	url, token string
	body       []byte
	clients    int
	interval   time.Duration
	duration   time.Duration
}

// runPaced runs spec and returns the latencies and the number of
// connections the clients opened. Client start times are spread over one
// interval so the load is even.
func runPaced(ctx context.Context, spec pacedSpec) (loadResult, int64) {
	var dials atomic.Int64
	results := make([]loadResult, spec.clients)
	start := time.Now()
	deadline := start.Add(spec.duration)
	var wg sync.WaitGroup
	for c := range spec.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := newClient(1, &dials)
			defer client.CloseIdleConnections()
			offset := spec.interval * time.Duration(c) / time.Duration(spec.clients)
			next := start.Add(offset)
			for ctx.Err() == nil && next.Before(deadline) {
				time.Sleep(time.Until(next))
				d, err := post(ctx, client, spec.url, spec.token, spec.body, nil)
				results[c].record(d, err)
				next = next.Add(spec.interval)
			}
		}()
	}
	wg.Wait()

	var total loadResult
	for _, r := range results {
		total.add(r)
	}
	total.elapsed = time.Since(start)
	return total, dials.Load()
}

// sampler polls a relay's open files and RSS while a scenario runs.
type sampler struct {
	done     chan struct{}
	finished chan struct{}
	maxFiles int
	lastRSS  int64
}

func startSampler(p *relayProcess) *sampler {
	s := &sampler{done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(s.finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := p.openFiles(); err == nil {
				s.maxFiles = max(s.maxFiles, n)
			}
			if st, err := procStatus(p.cmd.Process.Pid); err == nil {
				s.lastRSS = st["VmRSS"]
			}
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the largest open file count and the
// last RSS, in bytes.
func (s *sampler) stop() (int, int64) {
	close(s.done)
	<-s.finished
	return s.maxFiles, s.lastRSS
}

func runScaleOut(ctx context.Context, b *bench) (*result, error) {
	const relayCount = 3
	requests := orDefault(b.opts.requests, 3000)
	conc := orDefault(b.opts.concurrency, 6)
	obs, err := b.data.threatObservables(0, 20)
	if err != nil {
		return nil, err
	}
	body := encodeObservables(obs)

	relays, err := b.startRelays(ctx, "scale-out", relayCount)
	if err != nil {
		return nil, err
	}
	defer stopRelays(relays)

	// The first relay fetches the verdicts from the gateway.
	b.sim.ResetRequests()
	first, _, err := postBody(ctx, newClient(1, nil), relays[0].baseURL()+deliberatePath, b.token, body)
	if err != nil {
		return nil, fmt.Errorf("fetching the verdicts through the first relay: %w", err)
	}
	fetchCalls := countEndpoints(b.sim.Requests())
	want := bytes.Count(first, verdictMarker)

	b.sim.ResetRequests()
	before, mErr := scrapeAll(ctx, relays)
	targets := make([]string, relayCount)
	for i, p := range relays {
		targets[i] = p.baseURL()
	}
	load := runClosedLoop(ctx, newClient(conc, nil), loadSpec{
		targets: targets, path: deliberatePath, token: b.token, body: func(int) []byte { return body },
		concurrency: conc, requests: requests, check: verdictCount(want),
	})
	after, err := scrapeAll(ctx, relays)
	if mErr == nil {
		mErr = err
	}

	r := &result{Description: "three relays sharing one Redis behind a round-robin client, verdicts fetched through the first",
		Route: "POST " + deliberatePath, Observables: len(obs)}
	r.setLoad(load, conc)
	r.GatewayRequests = countEndpoints(b.sim.Requests())
	r.PeakRSSBytes = peakRSS(relays)
	addScaleOutRows(r, relays, fetchCalls, want, before, after, mErr)
	return r, nil
}

// verdictCount checks that a response holds the verdicts the first relay
// returned.
func verdictCount(want int) func([]byte) error {
	return func(body []byte) error {
		if got := bytes.Count(body, verdictMarker); got != want {
			return fmt.Errorf("response contains %d verdicts, expected %d as returned by the first relay", got, want)
		}
		return nil
	}
}

func addScaleOutRows(r *result, relays []*relayProcess, fetchCalls map[string]int, want int, before, after []relayMetrics, mErr error) {
	r.addRow("fetch through relay 1", "%s; %d verdicts", formatCounts(fetchCalls), want)
	var others int64
	if mErr != nil {
		r.CacheSource = "derived"
		r.CacheHits = int64(r.Observables * (r.Requests - r.Errors))
		r.addRow("metrics", "unreadable: %v", mErr)
		for _, c := range r.GatewayRequests {
			others += int64(c)
		}
	} else {
		r.CacheSource = "metrics"
		for i, p := range relays {
			d := after[i].sub(before[i])
			r.CacheHits += d.cacheHits
			r.CacheMisses += d.cacheMisses
			rss, _ := p.peakRSS()
			r.addRow(fmt.Sprintf("relay %d", i+1), "gateway calls in total %d, while round-robin %d; cache hits %d; peak RSS %s",
				after[i].totalGatewayCalls(), d.totalGatewayCalls(), d.cacheHits, formatMB(rss))
			if i > 0 {
				others += after[i].totalGatewayCalls()
			}
		}
	}
	r.addTarget("gateway calls on relays 2 and 3", "0", fmt.Sprintf("%d", others), others == 0 && want > 0)
}
