package gateway

import (
	"fmt"
	"time"
)

// Kind classifies a failed gateway call. It decides the relay error code,
// whether a read is retried and whether the breaker counts a failure.
type Kind int

// The kinds of failure.
const (
	KindUnknown     Kind = iota
	KindAuth             // 401, including a failed login
	KindPermission       // 403
	KindNotFound         // 404 for a missing resource
	KindInvalid          // 400, or 404 for an invalid parameter
	KindRateLimited      // 429
	KindInternal         // 500
	KindUnavailable      // 502, 503, 504, or the breaker is open
	KindTimeout          // the call's deadline passed
	KindConnection       // dial failed or the connection dropped
	KindTLS              // certificate verification failed
	KindRedirect         // the gateway answered with a redirect
	KindBlocked          // the address is not allowed (loopback, link-local)
	KindBudget           // the request's budget of gateway calls is spent
)

var kindNames = [...]string{
	KindUnknown:     "unknown",
	KindAuth:        "auth",
	KindPermission:  "permission",
	KindNotFound:    "not_found",
	KindInvalid:     "invalid",
	KindRateLimited: "rate_limited",
	KindInternal:    "internal",
	KindUnavailable: "unavailable",
	KindTimeout:     "timeout",
	KindConnection:  "connection",
	KindTLS:         "tls",
	KindRedirect:    "redirect",
	KindBlocked:     "blocked",
	KindBudget:      "budget",
}

// String returns the kind's snake_case name, used as a metric label.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Error is a classified gateway failure. Message is safe to show a client:
// it is built from known texts and never carries a credential.
type Error struct {
	Kind    Kind
	Status  int    // HTTP status, 0 when no response arrived
	Gateway string // base URL as configured
	Op      string // endpoint or operation, for example "message-tracking/messages"
	Message string
	// RetryAt is set when the breaker is open: when it lets a trial call through.
	RetryAt time.Time
	Err     error
}

// Error returns a text that names the operation and gateway.
func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("gateway %s %s: HTTP %d: %s", e.Gateway, e.Op, e.Status, e.Message)
	}
	return fmt.Sprintf("gateway %s %s: %s", e.Gateway, e.Op, e.Message)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
