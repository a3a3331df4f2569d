package enrich

import (
	"strings"
	"time"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/ctim"
)

// Judgement settings: an automated source, valid for a week.
const (
	judgementPriority = 85
	judgementValidFor = 7 * 24 * time.Hour
)

// The engines a judgement can name.
const (
	engineAntiVirus = "Anti-Virus"
	engineAMP       = "Advanced Malware Protection"
	engineOutbreak  = "Outbreak Filters"
	engineAntiSpam  = "Anti-Spam"
	engineURL       = "URL reputation"
	engineSBRS      = "SenderBase reputation"
)

// URL reputation scores run from -10 to 10. A score is used only when the
// appliance gives no rating text.
// NOTE: the bands (-10 to -6 malicious, -5.9 to -3 suspicious) follow the
// appliance's URL reputation ranges as recalled, not checked against a
// current AsyncOS guide.
const (
	urlMaliciousScore  = -6.0
	urlSuspiciousScore = -3.0
	// sbrsSuspicious is the SenderBase score at or below which a sender
	// IP is judged suspicious.
	sbrsSuspicious = -3.0
)

// finding is one engine's disposition of an observable.
type finding struct {
	disposition ctim.Disposition
	engine      string
	reason      string
}

// judge lists what the engines found about t in the messages, one finding
// per engine, the most severe first. A delivered message with no threat
// verdict gives none.
func judge(t target, hits []hit) []finding {
	var out []finding
	add := func(f finding) {
		for i, g := range out {
			if g.engine == f.engine {
				if severer(f.disposition, g.disposition) {
					out[i] = f
				}
				return
			}
		}
		out = append(out, f)
	}
	for _, h := range hits {
		for _, f := range judgeHit(t, h) {
			add(f)
		}
	}
	sortFindings(out)
	return out
}

func judgeHit(t target, h hit) []finding {
	m := h.msg
	v := t.obs.Value
	switch t.obs.Type {
	case observables.SHA256:
		return judgeAttachment(v, h.details)
	case observables.URL:
		return judgeURL(t.forms, h.details)
	case observables.MessageID:
		if !hasMessageID(h, v) {
			return nil
		}
		return judgeMessage(m)
	case observables.Email:
		if strings.EqualFold(m.Sender, v) {
			return suspectSender(m, "the sender")
		}
	case observables.Domain:
		if strings.EqualFold(m.SenderDomain, v) {
			return suspectSender(m, "a sender of the domain")
		}
	case observables.IP, observables.IPv6:
		if m.SBRS != nil && *m.SBRS <= sbrsSuspicious && sameIP(m.SenderIP, v) {
			return []finding{{ctim.Suspicious, engineSBRS,
				"SenderBase reputation scored the sending IP at or below -3"}}
		}
	}
	return nil
}

// hasMessageID reports whether the message carries the Message-ID id. The
// search item's Message-IDs are used when it has any. The 12.x search
// format has none, and then the midHeader of the details decides. A
// message with neither is not judged, so a verdict always rests on a
// Message-ID the appliance returned.
func hasMessageID(h hit, id string) bool {
	ids := searchMessageIDs(h.msg)
	if len(ids) == 0 && h.details != nil && h.details.Message.MessageID != "" {
		ids = []string{h.details.Message.MessageID}
	}
	for _, got := range ids {
		if strings.EqualFold(strings.Trim(got, "<>"), strings.Trim(id, "<>")) {
			return true
		}
	}
	return false
}

