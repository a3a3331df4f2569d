package api

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/securex-esa/relay/relay"
)

// requestIDKey stores the request id in the echo context.
const requestIDKey = "relay.request_id"

// authenticate verifies the token, reads the module from its claims and the
// instance header, and stores the module for the handler.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		claims, err := s.verifier.Verify(r.Context(), r.Header.Get(echo.HeaderAuthorization))
		if err != nil {
			return respond(c, nil, nil, []*relay.Error{authFailure(err)})
		}
		m, err := s.claims.Module(claims)
		if err != nil {
			return respond(c, nil, nil, []*relay.Error{authFailure(err)})
		}
		instance := r.Header.Get(headerInstance)
		if instance != "" && !validInstance(instance) {
			return respond(c, nil, nil, []*relay.Error{relay.NewFatal(relay.CodeInvalidArgument,
				"The X-Module-Instance-ID header is invalid; expected up to 128 letters, digits, '-', '_', '.' or ':'.")})
		}
		m.Instance = instance
		c.Set(moduleKey, m)
		return next(c)
	}
}

func authFailure(err error) *relay.Error {
	var ae *AuthError
	if errors.As(err, &ae) {
		return relay.NewFatal(relay.CodeAuthorization, ae.Message)
	}
	return relay.NewFatal(relay.CodeAuthorization, "Authorization failed.")
}

func validInstance(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return false
		}
	}
	return true
}

// logRequests gives each request an id, returned in X-Request-Id, recovers
// from a panic with an internal error, and logs the outcome: rejected
// requests at Info, others at Debug. It logs no header and no body, so no
// token or password reaches the log.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		start := time.Now()
		id := uuid.NewString()
		c.Set(requestIDKey, id)
		c.Response().Header().Set(headerRequestID, id)

		defer func() {
			if p := recover(); p != nil {
				s.log.Error("request panicked", "request_id", id, "panic", escape(slogValue(p), 200), "stack", string(debug.Stack()))
				err = errors.New("handler panicked")
			}
			if err != nil {
				s.errorHandler(err, c)
				err = nil
			}
			s.logOutcome(c, id, time.Since(start))
		}()
		return next(c)
	}
}

func (s *Server) logOutcome(c echo.Context, id string, d time.Duration) {
	o, _ := c.Get(outcomeKey).(outcome)
	if o.Code == "" {
		o.Code = "ok"
	}
	route := c.Path()
	if c.Response().Status == http.StatusNotFound || route == "" {
		route = "unmatched"
	}
	if s.opts.Metrics != nil {
		s.opts.Metrics.observeRequest(route, o.Code, d)
	}

	r := c.Request()
	level := slog.LevelInfo
	if o.Code == "ok" {
		level = slog.LevelDebug
	}
	// Most servers log at Info, where every served request would build
	// and escape these values for nothing.
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []any{
		"request_id", id,
		"method", escape(r.Method, 16),
		"path", escape(r.URL.Path, 200),
		"status", c.Response().Status,
		"code", o.Code,
		"duration", d,
	}
	if o.Code == "ok" {
		s.log.Debug("request served", append(attrs, "warnings", o.Warnings)...)
		return
	}
	// The reason is the relay's own message, and the log handler escapes
	// it, so it is only cut here.
	s.log.Info("request rejected", append(attrs, "reason", cut(o.Reason, 300))...)
}

// cut shortens s to at most max bytes without splitting a UTF-8 sequence,
// marking a cut with "...".
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	end := max
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + "..."
}

func requestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// quote cuts s to max bytes and quotes it with control characters and
// invalid UTF-8 escaped, so a client cannot forge log lines or responses.
func quote(s string, max int) string {
	if len(s) <= max {
		return strconv.QuoteToGraphic(s)
	}
	return strconv.QuoteToGraphic(s[:max]) + "..."
}

// escape is quote without the surrounding quotes, for log values.
func escape(s string, max int) string {
	q := quote(s, max)
	if strings.HasSuffix(q, "...") {
		return q[1:len(q)-4] + "..."
	}
	return q[1 : len(q)-1]
}

func slogValue(v any) string {
	return slog.AnyValue(v).String()
}
