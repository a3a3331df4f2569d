package sim

import (
	"net/url"
	"strconv"
	"strings"
)

// query is a parsed query string. The appliance decodes percent escapes but
// keeps "+" as a literal plus, unlike url.ParseQuery, so the raw query is
// split by hand.
type query map[string][]string

func parseQuery(raw string) query {
	q := query{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		q[unescape(k)] = append(q[unescape(k)], unescape(v))
	}
	return q
}

// unescape decodes percent escapes; a malformed escape is kept as sent.
func unescape(s string) string {
	out, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return out
}

func (q query) get(key string) string {
	if v := q[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ints parses every value of key as an integer, also splitting comma lists.
func (q query) ints(key string) ([]int64, bool) {
	var out []int64
	for _, v := range q[key] {
		for f := range strings.SplitSeq(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, false
			}
			out = append(out, n)
		}
	}
	return out, true
}

// intOr parses key as a non-negative integer, def when absent.
func (q query) intOr(key string, def int) (int, bool) {
	v := q.get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}
