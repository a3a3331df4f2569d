package observables

import (
	"net/url"
	"strings"
)

// rewriteHost is the host of Cisco's web security proxy, which rewrites a
// link in a message to https://secure-web.cisco.com/<token>/<original>, the
// original URL percent-encoded into one path segment.
const rewriteHost = "secure-web.cisco.com"

const expectedURL = "an absolute http or https URL such as https://www.example.com/path"

// maxURLBytes bounds the URL the relay searches for, so an oversized value
// never reaches the gateway as one query string. Common web servers reject
// request lines near this length (Apache httpd's default limit is 8190
// bytes), so longer links rarely work anyway.
const maxURLBytes = 8192

// normalizeURL decodes proxy-rewritten URLs to their original and returns an
// absolute http or https URL with its scheme and host in lower case.
func normalizeURL(value string) (string, error) {
	if len(value) > maxURLBytes {
		return "", reject(URL, value, "is longer than 8192 bytes", expectedURL)
	}
	for {
		original, ok := Rewritten(value)
		if !ok {
			break
		}
		value = original
	}
	return canonicalURL(value)
}

// canonicalURL checks that value is an absolute http or https URL with a
// host and lower-cases its scheme and host.
func canonicalURL(value string) (string, error) {
	if containsSpaceOrControl(value) {
		return "", reject(URL, value, "contains white space or a control character", expectedURL)
	}

	u, err := url.Parse(value)
	if err != nil {
		return "", reject(URL, value, "cannot be parsed as a URL", expectedURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", reject(URL, value, "is not an http or https URL", expectedURL)
	}
	if u.Host == "" || u.Opaque != "" {
		return "", reject(URL, value, "has no host", expectedURL)
	}

	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// Rewritten decodes a URL rewritten by Cisco's web security proxy,
// https://secure-web.cisco.com/<token>/<percent-encoded original>, and
// reports whether raw was such a URL with an http or https original.
// The original is returned as found, not normalised.
func Rewritten(raw string) (original string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	if !strings.EqualFold(u.Host, rewriteHost) {
		return "", false
	}

	token, encoded, found := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if !found || token == "" || encoded == "" {
		return "", false
	}

	original, err = url.PathUnescape(encoded)
	if err != nil {
		return "", false
	}
	scheme, _, _ := strings.Cut(original, ":")
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	return original, true
}
