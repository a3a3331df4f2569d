package enrich

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
	"time"

	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
)

// maxKeyValue is the longest observable value kept as is in a cache key;
// longer ones are hashed so keys stay short.
const maxKeyValue = 128

// A verdict cache entry is stored as bytes, not as a JSON document, so a
// hit costs no JSON decoding. Byte 0 is entryFormat. Bytes 1 to 8 are the
// end of the entry's validity as Unix milliseconds, and bytes 9 to 12 the
// CRC-32C of the rest, both big-endian. The rest is the verdict as encoded
// JSON, and empty when nothing was found. The checksum catches a damaged
// entry at a fraction of the cost of validating the JSON on every hit. It
// does not stop a forged entry, but whoever can write to the store can
// forge verdicts in any format.
const (
	entryFormat     byte = 2
	entryHeaderSize      = 1 + 8 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorruptEntry marks a cache entry that cannot be read, which counts
// as a miss.
var errCorruptEntry = errors.New("corrupt verdict cache entry")

// cacheEntry is a cached lookup result: a verdict, or none when nothing
// was found.
type cacheEntry struct {
	// expires is when the verdict's valid time, or the negative TTL, ends.
	expires time.Time
	// verdict is the encoded ctim.Verdict; nil when nothing was found.
	verdict json.RawMessage
}

// encodeEntry lays out an entry in the format described at entryFormat.
func encodeEntry(expires time.Time, verdict json.RawMessage) []byte {
	out := make([]byte, entryHeaderSize, entryHeaderSize+len(verdict))
	out[0] = entryFormat
	binary.BigEndian.PutUint64(out[1:], uint64(expires.UnixMilli()))
	binary.BigEndian.PutUint32(out[9:], crc32.Checksum(verdict, castagnoli))
	return append(out, verdict...)
}

// decodeEntry reads an entry written by encodeEntry. An entry of another
// format, such as the JSON documents earlier versions stored, or one whose
// checksum does not match gives errCorruptEntry.
func decodeEntry(raw []byte) (cacheEntry, error) {
	if len(raw) < entryHeaderSize || raw[0] != entryFormat {
		return cacheEntry{}, fmt.Errorf("%w: unknown format or %d bytes", errCorruptEntry, len(raw))
	}
	body := raw[entryHeaderSize:]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(raw[9:]) {
		return cacheEntry{}, fmt.Errorf("%w: checksum mismatch", errCorruptEntry)
	}
	e := cacheEntry{expires: time.UnixMilli(int64(binary.BigEndian.Uint64(raw[1:])))}
	if len(body) > 0 {
		e.verdict = body
	}
	return e, nil
}

// cacheKey is the verdict cache key of an observable for a tenant.
func cacheKey(tenant string, t target) string {
	return relay.Key(tenant, "verdict", string(t.obs.Type), keyValue(t))
}

// keyValue is the observable's value as a cache key carries it.
func keyValue(t target) string {
	v := t.obs.Value
	if len(v) > maxKeyValue {
		sum := sha256.Sum256([]byte(v))
		v = "sha256-" + hex.EncodeToString(sum[:])
	}
	return v
}

// cacheKeys returns cacheKey of every target. The keys are cut from one
// string, which costs one allocation where cacheKey costs two per key.
func cacheKeys(tenant string, ts []target) []string {
	prefix := relay.Key(tenant, "verdict") + ":"
	values := make([]string, len(ts))
	size := 0
	for i, t := range ts {
		values[i] = keyValue(t)
		size += len(prefix) + len(t.obs.Type) + 1 + len(values[i])
	}

	var b strings.Builder
	b.Grow(size)
	ends := make([]int, len(ts))
	for i, t := range ts {
		b.WriteString(prefix)
		b.WriteString(string(t.obs.Type))
		b.WriteByte(':')
		b.WriteString(values[i])
		ends[i] = b.Len()
	}
	joined := b.String()
	keys := values[:0]
	start := 0
	for _, end := range ends {
		keys = append(keys, joined[start:end])
		start = end
	}
	return keys
}

// readCache reads the entries of all targets in one round trip. A missing,
// expired or unreadable entry is nil, and a failing store gives all nil.
func (s *Service) readCache(ctx context.Context, tenant string, ts []target) []*cacheEntry {
	out := make([]*cacheEntry, len(ts))
	if len(ts) == 0 {
		return out
	}
	keys := cacheKeys(tenant, ts)
	vals, err := s.opts.Store.GetMany(ctx, keys)
	if err != nil {
		s.cacheFailed("read", err)
		return out
	}
	now := s.opts.Now()
	// One array holds every entry read, instead of one allocation each.
	entries := make([]cacheEntry, len(ts))
	for i, raw := range vals {
		if raw == nil || i >= len(out) {
			continue
		}
		e, err := decodeEntry(raw)
		if err != nil {
			s.log.Warn("verdict cache entry unreadable, ignored", "observable_type", string(ts[i].obs.Type), "err", err)
			continue
		}
		// The store's TTL normally removes an entry first, but a replica
		// with a later clock must not serve a verdict past its end.
		if !now.Before(e.expires) {
			continue
		}
		entries[i] = e
		out[i] = &entries[i]
	}
	return out
}

// writeCache stores a verdict until its valid time ends, or "nothing
// found" for NegativeTTL.
func (s *Service) writeCache(ctx context.Context, tenant string, t target, v *ctim.Verdict) {
	s.writeCacheUntil(ctx, tenant, t, v, time.Time{})
}

// writeCacheUntil is writeCache with the entry ending no later than limit,
// unless limit is zero.
func (s *Service) writeCacheUntil(ctx context.Context, tenant string, t target, v *ctim.Verdict, limit time.Time) {
	now := s.opts.Now()
	expires := now.Add(s.opts.NegativeTTL)
	var verdict json.RawMessage
	if v != nil {
		end, err := time.Parse(time.RFC3339, v.ValidTime.EndTime)
		if err != nil {
			return
		}
		// The entry serves every spelling of the observable, so it
		// stores the normalised one.
		stored := *v
		stored.Observable = t.obs
		if verdict, err = json.Marshal(stored); err != nil {
			return
		}
		expires = end
	}
	if !limit.IsZero() && limit.Before(expires) {
		expires = limit
	}
	ttl := expires.Sub(now)
	if ttl <= 0 {
		return
	}
	if err := s.opts.Store.Set(ctx, cacheKey(tenant, t), encodeEntry(expires, verdict), ttl); err != nil {
		s.cacheFailed("write", err)
	}
}

// cacheFailed logs a store failure at most once per interval, because
// enrichment goes on from the gateways and every request would repeat it.
func (s *Service) cacheFailed(op string, err error) {
	if n, ok := s.cacheLog.allow(); ok {
		s.log.Error("verdict cache failed; serving verdicts from the gateways", "op", op, "err", err, "suppressed", n)
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

// verdictAsRequested returns a cached verdict with the observable as t
// was requested. The stored bytes are returned unchanged when the request
// used the normalised value, which keeps the common hit free of decoding.
func verdictAsRequested(raw json.RawMessage, t target) (json.RawMessage, error) {
	requested := t.requested()
	if requested == t.obs {
		return raw, nil
	}
	var v ctim.Verdict
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decode cached verdict: %w", err)
	}
	v.Observable = requested
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode cached verdict: %w", err)
	}
	return out, nil
}
