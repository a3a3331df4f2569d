package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// The policy, virus and outbreak (PVO) quarantines share the resource
// {prefix}/quarantine/messages with the spam quarantine, and quarantineType
// selects between them. NOTE: the privilege an appliance requires for the
// PVO quarantines is not documented, so the route keeps the spam
// quarantine's privilege.

// pvoRetention is how long a quarantine holds a message before its
// scheduled exit.
const pvoRetention = 30 * 24 * time.Hour

// pvoQuarantinesFor returns the PVO quarantines that hold a message with
// the given tracking status, none for a status outside them.
func pvoQuarantinesFor(status string) []string {
	switch status {
	case statusAVHeld:
		return []string{"Virus"}
	case statusOutbreak:
		return []string{"Outbreak"}
	case statusContent:
		return []string{"Policy"}
	case statusMultiple:
		return []string{"Virus", "Outbreak"}
	}
	return nil
}

// pvoReason is the quarantine reason shown for a message in quarantine name.
func pvoReason(name string, r *record) string {
	switch name {
	case "Virus":
		return "Anti-Virus verdict VIRAL"
	case "Outbreak":
		return "Outbreak Filters verdict " + r.Outbreak
	}
	return "Content filter quarantine_suspicious_urls"
}

// searchQuarantineMessages serves GET quarantine/messages for every type.
func (s *Server) searchQuarantineMessages(c *call) {
	if c.q.get("quarantineType") == "pvo" {
		s.pvoSearch(c)
		return
	}
	s.quarantineSearch(c)
}

// releaseQuarantineMessages serves POST quarantine/messages for every type.
func (s *Server) releaseQuarantineMessages(c *call) {
	if bodyQuarantineType(c.body) == "pvo" {
		s.pvoAction(c, "release")
		return
	}
	s.quarantineRelease(c)
}

// deleteQuarantineMessages serves DELETE quarantine/messages for every type.
func (s *Server) deleteQuarantineMessages(c *call) {
	if bodyQuarantineType(c.body) == "pvo" {
		s.pvoAction(c, "delete")
		return
	}
	s.quarantineDelete(c)
}

func bodyQuarantineType(body []byte) string {
	var b struct {
		QuarantineType string `json:"quarantineType"`
	}
	_ = json.Unmarshal(body, &b)
	return b.QuarantineType
}

