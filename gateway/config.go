// Package gateway is the client of the AsyncOS API v2.0 of the Cisco Secure
// Email Gateway (ESA) and the Secure Email and Web Manager (SMA): sessions,
// message tracking, details, remediation, dictionaries and quarantines,
// error classification and a circuit breaker per credential set.
package gateway

// API selects the URL prefix of an appliance's REST API.
type API string

// The two API flavours. Remediation exists only on the SMA.
const (
	SMA API = "sma" // prefix /sma/api/v2.0
	ESA API = "esa" // prefix /esa/api/v2.0
)

// Prefix returns the API path prefix, for example "/sma/api/v2.0".
func (a API) Prefix() string {
	return "/" + string(a) + "/api/v2.0"
}

// Secret is a credential whose text never reaches a log, an error or JSON.
type Secret string

// String hides the value.
func (Secret) String() string { return "[redacted]" }

// GoString hides the value from %#v.
func (Secret) GoString() string { return "[redacted]" }

// MarshalJSON hides the value.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Reveal returns the value, for the one place that sends it to the gateway.
func (s Secret) Reveal() string { return string(s) }

// Config is one credential set: an appliance's API base URL and the account
// that calls it. Two configs that differ in any field never share a client,
// a session or a breaker.
type Config struct {
	// BaseURL is the API base URL exactly as configured, for example
	// "https://sma.example.com:6443", with no path.
	BaseURL  string
	API      API
	User     string
	Password Secret
	// CAPEM is an optional PEM bundle of CAs trusted for this appliance,
	// added to the system roots.
	CAPEM string
}
