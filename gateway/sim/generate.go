package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The two simulated appliances. Serial numbers and host names stay the same
// for every seed so that demos and tests can name them.
var defaultAppliances = []appliance{
	{Serial: "4229C3F0A1B27E5D9C11-7F3E2A9B4C6D", Host: "esa1.mail.example.com", IP: "192.0.2.10"},
	{
		Serial: "42308D7E6F1A2B3C4D5E-9A8B7C6D5E4F", Host: "esa2.mail.example.com", IP: "192.0.2.11",
		UTCOffset: -5 * 3600, LegacyFormat: true,
	},
}

// First MIDs and ICIDs per appliance; quarantine MIDs come from a separate
// counter, as on a centralised quarantine.
var (
	firstMID           = []int64{104200, 55100}
	firstICID          = []int64{880400, 310200}
	firstQuarantineMID = int64(3100)
	firstPVOMID        = int64(9100)
)

var (
	orgUsers = []string{
		"alice", "bob", "carol", "dave", "erin", "frank", "grace", "henry", "ivan", "judy",
		"ken", "laura", "mallory", "nina", "oscar", "peggy", "quentin", "rupert", "sybil",
		"trent", "uma", "victor", "wendy", "xavier", "yvonne", "zach",
	}
	// branch.example.net has no mailbox profile by default.
	orgDomains      = []string{"example.com", "example.com", "example.com", "sales.example.com", "branch.example.net"}
	externalDomains = []string{
		"parcel-notify.example", "bank-alerts.example", "newsletter.example.org", "partner.example.net",
		"cloudmail.test", "shop.example", "travel-deals.test", "conference.example.org",
		"supplier.example", "invoices.test",
	}
	externalLocals = []string{"info", "noreply", "news", "support", "billing", "j.smith", "m.rossi", "sales", "team"}
	cleanSubjects  = []string{
		"Quarterly report draft", "Re: Meeting notes", "Lunch on Thursday?",
		"Réunion d'équipe : ordre du jour", "Rechnung Nr. %d für März", "見積書のご確認のお願い",
		"Fwd: Contract renewal", "Your order #%d has shipped", "Invitation: roadmap review",
		"Счёт на оплату № %d", encodedB("Überweisung bestätigt"), "=?ISO-8859-1?Q?Caf=E9_au_lait_=E0_10h?=",
		"Re: " + encodedQ("Planification de l’audit"), "Weekly sync (a+b team)", "a b",
	}
	spamSubjects = []string{
		"You have won a $1000 gift card", "Cheap meds, no prescription", encodedB("Специальное предложение – 90% скидка"),
		"[SUSPECTED SPAM] Limited offer", "Re: your account balance +500%",
	}
	virusSubjects = []string{"Scanned document %d", "Payment advice %d", "Voicemail from +1 555 0100"}
	urlSubjects   = []string{"Password expiry notice", "Shared file: Q3 payroll.xlsx", "Unusual sign-in activity"}
)

func encodedB(s string) string { return mime.BEncoding.Encode("UTF-8", s) }
func encodedQ(s string) string { return mime.QEncoding.Encode("UTF-8", s) }

// generator builds a deterministic dataset from a seed.
type generator struct {
	rng        *rand.Rand
	seed       int64
	now        time.Time
	days       int
	fileSerial int
}

// generate returns the records of a fresh dataset, stories included, with
// MIDs and ICIDs assigned in time order per appliance.
func generate(o Options) []*record {
	g := &generator{
		rng:  rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed)),
		seed: o.Seed,
		now:  o.Now().UTC().Truncate(time.Second),
		days: o.Days,
	}
	recs := make([]*record, 0, o.Messages+64)
	for range o.Messages {
		recs = append(recs, g.background())
	}
	for range o.Messages / 30 {
		recs = append(recs, g.rejected())
	}
	recs = append(recs, storyRecords(g.now)...)
	assignIDs(recs)
	return recs
}

// assignIDs numbers MIDs, ICIDs, DCIDs and quarantine MIDs in time order.
func assignIDs(recs []*record) {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
	mids := append([]int64(nil), firstMID...)
	icids := append([]int64(nil), firstICID...)
	qmid := firstQuarantineMID
	pvoMID := firstPVOMID
	for _, r := range recs {
		a := r.Appliance
		r.ICID = icids[a]
		icids[a] += 1 + int64(r.ICID%3)
		if r.Rejected {
			continue
		}
		n := max(len(r.MIDs), 1)
		r.MIDs = make([]int64, n)
		for i := range r.MIDs {
			r.MIDs[i] = mids[a]
			mids[a]++
		}
		if n > 1 {
			r.RecipientMIDs = make([]int64, len(r.Recipients))
			for i := range r.Recipients {
				r.RecipientMIDs[i] = r.MIDs[min(i, n-1)]
			}
		}
		mids[a] += int64(r.ICID % 2)
		if r.Status == "Delivered" || strings.HasPrefix(r.Status, "Hard") {
			r.DCIDs = []int64{r.ICID/2 + 17}
		}
		if r.Status == statusSpam {
			r.QuarantineMID = qmid
			qmid += 1 + int64(r.ICID%2)
		}
		if names := pvoQuarantinesFor(r.Status); len(names) > 0 {
			r.PVOMID, r.PVOQuarantines = pvoMID, names
			pvoMID += 1 + int64(r.ICID%2)
		}
	}
}

