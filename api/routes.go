package api

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// Header names of the relay protocol.
const (
	headerHealthCheck = "Health-Check"
	headerInstance    = "X-Module-Instance-ID"
	headerRequestID   = "X-Request-Id"
)

// moduleKey stores the verified module in the echo context.
const moduleKey = "relay.module"

// observableHandler serves one observable-list route.
type observableHandler func(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error)

// routes registers every route with and without a trailing slash.
func (s *Server) routes(e *echo.Echo) {
	add := func(method, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		e.Add(method, path, h, mw...)
		e.Add(method, path+"/", h, mw...)
	}
	add(http.MethodGet, "/watchdog", s.watchdog)
	add(http.MethodPost, "/version", s.version)

	auth := s.authenticate
	add(http.MethodPost, "/health", s.health, auth)
	add(http.MethodPost, "/deliberate/observables", s.observables(s.opts.Enricher.Deliberate, map[string]any{}), auth)
	add(http.MethodPost, "/observe/observables", s.observables(s.opts.Enricher.Observe, map[string]any{}), auth)
	add(http.MethodPost, "/refer/observables", s.observables(s.opts.Enricher.Refer, []any{}), auth)
	add(http.MethodPost, "/respond/observables", s.observables(s.opts.Responder.Actions, []any{}), auth)
	add(http.MethodPost, "/respond/trigger", s.trigger, auth)
	add(http.MethodPost, "/tiles", s.tiles, auth)
	add(http.MethodPost, "/tiles/tile", s.tile, auth)
	add(http.MethodPost, "/tiles/tile-data", s.tile, auth)
}

func (s *Server) watchdog(c echo.Context) error {
	value := c.Request().Header.Get(headerHealthCheck)
	if value == "" {
		return respond(c, nil, nil, []*relay.Error{relay.NewFatal(relay.CodeHealthCheck, "Invalid Health Check: the Health-Check header is missing.")})
	}
	return respond(c, value, nil, nil)
}

// version has no data wrapper: the platform reads {"version": "x.y.z"}.
func (s *Server) version(c echo.Context) error {
	c.Set(outcomeKey, outcome{Code: "ok"})
	return c.JSON(http.StatusOK, map[string]string{"version": s.opts.Version})
}

func (s *Server) health(c echo.Context) error {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	errs := s.opts.HealthChecker.Health(ctx, module(c))
	var data any
	if firstFatal(compact(errs)) == nil {
		data = map[string]string{"status": "ok"}
	}
	return respond(c, data, nil, errs)
}

// observables decodes an observable list and hands it to h; empty is the
// data returned when nothing is left to look up.
func (s *Server) observables(h observableHandler, empty any) echo.HandlerFunc {
	return func(c echo.Context) error {
		body, rerr := s.readBody(c)
		if rerr != nil {
			return respond(c, nil, nil, []*relay.Error{rerr})
		}
		obs, warnings, err := DecodeObservables(body, s.opts.MaxObservables)
		if err != nil {
			return respond(c, nil, nil, []*relay.Error{asRelayError(err)})
		}
		if len(obs) == 0 {
			return respond(c, empty, empty, warnings)
		}

		ctx, cancel := s.requestContext(c)
		defer cancel()
		data, errs := h(ctx, module(c), obs)
		return respond(c, data, empty, append(warnings, errs...))
	}
}

func (s *Server) trigger(c echo.Context) error {
	body, rerr := s.readBody(c)
	if rerr != nil {
		return respond(c, nil, nil, []*relay.Error{rerr})
	}
	req, err := DecodeTrigger(body)
	if err != nil {
		return respond(c, nil, nil, []*relay.Error{asRelayError(err)})
	}

	ctx, cancel := s.requestContext(c)
	defer cancel()
	res := s.opts.Responder.Trigger(ctx, module(c), req)
	status := res.Status
	if status == "" {
		status = relay.StatusFailure
	}
	return respond(c, map[string]string{"status": status}, nil, res.Errors)
}

// tiles returns an empty catalogue: the relay offers no dashboard tiles.
func (s *Server) tiles(c echo.Context) error {
	return respond(c, []any{}, nil, nil)
}

func (s *Server) tile(c echo.Context) error {
	body, rerr := s.readBody(c)
	if rerr != nil {
		return respond(c, nil, nil, []*relay.Error{rerr})
	}
	id, err := decodeTileID(body)
	if err != nil {
		return respond(c, nil, nil, []*relay.Error{asRelayError(err)})
	}
	return respond(c, nil, nil, []*relay.Error{relay.NewFatal(relay.CodeNotFound,
		fmt.Sprintf("Unknown tile %s: this relay offers no dashboard tiles.", quote(id, 64)))})
}

// readBody reads the request body up to the limit. A larger body is
// rejected whole, so nothing decodes a truncated document.
func (s *Server) readBody(c echo.Context) ([]byte, *relay.Error) {
	r := c.Request()
	tooLarge := relay.NewFatal(relay.CodeInvalidArgument, fmt.Sprintf(
		"The request body is larger than the limit of %d bytes; send fewer observables.", s.opts.MaxBody))
	if r.ContentLength > s.opts.MaxBody {
		return nil, tooLarge
	}
	body, err := readAll(r.Body, r.ContentLength, s.opts.MaxBody+1)
	if err != nil {
		return nil, relay.NewFatal(relay.CodeInvalidArgument, "The request body could not be read completely.")
	}
	if int64(len(body)) > s.opts.MaxBody {
		return nil, tooLarge
	}
	return body, nil
}

// readAll reads up to limit bytes of r. A known size below the limit sizes
// the buffer at once, where io.ReadAll would grow it step by step.
func readAll(r io.Reader, size, limit int64) ([]byte, error) {
	r = io.LimitReader(r, limit)
	if size < 0 || size >= limit {
		return io.ReadAll(r)
	}
	// The byte beyond the announced size lets a longer body show itself,
	// and then the rest is read as io.ReadAll would.
	buf := make([]byte, 0, size+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) == cap(buf):
			rest, err := io.ReadAll(r)
			return append(buf, rest...), err
		}
	}
}

func (s *Server) requestContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.opts.RequestTimeout)
}

func module(c echo.Context) *relay.Module {
	m, _ := c.Get(moduleKey).(*relay.Module)
	return m
}

func asRelayError(err error) *relay.Error {
	if re, ok := err.(*relay.Error); ok {
		return re
	}
	return relay.NewFatal(relay.CodeInvalidArgument, "The request body is invalid.")
}
