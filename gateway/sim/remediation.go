package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// batch is one submitted remediation batch.
type batch struct {
	ID, Name, Desc, Action, User, Source string
	Forward                              []string
	Submitted                            time.Time
	Items                                []*batchItem
}

// batchItem is one recipient of one message in a batch.
type batchItem struct {
	rec       *record
	serial    string
	mids      []int64
	from      string
	recipient string
	// outcome is the state once the delay has passed: Success or Failed.
	outcome string
}

// strList accepts a JSON string or a list of strings.
type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

type remediationRequest struct {
	Data *struct {
		BatchName string  `json:"batch_name"`
		BatchDesc string  `json:"batch_description"`
		User      string  `json:"initiated_username"`
		Source    string  `json:"initiated_source"`
		Action    string  `json:"action"`
		Forward   strList `json:"fwd_email_address"`
		Messages  []struct {
			MID        []int64 `json:"mid"`
			MessageID  string  `json:"message_id"`
			From       strList `json:"from_email"`
			Recipients strList `json:"recipient_email"`
			Serial     string  `json:"serial_number"`
		} `json:"message_details"`
	} `json:"data"`
}

// validate returns the 404 message for a malformed batch, or "".
func (s *Server) validateRemediation(req *remediationRequest) string {
	d := req.Data
	if d == nil {
		return "Missing attribute - data."
	}
	if !slices.Contains(s.o.ActionNames[:], d.Action) {
		return msgInvalidAction
	}
	if d.Action != s.o.ActionNames[0] && len(slices.DeleteFunc(slices.Clone(d.Forward), func(a string) bool { return a == "" })) == 0 {
		return "Missing attribute - fwd_email_address."
	}
	for _, a := range d.Forward {
		if a != "" && !strings.Contains(a, "@") {
			return "Invalid value for attribute - fwd_email_address."
		}
	}
	if len(d.Messages) == 0 {
		return "Missing attribute - message_details."
	}
	for _, m := range d.Messages {
		switch {
		case m.MessageID == "":
			return "Missing attribute - message_id."
		case len(m.Recipients) == 0:
			return "Missing attribute - recipient_email."
		case m.Serial == "":
			return "Missing attribute - serial_number."
		}
	}
	return ""
}

// submitRemediation implements POST /sma/api/v2.0/remediation.
func (s *Server) submitRemediation(c *call) {
	var req remediationRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	if msg := s.validateRemediation(&req); msg != "" {
		writeError(c.w, http.StatusNotFound, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch(&req, c.user)
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{
		"batch_id": b.ID, "batch_name": b.Name, "totalCount": len(req.Data.Messages),
	}})
}

func (s *Server) newBatch(req *remediationRequest, user string) *batch {
	d := req.Data
	b := &batch{
		ID: strconv.Itoa(1001 + len(s.batches)), Name: d.BatchName, Desc: d.BatchDesc, Action: d.Action,
		User: user, Source: d.Source, Forward: d.Forward, Submitted: s.now(),
	}
	if b.Name == "" {
		b.Name = "batch-" + b.ID
	}
	for _, m := range d.Messages {
		rec := s.findByMessageID(m.Serial, m.MessageID, m.MID)
		for _, rcpt := range m.Recipients {
			item := &batchItem{rec: rec, serial: m.Serial, mids: m.MID, from: strings.Join(m.From, ","), recipient: rcpt}
			item.outcome = s.outcome(rec, rcpt)
			if rec != nil {
				item.mids = rec.MIDs
				rec.Remediation = b
			}
			b.Items = append(b.Items, item)
		}
	}
	s.batches = append(s.batches, b)
	return b
}

// findByMessageID finds the tracked message a batch entry names, by its
// Message-ID header on that appliance, or else by one of its MIDs.
func (s *Server) findByMessageID(serial, messageID string, mids []int64) *record {
	want := strings.Trim(messageID, "<>")
	for _, r := range s.index[serial] {
		if strings.Trim(r.MessageID, "<>") == want {
			return r
		}
	}
	for _, m := range mids {
		if r := s.index[serial][m]; r != nil {
			return r
		}
	}
	return nil
}

// outcome decides how remediation of one recipient ends: it fails when the
// message was not delivered to that recipient or the recipient's domain
// has no mailbox profile.
func (s *Server) outcome(r *record, rcpt string) string {
	if r == nil || !r.isDelivered() || !slices.ContainsFunc(r.Recipients, func(x string) bool { return strings.EqualFold(x, rcpt) }) {
		return "Failed"
	}
	_, domain, _ := strings.Cut(strings.ToLower(rcpt), "@")
	if !slices.Contains(s.o.MailboxDomains, domain) {
		return "Failed"
	}
	return "Success"
}

