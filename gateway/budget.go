package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

type budgetKey struct{}

// WithBudget returns a context that allows at most calls HTTP exchanges
// with gateways, logins included, across every client that uses it. Once
// spent, calls fail with KindBudget without reaching a gateway. The
// request's time budget is the context's own deadline.
func WithBudget(ctx context.Context, calls int) context.Context {
	b := new(atomic.Int64)
	b.Store(int64(calls))
	return context.WithValue(ctx, budgetKey{}, b)
}

// spendBudget takes one call from the context's budget, if it has one.
func spendBudget(ctx context.Context, gateway, op string) error {
	b, ok := ctx.Value(budgetKey{}).(*atomic.Int64)
	if !ok {
		return nil
	}
	if b.Add(-1) < 0 {
		return &Error{Kind: KindBudget, Gateway: gateway, Op: op,
			Message: "the request's budget of gateway calls is spent"}
	}
	return nil
}

// loginLimiter spaces out rejected logins per gateway and user, so a wrong
// password in one token cannot lock the appliance account for everyone.
type loginLimiter struct {
	gap   time.Duration
	now   func() time.Time
	mu    sync.Mutex
	until map[string]time.Time
}

func newLoginLimiter(gap time.Duration, now func() time.Time) *loginLimiter {
	return &loginLimiter{gap: gap, now: now, until: map[string]time.Time{}}
}

// blockedUntil returns when key may try to log in again; the zero time
// means now.
func (l *loginLimiter) blockedUntil(key string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.until[key]
	if ok && !l.now().Before(t) {
		delete(l.until, key)
		return time.Time{}
	}
	return t
}

// failed records a rejected login.
func (l *loginLimiter) failed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for k, t := range l.until {
		if !now.Before(t) {
			delete(l.until, k)
		}
	}
	l.until[key] = now.Add(l.gap)
}

// succeeded clears the key after an accepted login.
func (l *loginLimiter) succeeded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.until, key)
}
