package ctim

import "time"

// timeLayout is RFC 3339 with milliseconds; Format writes "Z" for UTC.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// CTIM accepts instants from 1970-01-01 up to (not including) 2525-01-01T00:01Z.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Date(2525, 1, 1, 0, 0, 0, 0, time.UTC)
)

// FormatTime writes t in UTC as RFC 3339 with milliseconds, for example
// "2024-05-01T10:00:00.000Z", clamped to the range CTIM accepts.
func FormatTime(t time.Time) string {
	t = t.UTC()
	if t.Before(minTime) {
		t = minTime
	}
	if t.After(maxTime) {
		t = maxTime
	}
	return t.Format(timeLayout)
}

// NewObservedTime builds an observed time from start to end; an end before
// start is raised to start, as CTIM requires.
func NewObservedTime(start, end time.Time) ObservedTime {
	if end.Before(start) {
		end = start
	}
	return ObservedTime{StartTime: FormatTime(start), EndTime: FormatTime(end)}
}

// NewValidTime builds a valid time from start for d.
func NewValidTime(start time.Time, d time.Duration) ValidTime {
	return ValidTime{StartTime: FormatTime(start), EndTime: FormatTime(start.Add(d))}
}
