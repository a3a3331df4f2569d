package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Details returns a message's details, merged with its AMP details and
// URL details when the appliance reports that it has them (showAMP,
// showURL). The three calls run in parallel, so a message costs one round
// trip rather than three, and the show flags only decide which responses
// are merged. Both not-found forms, a 404 "Invalid value for attribute -
// mid or icid." and a 200 whose mid is "N/A", give KindNotFound. A
// not-found AMP or URL answer means no data. A refused one (KindPermission)
// also means no data, and Details.Missing names its privilege. Any other
// failure of either fails Details.
func (c *Client) Details(ctx context.Context, serial string, mids []int64) (*Details, error) {
	if strings.TrimSpace(serial) == "" || len(mids) == 0 {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: "message-tracking/details",
			Message: "message details need a serial number and at least one MID"}
	}
	endpoints := [3]string{"details", "amp-details", "url-details"}
	var answers [3]*detailMessage
	var errs [3]error
	var wg sync.WaitGroup
	for i, endpoint := range endpoints {
		wg.Go(func() { answers[i], errs[i] = c.detail(ctx, endpoint, serial, mids) })
	}
	wg.Wait()

	// The main call's error comes first, because when the message is
	// missing its not-found is the one the caller must see.
	if errs[0] != nil {
		return nil, errs[0]
	}
	var missing []string
	for i, err := range errs[1:] {
		if kindOf(err) == KindPermission {
			// A missing privilege is permanent until an administrator
			// grants it, so dropping the main details with it would lose
			// every message's details on every request.
			missing = append(missing, PrivilegeFor("message-tracking/"+endpoints[i+1]))
			continue
		}
		if err = ignoreNotFound(err); err != nil {
			return nil, err
		}
	}
	main := answers[0]
	out := main.toDetails(c.cfg.BaseURL, serial)
	out.Missing = missing
	if main.ShowAMP && answers[1] != nil {
		out.mergeAMP(answers[1])
	}
	if main.ShowURL && answers[2] != nil {
		out.mergeURLs(answers[2])
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