// searchMessageIDs lists the Message-IDs a search item carries.
func searchMessageIDs(m gateway.Message) []string {
	var ids []string
	if m.MessageID != "" {
		ids = append(ids, m.MessageID)
	}
	for _, id := range m.MessageIDByMID {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// judgeMessage: a message dropped or quarantined by anti-virus, AMP or
// outbreak filters is malicious; one caught as spam is suspicious.
func judgeMessage(m gateway.Message) []finding {
	if engine := threatEngine(m); engine != "" {
		return []finding{{ctim.Malicious, engine, engine + " dropped or quarantined the message"}}
	}
	if caughtAsSpam(m) {
		return []finding{{ctim.Suspicious, engineAntiSpam, "Anti-Spam found the message to be spam"}}
	}
	return nil
}

// suspectSender: a sender of a message caught by anti-virus, AMP or
// outbreak filters is suspicious, never malicious, because senders are
// often spoofed or compromised.
func suspectSender(m gateway.Message, who string) []finding {
	engine := threatEngine(m)
	if engine == "" {
		return nil
	}
	return []finding{{ctim.Suspicious, engine, engine + " caught a message from " + who}}
}

func judgeAttachment(sha string, d *gateway.Details) []finding {
	if d == nil {
		return nil
	}
	for _, a := range d.Attachments {
		if strings.EqualFold(a.SHA256, sha) && strings.EqualFold(a.Disposition, "MALICIOUS") {
			return []finding{{ctim.Malicious, engineAMP, "Advanced Malware Protection rated the file malicious"}}
		}
	}
	return nil
}

func judgeURL(forms []string, d *gateway.Details) []finding {
	if d == nil {
		return nil
	}
	var out []finding
	for _, u := range d.URLs {
		if !matchesForm(u.URL, forms) {
			continue
		}
		switch urlRating(u) {
		case ctim.Malicious:
			out = append(out, finding{ctim.Malicious, engineURL, "URL reputation on the gateway rated the URL malicious"})
		case ctim.Suspicious:
			out = append(out, finding{ctim.Suspicious, engineURL, "URL reputation on the gateway rated the URL suspicious"})
		}
	}
	return out
}

// urlRating reads the appliance's rating, from its text or its score.
func urlRating(u gateway.URLInfo) ctim.Disposition {
	switch strings.ToLower(u.Reputation) {
	case "malicious":
		return ctim.Malicious
	case "suspicious":
		return ctim.Suspicious
	}
	if u.Score != nil {
		switch {
		case *u.Score <= urlMaliciousScore:
			return ctim.Malicious
		case *u.Score <= urlSuspiciousScore:
			return ctim.Suspicious
		}
	}
	return ctim.Unknown
}

func matchesForm(u string, forms []string) bool {
	for _, f := range forms {
		if strings.EqualFold(strings.TrimSuffix(u, "/"), strings.TrimSuffix(f, "/")) {
			return true
		}
	}
	return false
}

// threatEngine names the engine that dropped or quarantined the message:
// anti-virus, AMP or outbreak filters; "" otherwise. "Multiple Engines"
// names none of them, so it is not enough for a judgement.
func threatEngine(m gateway.Message) string {
	for _, status := range statuses(m) {
		s := strings.ToLower(status)
		if !strings.Contains(s, "dropped") && !strings.Contains(s, "quarantined") {
			continue
		}
		switch {
		case strings.Contains(s, "anti-virus") || strings.Contains(s, "antivirus"):
			return engineAntiVirus
		case strings.Contains(s, "amp") || strings.Contains(s, "advanced malware"):
			return engineAMP
		case strings.Contains(s, "outbreak"):
			return engineOutbreak
		}
	}
	return ""
}

func caughtAsSpam(m gateway.Message) bool {
	for _, status := range statuses(m) {
		if strings.Contains(strings.ToLower(status), "anti-spam") {
			return true
		}
	}
	return false
}

func statuses(m gateway.Message) []string {
	out := []string{m.Status}
	for _, s := range m.StatusByMID {
		out = append(out, s)
	}
	return out
}

func sameIP(a, b string) bool {
	return strings.EqualFold(a, b)
}

func severer(a, b ctim.Disposition) bool {
	return rank(a) > rank(b)
}

func rank(d ctim.Disposition) int {
	switch d {
	case ctim.Malicious:
		return 2
	case ctim.Suspicious:
		return 1
	}
	return 0
}

func sortFindings(fs []finding) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && severer(fs[j].disposition, fs[j-1].disposition); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// judgements builds the judgements of t's findings and the verdict of
// the most severe one. Both carry the observable as requested, while the
// judgement id rests on the normalised value, so it is the same for every
// spelling of the observable.
func (b *builder) judgements(t target, fs []finding) ([]ctim.Judgement, *ctim.Verdict) {
	var js []ctim.Judgement
	for _, f := range fs {
		severity := ctim.LevelMedium
		if f.disposition == ctim.Malicious {
			severity = ctim.LevelHigh
		}
		js = append(js, ctim.Judgement{
			ID:              ctim.JudgementID(b.tenant, t.obs, f.engine),
			Type:            "judgement",
			SchemaVersion:   ctim.SchemaVersion,
			Source:          ctim.Cut(b.source, ctim.MedString),
			SourceURI:       ctim.URI(b.referURL(b.uiBase(), t.obs, "")),
			Observable:      t.requested(),
			Disposition:     f.disposition,
			DispositionName: f.disposition.Name(),
			Priority:        judgementPriority,
			Confidence:      ctim.LevelHigh,
			Severity:        severity,
			ValidTime:       ctim.NewValidTime(b.now, judgementValidFor),
			Reason:          ctim.Cut(f.reason+".", ctim.ShortString),
		})
	}
	if len(js) == 0 {
		return nil, nil
	}
	v := ctim.NewVerdict(js[0])
	return js, &v
}
