package enrich

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
)

// sensor is the CTIM sensor of an email gateway.
const sensor = "process.email-service"

// builder turns lookups into CTIM entities for one request.
type builder struct {
	source string
	tenant string
	now    time.Time
	module *relay.Module
	win    window
}

func (s *Service) newBuilder(c *call) *builder {
	return &builder{source: s.opts.Source, tenant: c.tenant, now: s.opts.Now(), module: c.module, win: c.win}
}

// sighting builds the sighting of one tracked message, or of one rejected
// connection, found for observable o.
func (b *builder) sighting(o observables.Observable, h hit) ctim.Sighting {
	m := h.msg
	if h.details != nil {
		m = mergeDetails(m, h.details)
	}
	resolution, severity := fate(m)

	s := ctim.Sighting{
		ID:            ctim.TransientID("sighting"),
		Type:          "sighting",
		SchemaVersion: ctim.SchemaVersion,
		Source:        ctim.Cut(b.source, ctim.MedString),
		Confidence:    ctim.LevelHigh,
		Count:         1,
		Internal:      true,
		Sensor:        sensor,
		Resolution:    resolution,
		Severity:      severity,
		ObservedTime:  observedTime(m, h.details),
		Observables:   []ctim.Observable{o},
	}
	if m.Rejected {
		s.Title = "Connection rejected by the email gateway"
		s.Description = ctim.Cut("The gateway rejected a connection from "+m.SenderIP+".", ctim.LongString)
		s.Targets = b.targets(m, s.ObservedTime)
		s.Data = dataTable(m)
		return s
	}

	s.Title = ctim.Cut(title(m), ctim.ShortString)
	s.ShortDescription = ctim.Cut(shortDescription(m), ctim.MedString)
	if len(m.MIDs) > 0 {
		s.SourceURI = ctim.URI(b.messageURL(b.uiBaseFor(m.Gateway), m.Serial, m.MIDs[len(m.MIDs)-1]))
	}
	s.ExternalIDs = externalIDs(m)
	s.Observables = append(s.Observables, messageObservables(m, o)...)
	s.Targets = b.targets(m, s.ObservedTime)
	s.Relations = b.relations(m, h.details)
	s.Data = dataTable(m)
	return s
}

// mergeDetails fills fields the search left empty from the detail view.
func mergeDetails(m gateway.Message, d *gateway.Details) gateway.Message {
	dm := d.Message
	if m.MessageID == "" {
		m.MessageID = dm.MessageID
	}
	if m.SenderIP == "" {
		m.SenderIP = dm.SenderIP
	}
	if m.SBRS == nil {
		m.SBRS = dm.SBRS
	}
	if m.Remediation == nil {
		m.Remediation = dm.Remediation
	}
	if len(m.Recipients) == 0 {
		m.Recipients = dm.Recipients
	}
	return m
}

// fate maps the message's last state to a CTIM resolution and severity.
// Delivered is allowed and quarantined contained. A drop is blocked, with
// high severity when an anti-virus, AMP or outbreak engine dropped it. A
// bounce or an aborted delivery is a delivery failure, not a block, so it
// is only detected, with low severity.
func fate(m gateway.Message) (resolution, severity string) {
	if m.Rejected {
		return "blocked", ctim.LevelMedium
	}
	s := strings.ToLower(m.Status)
	switch {
	case strings.Contains(s, "quarantine"):
		return "contained", ctim.LevelMedium
	case strings.Contains(s, "dropped") && threatEngine(m) != "":
		return "blocked", ctim.LevelHigh
	case strings.Contains(s, "dropped") || strings.Contains(s, "rejected"):
		return "blocked", ctim.LevelMedium
	case strings.Contains(s, "bounce") || strings.Contains(s, "aborted"):
		return "detected", ctim.LevelLow
	case strings.Contains(s, "delivered"):
		return "allowed", ctim.LevelLow
	}
	return "detected", ctim.LevelUnknown
}

