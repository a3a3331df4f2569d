package ctim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/ctim"
	"github.com/securex-esa/relay/relay/ctim/ctimtest"
)

func TestCutCountsUTF16Units(t *testing.T) {
	emoji := "\U0001F600" // two UTF-16 code units
	cases := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{name: "fits", in: "abc", limit: 3, want: "abc"},
		{name: "ascii cut", in: "abcdef", limit: 4, want: "abc…"},
		{name: "pair fits exactly", in: "a" + emoji, limit: 3, want: "a" + emoji},
		{name: "pair over limit counts two", in: emoji + emoji, limit: 3, want: emoji + "…"},
		{name: "pair never split", in: "a" + emoji + "b", limit: 3, want: "a…"},
		{name: "multibyte bmp counts one", in: "ééééé", limit: 5, want: "ééééé"},
		{name: "multibyte bmp cut", in: "éééééé", limit: 5, want: "éééé…"},
		{name: "invalid utf8 repaired", in: "ab\xffcdef", limit: 4, want: "ab\uFFFD…"},
		{name: "limit of marker", in: "abc", limit: 1, want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ctim.Cut(tc.in, tc.limit)
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, ctim.UTF16Len(got), tc.limit)
		})
	}
}

func TestURILeftOutNotCut(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "https://esa.example/x?a=1", want: "https://esa.example/x?a=1"},
		{name: "empty", in: "", want: ""},
		{name: "space", in: "https://esa.example/a b", want: ""},
		{name: "brace", in: "https://esa.example/{x}", want: ""},
		{name: "at limit", in: "https://e/" + strings.Repeat("a", 2038), want: "https://e/" + strings.Repeat("a", 2038)},
		{name: "over limit", in: "https://e/" + strings.Repeat("a", 2039), want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ctim.URI(tc.in))
		})
	}
}

func TestFormatTimeMillisecondsUTC(t *testing.T) {
	zone := time.FixedZone("x", -5*3600)
	cases := []struct {
		name string
		in   time.Time
		want string
	}{
		{name: "utc", in: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), want: "2024-05-01T10:00:00.000Z"},
		{name: "offset converted", in: time.Date(2024, 5, 1, 10, 0, 0, 123456789, zone), want: "2024-05-01T15:00:00.123Z"},
		{name: "before 1970 clamped", in: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), want: "1970-01-01T00:00:00.000Z"},
		{name: "zero clamped", in: time.Time{}, want: "1970-01-01T00:00:00.000Z"},
		{name: "after 2525 clamped", in: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), want: "2525-01-01T00:00:00.000Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ctim.FormatTime(tc.in))
		})
	}
}

func TestObservedTimeEndNeverBeforeStart(t *testing.T) {
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ot := ctim.NewObservedTime(start, start.Add(-time.Hour))
	require.Equal(t, ot.StartTime, ot.EndTime)
}

func TestJudgementIDStable(t *testing.T) {
	o := observables.Observable{Type: observables.SHA256, Value: strings.Repeat("a", 64)}
	first := ctim.JudgementID("tenant-a", o, "AMP")
	require.Equal(t, first, ctim.JudgementID("tenant-a", o, "AMP"))
	require.True(t, strings.HasPrefix(first, "transient:judgement-"))
	require.NotEqual(t, first, ctim.JudgementID("tenant-b", o, "AMP"))
	require.NotEqual(t, first, ctim.JudgementID("tenant-a", o, "Anti-Virus"))
	require.NotEqual(t, ctim.StableID("x", "ab", "c"), ctim.StableID("x", "a", "bc"))
}

func TestBundleOmitsEmptyBuckets(t *testing.T) {
	data, err := json.Marshal(ctim.Bundle{})
	require.NoError(t, err)
	require.JSONEq(t, `{}`, string(data))
	ctimtest.Validate(t, "ObserveResponse", []byte(`{"data":`+string(data)+`}`))

	v := ctim.NewVerdict(sampleJudgement())
	data, err = json.Marshal(ctim.Bundle{Verdicts: []ctim.Verdict{v}})
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &raw))
	require.Len(t, raw, 1)
	require.Contains(t, raw, "verdicts")

	var back ctim.Bundle
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, []ctim.Verdict{v}, back.Verdicts)

	deliberate, err := json.Marshal(ctim.VerdictsData{})
	require.NoError(t, err)
	require.JSONEq(t, `{}`, string(deliberate))
}

