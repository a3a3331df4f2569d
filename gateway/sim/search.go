package sim

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// trackingDateLayout is the only date form the tracking API accepts.
const trackingDateLayout = "2006-01-02T15:04:05.000Z"

// parseWindow reads startDate and endDate, returning the 404 message when
// they are missing or not on a whole minute.
func parseWindow(q query) (time.Time, time.Time, string) {
	start, end := q.get("startDate"), q.get("endDate")
	if start == "" || end == "" {
		return time.Time{}, time.Time{}, msgMissingDates
	}
	ts, err1 := time.Parse(trackingDateLayout, start)
	te, err2 := time.Parse(trackingDateLayout, end)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, "Invalid value for attribute - startDate or endDate."
	}
	if ts.Second() != 0 || ts.Nanosecond() != 0 || te.Second() != 0 || te.Nanosecond() != 0 {
		return time.Time{}, time.Time{}, msgDateSeconds
	}
	return ts, te, ""
}

// textFilter is an operator/value pair of the tracking search.
type textFilter struct {
	opKey, valueKey string
	fields          func(*record) []string
}

// The address and subject filters, with their irregular parameter casing.
var textFilters = []textFilter{
	{"envelopeSenderfilterOperator", "envelopeSenderfilterValue", func(r *record) []string { return []string{r.Sender} }},
	{"envelopeRecipientfilterOperator", "envelopeRecipientfilterValue", func(r *record) []string { return r.Recipients }},
	{"subjectfilterOperator", "subjectfilterValue", func(r *record) []string { return []string{r.Subject} }},
	{"attachmentNameOperator", "attachmentNameValue", attachmentNames},
	{"domainNameOperator", "domainNameValue", func(r *record) []string { return []string{r.SenderDomain} }},
}

func attachmentNames(r *record) []string {
	out := make([]string, len(r.Attachments))
	for i, a := range r.Attachments {
		out[i] = a.Name
	}
	return out
}

// matchOperator applies is, begins_with or contains, ignoring case.
func matchOperator(op, value string, fields []string) bool {
	value = strings.ToLower(value)
	for _, f := range fields {
		f = strings.ToLower(f)
		switch op {
		case "is":
			if f == value {
				return true
			}
		case "begins_with":
			if strings.HasPrefix(f, value) {
				return true
			}
		case "contains":
			if strings.Contains(f, value) {
				return true
			}
		}
	}
	return false
}

// predicate reports whether a record matches one search parameter.
type predicate func(*record) bool

// buildFilters turns the search parameters into predicates, or returns the
// 404 message of the first invalid one.
func (s *Server) buildFilters(c *call) ([]predicate, string) {
	var preds []predicate
	for _, f := range textFilters {
		value := c.q.get(f.valueKey)
		if value == "" {
			continue
		}
		op := c.q.get(f.opKey)
		if op == "" {
			return nil, "Missing attribute - " + f.opKey + "."
		}
		if op != "is" && op != "begins_with" && op != "contains" {
			return nil, "Invalid value for attribute - " + f.opKey + "."
		}
		preds = append(preds, func(r *record) bool { return matchOperator(op, value, f.fields(r)) })
	}
	exact, msg := s.exactFilters(c.q)
	if msg != "" {
		return nil, msg
	}
	return append(append(preds, exact...), flagFilters(c.q)...), ""
}

func (s *Server) exactFilters(q query) ([]predicate, string) {
	var preds []predicate
	if v := strings.ToLower(q.get("fileSha256")); v != "" {
		preds = append(preds, func(r *record) bool {
			return slices.ContainsFunc(r.Attachments, func(a attachment) bool { return a.SHA256 == v })
		})
	}
	if v := strings.Trim(q.get("messageIdHeader"), "<>"); v != "" {
		preds = append(preds, func(r *record) bool { return strings.Trim(r.MessageID, "<>") == v })
	}
	if q.get("ciscoMid") != "" {
		mids, ok := q.ints("ciscoMid")
		if !ok {
			return nil, "Invalid value for attribute - ciscoMid."
		}
		preds = append(preds, func(r *record) bool { return slices.ContainsFunc(mids, r.hasMID) })
	}
	if v := q.get("senderIp"); v != "" {
		preds = append(preds, func(r *record) bool { return strings.EqualFold(r.SenderIP, v) })
	}
	if v := q.get("webInteractionTrackingUrls"); v != "" {
		preds = append(preds, func(r *record) bool {
			return slices.ContainsFunc(r.Links, func(l link) bool {
				return strings.EqualFold(l.URL, v) || strings.EqualFold(l.Rewritten, v)
			})
		})
	}
	if v := q.get("messageDirection"); v != "" {
		if v != "incoming" && v != "outgoing" {
			return nil, "Invalid value for attribute - messageDirection."
		}
		preds = append(preds, func(r *record) bool { return r.Direction == v })
	}
	if host := q.get("ciscoHost"); host != "" && host != "All_Hosts" {
		preds = append(preds, func(r *record) bool {
			a := s.apps[r.Appliance]
			return strings.EqualFold(a.Host, host) || a.Serial == host
		})
	}
	return preds, ""
}

