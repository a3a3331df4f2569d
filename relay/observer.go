package relay

// Observer receives counts from the use cases, for metrics. It never sees a
// tenant, an observable value or a credential.
type Observer interface {
	// CacheLookups counts verdict cache hits and misses of one request.
	CacheLookups(hits, misses int)
	// Trigger counts one trigger by action id and outcome
	// ("success", "failure", "refused", "already requested").
	Trigger(action, outcome string)
}
