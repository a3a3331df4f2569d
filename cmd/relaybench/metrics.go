package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/securex-esa/relay/gateway/sim"
)

// relayMetrics are the counters relaybench reads from a relay's /metrics.
type relayMetrics struct {
	cacheHits, cacheMisses int64
	// gatewayCalls counts gateway API calls by endpoint label.
	gatewayCalls map[string]int64
	// gatewaySeconds is the summed duration of those calls.
	gatewaySeconds float64
}

// scrapeMetrics reads the relay's /metrics. It fails when the relay runs
// without a metrics listener.
func (p *relayProcess) scrapeMetrics(ctx context.Context) (relayMetrics, error) {
	if p.metricsAddr == "" {
		return relayMetrics{}, fmt.Errorf("relay %s has no metrics listener", p.name)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.metricsAddr+"/metrics", nil)
	if err != nil {
		return relayMetrics{}, fmt.Errorf("building the metrics request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return relayMetrics{}, fmt.Errorf("reading the metrics of relay %s: %w", p.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return relayMetrics{}, fmt.Errorf("reading the metrics of relay %s: status %d", p.name, resp.StatusCode)
	}
	return parseMetrics(io.LimitReader(resp.Body, maxResponseBytes))
}

func parseMetrics(r io.Reader) (relayMetrics, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return relayMetrics{}, fmt.Errorf("parsing the relay metrics: %w", err)
	}
	m := relayMetrics{gatewayCalls: map[string]int64{}}
	if f, ok := families["relay_cache_lookups_total"]; ok {
		for _, s := range f.GetMetric() {
			switch label(s.GetLabel(), "result") {
			case "hit":
				m.cacheHits += int64(s.GetCounter().GetValue())
			case "miss":
				m.cacheMisses += int64(s.GetCounter().GetValue())
			}
		}
	}
	if f, ok := families["relay_gateway_calls_total"]; ok {
		for _, s := range f.GetMetric() {
			m.gatewayCalls[label(s.GetLabel(), "endpoint")] += int64(s.GetCounter().GetValue())
		}
	}
	if f, ok := families["relay_gateway_call_duration_seconds"]; ok {
		for _, s := range f.GetMetric() {
			m.gatewaySeconds += s.GetHistogram().GetSampleSum()
		}
	}
	return m, nil
}

type labelPair interface {
	GetName() string
	GetValue() string
}

func label[L labelPair](labels []L, name string) string {
	for _, l := range labels {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// sub returns the counters gained since before.
func (m relayMetrics) sub(before relayMetrics) relayMetrics {
	out := relayMetrics{
		cacheHits:    m.cacheHits - before.cacheHits,
		cacheMisses:  m.cacheMisses - before.cacheMisses,
		gatewayCalls: map[string]int64{},
		// The subtraction of two sums of floats can come out a hair
		// below zero; that only shows as -0.0 in a row.
		gatewaySeconds: m.gatewaySeconds - before.gatewaySeconds,
	}
	for k, v := range m.gatewayCalls {
		if d := v - before.gatewayCalls[k]; d != 0 {
			out.gatewayCalls[k] = d
		}
	}
	return out
}

func (m relayMetrics) totalGatewayCalls() int64 {
	var n int64
	for _, v := range m.gatewayCalls {
		n += v
	}
	return n
}

// searchEndpoint is the message tracking search resource of the API.
const searchEndpoint = "message-tracking/messages"

// countEndpoints counts gateway requests by endpoint.
func countEndpoints(reqs []sim.Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[r.Endpoint]++
	}
	return out
}

// searchCounts counts message tracking searches by filter: the query
// parameters other than the time window and paging. A search is a request
// for its first page (offset 0); later pages are counted apart.
func searchCounts(reqs []sim.Request) (searches, pages map[string]int) {
	searches, pages = map[string]int{}, map[string]int{}
	for _, r := range reqs {
		if r.Endpoint != searchEndpoint {
			continue
		}
		q, err := url.ParseQuery(r.RawQuery)
		if err != nil {
			q = url.Values{"unparsed": {r.RawQuery}}
		}
		key := filterKey(q)
		if off := q.Get("offset"); off == "" || off == "0" {
			searches[key]++
		} else {
			pages[key]++
		}
	}
	return searches, pages
}

// windowParams are the search parameters that do not select messages.
var windowParams = map[string]bool{
	"startDate": true, "endDate": true, "offset": true, "limit": true,
	"ciscoHost": true, "device_type": true,
}

func filterKey(q url.Values) string {
	var parts []string
	for k, vs := range q {
		if windowParams[k] {
			continue
		}
		for _, v := range vs {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
