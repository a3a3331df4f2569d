package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
)

// coldObservables is the size of a cold-observe request.
const coldObservables = 20

func runColdObserve(ctx context.Context, b *bench) (*result, error) {
	requests := orDefault(b.opts.requests, 30)
	conc := orDefault(b.opts.concurrency, 2)
	// Batch 0 opens the gateway session; the measured requests use the rest.
	batches, distinct := b.data.coldBatches(requests + 1)
	bodies := make([][]byte, len(batches))
	for i, batch := range batches {
		bodies[i] = encodeObservables(batch)
	}

	relays, err := b.startRelays(ctx, "cold-observe", 1)
	if err != nil {
		return nil, err
	}
	defer stopRelays(relays)
	relay := relays[0]
	b.sim.SetFault(sim.Fault{Latency: b.opts.latency})
	defer b.sim.SetFault(sim.Fault{})

	r := &result{Description: fmt.Sprintf("observe on %d uncached observables, simulator latency %s, warm session", coldObservables, b.opts.latency),
		Route: "POST " + observePath, Observables: coldObservables}
	warmUp(ctx, b, r, relay.baseURL()+observePath, encodeObservables(batches[0][:1]))

	b.sim.ResetRequests()
	before, mErr := relay.scrapeMetrics(ctx)
	load := runClosedLoop(ctx, newClient(conc, nil), loadSpec{
		targets: []string{relay.baseURL()}, path: observePath, token: b.token,
		body: func(i int) []byte { return bodies[i+1] }, concurrency: conc, requests: requests,
	})
	after, err := relay.scrapeMetrics(ctx)
	if mErr == nil {
		mErr = err
	}

	r.setLoad(load, conc)
	r.GatewayRequests = countEndpoints(b.sim.Requests())
	// Observe never reads the verdict cache, so every lookup is a miss.
	measureCache(r, before, after, mErr, 0, int64(coldObservables*requests))
	r.PeakRSSBytes = peakRSS(relays)
	addColdRows(r, requests, distinct-1, b.opts.latency)
	if mErr == nil {
		addInFlightRows(r, after.sub(before), load)
	}
	return r, nil
}

func addColdRows(r *result, requests, distinct int, latency time.Duration) {
	r.addRow("distinct batches", "%d of %d requests (later batches repeat; observe never reads the verdict cache)", min(distinct, requests), requests)
	r.addRow("mix per request", "%s", describeMix())
	names := make([]string, 0, len(r.GatewayRequests))
	for k := range r.GatewayRequests {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		r.addRow("gateway/request "+k, "%.2f", float64(r.GatewayRequests[k])/float64(max(r.Requests, 1)))
	}

	latencyMS := float64(latency) / float64(time.Millisecond)
	ratio := 0.0
	if latencyMS > 0 {
		ratio = r.LatencyMS.P50 / latencyMS
	}
	r.addRow("p50 / simulator latency", "%.1fx", ratio)
	r.addTarget("p50 under 3x simulator latency", fmt.Sprintf("< %.0f ms", 3*latencyMS),
		fmt.Sprintf("%.1f ms (%.1fx)", r.LatencyMS.P50, ratio), latencyMS > 0 && ratio < 3)
}

func describeMix() string {
	s := ""
	for i, m := range coldMix {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", m.count, m.kind)
	}
	return s
}

func runHerd(ctx context.Context, b *bench) (*result, error) {
	n := orDefault(b.opts.requests, 100)
	conc := orDefault(b.opts.concurrency, n)
	obs := b.data.herdObservables()
	body := encodeObservables(obs)

	relays, err := b.startRelays(ctx, "herd", 1)
	if err != nil {
		return nil, err
	}
	defer stopRelays(relays)
	relay := relays[0]
	b.sim.SetFault(sim.Fault{Latency: b.opts.latency})
	defer b.sim.SetFault(sim.Fault{})

	r := &result{Description: fmt.Sprintf("%d concurrent identical cold observe requests, simulator latency %s", n, b.opts.latency),
		Route: "POST " + observePath, Observables: len(obs)}
	warmUp(ctx, b, r, relay.baseURL()+observePath, encodeObservables(sessionObservable(b.data)))

	b.sim.ResetRequests()
	before, mErr := relay.scrapeMetrics(ctx)
	load := runClosedLoop(ctx, newClient(conc, nil), loadSpec{
		targets: []string{relay.baseURL()}, path: observePath, token: b.token,
		body: func(int) []byte { return body }, concurrency: conc, requests: n,
	})
	after, err := relay.scrapeMetrics(ctx)
	if mErr == nil {
		mErr = err
	}

	reqs := b.sim.Requests()
	r.setLoad(load, conc)
	r.GatewayRequests = countEndpoints(reqs)
	measureCache(r, before, after, mErr, 0, int64(len(obs)*n))
	r.PeakRSSBytes = peakRSS(relays)
	addHerdRows(r, b.simURL, reqs)
	return r, nil
}

// sessionObservable is a Message-ID outside the herd's observables, used
// to open the gateway session before the herd.
func sessionObservable(d *dataset) []observables.Observable {
	return []observables.Observable{{Type: observables.MessageID, Value: d.messageIDs[len(d.messageIDs)-1]}}
}

func addHerdRows(r *result, gatewayURL string, reqs []sim.Request) {
	searches, pages := searchCounts(reqs)
	filters := make([]string, 0, len(searches))
	worst := 0
	for f, c := range searches {
		filters = append(filters, f)
		worst = max(worst, c)
	}
	sort.Strings(filters)
	r.addRow("gateway", "%s (one gateway in the token)", gatewayURL)
	for _, f := range filters {
		r.addRow("searches", "%d (%d later pages) for %s", searches[f], pages[f], f)
	}
	if len(filters) == 0 {
		r.addRow("searches", "none reached the gateway")
	}
	r.addTarget("searches per observable, gateway and filter", "<= 1", fmt.Sprintf("max %d over %d filters", worst, len(filters)),
		len(filters) > 0 && worst <= 1)
}

// addInFlightRows shows how much gateway time one request spent and how
// many gateway calls it had in flight on average. Together they separate a
// latency bound by sequential steps from one bound by the number of calls.
func addInFlightRows(r *result, d relayMetrics, l loadResult) {
	var busy time.Duration
	for _, v := range l.latencies {
		busy += v
	}
	if len(l.latencies) == 0 || busy <= 0 {
		return
	}
	perRequest := d.gatewaySeconds / float64(len(l.latencies))
	r.addRow("gateway call time/request", "%.2f s (relay metrics)", perRequest)
	r.addRow("gateway calls in flight", "%.1f on average per request", d.gatewaySeconds/busy.Seconds())
}
