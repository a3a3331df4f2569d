package ctim

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// CTIM's string limits. CTIA counts them in UTF-16 code units, the length
// of a Java string, so a character outside the Basic Multilingual Plane
// counts twice.
const (
	ShortString = 1024 // title, reason
	MedString   = 2048 // source, short_description
	LongString  = 5000 // description
	MaxURI      = 2048
)

// CutMarker ends every string that was cut, so an analyst sees that text is
// missing. It is one UTF-16 code unit long.
const CutMarker = "…"

// UTF16Len returns the length of s in UTF-16 code units. An invalid UTF-8
// byte counts as one unit, as the U+FFFD that JSON encoding turns it into.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

// Cut returns s when it fits in limit UTF-16 code units; otherwise the
// longest prefix that fits together with CutMarker, followed by the marker.
// It never splits a character, so a surrogate pair stays whole.
func Cut(s string, limit int) string {
	if UTF16Len(s) <= limit {
		return s
	}
	budget := limit - UTF16Len(CutMarker)
	if budget <= 0 {
		return ""
	}

	used := 0
	end := 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		w := runeUnits(r)
		if used+w > budget {
			break
		}
		used += w
		end += size
	}
	return strings.ToValidUTF8(s[:end], "\uFFFD") + CutMarker
}

// runeUnits is the UTF-16 length of r as JSON encoding writes it.
func runeUnits(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

// URI returns s when CTIM accepts it as a URI, and "" otherwise: empty,
// longer than MaxURI code units, or holding white space, a control
// character or one of " < > \ ^ ` { | }. A URI is left out rather than cut,
// because a cut link points somewhere else.
func URI(s string) string {
	if s == "" || UTF16Len(s) > MaxURI || !utf8.ValidString(s) {
		return ""
	}
	if strings.ContainsFunc(s, forbiddenInURI) {
		return ""
	}
	return s
}

func forbiddenInURI(r rune) bool {
	if r <= 0x20 || r == 0x7f {
		return true
	}
	return strings.ContainsRune("\"<>\\^`{|}", r)
}
