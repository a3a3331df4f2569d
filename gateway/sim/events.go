package sim

import (
	"fmt"
	"strings"
	"time"
)

// event is one line of a message's processing summary, at an offset from
// the message's arrival.
type event struct {
	at   time.Duration
	text string
}

// summaryEvents writes the processing summary the way the appliance words
// it in message tracking details.
func summaryEvents(r *record, a appliance) []event {
	mid, icid := r.MIDs[0], r.ICID
	ev := []event{
		{0, fmt.Sprintf("Incoming connection (ICID %d) has sender_group: %s, sender_ip: %s and sbrs: %s", icid, r.SenderGroup, r.SenderIP, r.SBRS)},
		{0, fmt.Sprintf("Protocol SMTP interface Data 1  (IP %s) on incoming connection (ICID %d) from sender IP %s. Reverse DNS host %s verified yes.", a.IP, icid, r.SenderIP, r.ReverseDNS)},
		{0, fmt.Sprintf("(ICID %d) ACCEPT sender group %s match sbrs[-1.0:10.0] SBRS %s country United States", icid, r.SenderGroup, r.SBRS)},
		{time.Second, fmt.Sprintf("Start message %d on incoming connection (ICID %d).", mid, icid)},
		{time.Second, fmt.Sprintf("Message %d enqueued on incoming connection (ICID %d) from %s.", mid, icid, r.Sender)},
	}
	for _, rcpt := range r.Recipients {
		ev = append(ev, event{time.Second, fmt.Sprintf("Message %d on incoming connection (ICID %d) added recipient (%s).", mid, icid, rcpt)})
	}
	ev = append(ev,
		event{time.Second, fmt.Sprintf("Message %d contains message ID header '%s'.", mid, r.MessageID)},
		event{time.Second, fmt.Sprintf("Message %d original subject on injection: %s", mid, r.Subject)},
		event{time.Second, fmt.Sprintf("Message %d (%d bytes) from %s ready.", mid, r.Size, r.Sender)},
	)
	for _, m := range r.MIDs[1:] {
		ev = append(ev, event{2 * time.Second, fmt.Sprintf("Message %d was split creating MID %d due to a per-recipient policy %s.", mid, m, r.Policy)})
	}
	ev = append(ev, scanEvents(r, mid)...)
	return append(ev, finalEvents(r)...)
}

func scanEvents(r *record, mid int64) []event {
	dir := "inbound"
	if r.Direction == "outgoing" {
		dir = "outbound"
	}
	ev := []event{
		{2 * time.Second, fmt.Sprintf("Message %d matched per-recipient policy %s for %s mail policies.", mid, r.Policy, dir)},
		{2 * time.Second, fmt.Sprintf("Message %d scanned by Anti-Spam engine: CASE. Interim verdict: %s", mid, r.Spam)},
		{2 * time.Second, fmt.Sprintf("Message %d scanned by Anti-Virus engine. Interim verdict: %s", mid, r.Virus)},
	}
	amp := ""
	for _, a := range r.Attachments {
		ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d contains attachment '%s' (SHA256 %s).", mid, a.Name, a.SHA256)})
		if a.Disposition == "" {
			continue
		}
		ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d attachment '%s' scanned by Advanced Malware Protection engine. File Disposition: %s", mid, a.Name, titleCase(a.Disposition))})
		if amp != "POSITIVE" {
			amp = "NEGATIVE"
			if a.Disposition == "MALICIOUS" {
				amp = "POSITIVE"
			}
		}
	}
	if amp != "" {
		ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d scanned by Advanced Malware Protection engine. Final verdict: %s", mid, amp)})
	}
	if r.Graymail != "" {
		ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d scanned by Graymail engine. Interim verdict: %s", mid, r.Graymail)})
	}
	for _, l := range r.Links {
		if l.Rewritten != "" {
			ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d URL u'%s' rewritten to u'%s'.", mid, l.URL, l.Rewritten)})
		}
	}
	return append(ev, event{3 * time.Second, fmt.Sprintf("Message %d scanned by Outbreak Filters. Verdict: %s", mid, r.Outbreak)})
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return s[:1] + strings.ToLower(s[1:])
}

