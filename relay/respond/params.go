package respond

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/securex-esa/relay/observables"
)

// Keys of an action's query-params besides observable_type and
// observable_value. Every action carries all three; block actions leave
// serial and mids empty.
const (
	ParamGateway = "gateway"
	ParamSerial  = "serial"
	ParamMIDs    = "mids"
)

// target is the one message on one appliance, or the one dictionary entry,
// that an action edits.
type target struct {
	Gateway string
	Serial  string
	MIDs    []int64
}

// queryParams builds the query-params of an offered action.
func queryParams(o observables.Observable, t target) map[string]string {
	return map[string]string{
		"observable_type":  string(o.Type),
		"observable_value": o.Value,
		ParamGateway:       t.Gateway,
		ParamSerial:        t.Serial,
		ParamMIDs:          formatMIDs(t.MIDs),
	}
}

func formatMIDs(mids []int64) string {
	parts := make([]string, len(mids))
	for i, m := range mids {
		parts[i] = strconv.FormatInt(m, 10)
	}
	return strings.Join(parts, ",")
}

// parseTarget reads the trigger's extra keys. The values come back from the
// client untrusted, so anything but exactly the three string keys fails.
func parseTarget(params map[string]json.RawMessage) (target, error) {
	var unknown []string
	for k := range params {
		if k != ParamGateway && k != ParamSerial && k != ParamMIDs {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return target{}, fmt.Errorf("unknown parameter %s; an action accepts only %s, %s and %s as offered",
			quoteList(unknown), ParamGateway, ParamSerial, ParamMIDs)
	}

	var t target
	var mids string
	for _, f := range []struct {
		key string
		dst *string
	}{{ParamGateway, &t.Gateway}, {ParamSerial, &t.Serial}, {ParamMIDs, &mids}} {
		v, err := stringParam(params, f.key)
		if err != nil {
			return target{}, err
		}
		*f.dst = v
	}

	parsed, err := parseMIDs(mids)
	if err != nil {
		return target{}, err
	}
	t.MIDs = parsed
	return t, nil
}

func stringParam(params map[string]json.RawMessage, key string) (string, error) {
	raw, ok := params[key]
	if !ok {
		return "", fmt.Errorf("missing parameter %q; send the action's query-params unchanged", key)
	}
	if strings.TrimSpace(string(raw)) == "null" {
		return "", fmt.Errorf("parameter %q is null; expected a string", key)
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("parameter %q is not a string", key)
	}
	if strings.ContainsFunc(v, isControl) {
		return "", fmt.Errorf("parameter %q contains a control character", key)
	}
	return v, nil
}

// parseMIDs reads "1,2,3": positive decimals in ascending order, as the
// relay offers them. Empty gives no MIDs.
func parseMIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	mids := make([]int64, 0, len(parts))
	for _, p := range parts {
		m, err := strconv.ParseInt(p, 10, 64)
		if err != nil || m <= 0 || strconv.FormatInt(m, 10) != p {
			return nil, fmt.Errorf("parameter %q is invalid: %q is not a positive decimal MID", ParamMIDs, clip(p))
		}
		if len(mids) > 0 && m <= mids[len(mids)-1] {
			return nil, fmt.Errorf("parameter %q is invalid: MIDs must be ascending without repeats", ParamMIDs)
		}
		mids = append(mids, m)
	}
	return mids, nil
}

func quoteList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(clip(k))
	}
	return strings.Join(q, ", ")
}

// clip shortens a client-supplied value before it goes into a message.
func clip(s string) string {
	const max = 64
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "..."
	}
	return s
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}