// pvoNameList parses the quarantines parameter. A "+" is read as a space
// because public integrations send "File+Analysis".
func pvoNameList(raw string) []string {
	var out []string
	for part := range strings.SplitSeq(strings.ReplaceAll(raw, "+", " "), ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pvoTextFilter is one <field>FilterBy/<field>FilterValue pair.
type pvoTextFilter struct {
	field  string
	values func(*record) []string
}

var pvoTextFilters = []pvoTextFilter{
	{"envelopeSender", func(r *record) []string { return []string{r.Sender} }},
	{"envelopeRecipient", func(r *record) []string { return r.Recipients }},
	{"subject", func(r *record) []string { return []string{r.FinalSubject} }},
}

// pvoMatch applies one PVO filter operator, case-insensitively. ok is false
// for an operator the API does not list.
func pvoMatch(op, value string, fields []string) (matched, ok bool) {
	value = strings.ToLower(value)
	test := map[string]func(f string) bool{
		"contains":        func(f string) bool { return strings.Contains(f, value) },
		"starts_with":     func(f string) bool { return strings.HasPrefix(f, value) },
		"ends_with":       func(f string) bool { return strings.HasSuffix(f, value) },
		"matches_exactly": func(f string) bool { return f == value },
	}
	base, negate := strings.CutPrefix(op, "does_not_")
	if negate {
		base = map[string]string{"contain": "contains", "start_with": "starts_with",
			"end_with": "ends_with", "match": "matches_exactly"}[base]
	}
	fn := test[base]
	if fn == nil {
		return false, false
	}
	hit := slices.ContainsFunc(fields, func(f string) bool { return fn(strings.ToLower(f)) })
	return hit != negate, true
}

// pvoFilter builds the predicate of a PVO search, or returns the error
// message of its first invalid parameter.
func (s *Server) pvoFilter(q query) (func(*record) bool, string) {
	names := pvoNameList(q.get("quarantines"))
	if len(names) == 0 {
		return nil, "Missing attribute - quarantines."
	}
	for _, f := range pvoTextFilters {
		if v := q.get(f.field + "FilterValue"); v != "" {
			if _, ok := pvoMatch(orDefault(q.get(f.field+"FilterBy"), "contains"), v, nil); !ok {
				return nil, "Invalid value for attribute - " + f.field + "FilterBy."
			}
		}
	}
	esaIP := q.get("originatingEsaIp")
	return func(r *record) bool {
		if !slices.ContainsFunc(r.PVOQuarantines, func(n string) bool { return containsFold(names, n) }) {
			return false
		}
		if esaIP != "" && s.apps[r.Appliance].IP != esaIP {
			return false
		}
		for _, f := range pvoTextFilters {
			v := q.get(f.field + "FilterValue")
			if v == "" {
				continue
			}
			if hit, _ := pvoMatch(orDefault(q.get(f.field+"FilterBy"), "contains"), v, f.values(r)); !hit {
				return false
			}
		}
		return true
	}, ""
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// pvoSearch implements GET {prefix}/quarantine/messages?quarantineType=pvo.
func (s *Server) pvoSearch(c *call) {
	start, end, msg := parseWindow(c.q)
	if msg != "" {
		writeError(c.w, http.StatusNotFound, msg)
		return
	}
	offset, ok1 := c.q.intOr("offset", 0)
	limit, ok2 := c.q.intOr("limit", 25)
	match, msg := s.pvoFilter(c.q)
	if !ok1 || !ok2 || msg != "" {
		writeError(c.w, http.StatusNotFound, orDefault(msg, "Invalid value for attribute - offset or limit."))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*record
	for _, r := range s.recs {
		if r.PVOMID != 0 && !r.Time.Before(start) && r.Time.Before(end) &&
			(c.api == "sma" || r.Appliance == 0) && match(r) {
			hits = append(hits, r)
		}
	}
	asc := c.q.get("orderDir") == "asc"
	sort.Slice(hits, func(i, j int) bool { return (hits[i].PVOMID < hits[j].PVOMID) == asc })
	page := hits[min(offset, len(hits)):min(offset+limit, len(hits))]
	data := make([]any, len(page))
	for i, r := range page {
		data[i] = map[string]any{"mid": r.PVOMID, "attributes": s.pvoAttributes(r, c.api)}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"meta": map[string]any{"totalCount": len(hits)}, "data": data})
}

func (s *Server) pvoAttributes(r *record, api string) map[string]any {
	reasons := make([]string, len(r.PVOQuarantines))
	perQuarantine := make([]any, len(r.PVOQuarantines))
	for i, name := range r.PVOQuarantines {
		reasons[i] = pvoReason(name, r)
		perQuarantine[i] = map[string]any{"quarantineName": name, "reason": []string{reasons[i]}}
	}
	a := s.apps[r.Appliance]
	return map[string]any{
		"received": quarantineDate(r.Time, api), "sender": r.Sender, "recipient": r.Recipients,
		"subject": r.FinalSubject, "esaHostName": a.Host, "esaMid": r.finalMID(),
		"inQuarantines": strings.Join(r.PVOQuarantines, ", "), "quarantineForReason": reasons,
		"quarantineForReasonDict": perQuarantine, "scheduledExit": quarantineDate(r.Time.Add(pvoRetention), api),
		"originatingEsaIp": a.IP, "size": fmt.Sprintf("%.2fK", float64(r.Size)/1024),
	}
}

type pvoActionBody struct {
	Action         string  `json:"action"`
	MIDs           []int64 `json:"mids"`
	QuarantineName string  `json:"quarantineName"`
}

// pvoAction implements POST (release) and DELETE (delete) of
// {prefix}/quarantine/messages for quarantineType=pvo. A message leaves
// only the named quarantine. It is delivered once no quarantine holds it,
// unless one of them deleted it.
func (s *Server) pvoAction(c *call, action string) {
	var req pvoActionBody
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	if msg := checkPVOAction(req, action); msg != "" {
		writeError(c.w, http.StatusNotFound, msg)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, mid := range req.MIDs {
		if r := s.pvoHolder(c.api, mid, req.QuarantineName); r != nil {
			leavePVO(r, req.QuarantineName, action)
			n++
		}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{"action": action, "totalCount": n}})
}

// checkPVOAction returns the error message of an invalid action body.
func checkPVOAction(req pvoActionBody, action string) string {
	switch {
	case req.Action != action && !(action == "delete" && req.Action == ""):
		return msgInvalidAction
	case strings.TrimSpace(req.QuarantineName) == "":
		return "Missing attribute - quarantineName."
	case len(req.MIDs) == 0:
		return "Missing attribute - mids."
	}
	return ""
}

// pvoHolder returns the message with PVO MID mid if the named quarantine
// holds it and the prefix may see it. The caller holds s.mu.
func (s *Server) pvoHolder(api string, mid int64, name string) *record {
	for _, r := range s.recs {
		if r.PVOMID == mid && (api == "sma" || r.Appliance == 0) && containsFold(r.PVOQuarantines, name) {
			return r
		}
	}
	return nil
}

// leavePVO removes r from the named quarantine and settles its fate once
// no quarantine holds it.
func leavePVO(r *record, name, action string) {
	r.PVOQuarantines = slices.DeleteFunc(r.PVOQuarantines, func(n string) bool { return strings.EqualFold(n, name) })
	if action == "delete" {
		r.PVODeleted = true
	}
	if len(r.PVOQuarantines) == 0 && !r.PVODeleted {
		r.Status, r.Delivered = "Delivered", true
	}
}
