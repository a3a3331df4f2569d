package gateway

import (
	"context"
	"sync/atomic"
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
