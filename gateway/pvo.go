package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The system quarantines of the policy, virus and outbreak (PVO) family, as
// the quarantines search parameter names them. Administrators may add
// policy quarantines with other names, which the client accepts too.
const (
	PVOOutbreak     = "Outbreak"
	PVOVirus        = "Virus"
	PVOFileAnalysis = "File Analysis"
	PVOUnclassified = "Unclassified"
	PVOPolicy       = "Policy"
)

// defaultPVOQuarantines are searched when PVOQuery.Quarantines is empty.
var defaultPVOQuarantines = []string{PVOOutbreak, PVOVirus, PVOFileAnalysis, PVOUnclassified, PVOPolicy}

// PVOQuery searches the policy, virus and outbreak quarantines. Like the
// spam quarantine, they number messages with their own MIDs, so a tracked
// message is found here by its addresses and subject.
type PVOQuery struct {
	Start, End time.Time
	// Quarantines are the quarantine names to search. Default: the five
	// system quarantines.
	Quarantines []string
	// Sender matches the envelope sender (contains).
	Sender string
	// Recipient matches the envelope recipient (contains).
	Recipient string
	// Subject matches the subject (contains).
	Subject string
}

// PVOMessage is one message held in the policy, virus and outbreak
// quarantines.
type PVOMessage struct {
	// MID is the quarantine's own MID, used to release or delete.
	MID int64
	// Quarantines are the quarantines holding the message. It is delivered
	// only once every one of them has released it.
	Quarantines []string
	Recipients  []string
	Sender      string
	Subject     string
	// Received has minute precision.
	Received time.Time
	// OriginatingESA is the IP address of the gateway that quarantined the
	// message.
	OriginatingESA string
}

type pvoPage struct {
	Data []struct {
		MID        flexInt `json:"mid"`
		Attributes struct {
			Received         flexString  `json:"received"`
			Sender           flexStrings `json:"sender"`
			Recipient        flexStrings `json:"recipient"`
			Subject          flexString  `json:"subject"`
			InQuarantines    flexStrings `json:"inQuarantines"`
			OriginatingESAIP flexString  `json:"originatingEsaIp"`
			ReasonDict       []struct {
				QuarantineName flexString `json:"quarantineName"`
			} `json:"quarantineForReasonDict"`
		} `json:"attributes"`
	} `json:"data"`
}

// SearchPVOQuarantine returns the policy, virus and outbreak quarantine
// entries matching q, up to PageSize times MaxPages.
func (c *Client) SearchPVOQuarantine(ctx context.Context, q PVOQuery) ([]PVOMessage, error) {
	const op = "quarantine/messages"
	if err := q.validate(); err != nil {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: op, Message: err.Error()}
	}

	limit := c.pool.opts.PageSize
	var out []PVOMessage
	for page, offset := 0, 0; page < c.pool.opts.MaxPages; page, offset = page+1, offset+limit {
		var body pvoPage
		r := request{op: op, method: http.MethodGet, path: "/quarantine/messages", query: q.encode(offset, limit)}
		if err := c.do(ctx, r, &body); err != nil {
			return nil, err
		}
		for _, d := range body.Data {
			out = append(out, pvoMessageOf(int64(d.MID), d.Attributes.Sender, d.Attributes.Recipient,
				string(d.Attributes.Subject), string(d.Attributes.Received), string(d.Attributes.OriginatingESAIP),
				pvoNames(d.Attributes.InQuarantines, d.Attributes.ReasonDict)))
		}
		if len(body.Data) < limit {
			break
		}
	}
	return out, nil
}

func pvoMessageOf(mid int64, sender, rcpts []string, subject, received, esa string, names []string) PVOMessage {
	m := PVOMessage{MID: mid, Quarantines: names, Recipients: splitList(rcpts),
		Subject: clean(subject), OriginatingESA: clean(esa)}
	if len(sender) > 0 {
		m.Sender = sender[0]
	}
	m.Received, _ = parseApplianceTime(received)
	return m
}

