package enrich

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
)

// maxKeyValue is the longest observable value kept as is in a cache key;
// longer ones are hashed so keys stay short.
const maxKeyValue = 128

// cacheEntry is a cached lookup result: a verdict, or none when nothing
// was found.
type cacheEntry struct {
	Verdict *ctim.Verdict `json:"verdict"`
}

// cacheKey is the verdict cache key of an observable for a tenant.
func cacheKey(tenant string, t target) string {
	v := t.obs.Value
	if len(v) > maxKeyValue {
		sum := sha256.Sum256([]byte(v))
		v = "sha256-" + hex.EncodeToString(sum[:])
	}
	return relay.Key(tenant, "verdict", string(t.obs.Type), v)
}

// readCache reads the entries of all targets in one round trip. A missing
// or unreadable entry is nil; a failing store gives all nil.
func (s *Service) readCache(ctx context.Context, tenant string, ts []target) []*cacheEntry {
	out := make([]*cacheEntry, len(ts))
	if len(ts) == 0 {
		return out
	}
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = cacheKey(tenant, t)
	}
	vals, err := s.opts.Store.GetMany(ctx, keys)
	if err != nil {
		s.cacheFailed("read", err)
		return out
	}
	for i, raw := range vals {
		if raw == nil || i >= len(out) {
			continue
		}
		var e cacheEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			s.log.Warn("verdict cache entry unreadable, ignored", "err", err)
			continue
		}
		out[i] = &e
	}
	return out
}

// writeCache stores a verdict until its valid time ends, or "nothing
// found" for NegativeTTL.
func (s *Service) writeCache(ctx context.Context, tenant string, t target, v *ctim.Verdict) {
	ttl := s.opts.NegativeTTL
	if v != nil {
		end, err := time.Parse(time.RFC3339, v.ValidTime.EndTime)
		if err != nil {
			return
		}
		ttl = end.Sub(s.opts.Now())
		if ttl <= 0 {
			return
		}
	}
	raw, err := json.Marshal(cacheEntry{Verdict: v})
	if err != nil {
		return
	}
	if err := s.opts.Store.Set(ctx, cacheKey(tenant, t), raw, ttl); err != nil {
		s.cacheFailed("write", err)
	}
}

// cacheFailed logs a store failure at most once per interval, because
// enrichment goes on from the gateways and every request would repeat it.
func (s *Service) cacheFailed(op string, err error) {
	if n, ok := s.cacheLog.allow(); ok {
		s.log.Error("verdict cache failed; answering from the gateways", "op", op, "err", err, "suppressed", n)
	}
}

// throttle lets one event through per interval and counts the others.
type throttle struct {
	mu         sync.Mutex
	interval   time.Duration
	now        func() time.Time
	last       time.Time
	suppressed int
}

func newThrottle(interval time.Duration, now func() time.Time) *throttle {
	return &throttle{interval: interval, now: now}
}

// allow reports whether the event may pass, with the number of events
// suppressed since the last one that passed.
func (t *throttle) allow() (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !t.last.IsZero() && now.Sub(t.last) < t.interval {
		t.suppressed++
		return 0, false
	}
	n := t.suppressed
	t.last, t.suppressed = now, 0
	return n, true
}
