package gateway

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// The AsyncOS API changes a field's JSON type between releases (a MID list
// or a single MID, a status map or a plain string, numbers sent as
// strings). The flex types below decode every form seen and never fail on
// an unexpected one, so one odd field cannot drop a whole message.

// absent reports whether an appliance value means "no value".
func absent(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || strings.EqualFold(s, "N/A") || strings.EqualFold(s, "None") ||
		strings.EqualFold(s, "null")
}

// clean returns s trimmed, or "" when it is one of the absent markers.
func clean(s string) string {
	if absent(s) {
		return ""
	}
	return strings.TrimSpace(s)
}

// flexString decodes a string, a number or a boolean as text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	*f = flexString(scalarText(b))
	return nil
}

// scalarText returns the text of a JSON string, number or boolean, and ""
// for anything else.
func scalarText(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return ""
		}
		return s
	case '{', '[', 'n':
		return ""
	default:
		return string(b)
	}
}

// flexStrings decodes a list of scalars or a single scalar. Absent markers
// are dropped.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if json.Unmarshal(b, &list) != nil {
		list = []json.RawMessage{b}
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		if s := clean(scalarText(item)); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	*f = out
	return nil
}

// flexInt decodes a number or a numeric string; anything else is zero.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	n, _ := parseInt(scalarText(b))
	*f = flexInt(n)
	return nil
}

func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && x == float64(int64(x)) {
		return int64(x), true
	}
	return 0, false
}

// flexInts decodes a list of MIDs (numbers or numeric strings) or a single
// one. "N/A" and other non-numbers are dropped, so a not-found answer
// decodes as an empty list.
type flexInts []int64

func (f *flexInts) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if json.Unmarshal(b, &list) != nil {
		list = []json.RawMessage{b}
	}
	var out []int64
	for _, item := range list {
		if n, ok := parseInt(scalarText(item)); ok {
			out = append(out, n)
		}
	}
	*f = out
	return nil
}

// sortedUnique returns the MIDs in ascending order without repeats.
func sortedUnique(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	out := append([]int64(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 1
	for _, id := range out[1:] {
		if id != out[n-1] {
			out[n] = id
			n++
		}
	}
	return out[:n]
}

// perMID decodes a map keyed by MID as a string ("315": "Delivered"), or a
// plain string that older releases send in its place.
type perMID struct {
	byMID map[int64]string
	plain string
}

func (p *perMID) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		p.plain = clean(scalarText(b))
		return nil
	}
	for k, v := range m {
		id, ok := parseInt(k)
		s := clean(scalarText(v))
		if !ok || s == "" {
			continue
		}
		if p.byMID == nil {
			p.byMID = map[int64]string{}
		}
		p.byMID[id] = s
	}
	return nil
}

// resolve returns the per-MID map, filling the plain form in under the
// final MID, and the value of the final MID (or of the highest MID present).
func (p perMID) resolve(mids []int64) (map[int64]string, string) {
	if p.plain != "" {
		if len(mids) == 0 {
			return nil, p.plain
		}
		return map[int64]string{mids[len(mids)-1]: p.plain}, p.plain
	}
	if len(p.byMID) == 0 {
		return nil, ""
	}
	if len(mids) > 0 {
		if v, ok := p.byMID[mids[len(mids)-1]]; ok {
			return p.byMID, v
		}
	}
	var best int64
	first := true
	for id := range p.byMID {
		if first || id > best {
			best, first = id, false
		}
	}
	return p.byMID, p.byMID[best]
}

// perMIDList decodes a map from MID string to a list of addresses.
type perMIDList map[int64][]string

func (p *perMIDList) UnmarshalJSON(b []byte) error {
	var m map[string]flexStrings
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := perMIDList{}
	for k, v := range m {
		if id, ok := parseInt(k); ok && len(v) > 0 {
			out[id] = v
		}
	}
	if len(out) > 0 {
		*p = out
	}
	return nil
}

// flexBool decodes true, "true", "True", 1 and "1" as true.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(scalarText(b))
	*f = flexBool(s == "true" || s == "1" || s == "yes")
	return nil
}
