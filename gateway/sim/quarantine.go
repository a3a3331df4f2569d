package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// quarantineDate renders a quarantine time with minute precision in the
// zone label the prefix uses.
func quarantineDate(t time.Time, api string) string {
	return t.UTC().Format("02 Jan 2006 15:04") + " " + zoneLabel(0, api, false)
}

func toAddress(rcpts []string) string {
	parts := make([]string, len(rcpts))
	for i, r := range rcpts {
		parts[i] = r + " <" + r + ">"
	}
	return strings.Join(parts, ", ")
}

func (s *Server) quarantineAttributes(r *record, api string) map[string]any {
	return map[string]any{
		"envelopeRecipient": r.Recipients, "toAddress": []string{toAddress(r.Recipients)},
		"fromAddress": []string{r.HeaderFrom}, "subject": r.FinalSubject, "date": quarantineDate(r.Time, api),
		"size": fmt.Sprintf("%.2fK", float64(r.Size)/1024),
	}
}

func checkSpamType(c *call, value string) bool {
	switch value {
	case "spam":
		return true
	case "":
		writeError(c.w, http.StatusNotFound, "Missing attribute - quarantineType.")
	default:
		writeError(c.w, http.StatusNotFound, "Invalid value for attribute - quarantineType.")
	}
	return false
}

// quarantineFilter applies filterBy/filterOperator/filterValue and the
// envelope recipient filter (capital F here, unlike tracking).
func quarantineFilter(q query) (func(*record) bool, string) {
	fields := map[string]func(*record) []string{
		"from_address": func(r *record) []string { return []string{r.HeaderFrom, r.Sender} },
		"to_address":   func(r *record) []string { return r.Recipients },
		"subject":      func(r *record) []string { return []string{r.FinalSubject} },
	}
	by, op, value := q.get("filterBy"), q.get("filterOperator"), q.get("filterValue")
	field := fields[by]
	if value != "" && field == nil {
		return nil, "Invalid value for attribute - filterBy."
	}
	rop, rvalue := q.get("envelopeRecipientFilterOperator"), q.get("envelopeRecipientFilterValue")
	return func(r *record) bool {
		if value != "" && !quarantineMatch(op, value, field(r)) {
			return false
		}
		return rvalue == "" || quarantineMatch(rop, rvalue, r.Recipients)
	}, ""
}

func quarantineMatch(op, value string, fields []string) bool {
	switch op {
	case "ends_with":
		for _, f := range fields {
			if strings.HasSuffix(strings.ToLower(f), strings.ToLower(value)) {
				return true
			}
		}
		return false
	case "does_not_contain":
		return !matchOperator("contains", value, fields)
	case "is", "begins_with":
		return matchOperator(op, value, fields)
	}
	return matchOperator("contains", value, fields)
}

// quarantineSearch implements GET {prefix}/quarantine/messages.
func (s *Server) quarantineSearch(c *call) {
	if !checkSpamType(c, c.q.get("quarantineType")) {
		return
	}
	start, end, msg := parseWindow(c.q)
	if msg != "" {
		writeError(c.w, http.StatusNotFound, msg)
		return
	}
	offset, ok1 := c.q.intOr("offset", 0)
	limit, ok2 := c.q.intOr("limit", 25)
	match, msg := quarantineFilter(c.q)
	if !ok1 || !ok2 || msg != "" {
		writeError(c.w, http.StatusNotFound, orDefault(msg, "Invalid value for attribute - offset or limit."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*record
	for _, r := range s.quarantine {
		if !r.Time.Before(start) && r.Time.Before(end) && (c.api == "sma" || r.Appliance == 0) && match(r) {
			hits = append(hits, r)
		}
	}
	asc := c.q.get("orderDir") == "asc"
	sort.Slice(hits, func(i, j int) bool { return (hits[i].QuarantineMID < hits[j].QuarantineMID) == asc })
	page := hits[min(offset, len(hits)):min(offset+limit, len(hits))]
	data := make([]any, len(page))
	for i, r := range page {
		data[i] = map[string]any{"mid": r.QuarantineMID, "attributes": s.quarantineAttributes(r, c.api)}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"meta": map[string]any{"totalCount": len(hits)}, "data": data})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// quarantineDetails implements GET {prefix}/quarantine/messages/details.
func (s *Server) quarantineDetails(c *call) {
	if !checkSpamType(c, c.q.get("quarantineType")) {
		return
	}
	mids, ok := c.q.ints("mid")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || len(mids) != 1 || s.quarantine[mids[0]] == nil {
		writeError(c.w, http.StatusNotFound, "Invalid value for attribute - mid.")
		return
	}
	r := s.quarantine[mids[0]]
	attrs := s.quarantineAttributes(r, c.api)
	delete(attrs, "size")
	attrs["attachments"] = attachmentNames(r)
	attrs["messageBody"] = fmt.Sprintf("Received: from %s ([%s])\r\n by %s with ESMTP; %s<br />\nMessage-ID: %s<br />\nSubject: %s<br />\n",
		r.ReverseDNS, r.SenderIP, s.apps[r.Appliance].Host, r.Time.UTC().Format(time.RFC1123Z), r.MessageID, r.Subject)
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{"mid": r.QuarantineMID, "attributes": attrs}})
}

type quarantineAction struct {
	Action         string  `json:"action"`
	MIDs           []int64 `json:"mids"`
	QuarantineType string  `json:"quarantineType"`
}

// quarantineRelease implements POST {prefix}/quarantine/messages; released
// messages are delivered.
func (s *Server) quarantineRelease(c *call) {
	var req quarantineAction
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	if req.Action != "release" {
		writeError(c.w, http.StatusNotFound, msgInvalidAction)
		return
	}
	s.applyQuarantine(c, req, func(r *record) { r.Status, r.Delivered = "Delivered", true })
}

// quarantineDelete implements DELETE {prefix}/quarantine/messages.
func (s *Server) quarantineDelete(c *call) {
	var req quarantineAction
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	req.Action = "delete"
	s.applyQuarantine(c, req, func(*record) {})
}

// applyQuarantine removes the named messages from the quarantine; totalCount
// counts those found, so 0 means none of the MIDs was there.
func (s *Server) applyQuarantine(c *call, req quarantineAction, then func(*record)) {
	if !checkSpamType(c, req.QuarantineType) {
		return
	}
	if len(req.MIDs) == 0 {
		writeError(c.w, http.StatusNotFound, "Missing attribute - mids.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range req.MIDs {
		r := s.quarantine[m]
		if r == nil || (c.api == "esa" && r.Appliance != 0) {
			continue
		}
		delete(s.quarantine, m)
		then(r)
		n++
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{"action": req.Action, "totalCount": n}})
}