func TestEntitiesValidate(t *testing.T) {
	j := sampleJudgement()
	s := sampleSighting()
	bundle := ctim.Bundle{
		Sightings:  []ctim.Sighting{s},
		Judgements: []ctim.Judgement{j},
		Verdicts:   []ctim.Verdict{ctim.NewVerdict(j)},
		Indicators: []ctim.Indicator{{
			ID: ctim.TransientID("indicator"), Type: "indicator", SchemaVersion: ctim.SchemaVersion,
			Producer: "Cisco Secure Email", ValidTime: ctim.ValidTime{},
		}},
		Relationships: []ctim.Relationship{{
			ID: ctim.TransientID("relationship"), Type: "relationship", SchemaVersion: ctim.SchemaVersion,
			RelationshipType: "sighting-of", SourceRef: s.ID, TargetRef: ctim.TransientID("indicator"),
		}},
	}
	for name, v := range map[string]any{"sighting": s, "judgement": j, "verdict": ctim.NewVerdict(j)} {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		ctimtest.Validate(t, name, data)
	}
	data, err := json.Marshal(map[string]any{"data": bundle})
	require.NoError(t, err)
	ctimtest.Validate(t, "ObserveResponse", data)
}

func TestCutTitleValidates(t *testing.T) {
	s := sampleSighting()
	s.Title = ctim.Cut(strings.Repeat("\U0001F600", 600), ctim.ShortString)
	require.Equal(t, ctim.ShortString, ctim.UTF16Len(s.Title)+1) // 511 pairs and the marker
	data, err := json.Marshal(s)
	require.NoError(t, err)
	ctimtest.Validate(t, "sighting", data)
}

func TestSchemaExamples(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "schemas", "examples", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(path)
			require.NoError(t, err)
			bare := strings.TrimPrefix(strings.TrimPrefix(name, "valid-"), "invalid-")
			def := strings.SplitN(bare, "-", 2)[0]
			if strings.HasPrefix(bare, "observe-response") {
				def = "ObserveResponse"
			}
			schema, err := ctimtest.Schema(def)
			require.NoError(t, err)
			inst, err := jsonschemaUnmarshal(doc)
			require.NoError(t, err)
			if strings.HasPrefix(name, "valid-") {
				require.NoError(t, schema.Validate(inst))
			} else {
				require.Error(t, schema.Validate(inst))
			}
		})
	}
}

func TestSchemaUnknownName(t *testing.T) {
	_, err := ctimtest.Schema("incident")
	require.ErrorContains(t, err, "unknown schema")
}

func sampleJudgement() ctim.Judgement {
	o := observables.Observable{Type: observables.URL, Value: "http://evil.example/pay"}
	return ctim.Judgement{
		ID: ctim.JudgementID("t", o, "URL reputation"), Type: "judgement", SchemaVersion: ctim.SchemaVersion,
		Source: "Cisco Secure Email", Observable: o, Disposition: ctim.Malicious,
		DispositionName: ctim.Malicious.Name(), Priority: 85, Confidence: ctim.LevelHigh,
		Severity: ctim.LevelHigh, Reason: "URL reputation rated it malicious",
		ValidTime: ctim.NewValidTime(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), 7*24*time.Hour),
	}
}

func sampleSighting() ctim.Sighting {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	mid := observables.Observable{Type: observables.CiscoMID, Value: "1234"}
	return ctim.Sighting{
		ID: ctim.TransientID("sighting"), Type: "sighting", SchemaVersion: ctim.SchemaVersion,
		Source: "Cisco Secure Email", Confidence: ctim.LevelHigh, Count: 1, Internal: true,
		Sensor: "process.email-service", ObservedTime: ctim.NewObservedTime(at, at),
		Observables: []ctim.Observable{mid},
		Targets: []ctim.Target{{
			Type:         "process.email-service",
			Observables:  []ctim.Observable{{Type: "hostname", Value: "esa1.example"}},
			ObservedTime: ctim.NewObservedTime(at, at),
		}},
		Relations: []ctim.Relation{{
			Origin: "Cisco Secure Email", Relation: "Sent_By", Source: mid,
			Related: ctim.Observable{Type: observables.Email, Value: "a@evil.example"},
		}},
		Data: &ctim.DataTable{
			Columns:  []ctim.Column{{Name: "subject", Type: "string"}},
			Rows:     [][]any{{"hello"}},
			RowCount: 1,
		},
	}
}
