package observables

import (
	"strings"

	"golang.org/x/net/idna"
)

// SearchForms returns every value to search message tracking for. It takes
// the observable as the platform sent it, because normalising a URL
// rewritten by Cisco's web security proxy keeps only the original. The
// normalised value comes first, followed by each rewritten form that was
// given, or for an address or domain with an internationalised domain, its
// Unicode spelling. An invalid observable gives nil.
func SearchForms(o Observable) []string {
	normalized, err := Normalize(o)
	if err != nil {
		return nil
	}
	forms := []string{normalized.Value}
	switch o.Type {
	case Email, Domain:
		return append(forms, unicodeForms(normalized)...)
	case URL:
	default:
		return forms
	}

	value := strings.TrimSpace(o.Value)
	for {
		original, ok := Rewritten(value)
		if !ok {
			return forms
		}
		if rewritten, err := canonicalURL(value); err == nil {
			forms = append(forms, rewritten)
		}
		value = original
	}
}

// unicodeForms returns the Unicode spelling of an internationalised domain
// in an address or domain, because an appliance records the envelope sender
// of an SMTPUTF8 message in Unicode and message tracking compares text, so
// the punycode form alone would miss it.
func unicodeForms(o Observable) []string {
	local, domain := "", o.Value
	if o.Type == Email {
		at := strings.LastIndexByte(o.Value, '@')
		local, domain = o.Value[:at+1], o.Value[at+1:]
	}
	if !strings.Contains(domain, "xn--") {
		return nil
	}
	unicode, err := idna.ToUnicode(domain)
	if err != nil || unicode == domain {
		return nil
	}
	return []string{local + unicode}
}
