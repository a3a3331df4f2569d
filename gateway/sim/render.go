package sim

import (
	"fmt"
	"net/mail"
	"strconv"
	"time"
)

// stamp renders t as the appliance writes timestamps: in its own zone, with
// a zone label whose form depends on the build. The manager writes "(GMT)"
// or "(GMT -05:00)", the gateway "(GMT +00:00)", and detail views of a
// non-UTC appliance "(GMT-05:00)".
func (s *Server) stamp(r *record, t time.Time, api string, detail bool) string {
	offset := s.apps[r.Appliance].UTCOffset
	base := t.In(time.FixedZone("", offset)).Format("02 Jan 2006 15:04:05")
	return base + " " + zoneLabel(offset, api, detail)
}

func zoneLabel(offset int, api string, detail bool) string {
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	hhmm := fmt.Sprintf("%s%02d:%02d", sign, offset/3600, offset%3600/60)
	switch {
	case offset == 0 && api == "sma":
		return "(GMT)"
	case offset == 0:
		return "(GMT +00:00)"
	case detail:
		return "(GMT" + hhmm + ")"
	}
	return "(GMT " + hhmm + ")"
}

func midKey(mid int64) string { return strconv.FormatInt(mid, 10) }

// perMID builds a map keyed by each MID as a string.
func perMID[T any](r *record, value func(mid int64) T) map[string]T {
	out := map[string]T{}
	for _, m := range r.MIDs {
		out[midKey(m)] = value(m)
	}
	return out
}

// verdictChart is an opaque digit string per engine, as the appliance
// reports it; only its shape matters to clients.
func verdictChart(r *record) string {
	d := func(b bool, yes, no byte) byte {
		if b {
			return yes
		}
		return no
	}
	return string([]byte{
		d(r.Spam == "Positive", '2', '1'), d(r.Virus == "VIRAL", '5', '1'), '1',
		d(r.Graymail != "", '4', '3'), d(r.Outbreak != "Negative", '2', '1'), '2',
		d(len(r.Links) > 0, '1', '0'), '0',
	})
}

func (s *Server) hostName(r *record, api string) string {
	if api == "esa" {
		return ""
	}
	return s.apps[r.Appliance].Host
}

func addressOf(header string) string {
	if a, err := mail.ParseAddress(header); err == nil {
		return a.Address
	}
	return header
}

// searchAttributes renders a record as a tracking search item.
func (s *Server) searchAttributes(r *record, api string) map[string]any {
	a := s.apps[r.Appliance]
	if r.Rejected {
		// NOTE: the type of "rejected" was never captured; "Yes" is a guess.
		return map[string]any{
			"hostName": s.hostName(r, api), "icid": r.ICID, "messageStatus": "Rejected", "rejected": "Yes",
			"sbrs": r.SBRS, "senderGroup": r.SenderGroup, "senderIp": r.SenderIP, "serialNumber": a.Serial,
			"timestamp": s.stamp(r, r.Time, api, false),
		}
	}
	attrs := map[string]any{
		"direction": r.Direction, "icid": r.ICID, "senderGroup": r.SenderGroup, "sender": r.Sender,
		"replyTo": r.ReplyTo, "timestamp": s.stamp(r, r.Time, api, false), "hostName": s.hostName(r, api),
		"subject": r.Subject, "mid": r.MIDs, "mailPolicy": []string{r.Policy}, "senderIp": r.SenderIP,
		"senderDomain": r.SenderDomain, "recipient": r.Recipients, "sbrs": r.SBRS, "serialNumber": a.Serial,
	}
	if a.LegacyFormat {
		attrs["isCompleteData"] = true
		attrs["messageStatus"] = r.Status
		attrs["verdictChart"] = "0"
		return attrs
	}
	byMID := r.recipientsByMID()
	attrs["isCompleteData"] = "N/A"
	attrs["messageStatus"] = perMID(r, func(int64) string { return r.Status })
	attrs["recipientMap"] = perMID(r, func(m int64) []string { return byMID[m] })
	attrs["finalSubject"] = perMID(r, func(int64) string { return r.FinalSubject })
	attrs["verdictChart"] = perMID(r, func(int64) string { return verdictChart(r) })
	attrs["messageID"] = map[string]string{}
	if r.MessageID != "" && r.Status != "Last State Not Available" {
		attrs["messageID"] = perMID(r, func(int64) string { return r.MessageID })
	}
	attrs["friendly_from"] = []string{addressOf(r.HeaderFrom)}
	attrs["allIcid"] = []int64{r.ICID}
	attrs["dcid"] = orEmpty(r.DCIDs)
	attrs["morDetails"] = map[string]string{}
	if r.Remediation != nil {
		details, states := s.remediationView(r)
		attrs["morDetails"] = details
		attrs["morInfo"] = map[string]any{"midVsState": states}
	}
	return attrs
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func sizeText(bytes int) string {
	if bytes < 1024 {
		return fmt.Sprintf("%d (Bytes)", bytes)
	}
	return fmt.Sprintf("%.2f (KB)", float64(bytes)/1024)
}
