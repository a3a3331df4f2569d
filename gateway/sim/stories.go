package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Story is a named message of the dataset whose observables stay the same
// for every seed. MIDs, ICIDs and times depend on the seed, the message count
// and Now.
type Story struct {
	Name      string
	Serial    string
	Host      string
	MIDs      []int64
	MessageID string
	Subject   string
	Sender    string
	// SenderDomain is the envelope sender's domain.
	SenderDomain string
	SenderIP     string
	Recipients   []string
	Attachment   string
	SHA256       string
	// URL is the original URL, before the web security proxy rewrote it.
	URL    string
	Status string
	// QuarantineMID is the MID in the spam quarantine, zero when the message
	// is not there.
	QuarantineMID int64
	// PVOMID is the MID in the policy, virus and outbreak quarantines, zero
	// when the message was never in one.
	PVOMID int64
	// PVOQuarantines are the PVO quarantines holding the message.
	PVOQuarantines []string
	Time           time.Time
}

// Stories are the named messages demos and tests rely on.
type Stories struct {
	Phishing   Story
	Malware    Story
	Newsletter Story
	Spam       Story
	RejectedIP Story
	// VirusQuarantine is a message the anti-virus engine holds in the Virus
	// quarantine.
	VirusQuarantine Story
	// Campaign holds every message of the phishing campaign, Phishing first.
	Campaign []Story
}

// Story names as stored in the dataset.
const (
	storyPhishing   = "phishing"
	storyCampaign   = "campaign"
	storyMalware    = "malware"
	storyNewsletter = "newsletter"
	storySpam       = "spam"
	storyRejectedIP = "rejected-ip"
	storyVirusHeld  = "virus-quarantine"
)

const (
	phishSender = "it-support@account-verify.example"
	phishDomain = "account-verify.example"
	phishIP     = "198.51.100.23"
	phishURL    = "http://account-verify.example/mailbox/login?session=8f2c1a"
	// phishRewriteToken is fixed so the rewritten URL is stable too.
	phishRewriteToken = "Xk3vQ9LmT2pR8sW1yZ4bN6cD0fG5hJ7kL9mP2qR4sT6"
)

// malwareSHA256 is the SHA-256 of the malware story attachment.
var malwareSHA256 = func() string {
	sum := sha256.Sum256([]byte("gatewaysim malware story: INV-20931.xlsm"))
	return hex.EncodeToString(sum[:])
}()

// storyRecords returns the story messages placed within the two days
// before now.
func storyRecords(now time.Time) []*record {
	recs := []*record{phishingRecord(now)}
	recs = append(recs, campaignRecords(now)...)
	recs = append(recs, malwareRecord(now), newsletterRecord(now), spamRecord(now), rejectedRecord(now))
	recs = append(recs, virusHeldRecord(now))
	return recs
}

func phishingBase(now time.Time, back time.Duration, rcpts []string, msgID string) *record {
	return &record{
		Story: storyCampaign, Appliance: 0, Time: now.Add(-back), Direction: "incoming", Policy: "DEFAULT",
		Sender: phishSender, HeaderFrom: "IT Service Desk <" + phishSender + ">", SenderDomain: phishDomain,
		SenderIP: phishIP, SenderGroup: "UNKNOWNLIST", SBRS: "-1.2", ReverseDNS: "mx1." + phishDomain,
		ReplyTo: "N/A", Recipients: rcpts, MessageID: msgID, Subject: "Action required: mailbox quota exceeded",
		Status: "Delivered", Delivered: true, Size: 48213, Spam: "Negative", Virus: "CLEAN", Outbreak: "Negative",
		Links: []link{{
			URL: phishURL, Rewritten: rewrittenURL(phishRewriteToken, phishURL), Score: -9.1, Category: "Phishing",
		}},
	}
}

func phishingRecord(now time.Time) *record {
	r := phishingBase(now, 26*time.Hour,
		[]string{"alice@example.com", "bob@sales.example.com", "carol@branch.example.net"},
		"<b7f1e2c4.0042$verify+01@account-verify.example>")
	r.Story = storyPhishing
	r.FinalSubject = r.Subject
	return r
}

