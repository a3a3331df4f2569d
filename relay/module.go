// Package relay holds the use cases behind the relay protocol: enrichment
// (observe, deliberate), refer links, response actions and their triggers,
// the verdict cache, idempotency and the audit trail.
package relay

import "github.com/securex-esa/relay/gateway"

// Module is one module instance's configuration, decoded and validated from
// the claims of a verified configuration token.
type Module struct {
	// Gateways are the appliances of GATEWAY_URL, in the configured order,
	// all with the same API flavour and account.
	Gateways []gateway.Config
	// UIURL is the web interface base URL for refer links and source_uri.
	UIURL string
	// ESAConfig is the appliance whose dictionaries block actions edit; nil
	// when ESA_CONFIG_URL is not set.
	ESAConfig *gateway.Config
	// BlockDictionary is the dictionary block actions edit; empty disables them.
	BlockDictionary string
	// ForwardAddress is the one mailbox forward actions send to; empty
	// disables them.
	ForwardAddress string
	// EntitiesLimit caps entities per observable per type (1..1000).
	EntitiesLimit int
	// LookbackDays is the message-tracking window (1..90).
	LookbackDays int
	// Subject is the token's "sub" or "user" claim when present, for the
	// audit trail; configuration tokens usually carry neither.
	Subject string
	// Instance names the module instance: the X-Module-Instance-ID header
	// when the platform sends it, else empty.
	Instance string
}
