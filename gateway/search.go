package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

// SearchResult is the outcome of a message tracking search.
type SearchResult struct {
	// Messages are the hits, newest first, each carrying its gateway and
	// serial number.
	Messages []Message
	// Truncated is set when more hits may exist than were returned,
	// because of Query.Limit or PoolOptions.MaxPages.
	Truncated bool
}

// Search runs a message tracking search and reads pages until the
// appliance runs out of hits, the limit is reached or MaxPages were read.
func (c *Client) Search(ctx context.Context, q Query) (*SearchResult, error) {
	if err := q.validate(); err != nil {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: "message-tracking/messages", Message: err.Error()}
	}
	pageSize := c.pool.opts.PageSize
	if q.Limit > 0 && q.Limit < pageSize {
		pageSize = q.Limit
	}
	res := &SearchResult{}
	seen := map[string]bool{}
	for page, offset := 0, 0; ; page, offset = page+1, offset+pageSize {
		if page == c.pool.opts.MaxPages {
			res.Truncated = true
			break
		}
		msgs, more, err := c.searchPage(ctx, q, offset, pageSize)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			// A hit can move to the next page when new mail arrives while
			// paging; it is kept once.
			if k := messageKey(m); k != "" {
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			res.Messages = append(res.Messages, m)
		}
		if q.Limit > 0 && len(res.Messages) >= q.Limit {
			res.Truncated = more || len(res.Messages) > q.Limit
			res.Messages = res.Messages[:q.Limit]
			break
		}
		if !more {
			break
		}
	}
	return res, nil
}

// searchPage reads one page. more reports whether another page may hold
// hits: totalCount counts only this page's good records and
// num_bad_records its skipped ones, so a full page is one where their sum
// reaches the limit. The next offset is always offset+limit, never
// offset+len(data), or a page with bad records would be read twice.
func (c *Client) searchPage(ctx context.Context, q Query, offset, limit int) (msgs []Message, more bool, err error) {
	var page trackingPage
	r := request{op: "message-tracking/messages", method: http.MethodGet,
		path: "/message-tracking/messages", query: q.encode(offset, limit)}
	if err := c.do(ctx, r, &page); err != nil {
		return nil, false, err
	}
	msgs, skipped := decodeMessages(&page, c.cfg.BaseURL)
	if skipped > 0 {
		c.log.Warn("skipped undecodable message tracking records", "count", skipped)
	}
	if q.RejectedConnections {
		for i := range msgs {
			msgs[i].Rejected = true
		}
	}
	if len(page.Data) == 0 {
		return msgs, false, nil
	}
	counted := int(page.Meta.TotalCount) + int(page.Meta.BadRecords)
	if counted < len(page.Data) {
		counted = len(page.Data)
	}
	return msgs, counted >= limit, nil
}

// messageKey identifies a hit by appliance and MIDs; rejected connections
// have no MID and are never merged.
func messageKey(m Message) string {
	if len(m.MIDs) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m.MIDs)+1)
	parts = append(parts, m.Serial)
	for _, id := range m.MIDs {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, ":")
}