func campaignRecords(now time.Time) []*record {
	a := phishingBase(now, 27*time.Hour, []string{"dave@example.com"}, "<b7f1e2c4.0041$verify+01@account-verify.example>")
	b := phishingBase(now, 25*time.Hour, []string{"erin@example.com", "frank@sales.example.com"},
		"<b7f1e2c4.0043$verify+01@account-verify.example>")
	b.Appliance = 1
	b.Subject = "Action required: mailbox quota exceeded (2nd notice)"
	c := phishingBase(now, 21*time.Hour, []string{"grace@example.com"}, "<b7f1e2c4.0044$verify+01@account-verify.example>")
	c.Status, c.Delivered = statusContent, false
	for _, r := range []*record{a, b, c} {
		r.FinalSubject = r.Subject
	}
	return []*record{a, b, c}
}

func malwareRecord(now time.Time) *record {
	sender := "accounts@invoice-center.example"
	return &record{
		Story: storyMalware, Appliance: 0, Time: now.Add(-8 * time.Hour), Direction: "incoming", Policy: "DEFAULT",
		Sender: sender, HeaderFrom: "Accounts Receivable <" + sender + ">", SenderDomain: "invoice-center.example",
		SenderIP: "203.0.113.45", SenderGroup: "UNKNOWNLIST", SBRS: "-2.4", ReverseDNS: "smtp.invoice-center.example",
		ReplyTo: "N/A", Recipients: []string{"henry@example.com"}, MessageID: "<INV-20931.77e1@invoice-center.example>",
		Subject: "Invoice INV-20931 overdue", FinalSubject: "Invoice INV-20931 overdue",
		Status: statusVirus, Size: 184320, Spam: "Negative", Virus: "VIRAL", Outbreak: "Negative",
		Attachments: []attachment{{
			Name: "INV-20931.xlsm", SHA256: malwareSHA256, MIME: "application/vnd.ms-excel.sheet.macroEnabled.12",
			Size: 171008, Disposition: "MALICIOUS", Malware: "W97M.Emotet",
		}},
	}
}

func newsletterRecord(now time.Time) *record {
	sender := "news@updates.example.org"
	url := "https://updates.example.org/digest/24"
	return &record{
		Story: storyNewsletter, Appliance: 0, Time: now.Add(-30 * time.Hour), Direction: "incoming",
		Policy: "DEFAULT", Sender: sender, HeaderFrom: "Product Updates <" + sender + ">",
		SenderDomain: "updates.example.org", SenderIP: "198.51.100.80", SenderGroup: "ACCEPTLIST", SBRS: "4.1",
		ReverseDNS: "out.updates.example.org", ReplyTo: "N/A",
		Recipients: []string{"alice@example.com", "ivan@example.com", "judy@sales.example.com"},
		MIDs:       make([]int64, 3), MessageID: "<digest-24.5f0c@updates.example.org>",
		Subject: "Weekly digest — Ausgabe 24: Neuigkeiten für Sie", FinalSubject: "Weekly digest — Ausgabe 24: Neuigkeiten für Sie",
		Status: "Delivered", Delivered: true, Size: 96700, Spam: "Negative", Virus: "CLEAN", Outbreak: "Negative",
		Graymail: "Marketing", Links: []link{{URL: url, Score: 6.3, Category: "Computers and Internet"}},
	}
}

func spamRecord(now time.Time) *record {
	sender := "promo@cheap-meds.test"
	subject := encodedB("Специальное предложение – 90% скидка")
	return &record{
		Story: storySpam, Appliance: 0, Time: now.Add(-5 * time.Hour), Direction: "incoming", Policy: "DEFAULT",
		Sender: sender, HeaderFrom: "Pharmacy Deals <" + sender + ">", SenderDomain: "cheap-meds.test",
		SenderIP: "203.0.113.99", SenderGroup: "SUSPECTLIST", SBRS: "-2.9", ReverseDNS: "mail.cheap-meds.test",
		ReplyTo: "N/A", Recipients: []string{"ken@example.com"}, MessageID: "<offer.991@cheap-meds.test>",
		Subject: subject, FinalSubject: "[SPAM] " + subject, Status: statusSpam, Size: 12288,
		Spam: "Positive", Virus: "CLEAN", Outbreak: "Negative",
	}
}

