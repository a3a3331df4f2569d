package sim

import (
	"fmt"
	"net/http"
)

// detailLookup resolves serialNumber and mid of a details request. When no
// message matches it writes one of the two not-found forms the appliance
// uses: a 404 when the first MID is odd, and a 200 whose fields are "N/A"
// when it is even.
func (s *Server) detailLookup(c *call) *record {
	serial := c.q.get("serialNumber")
	mids, ok := c.q.ints("mid")
	if serial == "" {
		writeError(c.w, http.StatusNotFound, "Missing attribute - serialNumber.")
		return nil
	}
	if !ok || len(mids) == 0 {
		writeError(c.w, http.StatusNotFound, msgInvalidMID)
		return nil
	}
	var found *record
	for _, m := range mids {
		if r := s.index[serial][m]; r != nil {
			found = r
			break
		}
	}
	if found != nil && (c.api == "sma" || found.Appliance == 0) {
		return found
	}
	if mids[0]%2 == 1 {
		writeError(c.w, http.StatusNotFound, msgInvalidMID)
		return nil
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{"messages": map[string]any{
		"mid": []string{"N/A"}, "subject": "N/A", "sender": "N/A", "recipient": []string{}, "timestamp": "N/A",
		"messageStatus": "N/A", "hostName": "N/A", "summary": []any{}, "attachments": []string{},
		"isCompleteData": false,
	}}})
	return nil
}

// detailBase renders the fields every detail view shares.
func (s *Server) detailBase(r *record, api string) map[string]any {
	a := s.apps[r.Appliance]
	host := fmt.Sprintf("%s (%s)", a.Host, a.IP)
	if api == "esa" {
		host = "(Name unresolved,  SN:" + a.Serial + ")"
	}
	var attachments any = attachmentNames(r)
	if len(r.Attachments) == 0 && api == "sma" {
		attachments = ""
	}
	m := map[string]any{
		"mid": r.MIDs, "subject": r.Subject, "sender": r.Sender, "recipient": r.Recipients,
		"timestamp": s.stamp(r, r.Time, api, true), "messageSize": sizeText(r.Size), "messageStatus": r.Status,
		"direction": r.Direction, "senderGroup": r.SenderGroup, "midHeader": r.MessageID, "smtpAuthId": "",
		"hostName": host, "attachments": attachments, "sendingHostSummary": map[string]any{},
	}
	if !a.LegacyFormat {
		m["allIcid"] = []int64{r.ICID}
		m["headerFrom"] = r.HeaderFrom
		m["sdrAge"] = "30 days (or greater)"
		m["sdrCategory"] = "N/A"
		m["sdrReputation"] = "Neutral"
		m["sdrThreatLevels"] = "3"
		m["ampTgCategories"] = []string{}
	}
	return m
}

func (s *Server) renderEvents(r *record, api string, evs []event) []map[string]any {
	out := make([]map[string]any, len(evs))
	for i, e := range evs {
		out[i] = map[string]any{"timestamp": s.stamp(r, r.Time.Add(e.at), api, true), "description": e.text}
	}
	return out
}

// lastEventFlags marks only the final entry with lastEvent true.
func lastEventFlags(entries []map[string]any, all bool) []map[string]any {
	for i, e := range entries {
		if i == len(entries)-1 {
			e["lastEvent"] = true
		} else if all {
			e["lastEvent"] = false
		}
	}
	return entries
}

func writeMessages(c *call, m map[string]any) {
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{"messages": m}})
}

// details implements GET {prefix}/message-tracking/details.
func (s *Server) details(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.detailLookup(c)
	if r == nil {
		return
	}
	m := s.detailBase(r, c.api)
	m["isCompleteData"] = true
	m["mailPolicy"] = []string{r.Policy}
	m["showSummaryTimeBox"] = true
	m["showAMP"] = len(ampEvents(r)) > 0
	m["showURL"] = len(r.Links) > 0
	m["showDLP"] = false
	m["sendingHostSummary"] = map[string]any{
		"reverseDnsHostname": r.ReverseDNS + " (verified)", "ipAddress": r.SenderIP, "sbrsScore": r.SBRS,
	}
	m["summary"] = lastEventFlags(s.renderEvents(r, c.api, summaryEvents(r, s.apps[r.Appliance])), true)
	writeMessages(c, m)
}

// ampDetails implements GET {prefix}/message-tracking/amp-details.
func (s *Server) ampDetails(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.detailLookup(c)
	if r == nil {
		return
	}
	m := s.detailBase(r, c.api)
	entries := lastEventFlags(s.renderEvents(r, c.api, ampEvents(r)), false)
	m["ampDetails"] = orEmpty(entries)
	m["showAMPDetails"] = len(entries) > 0
	writeMessages(c, m)
}

// urlDetails implements GET {prefix}/message-tracking/url-details.
func (s *Server) urlDetails(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.detailLookup(c)
	if r == nil {
		return
	}
	m := s.detailBase(r, c.api)
	entries := s.renderEvents(r, c.api, urlEvents(r, c.api))
	m["urlDetails"] = orEmpty(entries)
	m["showURLDetails"] = len(entries) > 0
	writeMessages(c, m)
}