// observedTime runs from the message's time to its last processing event.
func observedTime(m gateway.Message, d *gateway.Details) ctim.ObservedTime {
	end := m.Time
	if d != nil {
		for _, e := range d.Events {
			if e.Time.After(end) {
				end = e.Time
			}
		}
	}
	return ctim.NewObservedTime(m.Time, end)
}

func title(m gateway.Message) string {
	if m.Direction == "outgoing" {
		return "Outgoing message seen by the email gateway"
	}
	return "Message seen by the email gateway"
}

func shortDescription(m gateway.Message) string {
	var b strings.Builder
	b.WriteString("Message")
	if m.Sender != "" {
		b.WriteString(" from " + m.Sender)
	}
	if n := len(m.Recipients); n == 1 {
		b.WriteString(" to " + m.Recipients[0])
	} else if n > 1 {
		b.WriteString(" to " + m.Recipients[0] + " and " + strconv.Itoa(n-1) + " more")
	}
	if m.Status != "" {
		b.WriteString(": " + m.Status)
	}
	return b.String()
}

// externalIDs names each MID with its appliance, since a MID is unique
// only per appliance.
func externalIDs(m gateway.Message) []string {
	var out []string
	for _, mid := range m.MIDs {
		out = append(out, applianceName(m)+":"+strconv.FormatInt(mid, 10))
	}
	return out
}

func applianceName(m gateway.Message) string {
	if m.Host != "" {
		return m.Host
	}
	if m.Serial != "" {
		return m.Serial
	}
	return hostOf(m.Gateway)
}

// messageObservables lists the message's own observables after the one
// searched for: every MID and the Message-ID.
func messageObservables(m gateway.Message, searched observables.Observable) []ctim.Observable {
	var out []ctim.Observable
	add := func(o ctim.Observable) {
		if o.Value != "" && o != searched {
			out = append(out, o)
		}
	}
	for _, mid := range m.MIDs {
		add(ctim.Observable{Type: observables.CiscoMID, Value: strconv.FormatInt(mid, 10)})
	}
	add(ctim.Observable{Type: observables.MessageID, Value: m.MessageID})
	return out
}

// targets are the recipient mailboxes and the appliance.
func (b *builder) targets(m gateway.Message, at ctim.ObservedTime) []ctim.Target {
	var out []ctim.Target
	var boxes []ctim.Observable
	for _, r := range m.Recipients {
		if r != "" {
			boxes = append(boxes, ctim.Observable{Type: observables.Email, Value: strings.ToLower(r)})
		}
	}
	if len(boxes) > 0 {
		out = append(out, ctim.Target{Type: sensor, Observables: boxes, ObservedTime: at})
	}

	var appliance []ctim.Observable
	if m.Host != "" {
		appliance = append(appliance, ctim.Observable{Type: "hostname", Value: m.Host})
	} else if h := strings.Trim(hostOf(m.Gateway), "[]"); h != "" {
		appliance = append(appliance, ctim.Observable{Type: "hostname", Value: h})
	}
	if m.Serial != "" {
		appliance = append(appliance, ctim.Observable{Type: "serial_number", Value: m.Serial})
	}
	if len(appliance) > 0 {
		out = append(out, ctim.Target{Type: sensor, Observables: appliance, ObservedTime: at})
	}
	return out
}

