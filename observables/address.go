package observables

import (
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// Limits RFC 5321 puts on an address: 64 bytes before the @, and 254 in
// all, because a path of at most 256 bytes includes the angle brackets.
const (
	maxLocalPartBytes = 64
	maxEmailBytes     = 254
)

// domainProfile maps a domain the way a resolver looks it up (UTS 46: case
// folding, width mapping, punycode) and enforces the DNS label and length
// limits.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
)

const (
	expectedDomain = "a domain name such as example.com or bücher.example"
	expectedEmail  = "an address such as user@example.com"
)

func normalizeDomain(value string) (string, error) {
	domain, problem := domainToASCII(value)
	if problem != "" {
		return "", reject(Domain, value, problem, expectedDomain)
	}
	return domain, nil
}

// domainToASCII lower-cases a domain, converts its internationalised labels
// to punycode and drops the trailing dot of a fully qualified name. It
// returns a description of the problem when the value is no domain name.
func domainToASCII(value string) (string, string) {
	if containsSpaceOrControl(value) {
		return "", "contains white space or a control character"
	}

	ascii, err := domainProfile.ToASCII(value)
	if err != nil {
		// The idna error quotes the offending label, so it is not passed on.
		return "", "is not a valid domain name (labels of 1 to 63 letters, digits or " +
			"hyphens, not starting or ending with a hyphen, 253 characters in all)"
	}

	ascii = strings.TrimSuffix(ascii, ".")
	labels := strings.Split(ascii, ".")
	if slices.Contains(labels, "") {
		return "", "has an empty label"
	}
	if isNumeric(labels[len(labels)-1]) {
		return "", "looks like an IP address (its last label is numeric); use the ip type"
	}
	return ascii, ""
}

func normalizeEmail(value string) (string, error) {
	if len(value) > maxEmailBytes {
		return "", reject(Email, value, "is longer than 254 bytes", expectedEmail)
	}
	if containsSpaceOrControl(value) {
		return "", reject(Email, value, "contains white space or a control character", expectedEmail)
	}
	if strings.Count(value, "@") != 1 {
		return "", reject(Email, value, "must contain exactly one @", expectedEmail)
	}

	local, domain, _ := strings.Cut(value, "@")
	if local == "" {
		return "", reject(Email, value, "has nothing before the @", expectedEmail)
	}
	if domain == "" {
		return "", reject(Email, value, "has nothing after the @", expectedEmail)
	}
	if len(local) > maxLocalPartBytes {
		return "", reject(Email, value, "has more than 64 bytes before the @", expectedEmail)
	}
	if strings.ContainsAny(local, `<>()[],;:"\`) {
		return "", reject(Email, value, `contains one of <>()[],;:"\ before the @`, expectedEmail)
	}

	asciiDomain, problem := domainToASCII(domain)
	if problem != "" {
		return "", reject(Email, value, "has a domain that "+problem, expectedEmail)
	}
	return strings.ToLower(local) + "@" + asciiDomain, nil
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
