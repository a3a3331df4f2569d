package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// QuarantineQuery searches the spam quarantine. Its MIDs differ from the
// message tracking MIDs, so a message is found here by its addresses.
type QuarantineQuery struct {
	Start, End time.Time
	// Sender matches the From header (contains).
	Sender string
	// Recipient matches the envelope recipient exactly.
	Recipient string
	// Subject matches the subject (contains).
	Subject string
}

// QuarantinedMessage is one spam quarantine entry.
type QuarantinedMessage struct {
	// MID is the quarantine's own MID, used to release or delete.
	MID        int64
	Recipients []string
	From       []string
	Subject    string
	// Received has minute precision.
	Received time.Time
}

type quarantinePage struct {
	Data []struct {
		MID        flexInt `json:"mid"`
		Attributes struct {
			Recipients flexStrings `json:"envelopeRecipient"`
			From       flexStrings `json:"fromAddress"`
			Subject    flexString  `json:"subject"`
			Date       flexString  `json:"date"`
		} `json:"attributes"`
	} `json:"data"`
}

// SearchSpamQuarantine returns the spam quarantine entries matching q, up
// to PageSize times MaxPages.
func (c *Client) SearchSpamQuarantine(ctx context.Context, q QuarantineQuery) ([]QuarantinedMessage, error) {
	const op = "quarantine/messages"
	if q.Start.IsZero() || q.End.IsZero() || !q.End.After(q.Start) {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: op,
			Message: "spam quarantine search needs a Start before its End"}
	}
	limit := c.pool.opts.PageSize
	var out []QuarantinedMessage
	for page, offset := 0, 0; page < c.pool.opts.MaxPages; page, offset = page+1, offset+limit {
		var body quarantinePage
		r := request{op: op, method: http.MethodGet, path: "/quarantine/messages", query: q.encode(offset, limit)}
		if err := c.do(ctx, r, &body); err != nil {
			return nil, err
		}
		for _, d := range body.Data {
			m := QuarantinedMessage{MID: int64(d.MID), Recipients: d.Attributes.Recipients,
				From: d.Attributes.From, Subject: clean(string(d.Attributes.Subject))}
			m.Received, _ = parseApplianceTime(string(d.Attributes.Date))
			if q.Sender != "" && q.Subject != "" && !containsFold(m.Subject, q.Subject) {
				continue // the API filters on one header field only
			}
			out = append(out, m)
		}
		if len(body.Data) < limit {
			break
		}
	}
	return out, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// encode builds the query string of one page. The API takes one
// filterBy field, so the sender wins over the subject, which is then
// checked on the results.
func (q QuarantineQuery) encode(offset, limit int) string {
	var s queryString
	s.add("quarantineType", "spam")
	s.addDates(q.Start, q.End)
	switch {
	case q.Sender != "":
		s.add("filterBy", "from_address")
		s.add("filterOperator", "contains")
		s.add("filterValue", q.Sender)
	case q.Subject != "":
		s.add("filterBy", "subject")
		s.add("filterOperator", "contains")
		s.add("filterValue", q.Subject)
	}
	if q.Recipient != "" {
		// Capital F here, unlike message tracking.
		s.add("envelopeRecipientFilterOperator", "is")
		s.add("envelopeRecipientFilterValue", q.Recipient)
	}
	s.add("orderBy", "date")
	s.add("orderDir", "desc")
	s.add("offset", strconv.Itoa(offset))
	s.add("limit", strconv.Itoa(limit))
	return s.String()
}

type quarantineActionAnswer struct {
	Data struct {
		TotalCount flexInt `json:"totalCount"`
	} `json:"data"`
}

// ReleaseSpam releases one spam quarantine message by its quarantine MID.
// found is false when the quarantine does not hold it (totalCount 0).
// Never retried.
func (c *Client) ReleaseSpam(ctx context.Context, mid int64) (found bool, err error) {
	body := map[string]any{"action": "release", "mids": []int64{mid}, "quarantineType": "spam"}
	return c.quarantineAction(ctx, http.MethodPost, mid, body)
}

// DeleteSpam deletes one spam quarantine message by its quarantine MID.
// found is false when the quarantine does not hold it. Never retried.
func (c *Client) DeleteSpam(ctx context.Context, mid int64) (found bool, err error) {
	body := map[string]any{"mids": []int64{mid}, "quarantineType": "spam"}
	return c.quarantineAction(ctx, http.MethodDelete, mid, body)
}

func (c *Client) quarantineAction(ctx context.Context, method string, mid int64, body any) (bool, error) {
	const op = "quarantine/messages"
	if mid <= 0 {
		return false, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: op,
			Message: fmt.Sprintf("quarantine MID %d is invalid", mid)}
	}
	var out quarantineActionAnswer
	r := request{op: op, method: method, path: "/quarantine/messages", body: body, write: true}
	if err := c.do(ctx, r, &out); err != nil {
		return false, err
	}
	return out.Data.TotalCount > 0, nil
}