// virusHeldRecord is a message whose attachment the anti-virus engine found
// infected and sent to the Virus quarantine instead of dropping it.
func virusHeldRecord(now time.Time) *record {
	sender := "payroll@hr-portal.example"
	sum := sha256.Sum256([]byte("gatewaysim virus quarantine story: salary-statement.zip"))
	return &record{
		Story: storyVirusHeld, Appliance: 0, Time: now.Add(-4 * time.Hour), Direction: "incoming", Policy: "DEFAULT",
		Sender: sender, HeaderFrom: "HR Portal <" + sender + ">", SenderDomain: "hr-portal.example",
		SenderIP: "198.51.100.140", SenderGroup: "UNKNOWNLIST", SBRS: "-1.7", ReverseDNS: "mta.hr-portal.example",
		ReplyTo: "N/A", Recipients: []string{"laura@example.com"}, MessageID: "<salary-0314.4c1d@hr-portal.example>",
		Subject: "Updated salary statement", FinalSubject: "Updated salary statement",
		Status: statusAVHeld, Size: 96256, Spam: "Negative", Virus: "VIRAL", Outbreak: "Negative",
		Attachments: []attachment{{
			Name: "salary-statement.zip", SHA256: hex.EncodeToString(sum[:]), MIME: "application/zip",
			Size: 90112, Disposition: "MALICIOUS", Malware: "W32.Trojan.Agent",
		}},
	}
}

func rejectedRecord(now time.Time) *record {
	return &record{
		Story: storyRejectedIP, Appliance: 0, Time: now.Add(-3 * time.Hour), Rejected: true,
		SenderIP: "203.0.113.66", SenderGroup: "BLOCKLIST", SBRS: "-7.4", Status: "Rejected",
	}
}

// storyOf returns the public view of a story record.
func storyOf(r *record, apps []appliance) Story {
	a := apps[r.Appliance]
	s := Story{
		Name: r.Story, Serial: a.Serial, Host: a.Host, MIDs: append([]int64(nil), r.MIDs...),
		MessageID: r.MessageID, Subject: r.Subject, Sender: r.Sender, SenderDomain: r.SenderDomain,
		SenderIP: r.SenderIP, Recipients: append([]string(nil), r.Recipients...), Status: r.Status,
		QuarantineMID: r.QuarantineMID, PVOMID: r.PVOMID,
		PVOQuarantines: append([]string(nil), r.PVOQuarantines...), Time: r.Time,
	}
	if len(r.Attachments) > 0 {
		s.Attachment, s.SHA256 = r.Attachments[0].Name, r.Attachments[0].SHA256
	}
	if len(r.Links) > 0 {
		s.URL = r.Links[0].URL
	}
	return s
}

// collectStories finds the story records of a dataset.
func collectStories(recs []*record, apps []appliance) Stories {
	var out Stories
	var campaign []Story
	for _, r := range recs {
		switch r.Story {
		case storyPhishing:
			out.Phishing = storyOf(r, apps)
		case storyCampaign:
			campaign = append(campaign, storyOf(r, apps))
		case storyMalware:
			out.Malware = storyOf(r, apps)
		case storyNewsletter:
			out.Newsletter = storyOf(r, apps)
		case storySpam:
			out.Spam = storyOf(r, apps)
		case storyRejectedIP:
			out.RejectedIP = storyOf(r, apps)
		case storyVirusHeld:
			out.VirusQuarantine = storyOf(r, apps)
		}
	}
	if out.Phishing.Name != "" {
		out.Campaign = append([]Story{out.Phishing}, campaign...)
	}
	return out
}
