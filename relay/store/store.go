// Package store is the relay's shared state: the verdict cache, trigger
// idempotency records, the audit stream and leases. Redis backs it when the
// relay runs as several replicas; an in-process store with the same
// semantics backs it otherwise.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable wraps every failure to reach the backing store.
var ErrUnavailable = errors.New("state store unavailable")

// Store is the state every replica shares. Keys are built by the caller and
// already carry the tenant's hash tag.
type Store interface {
	// GetMany reads keys in one round trip; a missing key gives a nil entry.
	GetMany(ctx context.Context, keys []string) ([][]byte, error)
	// Set writes a value with a time to live.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX writes a value only if the key is absent and reports whether it did.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// CompareAndSwap replaces the value only if it still equals old, keeping
	// the atomicity of a state transition between replicas.
	CompareAndSwap(ctx context.Context, key string, old, value []byte, ttl time.Duration) (bool, error)
	// Delete removes keys.
	Delete(ctx context.Context, keys ...string) error
	// Append adds an entry to a capped, time-limited stream.
	Append(ctx context.Context, stream string, entry []byte, maxLen int64, maxAge time.Duration) error
	// Recent lists up to n newest entries of a stream, newest first.
	Recent(ctx context.Context, stream string, n int64) ([][]byte, error)
	// Ping checks that the store can be reached.
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}
