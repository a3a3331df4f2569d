package observables

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalizers maps every supported type to its validation and normalisation.
// Each function receives the value with surrounding spaces trimmed and
// known to be valid UTF-8 and non-empty.
var normalizers = map[Type]func(string) (string, error){
	Email:     normalizeEmail,
	MessageID: normalizeMessageID,
	CiscoMID:  normalizeCiscoMID,
	Subject:   normalizeSubject,
	IP:        normalizeIP,
	IPv6:      normalizeIPv6,
	Domain:    normalizeDomain,
	URL:       normalizeURL,
	SHA256:    normalizeSHA256,
	FileName:  normalizeFileName,
}

// Supported reports whether the relay handles observables of type t.
func Supported(t Type) bool {
	_, ok := normalizers[t]
	return ok
}

// Normalize validates o and returns it in the one form the relay searches
// for and stores. The error is always an *InvalidError.
func Normalize(o Observable) (Observable, error) {
	normalize, ok := normalizers[o.Type]
	if !ok {
		return Observable{}, &InvalidError{
			Type:   o.Type,
			Reason: "the type is not supported; expected one of " + supportedList(),
		}
	}

	value := strings.TrimSpace(o.Value)
	if value == "" {
		return Observable{}, &InvalidError{Type: o.Type, Reason: "the value is empty"}
	}
	if !utf8.ValidString(value) {
		return Observable{}, reject(o.Type, value, "is not valid UTF-8", "UTF-8 text")
	}

	normalized, err := normalize(value)
	if err != nil {
		return Observable{}, err
	}
	return Observable{Type: o.Type, Value: normalized}, nil
}

func supportedList() string {
	return strings.Join([]string{
		string(Email), string(MessageID), string(CiscoMID), string(Subject), string(IP),
		string(IPv6), string(Domain), string(URL), string(SHA256), string(FileName),
	}, ", ")
}

// containsControl reports whether s contains a control character.
func containsControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// containsSpaceOrControl reports whether s contains white space or a control
// character.
func containsSpaceOrControl(s string) bool {
	// ASCII is checked byte by byte: there, white space and control
	// characters are exactly the bytes up to 0x20 and 0x7f. The rest of
	// s from its first other byte goes through the unicode tables.
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= utf8.RuneSelf {
			return strings.IndexFunc(s[i:], func(r rune) bool {
				return unicode.IsSpace(r) || unicode.IsControl(r)
			}) >= 0
		}
		if b <= ' ' || b == 0x7f {
			return true
		}
	}
	return false
}
