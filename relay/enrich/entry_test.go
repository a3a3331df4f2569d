package enrich

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/ctim"
)

func TestCacheEntryRoundTrip(t *testing.T) {
	expires := time.Date(2025, 3, 21, 12, 0, 0, 0, time.UTC)
	v := ctim.Verdict{Type: "verdict", Disposition: ctim.Malicious, DispositionName: "Malicious",
		Observable: observables.Observable{Type: observables.SHA256, Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		ValidTime:  ctim.NewValidTime(expires.Add(-time.Hour), time.Hour)}
	encoded, err := json.Marshal(v)
	require.NoError(t, err)

	tests := []struct {
		name    string
		verdict json.RawMessage
	}{
		{"verdict", encoded},
		{"nothing found", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := decodeEntry(encodeEntry(expires, tc.verdict))
			require.NoError(t, err)
			require.True(t, expires.Equal(e.expires), "expires %s", e.expires)
			require.Equal(t, tc.verdict, e.verdict)
		})
	}

	e, err := decodeEntry(encodeEntry(expires, encoded))
	require.NoError(t, err)
	var back ctim.Verdict
	require.NoError(t, json.Unmarshal(e.verdict, &back))
	require.Equal(t, v, back)
}

func TestCacheEntryCorrupt(t *testing.T) {
	valid := encodeEntry(time.Unix(1700000000, 0), json.RawMessage(`{"type":"verdict"}`))
	tests := []struct {
		name string
		raw  []byte
	}{
		{"empty", []byte{}},
		{"header cut short", valid[:5]},
		{"unknown format", append([]byte{9}, valid[1:]...)},
		{"earlier JSON document", []byte(`{"verdict":{"type":"verdict"}}`)},
		{"verdict cut short", valid[:len(valid)-3]},
		{"verdict changed", append(append([]byte{}, valid[:entryHeaderSize]...), []byte(`{"type":"verdicT"}`)...)},
		{"checksum changed", append(append(append([]byte{}, valid[:9]...), 0, 0, 0, 0), valid[entryHeaderSize:]...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeEntry(tc.raw)
			require.ErrorIs(t, err, errCorruptEntry)
		})
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(time.Unix(1700000000, 0), json.RawMessage(`{"type":"verdict"}`)))
	f.Add(encodeEntry(time.Unix(1700000000, 0), nil))
	f.Add([]byte(`{"verdict":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := decodeEntry(raw)
		if err != nil {
			return
		}
		again, err := decodeEntry(encodeEntry(e.expires, e.verdict))
		if err != nil || !again.expires.Equal(e.expires) || string(again.verdict) != string(e.verdict) {
			t.Fatalf("entry %q does not survive a round trip: %v", raw, err)
		}
	})
}

func TestCacheKeysMatchCacheKey(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", maxKeyValue)
	cases := []struct {
		name    string
		targets []target
	}{
		{"none", nil},
		{"one", []target{{obs: observables.Observable{Type: observables.IP, Value: "192.0.2.1"}}}},
		{"mixed with a hashed value", []target{
			{obs: observables.Observable{Type: observables.MessageID, Value: "<a@b.example>"}},
			{obs: observables.Observable{Type: observables.URL, Value: long}},
			{obs: observables.Observable{Type: observables.SHA256, Value: strings.Repeat("f", 64)}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := cacheKeys("tenant", tc.targets)
			require.Len(t, keys, len(tc.targets))
			for i, tg := range tc.targets {
				require.Equal(t, cacheKey("tenant", tg), keys[i])
			}
		})
	}
}
