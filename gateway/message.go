package gateway

import "time"

// Message is one tracked message as message tracking reports it, with the
// API's quirks resolved: MIDs as integers, per-MID maps keyed by integer,
// "N/A", "None" and empty strings as zero values, timestamps in UTC.
type Message struct {
	// Gateway is the API base URL the message was found through, exactly as
	// configured. A MID is unique only per appliance, so Gateway and Serial
	// travel with every MID.
	Gateway string
	Serial  string
	// Host is the appliance host name; empty when the ESA was queried directly.
	Host string

	// MIDs lists every MID of the message in ascending order; the last one is
	// the final MID when the appliance split or re-injected the message.
	MIDs []int64
	ICID int64

	Sender       string
	SenderDomain string
	SenderIP     string
	SenderGroup  string
	// SBRS is the SenderBase reputation score, nil when absent.
	SBRS         *float64
	FriendlyFrom []string

	Recipients      []string
	RecipientsByMID map[int64][]string

	Subject      string
	FinalSubject map[int64]string
	// MessageID is the Message-ID header with its angle brackets.
	MessageID      string
	MessageIDByMID map[int64]string

	// Status is the last known state, for example "Delivered" or
	// "Quarantined by Anti-Spam/Graymail".
	Status      string
	StatusByMID map[int64]string

	Time      time.Time
	Direction string // "incoming", "outgoing" or ""
	Policies  []string

	// Rejected marks an entry of a rejected-connections search, which has
	// no MID, sender or recipient.
	Rejected bool

	// Remediation is the mailbox remediation state, nil when the message was
	// never remediated.
	Remediation *RemediationState
}

// RemediationState is the remediation state message tracking reports in
// morDetails and morInfo.
type RemediationState struct {
	// StateByMID is morInfo.midVsState.
	StateByMID map[int64]string
	// Details holds the morDetails entries as text pairs.
	Details map[string]string
}

// Details is the per-message detail view, merged from the details,
// amp-details and url-details calls.
type Details struct {
	Message     Message
	Attachments []Attachment
	URLs        []URLInfo
	Events      []Event
	Size        string
	HeaderFrom  string
	// Missing names the privileges, such as PrivAMPDetails, whose AMP or
	// URL detail call the appliance refused, so that data is absent.
	Missing []string
}

// Attachment is a file carried by a message.
type Attachment struct {
	Name   string
	SHA256 string
	// Disposition is the AMP verdict as written by the appliance, for
	// example "MALICIOUS", "CLEAN" or "UNKNOWN"; empty when not scanned.
	Disposition string
}

// URLInfo is a URL found in a message.
type URLInfo struct {
	URL string
	// Reputation is the appliance's rating, for example "Malicious",
	// "Suspicious" or "Neutral"; empty when not rated.
	Reputation string
	// Category is the URL category when reported.
	Category string
	// Score is the numeric URL reputation score from -10 to 10 when the
	// appliance reports one, nil otherwise.
	Score *float64
	// Condition is the rule that matched the URL, for example
	// "URL Reputation Rule".
	Condition string
	// Rewritten marks a URL the appliance rewrote to pass through Cisco's
	// web security proxy.
	Rewritten bool
}

// Event is one line of a message's processing summary.
type Event struct {
	Time        time.Time
	Description string
}
