package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
)

// lookbackMargin keeps picked messages a day inside the relay's default
// 30-day message tracking window.
const lookbackMargin = 29 * 24 * time.Hour

// dataset holds observables picked from the simulator's messages.
type dataset struct {
	// threatMessageIDs are Message-IDs of esa1 messages dropped by
	// anti-virus or quarantined by outbreak filters: each gets a malicious
	// verdict.
	threatMessageIDs []string
	// messageIDs, sha256s and senderIPs come from the other messages.
	messageIDs []string
	sha256s    []string
	senderIPs  []string
	stories    sim.Stories
}

// simMessage is the part of the simulator's dataset file relaybench reads.
type simMessage struct {
	Story       string    `json:"story"`
	Appliance   int       `json:"appliance"`
	MessageID   string    `json:"messageId"`
	Status      string    `json:"status"`
	SenderIP    string    `json:"senderIp"`
	Time        time.Time `json:"time"`
	Rejected    bool      `json:"rejected"`
	Attachments []struct {
		SHA256 string `json:"sha256"`
	} `json:"attachments"`
}

// loadDataset picks observables from the simulator's generated messages,
// leaving out the story messages, which the herd scenario uses.
func loadDataset(s *sim.Server, now time.Time) (*dataset, error) {
	var buf bytes.Buffer
	if err := s.WriteData(&buf); err != nil {
		return nil, fmt.Errorf("reading the simulator dataset: %w", err)
	}
	var file struct {
		Messages []simMessage `json:"messages"`
	}
	if err := json.Unmarshal(buf.Bytes(), &file); err != nil {
		return nil, fmt.Errorf("decoding the simulator dataset: %w", err)
	}

	d := &dataset{stories: s.Stories()}
	seen := map[string]bool{}
	add := func(list *[]string, v string) {
		if v != "" && v != "N/A" && !seen[v] {
			seen[v] = true
			*list = append(*list, v)
		}
	}
	for _, m := range file.Messages {
		if m.Story != "" || m.Rejected || m.Time.Before(now.Add(-lookbackMargin)) {
			continue
		}
		// NOTE: only esa1 messages give a verdict by Message-ID. esa2 responds
		// in the 12.x format, whose search items carry no messageID, and the
		// relay judges a Message-ID only against the messageID of a hit.
		if isThreat(m.Status) && m.Appliance == 0 {
			add(&d.threatMessageIDs, m.MessageID)
		} else {
			add(&d.messageIDs, m.MessageID)
		}
		for _, a := range m.Attachments {
			add(&d.sha256s, a.SHA256)
		}
		add(&d.senderIPs, m.SenderIP)
	}
	return d, nil
}

// isThreat reports the statuses the relay judges malicious from a
// Message-ID alone.
func isThreat(status string) bool {
	s := strings.ToLower(status)
	return strings.Contains(s, "anti-virus") || strings.Contains(s, "outbreak")
}

// threatObservables returns n Message-ID observables with verdicts,
// starting at offset, or an error when the dataset has too few.
func (d *dataset) threatObservables(offset, n int) ([]observables.Observable, error) {
	if offset+n > len(d.threatMessageIDs) {
		return nil, fmt.Errorf("the simulator dataset has %d messages with a threat verdict; %d are needed", len(d.threatMessageIDs), offset+n)
	}
	out := make([]observables.Observable, n)
	for i := range out {
		out[i] = observables.Observable{Type: observables.MessageID, Value: d.threatMessageIDs[offset+i]}
	}
	return out, nil
}

// coldMix is the make-up of one cold-observe request.
var coldMix = []struct {
	kind  observables.Type
	count int
}{
	{observables.MessageID, 10},
	{observables.SHA256, 5},
	{observables.IP, 5},
}

// coldBatches returns n requests' observables for cold-observe, distinct
// across requests as long as the dataset lasts; after that the batches
// repeat. It reports how many batches are distinct.
func (d *dataset) coldBatches(n int) ([][]observables.Observable, int) {
	pools := map[observables.Type][]string{
		observables.MessageID: d.messageIDs,
		observables.SHA256:    d.sha256s,
		observables.IP:        d.senderIPs,
	}
	distinct := n
	for _, m := range coldMix {
		distinct = min(distinct, len(pools[m.kind])/m.count)
	}
	distinct = max(distinct, 1)

	batches := make([][]observables.Observable, n)
	for i := range batches {
		slot := i % distinct
		for _, m := range coldMix {
			pool := pools[m.kind]
			for j := range m.count {
				v := pool[(slot*m.count+j)%len(pool)]
				batches[i] = append(batches[i], observables.Observable{Type: m.kind, Value: v})
			}
		}
	}
	return batches, distinct
}

// herdObservables are five story observables of the phishing and malware
// messages: a sender, its IP, the phishing URL, the attachment hash and a
// Message-ID. Each maps to one or two message tracking filters.
func (d *dataset) herdObservables() []observables.Observable {
	st := d.stories
	return []observables.Observable{
		{Type: observables.Email, Value: st.Phishing.Sender},
		{Type: observables.IP, Value: st.Phishing.SenderIP},
		{Type: observables.URL, Value: st.Phishing.URL},
		{Type: observables.SHA256, Value: st.Malware.SHA256},
		{Type: observables.MessageID, Value: st.Phishing.MessageID},
	}
}

// encodeObservables returns the request body the platform sends.
func encodeObservables(obs []observables.Observable) []byte {
	// A slice of string pairs always encodes, so the error is always nil.
	body, _ := json.Marshal(obs)
	return body
}
