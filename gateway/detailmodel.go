package gateway

import "encoding/json"

// detailEvent is one entry of summary, ampDetails or urlDetails.
type detailEvent struct {
	Timestamp   flexString `json:"timestamp"`
	Description flexString `json:"description"`
}

// detailMessage is data.messages of the details, amp-details and
// url-details answers.
type detailMessage struct {
	MID           flexInts    `json:"mid"`
	AllICID       flexInts    `json:"allIcid"`
	Subject       flexString  `json:"subject"`
	Sender        flexString  `json:"sender"`
	Recipient     flexStrings `json:"recipient"`
	Timestamp     flexString  `json:"timestamp"`
	MessageSize   flexString  `json:"messageSize"`
	MessageStatus perMID      `json:"messageStatus"`
	Direction     flexString  `json:"direction"`
	MailPolicy    flexStrings `json:"mailPolicy"`
	SenderGroup   flexString  `json:"senderGroup"`
	MidHeader     flexString  `json:"midHeader"`
	HeaderFrom    flexString  `json:"headerFrom"`
	Host          flexString  `json:"hostName"`
	SendingHost   struct {
		IP   flexString `json:"ipAddress"`
		SBRS flexString `json:"sbrsScore"`
	} `json:"sendingHostSummary"`
	Attachments flexStrings     `json:"attachments"`
	ShowAMP     flexBool        `json:"showAMP"`
	ShowURL     flexBool        `json:"showURL"`
	Summary     []detailEvent   `json:"summary"`
	AMPDetails  []detailEvent   `json:"ampDetails"`
	URLDetails  []detailEvent   `json:"urlDetails"`
	MorDetails  json.RawMessage `json:"morDetails"`
	MorInfo     json.RawMessage `json:"morInfo"`
}

type detailBody struct {
	Data struct {
		Messages *detailMessage `json:"messages"`
	} `json:"data"`
}

// found reports whether the answer describes a message: some releases
// answer a missing MID with 200 and "mid": "N/A".
func (d *detailMessage) found() bool {
	return d != nil && len(d.MID) > 0
}

// toDetails builds the merged view from the details answer.
func (d *detailMessage) toDetails(gateway, serial string) *Details {
	mids := sortedUnique(d.MID)
	m := Message{
		Gateway:     gateway,
		Serial:      serial,
		Host:        hostName(string(d.Host)),
		MIDs:        mids,
		Sender:      clean(string(d.Sender)),
		SenderIP:    clean(string(d.SendingHost.IP)),
		SenderGroup: clean(string(d.SenderGroup)),
		SBRS:        parseScore(string(d.SendingHost.SBRS)),
		Recipients:  d.Recipient,
		Subject:     clean(string(d.Subject)),
		MessageID:   bracketMessageID(string(d.MidHeader)),
		Direction:   direction(string(d.Direction)),
		Policies:    d.MailPolicy,
		Remediation: remediationState(d.MorDetails, d.MorInfo),
	}
	if len(d.AllICID) > 0 {
		m.ICID = d.AllICID[0]
	}
	m.StatusByMID, m.Status = d.MessageStatus.resolve(mids)
	m.Time, _ = parseApplianceTime(string(d.Timestamp))

	out := &Details{
		Message:    m,
		Size:       clean(string(d.MessageSize)),
		HeaderFrom: clean(string(d.HeaderFrom)),
	}
	var files attachmentSet
	for _, name := range d.Attachments {
		files.add(name, "", "")
	}
	for _, e := range d.Summary {
		out.Events = append(out.Events, e.toEvent())
		files.parseAttachmentEvent(string(e.Description))
	}
	out.Attachments = files.list
	return out
}

func (e detailEvent) toEvent() Event {
	t, _ := parseApplianceTime(string(e.Timestamp))
	return Event{Time: t, Description: string(e.Description)}
}

// mergeAMP adds the attachments an amp-details answer describes.
func (out *Details) mergeAMP(d *detailMessage) {
	files := attachmentSet{list: out.Attachments}
	for _, name := range d.Attachments {
		files.add(name, "", "")
	}
	for _, e := range d.AMPDetails {
		files.parseAttachmentEvent(string(e.Description))
	}
	out.Attachments = files.list
}

// mergeURLs adds the URLs a url-details answer describes.
func (out *Details) mergeURLs(d *detailMessage) {
	urls := urlSet{list: out.URLs}
	for _, e := range d.URLDetails {
		urls.parseURLEvent(string(e.Description))
	}
	out.URLs = urls.list
}
