package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteRedisLogs sends go-redis's own messages, such as each failed dial
// while Redis is down, to logger at debug level instead of standard error.
// The store already reports its failures through the caller, so at higher
// levels these lines would only repeat them, once per connection attempt.
// go-redis keeps one logger per process, so the last call wins.
func RouteRedisLogs(logger *slog.Logger) {
	redis.SetLogger(redisLogger{logger: logger.With("component", "go-redis")})
}

type redisLogger struct{ logger *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.DebugContext(ctx, fmt.Sprintf(format, v...))
}
