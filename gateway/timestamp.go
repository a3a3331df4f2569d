package gateway

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// applianceTime matches the appliance's rendered timestamps, written in its
// configured zone: "26 Apr 2018 18:34:13 (GMT)", "(GMT +01:00)",
// "(GMT-06:00)", "(GMT -05:30)". Quarantine dates omit the seconds.
var applianceTime = regexp.MustCompile(
	`^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?\s*` +
		`\(\s*(?:GMT|UTC)\s*(?:([+-])\s*(\d{1,2}):?(\d{2}))?\s*\)$`)

// parseApplianceTime converts an appliance timestamp to UTC. It returns
// false for any text it does not recognise, "N/A" included.
func parseApplianceTime(s string) (time.Time, bool) {
	m := applianceTime.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, false
	}
	sec := m[6]
	if sec == "" {
		sec = "00"
	}
	text := fmt.Sprintf("%02s %s %s %02s:%s:%s", m[1], m[2], m[3], m[4], m[5], sec)
	t, err := time.Parse("02 Jan 2006 15:04:05", text)
	if err != nil {
		return time.Time{}, false
	}
	if m[7] != "" {
		hours, _ := strconv.Atoi(m[8])
		minutes, _ := strconv.Atoi(m[9])
		offset := time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute
		if m[7] == "-" {
			offset = -offset
		}
		// The rendered clock is ahead of UTC by the offset.
		t = t.Add(-offset)
	}
	return t.UTC(), true
}

// apiTimeLayout is the only date form message tracking accepts: seconds
// and milliseconds must be zero.
const apiTimeLayout = "2006-01-02T15:04:00.000Z"

// floorMinute truncates t to its minute in UTC.
func floorMinute(t time.Time) time.Time {
	return t.UTC().Truncate(time.Minute)
}

// ceilMinute rounds t up to the next whole minute in UTC.
func ceilMinute(t time.Time) time.Time {
	f := floorMinute(t)
	if f.Equal(t) {
		return f
	}
	return f.Add(time.Minute)
}

// epochTime converts epoch seconds (number or numeric string) to UTC; zero
// or absent values give the zero time.
func epochTime(s string) time.Time {
	n, ok := parseInt(s)
	if !ok || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