// relations link the message, by its Message-ID or else its last MID, to
// its sender, recipients, sender IP, subject, attachments and URLs.
func (b *builder) relations(m gateway.Message, d *gateway.Details) []ctim.Relation {
	msg := ctim.Observable{Type: observables.MessageID, Value: m.MessageID}
	if m.MessageID == "" {
		if len(m.MIDs) == 0 {
			return nil
		}
		msg = ctim.Observable{Type: observables.CiscoMID, Value: strconv.FormatInt(m.MIDs[len(m.MIDs)-1], 10)}
	}
	var out []ctim.Relation
	rel := func(source ctim.Observable, relation string, related ctim.Observable) {
		if source.Value == "" || related.Value == "" {
			return
		}
		out = append(out, ctim.Relation{Origin: b.source, Relation: relation, Source: source, Related: related})
	}

	rel(msg, "Sent_By", ctim.Observable{Type: observables.Email, Value: strings.ToLower(m.Sender)})
	for _, r := range m.Recipients {
		rel(msg, "Sent_To", ctim.Observable{Type: observables.Email, Value: strings.ToLower(r)})
	}
	rel(msg, "Received_From", ipObservable(m.SenderIP))
	rel(msg, "Related_To", ctim.Observable{Type: observables.Subject, Value: m.Subject})
	if msg.Type == observables.MessageID {
		for _, mid := range m.MIDs {
			rel(ctim.Observable{Type: observables.CiscoMID, Value: strconv.FormatInt(mid, 10)}, "Related_To", msg)
		}
	}
	if d == nil {
		return out
	}
	for _, a := range d.Attachments {
		rel(ctim.Observable{Type: observables.FileName, Value: a.Name}, "Attached_To", msg)
		rel(ctim.Observable{Type: observables.SHA256, Value: strings.ToLower(a.SHA256)}, "Attached_To", msg)
	}
	for _, u := range d.URLs {
		rel(msg, "Refers_To", ctim.Observable{Type: observables.URL, Value: u.URL})
	}
	return out
}

// ipObservable types an address as ip or ipv6.
func ipObservable(addr string) ctim.Observable {
	if addr == "" {
		return ctim.Observable{}
	}
	if strings.Contains(addr, ":") {
		return ctim.Observable{Type: observables.IPv6, Value: strings.ToLower(addr)}
	}
	return ctim.Observable{Type: observables.IP, Value: addr}
}

// dataTable is the one-row table of the message's tracking fields.
func dataTable(m gateway.Message) *ctim.DataTable {
	cols := []ctim.Column{}
	row := []any{}
	add := func(name, typ string, v any) {
		cols = append(cols, ctim.Column{Name: name, Type: typ})
		row = append(row, v)
	}
	if m.Rejected {
		add("status", "string", "Connection rejected")
	} else {
		add("subject", "string", m.Subject)
		add("status", "string", m.Status)
		add("direction", "string", m.Direction)
		add("policy", "string", strings.Join(m.Policies, ", "))
	}
	if m.SBRS != nil {
		add("sbrs", "number", *m.SBRS)
	}
	add("appliance", "string", applianceName(m))
	add("serial_number", "string", m.Serial)
	if len(m.MIDs) > 0 {
		add("mids", "string", joinMIDs(m.MIDs))
	}
	if r := remediation(m.Remediation); r != "" {
		add("remediation", "string", r)
	}
	return &ctim.DataTable{Columns: cols, Rows: [][]any{row}, RowCount: 1}
}

func joinMIDs(mids []int64) string {
	parts := make([]string, len(mids))
	for i, mid := range mids {
		parts[i] = strconv.FormatInt(mid, 10)
	}
	return strings.Join(parts, ", ")
}

// remediation describes the mailbox remediation state, "" when the
// message was never remediated.
func remediation(r *gateway.RemediationState) string {
	if r == nil {
		return ""
	}
	var parts []string
	mids := make([]int64, 0, len(r.StateByMID))
	for mid := range r.StateByMID {
		mids = append(mids, mid)
	}
	sort.Slice(mids, func(i, j int) bool { return mids[i] < mids[j] })
	for _, mid := range mids {
		parts = append(parts, "MID "+strconv.FormatInt(mid, 10)+": "+r.StateByMID[mid])
	}
	keys := make([]string, 0, len(r.Details))
	for k := range r.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+r.Details[k])
	}
	return strings.Join(parts, "; ")
}
