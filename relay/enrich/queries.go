package enrich

import (
	"strconv"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
)

// queries maps an observable to its message tracking searches within w,
// each capped at limit messages.
func queries(t target, w window, limit int) []gateway.Query {
	base := gateway.Query{Start: w.start, End: w.end, Limit: limit}
	is := func(v string) *gateway.Match { return &gateway.Match{Op: gateway.Is, Value: v} }

	var out []gateway.Query
	add := func(edit func(q *gateway.Query)) {
		q := base
		edit(&q)
		out = append(out, q)
	}
	v := t.obs.Value
	switch t.obs.Type {
	case observables.Email:
		for _, form := range formsOr(t, v) {
			add(func(q *gateway.Query) { q.Sender = is(form) })
			add(func(q *gateway.Query) { q.Recipient = is(form) })
		}
	case observables.Domain:
		for _, form := range formsOr(t, v) {
			add(func(q *gateway.Query) { q.SenderDomain = is(form) })
		}
	case observables.IP, observables.IPv6:
		add(func(q *gateway.Query) { q.SenderIP = v })
		add(func(q *gateway.Query) { q.SenderIP = v; q.RejectedConnections = true })
	case observables.URL:
		for _, form := range t.forms {
			add(func(q *gateway.Query) { q.ClickedURL = form })
		}
	case observables.SHA256:
		add(func(q *gateway.Query) { q.SHA256 = v })
	case observables.FileName:
		add(func(q *gateway.Query) { q.AttachmentName = is(v) })
	case observables.MessageID:
		add(func(q *gateway.Query) { q.MessageID = v })
	case observables.CiscoMID:
		if mid, err := strconv.ParseInt(v, 10, 64); err == nil {
			add(func(q *gateway.Query) { q.CiscoMID = mid })
		}
	case observables.Subject:
		add(func(q *gateway.Query) { q.Subject = is(v) })
	}
	return out
}

// formsOr returns the target's search forms, or the value alone before
// they were filled in.
func formsOr(t target, value string) []string {
	if len(t.forms) == 0 {
		return []string{value}
	}
	return t.forms
}

// needsDetails reports whether a verdict on the type depends on the
// detail calls: AMP dispositions and URL ratings are only there.
func needsDetails(t observables.Type) bool {
	return t == observables.SHA256 || t == observables.URL
}

// judged reports whether the type can get a judgement at all; the others
// get sightings only.
func judged(t observables.Type) bool {
	switch t {
	case observables.SHA256, observables.URL, observables.MessageID, observables.Email,
		observables.Domain, observables.IP, observables.IPv6:
		return true
	}
	return false
}