const (
	statusSpam     = "Quarantined by Anti-Spam/Graymail"
	statusVirus    = "Dropped By Anti-Virus"
	statusMultiple = "Quarantined by Multiple Engines"
	statusContent  = "Quarantined by Content Filters"
	statusOutbreak = "Quarantined by Outbreak Filters"
	statusAVHeld   = "Quarantined by Anti-Virus"
)

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) time() time.Time {
	span := time.Duration(g.days) * 24 * time.Hour
	back := time.Duration(g.rng.Int64N(int64(span-2*time.Minute))) + 2*time.Minute
	return g.now.Add(-back).Truncate(time.Second)
}

func (g *generator) sbrs(lo, hi float64) string {
	switch g.rng.IntN(12) {
	case 0:
		return "None"
	case 1:
		return "N/A"
	}
	return fmt.Sprintf("%.1f", lo+g.rng.Float64()*(hi-lo))
}

func (g *generator) ip() string {
	nets := []string{"192.0.2", "198.51.100", "203.0.113"}
	return fmt.Sprintf("%s.%d", g.pick(nets), 1+g.rng.IntN(254))
}

func (g *generator) subject(list []string) string {
	s := g.pick(list)
	if strings.Contains(s, "%d") {
		s = fmt.Sprintf(s, 1000+g.rng.IntN(9000))
	}
	return s
}

