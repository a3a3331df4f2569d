package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// HTTP server limits. The header limit is well above the token limit so an
// oversized token reaches the verifier and gets a clear error.
const (
	idleTimeout    = 120 * time.Second
	maxHeaderBytes = 256 << 10
	// shutdownTimeout bounds the graceful shutdown of Serve.
	shutdownTimeout = 30 * time.Second
)

// Server serves the relay protocol.
type Server struct {
	opts     Options
	echo     *echo.Echo
	log      *slog.Logger
	verifier *verifier
	claims   *claimReader
	ready    readiness
}

// New checks the options and builds the server.
func New(o Options) (*Server, error) {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	log := o.Logger.With("component", "api")
	s := &Server{
		opts:     o,
		log:      log,
		verifier: newVerifier(o.Token, newJWKSCache(o.JWKS, o.Now, log), o.Now),
		claims:   newClaimReader(o.Token),
	}
	s.echo = s.newEcho()
	return s, nil
}

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.logRequests)
	s.routes(e)
	return e
}

// Handler returns the relay protocol's HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve serves on l until ctx is done, then stops accepting requests and
// waits up to the shutdown timeout for those in flight.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.ServeWithTimeout(ctx, l, shutdownTimeout)
}

// ServeWithTimeout is Serve with the graceful shutdown bounded by timeout.
func (s *Server) ServeWithTimeout(ctx context.Context, l net.Listener, timeout time.Duration) error {
	srv := s.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	s.setReady(true)
	s.log.Info("relay listening", "addr", l.Addr().String(), "version", s.opts.Version)

	select {
	case err := <-errc:
		s.setReady(false)
		return fmt.Errorf("serving %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}

	s.setReady(false)
	s.log.Info("relay stopping", "addr", l.Addr().String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("shutting down %s: %w", l.Addr(), err)
	}
	s.log.Info("relay stopped", "addr", l.Addr().String())
	return nil
}

// httpServer bounds every phase of a request. The write timeout leaves room
// for the request timeout of the work behind it.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadHeaderTimeout + 20*time.Second,
		WriteTimeout:      s.opts.RequestTimeout + 10*time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}
