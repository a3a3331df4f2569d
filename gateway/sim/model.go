package sim

import "time"

// appliance is one simulated ESA, as the manager lists it.
type appliance struct {
	Serial string `json:"serial"`
	Host   string `json:"host"`
	IP     string `json:"ip"`
	// UTCOffset is the appliance time zone in seconds east of UTC; timestamps
	// in responses are rendered in this zone.
	UTCOffset int `json:"utcOffset"`
	// LegacyFormat selects the 12.x record shape: messageStatus as a plain
	// string and no per-MID maps in search results.
	LegacyFormat bool `json:"legacyFormat"`
}

// attachment is a file carried by a message, with its AMP result.
type attachment struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	MIME   string `json:"mime"`
	Size   int    `json:"size"`
	// Disposition is the AMP file disposition: CLEAN, MALICIOUS, UNKNOWN or
	// empty when AMP did not scan the file.
	Disposition string `json:"disposition,omitempty"`
	Malware     string `json:"malware,omitempty"`
}

// link is a URL found in a message body.
type link struct {
	URL string `json:"url"`
	// Rewritten is the Cisco web security proxy form, empty when the URL was
	// not rewritten.
	Rewritten string `json:"rewritten,omitempty"`
	// Score is the web reputation score from -10 to 10.
	Score    float64 `json:"score"`
	Category string  `json:"category,omitempty"`
}

// record is one tracked message, or one rejected connection when Rejected
// is set.
type record struct {
	Story     string `json:"story,omitempty"`
	Appliance int    `json:"appliance"`

	MIDs  []int64 `json:"mids,omitempty"`
	ICID  int64   `json:"icid"`
	DCIDs []int64 `json:"dcids,omitempty"`

	Sender       string `json:"sender,omitempty"`
	SenderDomain string `json:"senderDomain,omitempty"`
	SenderIP     string `json:"senderIp"`
	SenderGroup  string `json:"senderGroup"`
	SBRS         string `json:"sbrs"`
	ReverseDNS   string `json:"reverseDns,omitempty"`
	HeaderFrom   string `json:"headerFrom,omitempty"`
	ReplyTo      string `json:"replyTo,omitempty"`

	Recipients []string `json:"recipients,omitempty"`
	// RecipientMIDs gives, for a split message, the MID that carried each
	// recipient (same order as Recipients); nil means the last MID.
	RecipientMIDs []int64 `json:"recipientMids,omitempty"`

	Subject      string `json:"subject,omitempty"`
	FinalSubject string `json:"finalSubject,omitempty"`
	MessageID    string `json:"messageId,omitempty"`

	Status    string    `json:"status"`
	Time      time.Time `json:"time"`
	Direction string    `json:"direction"`
	Policy    string    `json:"policy,omitempty"`
	Size      int       `json:"size,omitempty"`

	Spam      string `json:"spam,omitempty"`      // Positive, Suspect, Negative
	Virus     string `json:"virus,omitempty"`     // CLEAN, VIRAL
	Outbreak  string `json:"outbreak,omitempty"`  // Negative, or a threat level
	Graymail  string `json:"graymail,omitempty"`  // Marketing, Bulk, Social
	Delivered bool   `json:"delivered,omitempty"` // delivered to every recipient

	Attachments []attachment `json:"attachments,omitempty"`
	Links       []link       `json:"links,omitempty"`

	// QuarantineMID is the MID in the centralised spam quarantine, zero when
	// the message is not there.
	QuarantineMID int64 `json:"quarantineMid,omitempty"`
	// PVOMID is the MID in the policy, virus and outbreak quarantines, zero
	// when the message was never in one. It is numbered apart from the
	// tracking MIDs.
	PVOMID int64 `json:"pvoMid,omitempty"`
	// PVOQuarantines are the policy, virus and outbreak quarantines still
	// holding the message.
	PVOQuarantines []string `json:"pvoQuarantines,omitempty"`
	// PVODeleted is set once a PVO quarantine deleted the message, which is
	// then never delivered.
	PVODeleted bool `json:"pvoDeleted,omitempty"`

	Rejected bool `json:"rejected,omitempty"`

	// Remediation is the latest remediation batch that covered the message.
	Remediation *batch `json:"-"`
}

// finalMID returns the last MID, the one that carried the message to its
// final state.
func (r *record) finalMID() int64 {
	if len(r.MIDs) == 0 {
		return 0
	}
	return r.MIDs[len(r.MIDs)-1]
}

// hasMID reports whether the message carries mid.
func (r *record) hasMID(mid int64) bool {
	for _, m := range r.MIDs {
		if m == mid {
			return true
		}
	}
	return false
}

// recipientsByMID groups the recipients by the MID that carried them.
func (r *record) recipientsByMID() map[int64][]string {
	out := map[int64][]string{}
	for i, rcpt := range r.Recipients {
		mid := r.finalMID()
		if i < len(r.RecipientMIDs) {
			mid = r.RecipientMIDs[i]
		}
		out[mid] = append(out[mid], rcpt)
	}
	return out
}

// isDelivered reports whether the message reached the mailboxes.
func (r *record) isDelivered() bool {
	return r.Status == "Delivered"
}
