package enrich_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/ctim"
)

// simRecord is the part of a simulator message this file reads.
type simRecord struct {
	Story     string    `json:"story"`
	Appliance int       `json:"appliance"`
	MessageID string    `json:"messageId"`
	Status    string    `json:"status"`
	Time      time.Time `json:"time"`
	Rejected  bool      `json:"rejected"`
}

// threatMessageID returns the Message-ID of a recent message of the
// appliance at index app that anti-virus dropped or outbreak filters
// quarantined.
func threatMessageID(t *testing.T, e *env, app int) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, e.sim.WriteData(&buf))
	var file struct {
		Messages []simRecord `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &file))
	for _, m := range file.Messages {
		status := strings.ToLower(m.Status)
		threat := strings.Contains(status, "anti-virus") || strings.Contains(status, "outbreak")
		recent := m.Time.After(testNow.Add(-20 * 24 * time.Hour))
		if m.Story == "" && !m.Rejected && m.Appliance == app && threat && recent && m.MessageID != "" {
			return m.MessageID
		}
	}
	require.FailNow(t, "no threat message", "appliance %d has no recent threat message", app)
	return ""
}

func TestMessageIDVerdictOnBothFormats(t *testing.T) {
	tests := []struct {
		name      string
		appliance int
	}{
		{"esa1 current format", 0},
		{"esa2 12.x format", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			id := threatMessageID(t, e, tc.appliance)
			m := e.module(simPassword)

			verdicts, errs := e.deliberate(t, m, obs(observables.MessageID, id))
			require.Empty(t, errs)
			require.Len(t, verdicts, 1)
			require.Equal(t, ctim.Malicious, verdicts[0].Disposition)
			require.Equal(t, id, verdicts[0].Observable.Value)

			b, errs := e.observe(t, m, obs(observables.MessageID, id))
			require.Empty(t, errs)
			require.Len(t, b.Verdicts, 1)
			require.Equal(t, ctim.Malicious, b.Verdicts[0].Disposition)
		})
	}
}

func TestMessageIDDeliberateDetailsOnlyFor12x(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.module(simPassword)
	e.sim.ResetRequests()

	_, errs := e.deliberate(t, m, obs(observables.MessageID, threatMessageID(t, e, 0)))
	require.Empty(t, errs)
	require.Zero(t, e.sim.Count("message-tracking/details"), "esa1 search items carry the Message-ID")

	_, errs = e.deliberate(t, m, obs(observables.MessageID, threatMessageID(t, e, 1)))
	require.Empty(t, errs)
	require.Equal(t, 1, e.sim.Count("message-tracking/details"), "esa2 needs midHeader from the details")
}
