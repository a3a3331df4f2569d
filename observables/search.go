package observables

import "strings"

// SearchForms returns every value to search message tracking for. It takes
// the observable as the platform sent it, because normalising a URL
// rewritten by Cisco's web security proxy keeps only the original. The
// normalised value comes first, followed by each rewritten form that was
// given. An invalid observable gives nil.
func SearchForms(o Observable) []string {
	normalized, err := Normalize(o)
	if err != nil {
		return nil
	}
	forms := []string{normalized.Value}
	if o.Type != URL {
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