// finalEvents writes how the message left the pipeline.
func finalEvents(r *record) []event {
	last := r.finalMID()
	switch r.Status {
	case "Delivered":
		var ev []event
		byMID := r.recipientsByMID()
		for i, m := range r.MIDs {
			rcpts := byMID[m]
			if len(rcpts) == 0 {
				continue
			}
			dcid := int64(0)
			if len(r.DCIDs) > 0 {
				dcid = r.DCIDs[0] + int64(i)
			}
			ev = append(ev, event{4 * time.Second, fmt.Sprintf("(DCID %d) Delivery started for message %d to %s.", dcid, m, strings.Join(rcpts, ", "))})
			for _, rcpt := range rcpts {
				ev = append(ev, event{5 * time.Second, fmt.Sprintf("Message %d to %s received remote SMTP response '2.6.0 %s Queued mail for delivery'.", m, rcpt, r.MessageID)})
			}
		}
		return ev
	case statusVirus:
		return []event{
			{4 * time.Second, fmt.Sprintf("Message %d Delivery Status: DROPPED", last)},
			{4 * time.Second, fmt.Sprintf("Message %d aborted: Dropped by antivirus", last)},
		}
	case statusSpam:
		return []event{{4 * time.Second, fmt.Sprintf("Message %d is quarantined to Spam Quarantine.", last)}}
	case "Hard Bounced":
		return []event{{6 * time.Second, fmt.Sprintf("Message %d to %s bounced by destination server. Reason: 5.1.1 - Bad destination email address ('550', ['5.1.1 User unknown'])", last, r.Recipients[0])}}
	case "Last State Not Available":
		return nil
	}
	return []event{{4 * time.Second, fmt.Sprintf("Message %d %s.", last, strings.ToLower(r.Status[:1])+r.Status[1:])}}
}

// ampEvents writes the AMP file reputation lines of amp-details.
func ampEvents(r *record) []event {
	var ev []event
	mid := r.MIDs[0]
	for _, a := range r.Attachments {
		if a.Disposition == "" {
			continue
		}
		disposition, malware, score, upload := "FILE UNKNOWN", "None", 0, "Recommended to send the file for analysis"
		switch a.Disposition {
		case "MALICIOUS":
			disposition, malware, score, upload = "MALICIOUS", a.Malware, 95, "Not recommended to send the file for analysis"
		case "CLEAN":
			disposition, upload = "CLEAN", "Not recommended to send the file for analysis"
		}
		ev = append(ev,
			event{2 * time.Second, fmt.Sprintf("File reputation query initiating. File Name = %s, MID = %d, File Size = %d bytes, File Type = %s", a.Name, mid, a.Size, a.MIME)},
			event{3 * time.Second, fmt.Sprintf("Response received for file reputation query from Cloud. File Name = %s, MID = %d, Disposition = %s, Malware = %s, Analysis Score = %d, sha256 = %s, upload_action = %s, verdict_source = AMP, Suspected Malware Categories = None", a.Name, mid, disposition, malware, score, a.SHA256, upload)},
		)
		if a.Disposition == "UNKNOWN" {
			ev = append(ev, event{3 * time.Second, fmt.Sprintf("File not uploaded for analysis. MID = %d File SHA256[%s] file mime[%s] Reason: The file type is not configured for analysis", mid, a.SHA256, a.MIME)})
		}
	}
	return ev
}

// urlEvents writes the URL reputation lines of url-details. The manager
// puts a space before the comma after the URL and the gateway does not.
func urlEvents(r *record, api string) []event {
	sep := ","
	if api == "sma" {
		sep = " ,"
	}
	var ev []event
	mid := r.MIDs[0]
	for _, l := range r.Links {
		ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d URL: %s%s URL reputation: %.1f, Condition: URL Reputation Rule.", mid, l.URL, sep, l.Score)})
		if l.Category != "" {
			// NOTE: the category line's wording was never captured.
			ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d URL: %s%s URL category: %s, Condition: URL Category Rule.", mid, l.URL, sep, l.Category)})
		}
	}
	for _, l := range r.Links {
		if l.Rewritten != "" {
			ev = append(ev, event{3 * time.Second, fmt.Sprintf("Message %d rewritten URL u'%s'.", mid, l.URL)})
		}
	}
	return ev
}
