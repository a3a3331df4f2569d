package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Details returns a message's details, merged with its AMP details and
// URL details when the appliance reports that it has them (showAMP,
// showURL). Both not-found forms, a 404 "Invalid value for attribute - mid
// or icid." and a 200 whose mid is "N/A", give KindNotFound.
func (c *Client) Details(ctx context.Context, serial string, mids []int64) (*Details, error) {
	if strings.TrimSpace(serial) == "" || len(mids) == 0 {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: "message-tracking/details",
			Message: "message details need a serial number and at least one MID"}
	}
	main, err := c.detail(ctx, "details", serial, mids)
	if err != nil {
		return nil, err
	}
	out := main.toDetails(c.cfg.BaseURL, serial)
	if main.ShowAMP {
		amp, err := c.detail(ctx, "amp-details", serial, mids)
		if err = ignoreNotFound(err); err != nil {
			return nil, err
		}
		if amp != nil {
			out.mergeAMP(amp)
		}
	}
	if main.ShowURL {
		urls, err := c.detail(ctx, "url-details", serial, mids)
		if err = ignoreNotFound(err); err != nil {
			return nil, err
		}
		if urls != nil {
			out.mergeURLs(urls)
		}
	}
	return out, nil
}

// ignoreNotFound treats a missing sub-detail as no data: the main details
// already proved the message exists.
func ignoreNotFound(err error) error {
	if kindOf(err) == KindNotFound {
		return nil
	}
	return err
}

// detail calls one of the message-tracking detail endpoints.
func (c *Client) detail(ctx context.Context, endpoint, serial string, mids []int64) (*detailMessage, error) {
	var q queryString
	q.add("serialNumber", serial)
	q.addMIDs(mids)
	op := "message-tracking/" + endpoint
	var body detailBody
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/" + op, query: q.String()}, &body); err != nil {
		return nil, err
	}
	if !body.Data.Messages.found() {
		return nil, &Error{Kind: KindNotFound, Gateway: c.cfg.BaseURL, Op: op, Status: http.StatusOK,
			Message: fmt.Sprintf("no message with MID %v on serial number %s", mids, serial)}
	}
	return body.Data.Messages, nil
}
