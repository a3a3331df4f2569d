package api

import (
	"bytes"
	"encoding/json"
	"strings"

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

// str reads a JSON string. One without escapes is copied as it is;
// encoding/json decodes one with escapes.
func (s *scanner) str() (string, bool) {
	if !s.consume('"') {
		return "", false
	}
	start := s.pos - 1
	escaped := false
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !escaped {
				return string(s.buf[start+1 : s.pos-1]), true
			}
			var out string
			if json.Unmarshal(s.buf[start:s.pos], &out) != nil {
				return "", false
			}
			return out, true
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