// state is the item's mor_status at the simulator's current time.
func (s *Server) state(b *batch, it *batchItem) string {
	if s.now().Before(b.Submitted.Add(s.o.RemediationDelay)) {
		return "Queued"
	}
	return it.outcome
}

func (s *Server) actionLabel(action string) string {
	switch action {
	case s.o.ActionNames[0]:
		return "Delete"
	case s.o.ActionNames[1]:
		return "Forward"
	}
	return "Forward and Delete"
}

// remediationDetails implements GET {prefix}/message-tracking/remediation-details.
func (s *Server) remediationDetails(c *call) {
	serial := c.q.get("serialNumber")
	if serial == "" {
		serial = c.q.get("sma_serial_number")
	}
	mids, ok := c.q.ints("mid")
	if !ok || len(mids) == 0 || serial == "" {
		writeError(c.w, http.StatusNotFound, msgInvalidMID)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, items := s.batchFor(serial, mids)
	if b == nil {
		writeError(c.w, http.StatusNotFound, msgInvalidMID)
		return
	}
	details := make([]map[string]any, len(items))
	for i, it := range items {
		details[i] = s.itemView(b, it)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"batch_details": map[string]any{
			"batch_name": b.Name, "batch_desc": orNA(b.Desc), "mor_action": s.actionLabel(b.Action),
			"b_init_username": b.User, "b_init_time": b.Submitted.Unix(), "b_init_source": orNA(b.Source),
		},
		"message_details": details,
	})
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}

func (s *Server) itemView(b *batch, it *batchItem) map[string]any {
	state := s.state(b, it)
	read := "N/A"
	if state == "Success" {
		read = "0"
	}
	mid, delivered := "N/A", int64(0)
	if len(it.mids) > 0 {
		mid = midKey(it.mids[len(it.mids)-1])
	}
	if it.rec != nil {
		delivered = it.rec.Time.Unix()
	}
	return map[string]any{
		"mid": mid, "recipient_email": it.recipient, "from_email": it.from, "mor_status": state,
		"msg_read": read, "delivered_at": delivered,
	}
}

// batchFor returns the latest batch covering one of mids on serial, and its
// items for those MIDs.
func (s *Server) batchFor(serial string, mids []int64) (*batch, []*batchItem) {
	for i := len(s.batches) - 1; i >= 0; i-- {
		b := s.batches[i]
		var items []*batchItem
		for _, it := range b.Items {
			if it.serial == serial && slices.ContainsFunc(it.mids, func(m int64) bool { return slices.Contains(mids, m) }) {
				items = append(items, it)
			}
		}
		if len(items) > 0 {
			return b, items
		}
	}
	return nil, nil
}

// remediationView renders the remediation of a tracked message as
// morDetails text pairs and morInfo.midVsState.
// NOTE: neither shape was captured from an appliance once non-empty.
func (s *Server) remediationView(r *record) (map[string]string, map[string]string) {
	b := r.Remediation
	details := map[string]string{
		"batch_id": b.ID, "batch_name": b.Name, "mor_action": s.actionLabel(b.Action),
		"b_init_username": b.User, "b_init_time": strconv.FormatInt(b.Submitted.Unix(), 10),
	}
	statesByMID := map[int64][]string{}
	var all []string
	byMID := r.recipientsByMID()
	for _, it := range b.Items {
		if it.rec != r {
			continue
		}
		st := s.state(b, it)
		details[it.recipient] = st
		all = append(all, st)
		for m, rcpts := range byMID {
			if slices.Contains(rcpts, it.recipient) {
				statesByMID[m] = append(statesByMID[m], st)
			}
		}
	}
	details["mor_status"] = aggregate(all)
	states := map[string]string{}
	for _, m := range r.MIDs {
		if st, ok := statesByMID[m]; ok {
			states[midKey(m)] = aggregate(st)
		} else {
			states[midKey(m)] = r.Status
		}
	}
	return details, states
}

// aggregate folds per-recipient states into one: Queued while any is
// queued, Success or Failed when all agree, else Partial.
func aggregate(states []string) string {
	switch {
	case len(states) == 0:
		return "N/A"
	case slices.Contains(states, "Queued"):
		return "Queued"
	case !slices.Contains(states, "Failed"):
		return "Success"
	case !slices.Contains(states, "Success"):
		return "Failed"
	}
	return "Partial"
}
