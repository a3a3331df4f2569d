package main

import (
	"context"
	"log/slog"

	"github.com/securex-esa/relay/api"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// services are the implementations behind the relay's routes, plus the
// state store check that /readyz reports.
type services struct {
	Enricher  api.Enricher
	Responder api.Responder
	Health    api.HealthChecker
	// Ping checks the shared state store; nil when state is in process.
	Ping func(ctx context.Context) error
}

// buildServices builds the gateway pool, the state store and the
// enrichment and response services from cfg. The returned function
// releases them after the server stopped.
//
// TODO: build gateway.NewPool, the store (Redis from cfg.RedisURL, else in
// process), enrich.New and respond.New here, with metrics as their
// Observer. Until then every service route returns "service unavailable".
func buildServices(_ context.Context, _ Config, logger *slog.Logger, _ *api.Metrics) (services, func(), error) {
	logger.Warn("the enrichment and response services are not wired into this build")
	u := unavailable{}
	return services{Enricher: u, Responder: u, Health: u}, func() {}, nil
}

// unavailable returns "service unavailable" on every service route.
type unavailable struct{}

func (unavailable) err() *relay.Error {
	return relay.NewFatal(relay.CodeServiceUnavailable, "This relay build has no enrichment or response services.")
}

func (u unavailable) Observe(context.Context, *relay.Module, []observables.Observable) (any, []*relay.Error) {
	return nil, []*relay.Error{u.err()}
}

func (u unavailable) Deliberate(context.Context, *relay.Module, []observables.Observable) (any, []*relay.Error) {
	return nil, []*relay.Error{u.err()}
}

func (u unavailable) Refer(context.Context, *relay.Module, []observables.Observable) (any, []*relay.Error) {
	return nil, []*relay.Error{u.err()}
}

func (u unavailable) Actions(context.Context, *relay.Module, []observables.Observable) (any, []*relay.Error) {
	return nil, []*relay.Error{u.err()}
}

func (u unavailable) Trigger(context.Context, *relay.Module, relay.TriggerRequest) relay.TriggerResult {
	return relay.TriggerResult{Status: relay.StatusFailure, Errors: []*relay.Error{u.err()}}
}

func (u unavailable) Health(context.Context, *relay.Module) []*relay.Error {
	return []*relay.Error{u.err()}
}
