package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/securex-esa/relay/api"
)

// version is stamped at build time: -ldflags "-X main.version=1.2.3".
var version = "0.0.0-dev"

// Run serves the relay until ctx is done, then shuts down gracefully.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	metrics := api.NewMetrics(api.MetricsOptions{GatewayHosts: cfg.GatewayHosts, Version: version})
	svc, release, err := buildServices(ctx, cfg, logger, metrics)
	if err != nil {
		return fmt.Errorf("building the services: %w", err)
	}
	defer release()

	srv, err := api.New(apiOptions(cfg, svc, logger, metrics))
	if err != nil {
		return fmt.Errorf("configuring the server: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on RELAY_ADDR %s: %w", cfg.Addr, err)
	}
	stopMetrics, metricsAddr, err := serveMetrics(cfg, srv, logger)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopMetrics()

	if cfg.OnListen != nil {
		cfg.OnListen(ln.Addr(), metricsAddr)
	}
	return srv.ServeWithTimeout(ctx, ln, cfg.ShutdownTimeout)
}

func apiOptions(cfg Config, svc services, logger *slog.Logger, metrics *api.Metrics) api.Options {
	return api.Options{
		Enricher:      svc.Enricher,
		Responder:     svc.Responder,
		HealthChecker: svc.Health,
		Token: api.TokenOptions{
			Secret:         cfg.JWTSecret,
			JWKSHosts:      cfg.JWKSHosts,
			Audience:       cfg.Audience,
			GatewayHosts:   cfg.GatewayHosts,
			ForwardDomains: cfg.ForwardDomains,
		},
		JWKS:              api.JWKSOptions{Timeout: cfg.JWKSTimeout, TTL: cfg.JWKSTTL},
		MaxBody:           cfg.MaxBody,
		MaxObservables:    cfg.MaxObservables,
		RequestTimeout:    cfg.RequestTimeout,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		Logger:            logger,
		Metrics:           metrics,
		Ping:              svc.Ping,
		Version:           version,
	}
}

// serveMetrics starts the /metrics and /readyz listener unless it is off.
// The returned function stops it; it runs after the relay stopped, so
// /readyz reports the shutdown.
func serveMetrics(cfg Config, srv *api.Server, logger *slog.Logger) (func(), net.Addr, error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening on RELAY_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
	}
	hs := &http.Server{
		Handler:           srv.MetricsHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the metrics listener failed", "addr", ln.Addr().String(), "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String())

	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			logger.Warn("stopping the metrics listener failed", "err", err)
		}
	}
	return stop, ln.Addr(), nil
}

// newLogger builds the relay's logger from RELAY_LOG_LEVEL and RELAY_LOG_FORMAT.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
