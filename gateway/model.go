package gateway

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// trackingAttributes is the "attributes" object of a message tracking
// search hit, with every field in its tolerant form.
type trackingAttributes struct {
	MID           flexInts        `json:"mid"`
	ICID          flexInt         `json:"icid"`
	AllICID       flexInts        `json:"allIcid"`
	Serial        flexString      `json:"serialNumber"`
	Host          flexString      `json:"hostName"`
	Sender        flexString      `json:"sender"`
	SenderDomain  flexString      `json:"senderDomain"`
	SenderIP      flexString      `json:"senderIp"`
	SenderGroup   flexString      `json:"senderGroup"`
	SBRS          flexString      `json:"sbrs"`
	FriendlyFrom  flexStrings     `json:"friendly_from"`
	Recipient     flexStrings     `json:"recipient"`
	RecipientMap  perMIDList      `json:"recipientMap"`
	Subject       flexString      `json:"subject"`
	FinalSubject  perMID          `json:"finalSubject"`
	MessageID     perMID          `json:"messageID"`
	MessageStatus perMID          `json:"messageStatus"`
	Timestamp     flexString      `json:"timestamp"`
	Direction     flexString      `json:"direction"`
	MailPolicy    flexStrings     `json:"mailPolicy"`
	MorDetails    json.RawMessage `json:"morDetails"`
	MorInfo       json.RawMessage `json:"morInfo"`
	Rejected      flexBool        `json:"rejected"`
}

// toMessage resolves the quirks of one search hit into a Message.
func (a *trackingAttributes) toMessage(gateway string) Message {
	mids := sortedUnique(a.MID)
	m := Message{
		Gateway:      gateway,
		Serial:       clean(string(a.Serial)),
		Host:         hostName(string(a.Host)),
		MIDs:         mids,
		ICID:         int64(a.ICID),
		Sender:       clean(string(a.Sender)),
		SenderDomain: clean(string(a.SenderDomain)),
		SenderIP:     clean(string(a.SenderIP)),
		SenderGroup:  clean(string(a.SenderGroup)),
		SBRS:         parseScore(string(a.SBRS)),
		FriendlyFrom: a.FriendlyFrom,
		Recipients:   a.Recipient,
		Subject:      clean(string(a.Subject)),
		Direction:    direction(string(a.Direction)),
		Policies:     a.MailPolicy,
		Rejected:     bool(a.Rejected),
		Remediation:  remediationState(a.MorDetails, a.MorInfo),
	}
	if m.ICID == 0 && len(a.AllICID) > 0 {
		m.ICID = a.AllICID[0]
	}
	if len(a.RecipientMap) > 0 {
		m.RecipientsByMID = a.RecipientMap
	}
	if len(m.Recipients) == 0 {
		m.Recipients = recipientsOf(a.RecipientMap)
	}
	m.FinalSubject, _ = a.FinalSubject.resolve(mids)
	m.MessageIDByMID, m.MessageID = a.MessageID.resolve(mids)
	m.MessageID = bracketMessageID(m.MessageID)
	m.StatusByMID, m.Status = a.MessageStatus.resolve(mids)
	m.Time, _ = parseApplianceTime(string(a.Timestamp))
	return m
}

// hostName returns the appliance name out of "esa1.example.com (1.1.1.1)";
// "(Name unresolved, SN:...)" and "" give "".
func hostName(s string) string {
	s = clean(s)
	if strings.HasPrefix(s, "(") {
		return ""
	}
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	return s
}

// parseScore reads an SBRS such as "2.7"; "None", "N/A" and "not enabled"
// give nil.
func parseScore(s string) *float64 {
	s = clean(s)
	if s == "" {
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &x
}

func direction(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "incoming" || s == "outgoing" {
		return s
	}
	return ""
}

// bracketMessageID restores the angle brackets of a Message-ID header value
// when the appliance dropped one of them.
func bracketMessageID(s string) string {
	s = clean(s)
	if s == "" {
		return ""
	}
	if !strings.HasPrefix(s, "<") {
		s = "<" + s
	}
	if !strings.HasSuffix(s, ">") {
		s += ">"
	}
	return s
}

func recipientsOf(byMID map[int64][]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range byMID {
		for _, r := range list {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	sort.Strings(out)
	return out
}

// remediationState reads morDetails (an object of unobserved shape, kept
// as text pairs) and morInfo.midVsState. Both empty gives nil.
func remediationState(details, info json.RawMessage) *RemediationState {
	st := &RemediationState{}
	var d map[string]json.RawMessage
	if json.Unmarshal(details, &d) == nil {
		for k, v := range d {
			text := clean(scalarText(v))
			if text == "" && len(v) > 0 && (v[0] == '{' || v[0] == '[') {
				text = string(v)
			}
			if text == "" {
				continue
			}
			if st.Details == nil {
				st.Details = map[string]string{}
			}
			st.Details[k] = text
		}
	}
	var mi struct {
		MidVsState perMID `json:"midVsState"`
	}
	if json.Unmarshal(info, &mi) == nil && len(mi.MidVsState.byMID) > 0 {
		st.StateByMID = mi.MidVsState.byMID
	}
	if st.Details == nil && st.StateByMID == nil {
		return nil
	}
	return st
}

// trackingPage is one page of a message tracking search. An empty search
// may come back as "{}", which decodes to a page with no data.
type trackingPage struct {
	Meta struct {
		BadRecords flexInt `json:"num_bad_records"`
		TotalCount flexInt `json:"totalCount"`
	} `json:"meta"`
	Data []json.RawMessage `json:"data"`
}

// decodeMessages decodes a page's hits. A hit whose attributes are not an
// object is skipped and counted, like the appliance's own bad records.
func decodeMessages(page *trackingPage, gateway string) (msgs []Message, skipped int) {
	for _, raw := range page.Data {
		var item struct {
			Attributes *trackingAttributes `json:"attributes"`
		}
		if err := json.Unmarshal(raw, &item); err != nil || item.Attributes == nil {
			skipped++
			continue
		}
		msgs = append(msgs, item.Attributes.toMessage(gateway))
	}
	return msgs, skipped
}
