package observables

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxExcerptRunes bounds how much of a rejected value an error repeats, so a
// huge or hostile value cannot flood logs or responses.
const maxExcerptRunes = 40

// InvalidError reports an observable value that cannot be searched for.
type InvalidError struct {
	// Type is the observable type the value was given as.
	Type Type
	// Reason says what is wrong with the value and what a valid one looks
	// like. It quotes at most a short, escaped excerpt of the value.
	Reason string
}

// Error names the type and the reason.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid %s observable: %s", e.Type, e.Reason)
}

// reject builds an InvalidError for value, stating the problem and an
// example of a valid value.
func reject(t Type, value, problem, expected string) *InvalidError {
	return &InvalidError{
		Type:   t,
		Reason: fmt.Sprintf("value %s %s; expected %s", excerpt(value), problem, expected),
	}
}

// excerpt quotes the start of s with control characters and invalid UTF-8
// escaped, marking a cut with "...".
func excerpt(s string) string {
	cut := false
	if utf8.RuneCountInString(s) > maxExcerptRunes {
		runes := 0
		for i := range s {
			if runes == maxExcerptRunes {
				s = s[:i]
				break
			}
			runes++
		}
		cut = true
	}

	quoted := strconv.QuoteToGraphic(s)
	if cut {
		return quoted + "..."
	}
	return quoted
}
