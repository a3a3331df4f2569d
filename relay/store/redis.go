package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of RedisOptions.
const (
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	DefaultMaxRetries   = 1
)

// streamField is the field of a stream entry that carries its data, since
// Redis streams store field-value pairs.
const streamField = "e"

// casScript sets KEYS[1] to ARGV[3] only if its value is ARGV[2], or, when
// ARGV[1] is "1", only if it is missing. ARGV[4] is the time to live in
// milliseconds, none when 0. A script keeps the read and the write atomic
// between replicas.
var casScript = redis.NewScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
return 1
`)

// RedisOptions tunes the connection to Redis. A timeout set as a query
// parameter of the URL (dial_timeout, read_timeout, write_timeout, only in
// redis://, rediss:// and unix:// URLs) takes precedence.
type RedisOptions struct {
	// DialTimeout bounds establishing a connection. Default: 2s.
	DialTimeout time.Duration
	// ReadTimeout bounds reading a reply. Default: 1s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a command. Default: 1s.
	WriteTimeout time.Duration
	// PoolSize is the number of connections per Redis node. Default:
	// go-redis's default, 10 per GOMAXPROCS.
	PoolSize int
	// MaxRetries is how often a failed command is retried; -1 disables
	// retries. Default: 1, so that a Redis outage costs a caller little time.
	MaxRetries int
	// Now is the clock that dates the age limit of streams. Default: time.Now.
	Now func() time.Time
}

// Redis is a Store backed by Redis standalone, Sentinel or Cluster.
type Redis struct {
	client redis.UniversalClient
	// url names the server in errors, with the password masked.
	url string
	now func() time.Time
}

var _ Store = (*Redis)(nil)

// OpenRedis creates a Redis store for rawURL, one of
//
//	redis://[user:password@]host:port[/db] and rediss:// for TLS
//	unix://[user:password@]/path/to/redis.sock[?db=N]
//	redis+sentinel://[user:password@]host:port,host:port/<master>[?db=N]
//	redis+cluster://[user:password@]host:port,host:port
//
// It does not connect: the first command does, so call Ping to check that
// Redis is reachable. Errors quote the URL with its password masked.
func OpenRedis(rawURL string, opts RedisOptions) (*Redis, error) {
	config, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, err
	}

	config.applyOptions(opts.withDefaults())
	client, err := config.newClient()
	if err != nil {
		return nil, fmt.Errorf("redis URL %s: %w", RedactURL(rawURL), err)
	}

	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Redis{client: client, url: RedactURL(rawURL), now: now}, nil
}

func (o RedisOptions) withDefaults() RedisOptions {
	fill(&o.DialTimeout, DefaultDialTimeout)
	fill(&o.ReadTimeout, DefaultReadTimeout)
	fill(&o.WriteTimeout, DefaultWriteTimeout)
	fill(&o.MaxRetries, DefaultMaxRetries)
	return o
}

// unavailable wraps a Redis failure in ErrUnavailable, keeping the cause
// visible to errors.Is.
func (r *Redis) unavailable(command string, err error) error {
	return fmt.Errorf("%w: redis %s at %s: %w", ErrUnavailable, command, r.url, err)
}

// GetMany reads keys with one MGET. In Redis Cluster, keys must share a
// hash slot, which the tenant's hash tag in every key ensures.
func (r *Redis) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return [][]byte{}, nil
	}

	replies, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, r.unavailable("MGET", err)
	}

	return copyReplies(replies), nil
}

// copyReplies turns MGET's string replies into byte slices, nil where a
// key was missing. All values share one buffer, which costs one
// allocation where a copy per value costs one each. Each value is capped
// at its own length, so appending to one cannot overwrite the next.
func copyReplies(replies []any) [][]byte {
	size := 0
	for _, reply := range replies {
		if s, ok := reply.(string); ok {
			size += len(s)
		}
	}
	buf := make([]byte, 0, size)
	values := make([][]byte, len(replies))
	for i, reply := range replies {
		if s, ok := reply.(string); ok {
			start := len(buf)
			buf = append(buf, s...)
			values[i] = buf[start:len(buf):len(buf)]
		}
	}
	return values
}

// Set writes a value that expires after ttl; a ttl of zero or less keeps
// it until it is deleted.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	args := []any{"SET", key, value}
	if ttl > 0 {
		args = append(args, "PX", milliseconds(ttl))
	}
	if err := r.client.Do(ctx, args...).Err(); err != nil {
		return r.unavailable("SET", err)
	}
	return nil
}

// SetNX writes a value with SET NX only if the key is missing and reports
// whether it did.
func (r *Redis) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	args := []any{"SET", key, value, "NX"}
	if ttl > 0 {
		args = append(args, "PX", milliseconds(ttl))
	}
	err := r.client.Do(ctx, args...).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, r.unavailable("SET NX", err)
	}
	return true, nil
}

// CompareAndSwap replaces the value only if it equals old, in one script
// run on the server. A nil old matches only a missing key.
func (r *Redis) CompareAndSwap(ctx context.Context, key string, old, value []byte, ttl time.Duration) (bool, error) {
	expectMissing := "0"
	if old == nil {
		expectMissing = "1"
	}
	ttlMillis := int64(0)
	if ttl > 0 {
		ttlMillis = milliseconds(ttl)
	}

	swapped, err := casScript.Run(ctx, r.client, []string{key}, expectMissing, old, value, ttlMillis).Int()
	if err != nil {
		return false, r.unavailable("compare-and-swap script", err)
	}
	return swapped == 1, nil
}

// Delete removes keys. In Redis Cluster, keys must share a hash slot.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := r.client.Del(ctx, keys...).Err(); err != nil {
		return r.unavailable("DEL", err)
	}
	return nil
}

// Append adds entry with XADD, trimming the stream to about maxLen entries
// (MAXLEN ~, which trims whole internal nodes of about 100 entries, so the
// stream may keep more) and then removing entries older than maxAge
// exactly (XTRIM MINID). Both commands go in one round trip. A maxLen or
// maxAge of zero or less does not limit the stream.
func (r *Redis) Append(ctx context.Context, stream string, entry []byte, maxLen int64, maxAge time.Duration) error {
	pipe := r.client.Pipeline()
	add := &redis.XAddArgs{Stream: stream, ID: "*", Values: []any{streamField, entry}}
	if maxLen > 0 {
		add.MaxLen = maxLen
		add.Approx = true
	}
	pipe.XAdd(ctx, add)
	if maxAge > 0 {
		// Entry ids start with the Redis server's time in milliseconds, so
		// the age limit assumes the server and relay clocks roughly agree.
		minID := strconv.FormatInt(r.now().Add(-maxAge).UnixMilli(), 10)
		pipe.XTrimMinID(ctx, stream, minID)
	}

	if _, err := pipe.Exec(ctx); err != nil {
		return r.unavailable("XADD", err)
	}
	return nil
}

// Recent lists up to n newest entries with XREVRANGE, newest first.
func (r *Redis) Recent(ctx context.Context, stream string, n int64) ([][]byte, error) {
	if n <= 0 {
		return [][]byte{}, nil
	}

	messages, err := r.client.XRevRangeN(ctx, stream, "+", "-", n).Result()
	if err != nil {
		return nil, r.unavailable("XREVRANGE", err)
	}

	entries := make([][]byte, 0, len(messages))
	for _, message := range messages {
		if data, ok := message.Values[streamField].(string); ok {
			entries = append(entries, []byte(data))
		}
	}
	return entries, nil
}

// Ping sends PING and fails with ErrUnavailable unless Redis replies.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return r.unavailable("PING", err)
	}
	return nil
}

// Close closes every connection.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return r.unavailable("close", err)
	}
	return nil
}

// milliseconds rounds a positive duration up to whole milliseconds, because
// PX rejects 0.
func milliseconds(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
