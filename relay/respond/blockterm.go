package respond

import (
	"regexp"
	"strings"
)

// blockTerm is the target one dictionary term blocks, as the relay reads it.
type blockTerm struct {
	// term is the dictionary term exactly as stored, which a removal must
	// name.
	term string
	// domain is set for a term that blocks a domain, sender for one that
	// blocks an address; value is the domain or address.
	domain bool
	value  string
	// exact marks the relay's own anchored forms, whose matches are exactly
	// those described in the package documentation.
	exact bool
}

// Prefixes and suffix of the relay's own term forms.
const (
	senderTermStart = "^"
	domainTermStart = "[@.]"
	termEnd         = "$"
)

// senderTerm builds the term that matches exactly the envelope sender
// address and no other.
func senderTerm(address string) string {
	return senderTermStart + regexp.QuoteMeta(address) + termEnd
}

// domainTerm builds the term that matches envelope senders whose domain is
// domain or one of its subdomains: the domain must end the address and
// follow its "@" or a ".".
func domainTerm(domain string) string {
	return domainTermStart + regexp.QuoteMeta(domain) + termEnd
}

// parseBlockTerm reads a dictionary term. It recognises the relay's
// anchored forms, and a literal address or domain that an administrator or
// an older relay wrote: an optional "^", an optional "@" before a domain,
// the address or domain with its metacharacters escaped or with bare dots,
// and an optional "$". It reports false for any other regular expression.
func parseBlockTerm(term string) (blockTerm, bool) {
	if body, ok := cutAround(term, senderTermStart, termEnd); ok {
		if v, ok := quotedLiteral(body); ok && isAddress(v) {
			return blockTerm{term: term, value: v, exact: true}, true
		}
	}
	if body, ok := cutAround(term, domainTermStart, termEnd); ok {
		if v, ok := quotedLiteral(body); ok && isDomain(v) {
			return blockTerm{term: term, domain: true, value: v, exact: true}, true
		}
	}

	body := strings.TrimSuffix(strings.TrimPrefix(term, "^"), "$")
	v, ok := handLiteral(body)
	if !ok {
		return blockTerm{}, false
	}
	if rest, ok := strings.CutPrefix(v, "@"); ok && isDomain(rest) {
		return blockTerm{term: term, domain: true, value: rest}, true
	}
	switch {
	case isAddress(v):
		return blockTerm{term: term, value: v}, true
	case isDomain(v):
		return blockTerm{term: term, domain: true, value: v}, true
	}
	return blockTerm{}, false
}

func cutAround(s, prefix, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, suffix)
}

// quotedLiteral undoes regexp.QuoteMeta, and reports false unless body is
// exactly what QuoteMeta gives for the result.
func quotedLiteral(body string) (string, bool) {
	v, ok := handLiteral(body)
	if !ok || regexp.QuoteMeta(v) != body {
		return "", false
	}
	return v, true
}

// handLiteral reads a term body as literal text: a backslash escapes the
// metacharacter after it, and a bare "." stands for itself, as
// administrators write addresses. Any other metacharacter, or an escape
// such as `\d`, makes it no literal.
func handLiteral(body string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		ch := body[i]
		switch {
		case ch == '\\':
			if i+1 == len(body) || !strings.ContainsRune(regexMeta, rune(body[i+1])) {
				return "", false
			}
			i++
			b.WriteByte(body[i])
		case ch == '.':
			b.WriteByte(ch)
		case strings.ContainsRune(regexMeta, rune(ch)):
			return "", false
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), b.Len() > 0
}

// regexMeta lists the characters regexp.QuoteMeta escapes.
const regexMeta = `\.+*?()|[]{}^$`

func isAddress(v string) bool {
	at := strings.LastIndexByte(v, '@')
	return at > 0 && isDomain(v[at+1:])
}

func isDomain(v string) bool {
	return v != "" && !strings.ContainsAny(v, "@ ") && !strings.HasPrefix(v, ".") && !strings.HasSuffix(v, ".")
}

// blocks reports whether t blocks the observable value, of a domain when
// domain is set and of an address otherwise. Letter case counts only when
// the dictionary does not ignore it.
func (t blockTerm) blocks(domain bool, value string, ignoreCase bool) bool {
	if t.domain != domain {
		return false
	}
	if ignoreCase {
		return strings.EqualFold(t.value, value)
	}
	return t.value == value
}

// findBlockTerm returns the first term of terms that blocks the value.
func findBlockTerm(terms []string, domain bool, value string, ignoreCase bool) (blockTerm, bool) {
	for _, raw := range terms {
		if t, ok := parseBlockTerm(raw); ok && t.blocks(domain, value, ignoreCase) {
			return t, true
		}
	}
	return blockTerm{}, false
}

// underDomain reports whether d is parent or one of its subdomains.
func underDomain(d, parent string) bool {
	return d == parent || strings.HasSuffix(d, "."+parent)
}
