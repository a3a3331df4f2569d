package enrich

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

// benchHits returns n tracked messages with details, each with two
// recipients, an attachment and a URL.
func benchHits(n int) []hit {
	at := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	sbrs := -1.5
	hits := make([]hit, n)
	for i := range hits {
		mid := int64(100000 + i)
		m := gateway.Message{
			Gateway: "https://sma.example.com:6443", Serial: "4238C0F25B8AC071FEBE-FAC362D5AEDC",
			Host: "esa1.example.com", MIDs: []int64{mid}, ICID: mid, Sender: "billing@evil.example",
			SenderDomain: "evil.example", SenderIP: "198.51.100.23", SBRS: &sbrs,
			Recipients: []string{"alice@example.com", "bob@example.com"},
			Subject:    "Invoice " + strconv.Itoa(i), MessageID: "<" + strconv.Itoa(i) + ".x@evil.example>",
			Status: "Quarantined by Anti-Spam/Graymail", Time: at.Add(-time.Duration(i) * time.Minute),
			Direction: "incoming", Policies: []string{"DEFAULT"},
		}
		hits[i] = hit{msg: m, details: &gateway.Details{
			Message:     m,
			Attachments: []gateway.Attachment{{Name: "invoice.pdf", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
			URLs:        []gateway.URLInfo{{URL: "http://evil.example/pay"}},
		}}
	}
	return hits
}

func BenchmarkObserveBuildAndEncode100(b *testing.B) {
	m := &relay.Module{
		Gateways:      []gateway.Config{{BaseURL: "https://sma.example.com:6443", API: gateway.SMA}},
		EntitiesLimit: 100, LookbackDays: 30,
	}
	bld := &builder{source: "Cisco Secure Email", tenant: "t", now: time.Now(), module: m,
		win: newWindow(time.Now(), m)}
	t := target{obs: observables.Observable{Type: observables.Email, Value: "billing@evil.example"},
		forms: []string{"billing@evil.example"}}
	hits := benchHits(100)
	b.ReportAllocs()
	for b.Loop() {
		var bundle ctim.Bundle
		for _, h := range hits {
			bundle.Sightings = append(bundle.Sightings, bld.sighting(t.obs, h))
		}
		js, v := bld.judgements(t, judge(t, hits))
		bundle.Judgements = js
		if v != nil {
			bundle.Verdicts = append(bundle.Verdicts, *v)
		}
		data, err := json.Marshal(map[string]any{"data": bundle})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
	}
}

func BenchmarkCacheBatchRead50(b *testing.B) {
	srv := storetest.StartRedis(b)
	st, err := store.OpenRedis(srv.URL(), store.RedisOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := New(Options{Store: st})

	targets := make([]target, 50)
	v := &ctim.Verdict{Type: "verdict", Disposition: ctim.Malicious, DispositionName: "Malicious",
		ValidTime: ctim.NewValidTime(time.Now(), time.Hour)}
	ctx := context.Background()
	for i := range targets {
		targets[i] = target{obs: observables.Observable{Type: observables.IP, Value: "198.51.100." + strconv.Itoa(i)}}
		v.Observable = targets[i].obs
		s.writeCache(ctx, "tenant", targets[i], v)
	}
	b.ReportAllocs()
	for b.Loop() {
		entries := s.readCache(ctx, "tenant", targets)
		if entries[49] == nil {
			b.Fatal("entry missing")
		}
	}
}