func (g *generator) recipients() []string {
	n := 1
	switch r := g.rng.IntN(10); {
	case r >= 9:
		n = 3 + g.rng.IntN(3)
	case r >= 7:
		n = 2
	}
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		a := g.pick(orgUsers) + "@" + g.pick(orgDomains)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func (g *generator) messageID(domain string) string {
	forms := []string{
		"<%d.%x@%s>",
		"<CAF+%x=%d/q$@mail.%s>",
		"<%x-%d@%s>",
	}
	return fmt.Sprintf(g.pick(forms), g.rng.Int64N(1e12), g.rng.Int64N(1e9), domain)
}

func (g *generator) attachment(names []string, disposition string) attachment {
	g.fileSerial++
	name := g.pick(names)
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%s/%d", g.seed, name, g.fileSerial))
	return attachment{
		Name: name, SHA256: hex.EncodeToString(sum[:]), MIME: mimeType(name),
		Size: 2000 + g.rng.IntN(400000), Disposition: disposition,
	}
}

func mimeType(name string) string {
	switch {
	case strings.HasSuffix(name, ".pdf"):
		return "application/pdf"
	case strings.HasSuffix(name, ".jpg"):
		return "image/jpeg"
	case strings.HasSuffix(name, ".zip"):
		return "application/zip"
	case strings.HasSuffix(name, ".exe"):
		return "application/x-dosexec"
	}
	return "application/vnd.openxmlformats-officedocument"
}

// rewrite returns the web security proxy form of a URL.
func (g *generator) rewrite(u string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	for range 43 {
		b.WriteByte(alphabet[g.rng.IntN(len(alphabet))])
	}
	return rewrittenURL(b.String(), u)
}

func rewrittenURL(token, original string) string {
	return "https://secure-web.cisco.com/" + token + "/" + url.QueryEscape(original)
}

func (g *generator) link(domain string, score float64) link {
	u := fmt.Sprintf("https://%s/%s?id=%d", domain, g.pick([]string{"login", "track", "docs/view", "promo"}), g.rng.IntN(100000))
	l := link{URL: u, Score: score}
	if score < 0 || g.rng.IntN(3) == 0 {
		l.Rewritten = g.rewrite(u)
	}
	return l
}

// background returns one ordinary message of a random kind.
func (g *generator) background() *record {
	domain := g.pick(externalDomains)
	r := &record{
		Appliance: g.rng.IntN(2), Time: g.time(), Direction: "incoming", Policy: "DEFAULT",
		Sender: g.pick(externalLocals) + "@" + domain, SenderDomain: domain, SenderIP: g.ip(),
		SenderGroup: "UNKNOWNLIST", ReplyTo: "N/A", Recipients: g.recipients(),
		Size: 2000 + g.rng.IntN(900000), Spam: "Negative", Virus: "CLEAN", Outbreak: "Negative",
	}
	r.HeaderFrom = r.Sender
	r.ReverseDNS = "mail." + domain
	r.MessageID = g.messageID(domain)
	if len(r.Recipients) > 1 && g.rng.IntN(4) == 0 {
		r.MIDs = make([]int64, len(r.Recipients))
	}
	g.applyKind(r)
	if g.rng.IntN(15) == 0 {
		r.SenderDomain = "N/A"
	}
	if r.Direction == "" || g.rng.IntN(6) == 0 {
		r.SenderGroup = "N/A"
	}
	return r
}

// applyKind sets the verdicts and final state of a background message.
func (g *generator) applyKind(r *record) {
	switch k := g.rng.IntN(100); {
	case k < 52:
		g.clean(r)
	case k < 60:
		g.clean(r)
		r.Graymail = g.pick([]string{"Marketing", "Bulk", "Social"})
	case k < 72:
		r.Spam, r.Status, r.SBRS = "Positive", statusSpam, g.sbrs(-5, 0)
		r.Subject = g.subject(spamSubjects)
	case k < 75:
		r.Virus, r.Status, r.SBRS = "VIRAL", statusVirus, g.sbrs(-4, 2)
		r.Subject = g.subject(virusSubjects)
		r.Attachments = []attachment{g.attachment([]string{"scan_0041.zip", "payload.exe"}, "MALICIOUS")}
		r.Attachments[0].Malware = "W32.Agent.Generic"
	case k < 78:
		r.Status, r.SBRS, r.Outbreak = statusMultiple, g.sbrs(-3, 3), "Threat Level 4"
		r.Subject = g.subject(virusSubjects)
		r.Attachments = []attachment{g.attachment([]string{"Remittance.xlsm", "Invoice_7731.docm"}, "MALICIOUS")}
		r.Attachments[0].Malware = "W97M.Downloader"
	case k < 81:
		r.Status, r.SBRS, r.Outbreak = statusOutbreak, g.sbrs(-2, 4), "Threat Level 3"
		r.Subject = g.subject(urlSubjects)
		r.Links = []link{g.link(r.SenderDomain, -4-g.rng.Float64()*2)}
	case k < 85:
		r.Status, r.SBRS = statusContent, g.sbrs(-3, 3)
		r.Subject = g.subject(urlSubjects)
		r.Links = []link{g.link(r.SenderDomain, -6-g.rng.Float64()*4)}
		r.Links[0].Category = "Phishing"
	case k < 95:
		g.outgoing(r)
	case k < 98:
		g.clean(r)
		r.Status, r.Delivered = "Hard Bounced", false
	default:
		g.clean(r)
		r.Status, r.Delivered, r.Direction = "Last State Not Available", false, ""
	}
	if r.FinalSubject == "" {
		r.FinalSubject = r.Subject
	}
	if r.Spam == "Positive" && g.rng.IntN(3) == 0 {
		r.FinalSubject = "[SPAM] " + r.Subject
	}
}

func (g *generator) clean(r *record) {
	r.Status, r.Delivered, r.SBRS = "Delivered", true, g.sbrs(0, 8)
	r.Subject = g.subject(cleanSubjects)
	if g.rng.IntN(5) == 0 {
		r.Attachments = []attachment{g.attachment([]string{"invoice.pdf", "photo.jpg", "report.docx"}, g.pick([]string{"CLEAN", "UNKNOWN", ""}))}
	}
	if g.rng.IntN(3) == 0 {
		r.Links = []link{g.link(r.SenderDomain, 1+g.rng.Float64()*7)}
	}
	if g.rng.IntN(10) == 0 {
		r.Spam = "Suspect"
		r.FinalSubject = "[SUSPECTED SPAM] " + r.Subject
	}
}

func (g *generator) outgoing(r *record) {
	g.clean(r)
	user := g.pick(orgUsers) + "@example.com"
	r.Direction, r.SenderGroup, r.Policy = "outgoing", "RELAYLIST", "OUTBOUND"
	r.Sender, r.HeaderFrom, r.SenderDomain = user, user, "example.com"
	r.SenderIP, r.SBRS, r.ReverseDNS = "192.0.2.25", "not enabled", "exchange.example.com"
	r.Recipients = []string{g.pick(externalLocals) + "@" + g.pick(externalDomains)}
	r.MIDs = nil
	r.MessageID = g.messageID("example.com")
}

// rejected returns a connection rejected by its SenderBase reputation.
func (g *generator) rejected() *record {
	return &record{
		Appliance: g.rng.IntN(2), Time: g.time(), Rejected: true, SenderIP: g.ip(),
		SenderGroup: "BLOCKLIST", SBRS: fmt.Sprintf("%.1f", -3-g.rng.Float64()*7), Status: "Rejected",
	}
}
