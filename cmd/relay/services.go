package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"

	"github.com/securex-esa/relay/api"
	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay/enrich"
	"github.com/securex-esa/relay/relay/respond"
	"github.com/securex-esa/relay/relay/store"
)

// services are what the relay's routes call, plus the state store check
// that /readyz reports.
type services struct {
	Enricher  api.Enricher
	Responder api.Responder
	Health    api.HealthChecker
	// Ping checks the shared state store; nil when state is in process.
	Ping func(ctx context.Context) error
}

// buildServices builds the gateway pool, the state store and the
// enrichment and response services from cfg, and starts the remediation
// poller. The returned function stops the poller and closes the store
// after the server stopped.
func buildServices(ctx context.Context, cfg Config, logger *slog.Logger, metrics *api.Metrics) (services, func(), error) {
	st, stateKey, err := openStore(cfg, logger)
	if err != nil {
		return services{}, nil, err
	}

	pool := gateway.NewPool(gateway.PoolOptions{
		Timeout:         cfg.GatewayTimeout,
		MaxBody:         cfg.GatewayMaxBody,
		UserAgent:       "esa-relay/" + version,
		AllowedHosts:    cfg.GatewayHosts,
		DialContext:     cfg.GatewayDial,
		Resolver:        cfg.GatewayResolver,
		Logger:          logger,
		Observer:        metrics,
		BreakerFailures: cfg.BreakerFailures,
		BreakerOpenFor:  cfg.BreakerOpenFor,
	})

	enricher := enrich.New(enrich.Options{
		Pool:        pool,
		Store:       st,
		StateKey:    stateKey,
		Logger:      logger.With("component", "enrich"),
		Observer:    metrics,
		NegativeTTL: cfg.NegativeTTL,
		CallBudget:  cfg.CallBudget,
		// Concurrency counts messages, each with three detail calls.
		Concurrency:       cfg.DetailConcurrency,
		LookupConcurrency: cfg.LookupConcurrency,
	})
	responder := respond.New(respond.Options{
		Pool:             pool,
		Store:            st,
		StateKey:         stateKey,
		Logger:           logger,
		Observer:         metrics,
		ForwardDomains:   cfg.ForwardDomains,
		ProtectedDomains: cfg.ProtectedDomains,
		MaxRecipients:    cfg.MaxRecipients,
		AuditMaxLen:      cfg.AuditMaxLen,
		AuditMaxAge:      cfg.AuditMaxAge,
		// With Redis, replicas rely on it to keep a trigger from running
		// twice, so a trigger without it must not run at all.
		FailClosed: cfg.RedisURL != "",
	})

	pollCtx, stopPoller := context.WithCancel(context.WithoutCancel(ctx))
	var polling sync.WaitGroup
	polling.Go(func() { _ = responder.RunPoller(pollCtx) })

	svc := services{Enricher: enricher, Responder: responder, Health: responder}
	if cfg.RedisURL != "" {
		svc.Ping = st.Ping
	}
	release := func() {
		stopPoller()
		polling.Wait()
		if err := st.Close(); err != nil {
			logger.Warn("closing the state store failed", "err", err)
		}
	}
	return svc, release, nil
}

// openStore opens Redis when RELAY_REDIS_URL is set, else an in-process
// store. Without Redis nothing outlives the process, so a random state key
// is as good as a configured one.
func openStore(cfg Config, logger *slog.Logger) (store.Store, []byte, error) {
	if cfg.RedisURL == "" {
		key := cfg.StateKey
		if len(key) == 0 {
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, nil, fmt.Errorf("generating a state key: %w", err)
			}
		}
		return store.NewMemory(nil), key, nil
	}
	store.RouteRedisLogs(logger)
	st, err := store.OpenRedis(cfg.RedisURL, store.RedisOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("RELAY_REDIS_URL: %w", err)
	}
	return st, cfg.StateKey, nil
}
