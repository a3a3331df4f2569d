package enrich

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// trackingPath is the message tracking page of the appliance's web
// interface; the links carry the same parameters as the API search.
// NOTE: the page path is not documented publicly; the query parameters
// follow the message tracking API, which the web interface also uses.
const trackingPath = "/ng-ui/message-tracking/messages"

// ReferLink is one pivot link of a refer response.
type ReferLink struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Categories  []string `json:"categories"`
	URL         string   `json:"url"`
}

// Refer returns links into the message tracking search of each gateway's
// web interface for every observable. It makes no gateway call.
func (s *Service) Refer(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	targets, warnings := prepare(obs)
	b := s.newBuilder(s.newCall(m))
	links := []ReferLink{}
	for _, t := range targets {
		for _, base := range b.uiBases() {
			links = append(links, b.referLinks(base, t.obs)...)
		}
	}
	return links, warnings
}

// referLinks builds the links of one observable on one web interface: an
// email address gets one as sender and one as recipient.
func (b *builder) referLinks(base string, o observables.Observable) []ReferLink {
	roles := []string{""}
	if o.Type == observables.Email {
		roles = []string{"sender", "recipient"}
	}
	host := hostOf(base)
	var out []ReferLink
	for _, role := range roles {
		u := b.referURL(base, o, role)
		if u == "" {
			continue
		}
		what := typeLabel(o.Type)
		if role != "" {
			what += " as " + role
		}
		id := "ref-esa-tracking-" + string(o.Type)
		if role != "" {
			id += "-" + role
		}
		id += "-" + url.QueryEscape(host) + "-" + url.QueryEscape(o.Value)
		out = append(out, ReferLink{
			ID:          id,
			Title:       "Search messages by this " + what,
			Description: "Search message tracking on " + host + " for messages with this " + what,
			Categories:  []string{"Search", "Cisco Secure Email"},
			URL:         u,
		})
	}
	return out
}

// referURL builds a message tracking search link for o within the
// request's window; "" when the type has no search.
func (b *builder) referURL(base string, o observables.Observable, role string) string {
	var q query
	b.addDates(&q)
	q.add("searchOption", "messages")
	v := o.Value
	switch o.Type {
	case observables.Email:
		key := "envelopeSender"
		if role == "recipient" {
			key = "envelopeRecipient"
		}
		q.add(key+"filterOperator", "is")
		q.add(key+"filterValue", v)
	case observables.Domain:
		q.add("domainNameOperator", "is")
		q.add("domainNameValue", v)
	case observables.IP, observables.IPv6:
		q.add("senderIp", v)
	case observables.URL:
		q.add("webInteractionTrackingUrls", v)
	case observables.SHA256:
		q.add("fileSha256", v)
	case observables.FileName:
		q.add("attachmentNameOperator", "is")
		q.add("attachmentNameValue", v)
	case observables.MessageID:
		q.add("messageIdHeader", v)
	case observables.CiscoMID:
		q.add("ciscoMid", v)
	case observables.Subject:
		q.add("subjectfilterOperator", "is")
		q.add("subjectfilterValue", v)
	default:
		return ""
	}
	return base + trackingPath + "?" + q.String()
}

// messageURL links to the tracking search of one message by its MID on
// its appliance.
func (b *builder) messageURL(base, serial string, mid int64) string {
	var q query
	b.addDates(&q)
	q.add("searchOption", "messages")
	q.add("ciscoMid", strconv.FormatInt(mid, 10))
	if serial != "" {
		q.add("serialNumber", serial)
	}
	return base + trackingPath + "?" + q.String()
}

// addDates appends the request's window in the one form the appliance
// accepts: whole minutes, start floored and end rounded up.
func (b *builder) addDates(q *query) {
	const layout = "2006-01-02T15:04:00.000Z"
	q.addRaw("startDate", b.win.start.UTC().Truncate(time.Minute).Format(layout))
	q.addRaw("endDate", b.win.end.UTC().Truncate(time.Minute).Add(time.Minute).Format(layout))
}

// query builds a query string whose values are percent-encoded with %20
// for a space: the appliance reads "+" as a literal plus.
type query struct {
	b strings.Builder
}

func (q *query) add(key, value string) {
	q.addRaw(key, strings.ReplaceAll(url.QueryEscape(value), "+", "%20"))
}

// addRaw appends a value that is already safe, such as a date whose
// colons the appliance reads raw.
func (q *query) addRaw(key, value string) {
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	q.b.WriteString(key)
	q.b.WriteByte('=')
	q.b.WriteString(value)
}

func (q *query) String() string { return q.b.String() }

// uiBase is the web interface of the first gateway: GATEWAY_UI_URL, or
// the first gateway's host over HTTPS.
func (b *builder) uiBase() string {
	if b.module.UIURL != "" {
		return strings.TrimRight(b.module.UIURL, "/")
	}
	if len(b.module.Gateways) > 0 {
		return "https://" + hostOf(b.module.Gateways[0].BaseURL)
	}
	return ""
}

// uiBases lists a web interface per gateway: the first is uiBase, each
// other gateway with another host gets its host over HTTPS.
func (b *builder) uiBases() []string {
	first := b.uiBase()
	if first == "" {
		return nil
	}
	out := []string{first}
	seen := map[string]bool{strings.ToLower(hostOf(first)): true}
	for i, g := range b.module.Gateways {
		h := hostOf(g.BaseURL)
		if i == 0 || h == "" || seen[strings.ToLower(h)] {
			continue
		}
		seen[strings.ToLower(h)] = true
		out = append(out, "https://"+h)
	}
	return out
}

// uiBaseFor is the web interface of the gateway a message came through.
func (b *builder) uiBaseFor(gatewayURL string) string {
	if len(b.module.Gateways) > 0 && gatewayURL == b.module.Gateways[0].BaseURL {
		return b.uiBase()
	}
	if h := hostOf(gatewayURL); h != "" {
		return "https://" + h
	}
	return b.uiBase()
}

// hostOf returns the host of a URL without its port, an IPv6 address in
// brackets so that it can follow "https://".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	h := u.Hostname()
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

func typeLabel(t observables.Type) string {
	switch t {
	case observables.Email:
		return "email address"
	case observables.MessageID:
		return "Message-ID"
	case observables.CiscoMID:
		return "MID"
	case observables.Subject:
		return "subject"
	case observables.IP, observables.IPv6:
		return "sender IP"
	case observables.Domain:
		return "sender domain"
	case observables.URL:
		return "clicked URL"
	case observables.SHA256:
		return "attachment SHA-256"
	case observables.FileName:
		return "attachment name"
	}
	return string(t)
}