// pvoNames merges inQuarantines, which may be a list or one comma-separated
// string, with the quarantine names of the per-reason entries.
func pvoNames(in []string, reasons []struct {
	QuarantineName flexString `json:"quarantineName"`
}) []string {
	names := splitList(in)
	for _, r := range reasons {
		if n := clean(string(r.QuarantineName)); n != "" {
			names = append(names, n)
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// splitList splits comma-separated items and drops empty parts.
func splitList(items []string) []string {
	var out []string
	for _, item := range items {
		for part := range strings.SplitSeq(item, ",") {
			if p := clean(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// quarantines returns the names to search, the defaults when none are set.
func (q PVOQuery) quarantines() []string {
	if len(q.Quarantines) == 0 {
		return defaultPVOQuarantines
	}
	return q.Quarantines
}

func (q PVOQuery) validate() error {
	if q.Start.IsZero() || q.End.IsZero() || !q.End.After(q.Start) {
		return fmt.Errorf("policy, virus and outbreak quarantine search needs a Start before its End")
	}
	for _, name := range q.quarantines() {
		if strings.Contains(name, ",") {
			return fmt.Errorf("quarantine name %q contains a comma, which would split the quarantines list, "+
				"so pass each name as its own element", name)
		}
		if err := checkQuarantineName(name); err != nil {
			return err
		}
	}
	return nil
}

// checkQuarantineName reports an empty name or one with a control character.
func checkQuarantineName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("quarantine name is empty: use a name such as %q or %q", PVOVirus, PVOPolicy)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("quarantine name %q contains a control character: remove it", name)
	}
	return nil
}

// encode builds the query string of one page. Unlike the spam quarantine,
// the PVO search takes the sender, recipient and subject filters together.
func (q PVOQuery) encode(offset, limit int) string {
	var s queryString
	s.add("quarantineType", "pvo")
	// NOTE: public integrations send raw commas and "File+Analysis". The
	// %2C and %20 sent here decode to the same text, but no appliance was
	// seen to accept them.
	s.add("quarantines", strings.Join(q.quarantines(), ","))
	s.addDates(q.Start, q.End)
	addPVOFilter(&s, "envelopeSender", q.Sender)
	addPVOFilter(&s, "envelopeRecipient", q.Recipient)
	addPVOFilter(&s, "subject", q.Subject)
	s.add("orderBy", "received")
	s.add("orderDir", "desc")
	s.add("offset", strconv.Itoa(offset))
	s.add("limit", strconv.Itoa(limit))
	return s.String()
}

// addPVOFilter appends a text filter, named <field>FilterBy and
// <field>FilterValue here, unlike the spam quarantine's filterOperator.
func addPVOFilter(s *queryString, field, value string) {
	if value == "" {
		return
	}
	s.add(field+"FilterBy", "contains")
	s.add(field+"FilterValue", value)
}

// ReleasePVO releases one message from the named policy, virus or outbreak
// quarantine by its quarantine MID. found is false when that quarantine
// does not hold it (totalCount 0). A message held by several quarantines is
// delivered only once each has released it. Never retried.
func (c *Client) ReleasePVO(ctx context.Context, quarantine string, mid int64) (found bool, err error) {
	if err := c.checkPVOName(quarantine); err != nil {
		return false, err
	}
	body := map[string]any{"action": "release", "mids": []int64{mid}, "quarantineName": quarantine, "quarantineType": "pvo"}
	return c.quarantineAction(ctx, http.MethodPost, mid, body)
}

// DeletePVO deletes one message from the named policy, virus or outbreak
// quarantine by its quarantine MID. found is false when that quarantine
// does not hold it. Never retried.
func (c *Client) DeletePVO(ctx context.Context, quarantine string, mid int64) (found bool, err error) {
	if err := c.checkPVOName(quarantine); err != nil {
		return false, err
	}
	// NOTE: no public capture of a PVO delete exists. The body is the spam
	// delete's (no action key) plus the quarantine name.
	body := map[string]any{"mids": []int64{mid}, "quarantineName": quarantine, "quarantineType": "pvo"}
	return c.quarantineAction(ctx, http.MethodDelete, mid, body)
}

func (c *Client) checkPVOName(name string) error {
	if err := checkQuarantineName(name); err != nil {
		return &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: "quarantine/messages", Message: err.Error()}
	}
	return nil
}
