package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/securex-esa/relay/relay"
)

// envelope is the relay protocol's response body. Data is left out when nil
// and Errors when empty.
type envelope struct {
	Data   any            `json:"data,omitempty"`
	Errors []*relay.Error `json:"errors,omitempty"`
}

// outcomeKey stores in the echo context what a request ended with, for the
// request log and metrics.
const outcomeKey = "relay.outcome"

// outcome is the result of one request as the log and the metrics see it.
type outcome struct {
	// Code is "ok" or the code of the first fatal error.
	Code string
	// Reason is the first fatal error's message; empty on success.
	Reason string
	// Warnings counts warning errors beside the data.
	Warnings int
}

// respond writes a protocol envelope with HTTP 200. A fatal error without
// data leaves data out; otherwise empty stands in for missing data, so the
// platform always gets the shape the route promises.
func respond(c echo.Context, data any, empty any, errs []*relay.Error) error {
	errs = compact(errs)
	fatal := firstFatal(errs)
	if data == nil && fatal == nil {
		data = empty
	}
	record(c, fatal, errs)
	parts, err := encodeEnvelope(data, errs)
	if err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	return writeJSON(c, http.StatusOK, parts)
}

// encodeEnvelope writes the envelope by hand, as parts of one body, so that
// data which encodes itself is written as it comes. encoding/json would
// validate and compact a Marshaler's output again, and for verdicts served
// from the cache that second pass was most of the response's cost. Copying
// the parts into one buffer would cost as much again, so they stay apart.
func encodeEnvelope(data any, errs []*relay.Error) ([][]byte, error) {
	parts := make([][]byte, 0, 5)
	parts = append(parts, []byte("{"))
	if data != nil {
		raw, err := encodeData(data)
		if err != nil {
			return nil, err
		}
		parts = append(parts, []byte(`"data":`), raw)
	}
	if len(errs) > 0 {
		raw, err := json.Marshal(errs)
		if err != nil {
			return nil, err
		}
		prefix := `"errors":`
		if data != nil {
			prefix = `,"errors":`
		}
		parts = append(parts, []byte(prefix), raw)
	}
	return append(parts, []byte("}")), nil
}

// writeJSON writes parts as one JSON body. The Content-Length is set first,
// so the parts go out as they are, without a copy into one buffer and
// without chunked transfer encoding.
func writeJSON(c echo.Context, status int, parts [][]byte) error {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	w.Header().Set(echo.HeaderContentLength, strconv.Itoa(size))
	w.WriteHeader(status)
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// encodeData calls a value's own MarshalJSON directly. Pointers go through
// encoding/json, which handles a nil pointer safely.
func encodeData(data any) ([]byte, error) {
	if m, ok := data.(json.Marshaler); ok && reflect.TypeOf(data).Kind() != reflect.Pointer {
		return m.MarshalJSON()
	}
	return json.Marshal(data)
}

// fail writes one fatal error with the given HTTP status.
func fail(c echo.Context, status int, e *relay.Error) error {
	record(c, e, []*relay.Error{e})
	return c.JSON(status, envelope{Errors: []*relay.Error{e}})
}

func record(c echo.Context, fatal *relay.Error, errs []*relay.Error) {
	o := outcome{Code: "ok"}
	if fatal != nil {
		o.Code, o.Reason = fatal.Code, fatal.Message
	}
	for _, e := range errs {
		if e.Type == relay.Warning {
			o.Warnings++
		}
	}
	c.Set(outcomeKey, o)
}

func compact(errs []*relay.Error) []*relay.Error {
	out := errs[:0:0]
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func firstFatal(errs []*relay.Error) *relay.Error {
	for _, e := range errs {
		if e.Type != relay.Warning {
			return e
		}
	}
	return nil
}

// errorHandler turns echo's routing errors and anything a handler returns
// unhandled into the envelope, so a client never sees echo's own body or a
// Go error string.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var out error
	if he, ok := err.(*echo.HTTPError); ok {
		switch he.Code {
		case http.StatusNotFound:
			out = fail(c, http.StatusNotFound, relay.NewFatal(relay.CodeNotFound,
				"No route "+quote(c.Request().URL.Path, 100)+". The relay serves /health, /watchdog, /version, /deliberate/observables, /observe/observables, /refer/observables, /respond/observables, /respond/trigger and /tiles."))
		case http.StatusMethodNotAllowed:
			out = fail(c, http.StatusMethodNotAllowed, relay.NewFatal(relay.CodeMethodNotAllowed,
				"Method "+quote(c.Request().Method, 20)+" is not allowed on "+quote(c.Request().URL.Path, 100)+"; use "+c.Response().Header().Get(echo.HeaderAllow)+"."))
		default:
			out = fail(c, he.Code, relay.NewFatal(relay.CodeInvalidRequest, http.StatusText(he.Code)))
		}
	} else {
		s.log.Error("request failed", "request_id", requestID(c), "err", err)
		out = fail(c, http.StatusInternalServerError, relay.NewFatal(relay.CodeInternal, "The relay failed to handle the request."))
	}
	if out != nil {
		s.log.Error("writing the error response failed", "request_id", requestID(c), "err", out)
	}
}
