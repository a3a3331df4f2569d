package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/securex-esa/relay/observables"
)

// scanObservables decodes the plain shape platforms send: an array of
// objects whose members are all strings, with "type" and "value" once each
// and not blank. It reads the bytes once, without reflection, and takes
// about an eighth of the time of the general decoder on 100 observables
// (BenchmarkDecodeObservables100). For any other input it returns false
// and DecodeObservables falls back to the general decoder, which also
// writes the error messages, so both paths give the same result. The body
// must already be valid UTF-8.
func scanObservables(body []byte) ([]observables.Observable, bool) {
	s := scanner{buf: body}
	s.skipSpace()
	if !s.consume('[') {
		return nil, false
	}
	var out []observables.Observable
	s.skipSpace()
	if !s.consume(']') {
		for {
			o, ok := s.object()
			if !ok {
				return nil, false
			}
			out = append(out, o)

			s.skipSpace()
			if s.consume(']') {
				break
			}
			if !s.consume(',') {
				return nil, false
			}
			s.skipSpace()
		}
	}
	s.skipSpace()
	return out, s.pos == len(s.buf)
}

// scanner reads JSON tokens from buf, starting at pos.
type scanner struct {
	buf []byte
	pos int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// consume reads c if it is the next byte.
func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.buf) && s.buf[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// object reads one observable object; see scanObservables for the shape.
func (s *scanner) object() (observables.Observable, bool) {
	if !s.consume('{') {
		return observables.Observable{}, false
	}
	var typ, value string
	var hasType, hasValue bool
	s.skipSpace()
	for {
		key, ok := s.key()
		if !ok {
			return observables.Observable{}, false
		}
		val, ok := s.str()
		if !ok {
			return observables.Observable{}, false
		}
		switch key {
		case "type":
			if hasType {
				return observables.Observable{}, false
			}
			typ, hasType = val, true
		case "value":
			if hasValue {
				return observables.Observable{}, false
			}
			value, hasValue = val, true
		}

		s.skipSpace()
		if s.consume('}') {
			break
		}
		if !s.consume(',') {
			return observables.Observable{}, false
		}
		s.skipSpace()
	}
	if !hasType || !hasValue || strings.TrimSpace(typ) == "" || strings.TrimSpace(value) == "" {
		return observables.Observable{}, false
	}
	return observables.Observable{Type: observables.Type(strings.ToLower(strings.TrimSpace(typ))), Value: value}, true
}

// key reads an object key and its colon. A key with an escape is left to
// the general decoder, because "\u0074ype" is "type" there.
func (s *scanner) key() (string, bool) {
	start := s.pos
	k, ok := s.str()
	if !ok || bytes.IndexByte(s.buf[start:s.pos], '\\') >= 0 {
		return "", false
	}
	s.skipSpace()
	if !s.consume(':') {
		return "", false
	}
	s.skipSpace()
	return k, true
}

// str reads a JSON string. One without escapes is copied as it is.
func (s *scanner) str() (string, bool) {
	if !s.consume('"') {
		return "", false
	}
	start := s.pos
	escaped := false
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			raw := s.buf[start : s.pos-1]
			if !escaped {
				return string(raw), true
			}
			return unescape(raw)
		case c == '\\':
			escaped = true
			s.pos += 2
		case c < 0x20:
			return "", false
		default:
			s.pos++
		}
	}
	return "", false
}

// unescape decodes the escapes of a JSON string's contents. encoding/json
// escapes <, > and & as \u003c, \u003e and \u0026 by default, so request
// bodies often carry them. A surrogate escape goes to encoding/json, which
// pairs surrogates and replaces lone ones.
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				return unescapeGeneral(raw)
			}
			out = utf8.AppendRune(out, r)
			i += 4
		default:
			return "", false
		}
	}
	return string(out), true
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescapeGeneral decodes a JSON string's contents with encoding/json.
func unescapeGeneral(raw []byte) (string, bool) {
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var out string
	if json.Unmarshal(quoted, &out) != nil {
		return "", false
	}
	return out, true
}
