package observables

import (
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/htmlindex"
)

const (
	expectedMessageID = "a Message-ID such as <abc.123@mail.example.com>, with or without the angle brackets"
	expectedMID       = "a positive decimal integer such as 1234"
	// maxMessageIDBytes is the line length limit of RFC 5322, which no
	// header, Message-ID included, may exceed.
	maxMessageIDBytes = 998
	// maxSubjectBytes bounds the subject the relay searches for, so an
	// oversized value never reaches the gateway as one query string. It
	// leaves room for a long subject written as RFC 2047 encoded words.
	maxSubjectBytes = 2048
	// maxSubjectDecodings bounds how often a subject whose encoded words
	// decode to further encoded words is decoded again.
	maxSubjectDecodings = 4
)

func normalizeMessageID(value string) (string, error) {
	hasOpen := strings.HasPrefix(value, "<")
	hasClose := strings.HasSuffix(value, ">")
	if hasOpen != hasClose || (hasOpen && len(value) == 1) {
		return "", reject(MessageID, value, "has unbalanced angle brackets", expectedMessageID)
	}

	inner := value
	if hasOpen {
		inner = value[1 : len(value)-1]
	}
	switch {
	case inner == "":
		return "", reject(MessageID, value, "is empty inside the angle brackets", expectedMessageID)
	case containsSpaceOrControl(inner):
		return "", reject(MessageID, value, "contains white space or a control character", expectedMessageID)
	case strings.ContainsAny(inner, "<>"):
		return "", reject(MessageID, value, "contains an angle bracket inside the Message-ID", expectedMessageID)
	case len(inner)+2 > maxMessageIDBytes:
		return "", reject(MessageID, value, "is longer than 998 bytes", expectedMessageID)
	}
	if hasOpen {
		return value, nil
	}
	return "<" + inner + ">", nil
}

func normalizeCiscoMID(value string) (string, error) {
	if !isNumeric(value) {
		return "", reject(CiscoMID, value, "is not made of decimal digits only", expectedMID)
	}

	mid, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return "", reject(CiscoMID, value, "is larger than a 64-bit MID", expectedMID)
	}
	if mid == 0 {
		return "", reject(CiscoMID, value, "is zero", expectedMID)
	}
	return strconv.FormatInt(mid, 10), nil
}

// subjectDecoder decodes RFC 2047 encoded words. Charsets that the standard
// library does not know (iso-8859-x other than 1, windows-125x and others)
// are looked up in the WHATWG encoding index.
var subjectDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(charset)
		if err != nil {
			return nil, fmt.Errorf("unknown charset %q: %w", charset, err)
		}
		return enc.NewDecoder().Reader(input), nil
	},
}

// normalizeSubject decodes encoded words and collapses white space. A
// subject with an unknown charset or a malformed encoded word is kept as
// text, because the gateway may still have tracked it that way. A subject is
// decoded again while its decoded text still holds encoded words, so the
// result is stable under a second normalisation.
func normalizeSubject(value string) (string, error) {
	if len(value) > maxSubjectBytes {
		return "", reject(Subject, value, "is longer than 2048 bytes", "the text of a subject line")
	}
	current := cleanSubject(value)
	for range maxSubjectDecodings {
		decoded, err := subjectDecoder.DecodeHeader(current)
		if err != nil {
			return current, nil
		}

		next := cleanSubject(decoded)
		if next == current {
			if current == "" {
				break
			}
			return current, nil
		}
		current = next
	}

	if current == "" {
		return "", reject(Subject, value, "is empty once decoded", "the text of a subject line")
	}
	return "", reject(Subject, value, "holds encoded words nested more than 4 levels deep",
		"a subject line, plain or with RFC 2047 encoded words such as =?utf-8?q?Hello?=")
}

// cleanSubject replaces invalid UTF-8 and control characters and collapses
// runs of white space into one space.
func cleanSubject(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
