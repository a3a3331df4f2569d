package store

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"
)

// sweepInterval is how often a write also removes every expired key, so
// that keys written once and never read again do not pile up.
const sweepInterval = time.Minute

// Memory is a Store kept in the process, with the semantics of the Redis
// store: values expire after their time to live, SetNX and CompareAndSwap
// are atomic, and streams are capped by length and age. It serves a single
// relay process; replicas sharing state need Redis.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	values    map[string]memoryValue
	streams   map[string][]memoryEntry
	lastSweep time.Time
	closed    bool
}

type memoryValue struct {
	data []byte
	// expires is the zero time for a value without a time to live.
	expires time.Time
}

type memoryEntry struct {
	added time.Time
	data  []byte
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-process store that reads the time from now,
// or from time.Now when now is nil.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{
		now:       now,
		values:    make(map[string]memoryValue),
		streams:   make(map[string][]memoryEntry),
		lastSweep: now(),
	}
}

// lock takes the store's lock unless the context is done or the store is
// closed. The caller unlocks when lock returns nil.
func (m *Memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return fmt.Errorf("%w: in-process store closed", ErrUnavailable)
	}
	return nil
}

// GetMany returns copies of the values of keys; a missing or expired key
// gives a nil entry.
func (m *Memory) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()

	now := m.now()
	values := make([][]byte, len(keys))
	for i, key := range keys {
		if v, ok := m.live(key, now); ok {
			values[i] = bytes.Clone(v.data)
		}
	}
	return values, nil
}

// Set writes a value that expires after ttl; a ttl of zero or less keeps
// it until it is deleted.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()

	m.write(key, value, ttl)
	return nil
}

// SetNX writes a value only if the key is missing or expired and reports
// whether it did.
func (m *Memory) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := m.lock(ctx); err != nil {
		return false, err
	}
	defer m.mu.Unlock()

	if _, ok := m.live(key, m.now()); ok {
		return false, nil
	}
	m.write(key, value, ttl)
	return true, nil
}

// CompareAndSwap replaces the value with value, expiring after ttl, only if
// it equals old. A nil old matches only a missing or expired key.
func (m *Memory) CompareAndSwap(ctx context.Context, key string, old, value []byte, ttl time.Duration) (bool, error) {
	if err := m.lock(ctx); err != nil {
		return false, err
	}
	defer m.mu.Unlock()

	current, ok := m.live(key, m.now())
	if old == nil && ok {
		return false, nil
	}
	if old != nil && (!ok || !bytes.Equal(current.data, old)) {
		return false, nil
	}
	m.write(key, value, ttl)
	return true, nil
}

// Delete removes keys, values and streams alike. Missing keys are ignored.
func (m *Memory) Delete(ctx context.Context, keys ...string) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()

	for _, key := range keys {
		delete(m.values, key)
		delete(m.streams, key)
	}
	return nil
}

// Append adds entry to the stream, then removes the oldest entries beyond
// maxLen and those older than maxAge. A maxLen or maxAge of zero or less
// does not limit the stream.
func (m *Memory) Append(ctx context.Context, stream string, entry []byte, maxLen int64, maxAge time.Duration) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()

	now := m.now()
	entries := append(m.streams[stream], memoryEntry{added: now, data: bytes.Clone(entry)})
	if maxLen > 0 && int64(len(entries)) > maxLen {
		entries = entries[int64(len(entries))-maxLen:]
	}
	if maxAge > 0 {
		oldest := now.Add(-maxAge)
		first := 0
		for first < len(entries) && entries[first].added.Before(oldest) {
			first++
		}
		entries = entries[first:]
	}

	m.streams[stream] = entries
	return nil
}

// Recent returns copies of up to n newest entries of the stream, newest
// first. A missing stream gives no entries.
func (m *Memory) Recent(ctx context.Context, stream string, n int64) ([][]byte, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()

	if n <= 0 {
		return [][]byte{}, nil
	}

	entries := m.streams[stream]
	recent := make([][]byte, 0, min(n, int64(len(entries))))
	for i := len(entries) - 1; i >= 0 && int64(len(recent)) < n; i-- {
		recent = append(recent, bytes.Clone(entries[i].data))
	}
	return recent, nil
}

// Ping fails only once the store is closed or the context is done.
func (m *Memory) Ping(ctx context.Context) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	m.mu.Unlock()
	return nil
}

// Close drops every value and stream. Later calls fail with ErrUnavailable.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()

	m.closed = true
	m.values = nil
	m.streams = nil
	return nil
}

// live returns the value of key unless it is missing or expired, removing
// it when expired. The caller holds the lock.
func (m *Memory) live(key string, now time.Time) (memoryValue, bool) {
	v, ok := m.values[key]
	if !ok {
		return memoryValue{}, false
	}
	if v.expired(now) {
		delete(m.values, key)
		return memoryValue{}, false
	}
	return v, true
}

// write stores a copy of value and sweeps expired keys when sweepInterval
// has passed. The caller holds the lock.
func (m *Memory) write(key string, value []byte, ttl time.Duration) {
	now := m.now()
	v := memoryValue{data: bytes.Clone(value)}
	if v.data == nil {
		v.data = []byte{}
	}
	if ttl > 0 {
		v.expires = now.Add(ttl)
	}
	m.values[key] = v

	if now.Sub(m.lastSweep) >= sweepInterval {
		m.sweep(now)
	}
}

func (m *Memory) sweep(now time.Time) {
	for key, v := range m.values {
		if v.expired(now) {
			delete(m.values, key)
		}
	}
	m.lastSweep = now
}

func (v memoryValue) expired(now time.Time) bool {
	return !v.expires.IsZero() && !now.Before(v.expires)
}
