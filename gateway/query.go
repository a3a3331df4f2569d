package gateway

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Operator is the comparison of a text filter of message tracking.
type Operator string

// The operators message tracking accepts for addresses and subjects.
const (
	Is         Operator = "is"
	BeginsWith Operator = "begins_with"
	Contains   Operator = "contains"
)

// Match is a text filter: an operator and the value it compares with.
type Match struct {
	Op    Operator
	Value string
}

// Query is a message tracking search. Zero fields are not sent.
type Query struct {
	// Start and End bound the search; they are sent as
	// YYYY-MM-DDTHH:MM:00.000Z with Start floored and End rounded up to
	// the minute, because the API rejects non-zero seconds.
	Start, End time.Time

	Sender, Recipient, Subject, AttachmentName, SenderDomain *Match

	MessageID string // the Message-ID header, with angle brackets
	CiscoMID  int64
	SenderIP  string
	SHA256    string
	// ClickedURL filters on webInteractionTrackingUrls, the only URL filter
	// the API documents.
	ClickedURL string
	Direction  string // "", "incoming" or "outgoing"
	// RejectedConnections searches rejected connections instead of
	// messages (searchOption=rejected_connections), for IP lookups.
	RejectedConnections bool
	// Limit caps the number of messages, newest first; 0 means PageSize
	// times MaxPages.
	Limit int
}

// queryString builds a query string by hand: url.Values would encode a
// space as "+", which the appliance reads as a literal plus.
type queryString struct {
	b strings.Builder
}

// add appends a parameter with its value percent-encoded.
func (q *queryString) add(key, value string) {
	q.addRaw(key, escapeValue(value))
}

// addRaw appends a parameter whose value is already safe, such as a date
// whose colons the appliance wants raw.
func (q *queryString) addRaw(key, value string) {
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	q.b.WriteString(key)
	q.b.WriteByte('=')
	q.b.WriteString(value)
}

func (q *queryString) String() string { return q.b.String() }

// escapeValue percent-encodes every byte except the RFC 3986 unreserved
// characters, so a space is %20, "+" is %2B, "@" is %40 and "<" is %3C.
func escapeValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// addDates appends startDate and endDate in the one accepted form.
func (q *queryString) addDates(start, end time.Time) {
	q.addRaw("startDate", floorMinute(start).Format(apiTimeLayout))
	q.addRaw("endDate", ceilMinute(end).Format(apiTimeLayout))
}

// validate checks a query before anything is sent.
func (q Query) validate() error {
	if q.Start.IsZero() || q.End.IsZero() {
		return fmt.Errorf("message tracking search needs both Start and End")
	}
	if !q.End.After(q.Start) {
		return fmt.Errorf("message tracking search End %s is not after Start %s",
			q.End.UTC().Format(time.RFC3339), q.Start.UTC().Format(time.RFC3339))
	}
	if q.Direction != "" && q.Direction != "incoming" && q.Direction != "outgoing" {
		return fmt.Errorf("message tracking Direction %q is invalid: use \"incoming\", \"outgoing\" or \"\"", q.Direction)
	}
	if q.Limit < 0 {
		return fmt.Errorf("message tracking Limit %d is negative", q.Limit)
	}
	for _, f := range q.matches() {
		if err := f.match.validate(f.name); err != nil {
			return err
		}
	}
	return nil
}

func (m *Match) validate(name string) error {
	if m == nil {
		return nil
	}
	switch m.Op {
	case Is, BeginsWith, Contains:
	default:
		return fmt.Errorf("%s filter operator %q is invalid: use is, begins_with or contains", name, m.Op)
	}
	if strings.TrimSpace(m.Value) == "" {
		return fmt.Errorf("%s filter value is empty", name)
	}
	return nil
}

type namedMatch struct {
	name, operatorKey, valueKey string
	match                       *Match
}

// matches lists the text filters with the parameter names the API uses;
// the lower-case "f" of "filterOperator" is the API's own spelling.
func (q Query) matches() []namedMatch {
	return []namedMatch{
		{"Sender", "envelopeSenderfilterOperator", "envelopeSenderfilterValue", q.Sender},
		{"Recipient", "envelopeRecipientfilterOperator", "envelopeRecipientfilterValue", q.Recipient},
		{"Subject", "subjectfilterOperator", "subjectfilterValue", q.Subject},
		{"AttachmentName", "attachmentNameOperator", "attachmentNameValue", q.AttachmentName},
		{"SenderDomain", "domainNameOperator", "domainNameValue", q.SenderDomain},
	}
}

// encode builds the query string of one page.
func (q Query) encode(offset, limit int) string {
	var s queryString
	s.addDates(q.Start, q.End)
	if q.RejectedConnections {
		s.add("searchOption", "rejected_connections")
	} else {
		s.add("searchOption", "messages")
	}
	s.add("ciscoHost", "All_Hosts")
	for _, f := range q.matches() {
		if f.match != nil {
			s.add(f.operatorKey, string(f.match.Op))
			s.add(f.valueKey, f.match.Value)
		}
	}
	q.addScalars(&s)
	s.add("offset", strconv.Itoa(offset))
	s.add("limit", strconv.Itoa(limit))
	return s.String()
}

func (q Query) addScalars(s *queryString) {
	if q.MessageID != "" {
		s.add("messageIdHeader", q.MessageID)
	}
	if q.CiscoMID != 0 {
		s.add("ciscoMid", strconv.FormatInt(q.CiscoMID, 10))
	}
	if q.SenderIP != "" {
		s.add("senderIp", q.SenderIP)
	}
	if q.SHA256 != "" {
		s.add("fileSha256", strings.ToLower(q.SHA256))
	}
	if q.ClickedURL != "" {
		s.add("webInteractionTrackingUrls", q.ClickedURL)
	}
	if q.Direction != "" {
		s.add("messageDirection", q.Direction)
	}
}

// addMIDs appends one mid= parameter per MID, the form the detail
// endpoints read as a list.
func (q *queryString) addMIDs(mids []int64) {
	for _, id := range mids {
		q.add("mid", strconv.FormatInt(id, 10))
	}
}