// flagFilters are the boolean search flags, applied when set to True.
func flagFilters(q query) []predicate {
	flags := map[string]predicate{
		"spamPositive":           func(r *record) bool { return r.Spam == "Positive" },
		"suspectSpam":            func(r *record) bool { return r.Spam == "Suspect" },
		"quarantinedAsSpam":      func(r *record) bool { return r.Status == statusSpam },
		"virusPositive":          func(r *record) bool { return r.Virus == "VIRAL" },
		"graymail":               func(r *record) bool { return r.Graymail != "" },
		"hardBounced":            func(r *record) bool { return r.Status == "Hard Bounced" },
		"message_delivered":      func(r *record) bool { return r.Status == "Delivered" },
		"inOutbreakQuarantine":   func(r *record) bool { return r.Status == statusOutbreak },
		"containedMaliciousUrls": func(r *record) bool { return slices.ContainsFunc(r.Links, func(l link) bool { return l.Score <= -6 }) },
		"containedNeutralUrls": func(r *record) bool {
			return slices.ContainsFunc(r.Links, func(l link) bool { return l.Score > -3 && l.Score < 6 })
		},
	}
	var preds []predicate
	for name, p := range flags {
		if strings.EqualFold(q.get(name), "true") {
			preds = append(preds, p)
		}
	}
	return preds
}

// search implements GET {prefix}/message-tracking/messages.
func (s *Server) search(c *call) {
	start, end, msg := parseWindow(c.q)
	if msg != "" {
		writeError(c.w, http.StatusNotFound, msg)
		return
	}
	rejected := false
	switch c.q.get("searchOption") {
	case "", "messages":
	case "rejected_connections":
		rejected = true
	default:
		writeError(c.w, http.StatusNotFound, "Invalid value for attribute - searchOption.")
		return
	}
	offset, ok1 := c.q.intOr("offset", 0)
	limit, ok2 := c.q.intOr("limit", 20)
	if !ok1 || !ok2 {
		writeError(c.w, http.StatusNotFound, "Invalid value for attribute - offset or limit.")
		return
	}
	preds, msg := s.buildFilters(c)
	if msg != "" {
		writeError(c.w, http.StatusNotFound, msg)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	hits := s.matching(c.api, start, end, rejected, preds)
	page := hits[min(offset, len(hits)):min(offset+limit, len(hits))]
	page, bad := dropBadRecords(page, s.o.BadRecordsPerPage)
	if len(page) == 0 && bad == 0 && s.o.EmptyAsObject {
		writeJSON(c.w, http.StatusOK, map[string]any{})
		return
	}
	data := make([]any, len(page))
	for i, r := range page {
		data[i] = map[string]any{"attributes": s.searchAttributes(r, c.api)}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"meta": map[string]any{"num_bad_records": bad, "totalCount": len(page)},
		"data": data,
	})
}

// matching returns the records in [start, end) that pass every predicate,
// newest first. The ESA prefix returns only the first appliance's messages,
// because a gateway tracks only its own.
func (s *Server) matching(api string, start, end time.Time, rejected bool, preds []predicate) []*record {
	var hits []*record
	for _, r := range s.recs {
		if r.Rejected != rejected || r.Time.Before(start) || !r.Time.Before(end) {
			continue
		}
		if api == "esa" && r.Appliance != 0 {
			continue
		}
		if !slices.ContainsFunc(preds, func(p predicate) bool { return !p(r) }) {
			hits = append(hits, r)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if !hits[i].Time.Equal(hits[j].Time) {
			return hits[i].Time.After(hits[j].Time)
		}
		return hits[i].ICID > hits[j].ICID
	})
	return hits
}

// dropBadRecords removes up to n records from the end of a page, as the
// appliance skips records it cannot assemble. Story records are kept so
// tests can always find them.
func dropBadRecords(page []*record, n int) ([]*record, int) {
	if n <= 0 {
		return page, 0
	}
	out := append([]*record(nil), page...)
	dropped := 0
	for i := len(out) - 1; i >= 0 && dropped < n; i-- {
		if out[i].Story == "" {
			out = append(out[:i], out[i+1:]...)
			dropped++
		}
	}
	return out, dropped
}
