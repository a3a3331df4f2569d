package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay/respond"
	"github.com/securex-esa/relay/relay/store"
	"github.com/securex-esa/relay/relay/store/storetest"
)

// auditStateKey is the RELAY_STATE_KEY of the relay under test.
const auditStateKey = "audit-test-state-key-0123456789abcdef"

// auditRun runs `relay audit` in process against redisURL.
func auditRun(t *testing.T, redisURL string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := environment{Stdout: &out, Stderr: &errOut, Getenv: envOf("RELAY_REDIS_URL", redisURL)}
	code := run(t.Context(), append([]string{"audit"}, args...), env)
	return code, out.String(), errOut.String()
}

func TestAuditListsTriggerFromRedis(t *testing.T) {
	redis := storetest.StartRedis(t)
	e := e2eStart(t, e2eOptions{settings: []string{
		"RELAY_REDIS_URL", redis.URL(), "RELAY_STATE_KEY", auditStateKey,
	}})
	token := e.token()
	st := e.sim.Stories()
	action := e2eFind(t, e.actions(token, e2ePhishingMessage(st)), "esa-remediate-delete")
	raw := e.trigger(token, action)
	require.JSONEq(t, `{"data":{"status":"success"}}`, string(raw))

	code, table, errOut := auditRun(t, redis.URL())
	jsonCode, lines, jsonErr := auditRun(t, redis.URL(), "-json", "-n", "10")

	require.Equal(t, 0, code, errOut)
	require.Contains(t, table, "TIME")
	require.Contains(t, table, "esa-remediate-delete")
	require.Contains(t, table, "success")
	require.Contains(t, table, "email_messageid:"+st.Phishing.MessageID)
	require.Contains(t, table, st.Phishing.Serial)
	require.Contains(t, table, e2eLastMID(st.Phishing.MIDs))
	require.Equal(t, 0, jsonCode, jsonErr)
	entries := auditDecodeLines(t, lines)
	done := auditFind(t, entries, respond.OutcomeSuccess)
	require.Equal(t, "esa-remediate-delete", done.Action)
	require.Equal(t, st.Phishing.MessageID, done.ObservableValue)
	require.Equal(t, st.Phishing.Serial, done.Serial)
	require.Equal(t, st.Phishing.MIDs, done.MIDs)
	require.ElementsMatch(t, st.Phishing.Recipients, done.Recipients)
	require.NotEmpty(t, done.Batch)
	require.Contains(t, table, done.Batch)
	require.WithinDuration(t, time.Now(), done.Time, time.Minute)
	e.requireNoSecret("audit table", table)
	e.requireNoSecret("audit JSON", lines)
}

func TestAuditEscapesControlCharacters(t *testing.T) {
	redis := storetest.StartRedis(t)
	st, err := store.OpenRedis(redis.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	entry := respond.AuditEntry{
		Time: time.Now(), Outcome: "refused", Code: "invalid argument", Action: "esa-remediate-delete",
		ObservableType: "email_messageid", ObservableValue: "<a\nfake\tline\u202e@evil.example>",
		Recipients: []string{"x\x1b[31m@example.com"},
	}
	raw, err := json.Marshal(entry)
	require.NoError(t, err)
	require.NoError(t, st.Append(t.Context(), respond.AuditStream, raw, 100, time.Hour))

	code, table, errOut := auditRun(t, redis.URL())
	jsonCode, lines, _ := auditRun(t, redis.URL(), "-json")

	require.Equal(t, 0, code, errOut)
	require.Len(t, strings.Split(strings.TrimRight(table, "\n"), "\n"), 2, table)
	require.Contains(t, table, `<a\nfake\tline\u202e@evil.example>`)
	require.Contains(t, table, "refused (invalid argument)")
	require.NotContains(t, table, "\x1b")
	require.Equal(t, 0, jsonCode)
	decoded := auditDecodeLines(t, lines)
	require.Len(t, decoded, 1)
	require.Equal(t, `<a\nfake\tline\u202e@evil.example>`, decoded[0].ObservableValue)
	require.Equal(t, []string{`x\x1b[31m@example.com`}, decoded[0].Recipients)
}

func TestAuditRejections(t *testing.T) {
	cases := []struct {
		name     string
		redisURL string
		args     []string
		wantCode int
		want     string
	}{
		{"no redis", "", nil, 1, "RELAY_REDIS_URL is not set"},
		{"unreachable redis", "unix:///nonexistent/relay-audit-test.sock", nil, 1, "reading the audit stream"},
		{"invalid redis url", "ftp://127.0.0.1:1", nil, 1, "RELAY_REDIS_URL"},
		{"zero entries", "redis://127.0.0.1:1", []string{"-n", "0"}, 2, "invalid -n 0"},
		{"unknown flag", "redis://127.0.0.1:1", []string{"-since", "1h"}, 2, "flag provided but not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := auditRun(t, tc.redisURL, tc.args...)

			require.Equal(t, tc.wantCode, code)
			require.Contains(t, errOut, tc.want)
			require.Empty(t, out)
		})
	}
}

