// Package observables defines the observable types the relay accepts and
// validates and normalises their values. It is pure: no I/O, no state.
package observables

// Type is a CTIM observable type identifier such as "email" or "cisco_mid".
type Type string

// The observable types the relay enriches. Any other CTIM type is ignored.
const (
	Email     Type = "email"
	MessageID Type = "email_messageid"
	CiscoMID  Type = "cisco_mid"
	Subject   Type = "email_subject"
	IP        Type = "ip"
	IPv6      Type = "ipv6"
	Domain    Type = "domain"
	URL       Type = "url"
	SHA256    Type = "sha256"
	FileName  Type = "file_name"
)

// Observable is a typed value as the platform sends it and as CTIM stores it.
type Observable struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
}
