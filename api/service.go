// Package api serves the relay protocol over HTTP: routes, token
// verification, the response envelope, limits and request logs.
package api

import (
	"context"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// Enricher serves the enrichment routes. Each method returns the value of
// the envelope's "data" and the errors to list beside it; data that is nil
// is left out.
type Enricher interface {
	Observe(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error)
	Deliberate(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error)
	Refer(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error)
}

// Responder serves the response-action routes.
type Responder interface {
	Actions(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error)
	Trigger(ctx context.Context, m *relay.Module, req relay.TriggerRequest) relay.TriggerResult
}

// HealthChecker serves /health: it logs in to every configured gateway and
// reads the account's privileges.
type HealthChecker interface {
	Health(ctx context.Context, m *relay.Module) []*relay.Error
}