func TestAuditEmptyStream(t *testing.T) {
	redis := storetest.StartRedis(t)

	code, out, errOut := auditRun(t, redis.URL())

	require.Equal(t, 0, code, errOut)
	require.Equal(t, "No audit entries.\n", out)
}

func auditDecodeLines(t *testing.T, text string) []respond.AuditEntry {
	t.Helper()
	var entries []respond.AuditEntry
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var e respond.AuditEntry
		require.NoError(t, json.Unmarshal([]byte(line), &e), "line "+strconv.Itoa(i+1)+": "+line)
		entries = append(entries, e)
	}
	return entries
}

func auditFind(t *testing.T, entries []respond.AuditEntry, outcome string) respond.AuditEntry {
	t.Helper()
	for _, e := range entries {
		if e.Outcome == outcome {
			return e
		}
	}
	t.Fatalf("no %q entry among %d entries", outcome, len(entries))
	return respond.AuditEntry{}
}

func TestAuditTableOutcomesAndResults(t *testing.T) {
	redis := storetest.StartRedis(t)
	st, err := store.OpenRedis(redis.URL(), store.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	many := make([]respond.RecipientResult, 12)
	for i := range many {
		many[i] = respond.RecipientResult{MID: 7, Recipient: "user" + strconv.Itoa(i) + "@example.com", Status: "Success"}
	}
	entries := []respond.AuditEntry{
		{Time: time.Now(), Outcome: respond.OutcomeAlready, Code: "already requested", Action: "esa-remediate-delete",
			Message: "This action was already requested at 2026-03-02T10:00:00Z"},
		{Time: time.Now(), Outcome: respond.OutcomeResult, Action: "esa-remediate-delete", Batch: "securex-1",
			Results: []respond.RecipientResult{
				{MID: 7, Recipient: "alice@example.com", Status: "Success"},
				{MID: 7, Recipient: "carol@branch.example.net", Status: "Failed"},
			}},
		{Time: time.Now(), Outcome: respond.OutcomeResult, Action: "esa-remediate-delete", Batch: "securex-2", Results: many},
	}
	for _, e := range entries {
		raw, err := json.Marshal(e)
		require.NoError(t, err)
		require.NoError(t, st.Append(t.Context(), respond.AuditStream, raw, 100, time.Hour))
	}

	code, table, errOut := auditRun(t, redis.URL())

	require.Equal(t, 0, code, errOut)
	require.Contains(t, table, "DETAIL")
	require.NotContains(t, table, "already requested (already requested)")
	require.Contains(t, table, "already requested at 2026-03-02T10:00:00Z")
	require.Contains(t, table, "alice@example.com: Success, carol@branch.example.net: Failed")
	require.Contains(t, table, "user0@example.com: Success")
	require.NotContains(t, table, "user11@example.com", "a long result row is cut")
	require.Regexp(t, `, … \(\d+ more\)`, table)
	for _, line := range strings.Split(strings.TrimRight(table, "\n"), "\n") {
		if strings.Contains(line, "securex-2") {
			detail := line[strings.Index(line, "user0@"):]
			require.LessOrEqual(t, len([]rune(detail)), 120, "the detail column stays within its width")
		}
	}
}
