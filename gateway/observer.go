package gateway

import "time"

// Observer receives an event per gateway call and per breaker state change,
// for metrics. Host is the gateway URL's host[:port] as configured; the receiver
// folds hosts it does not know into one label. Result is the call's outcome:
// "ok" or the name of its Kind.
type Observer interface {
	ObserveCall(host, op, result string, d time.Duration)
	ObserveBreaker(host, state string)
}
