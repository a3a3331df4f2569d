package respond

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
)

func TestSealConfigRoundTrip(t *testing.T) {
	s := New(Options{StateKey: []byte("state key of at least thirty-two bytes")})
	cfg := gateway.Config{BaseURL: "https://sma.example.com", API: gateway.SMA, User: "api", Password: "s3cret-pass", CAPEM: "pem"}

	sealed, err := s.sealConfig(cfg, "job-1")
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, []byte("s3cret-pass")))

	got, err := s.openConfig(sealed, "job-1")
	require.NoError(t, err)
	require.Equal(t, cfg, got)

	_, err = s.openConfig(sealed, "job-2")
	require.ErrorIs(t, err, errUnseal, "a sealed set moved to another job does not open")

	other := New(Options{StateKey: []byte("another state key, also long enough")})
	_, err = other.openConfig(sealed, "job-1")
	require.ErrorIs(t, err, errUnseal)
}

func TestParseMIDs(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  []int64
		valid bool
	}{
		{"one", "42", []int64{42}, true},
		{"ascending", "1,2,30", []int64{1, 2, 30}, true},
		{"empty", "", nil, true},
		{"descending", "2,1", nil, false},
		{"repeat", "2,2", nil, false},
		{"space", "1, 2", nil, false},
		{"zero", "0", nil, false},
		{"negative", "-1", nil, false},
		{"leading zero", "01", nil, false},
		{"plus sign", "+1", nil, false},
		{"trailing comma", "1,", nil, false},
		{"overflow", "99999999999999999999", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMIDs(tc.in)
			if !tc.valid {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseTargetRejectsNonStrings(t *testing.T) {
	cases := []struct {
		name   string
		params string
	}{
		{"number", `{"gateway":"https://a","serial":"S","mids":1}`},
		{"null", `{"gateway":null,"serial":"S","mids":"1"}`},
		{"object", `{"gateway":{},"serial":"S","mids":"1"}`},
		{"missing", `{"serial":"S","mids":"1"}`},
		{"unknown", `{"gateway":"https://a","serial":"S","mids":"1","x":"y"}`},
		{"control character", `{"gateway":"https://a","serial":"S\n","mids":"1"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var params map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tc.params), &params))
			_, err := parseTarget(params)
			require.Error(t, err)
		})
	}
}

func TestBatchNameDeterministic(t *testing.T) {
	tg := target{Gateway: "https://sma.example.com", Serial: "S1", MIDs: []int64{1, 2}}
	k1 := triggerKey("tenant", ActionRemediateDelete, tg, "")
	k2 := triggerKey("tenant", ActionRemediateDelete, tg, "")
	require.Equal(t, k1, k2)
	require.Equal(t, batchName(k1), batchName(k2))
	require.NotEqual(t, k1, triggerKey("tenant", ActionRemediateForward, tg, ""))
	require.NotEqual(t, k1, triggerKey("other", ActionRemediateDelete, tg, ""))
	require.Regexp(t, `^relay:\{tenant\}:trigger:[0-9a-f]{32}$`, k1)
}

func TestEscapeControl(t *testing.T) {
	require.Equal(t, `a\nb\x1b[31m`, escapeControl("a\nb\x1b[31m"))
	require.Equal(t, "plain é", escapeControl("plain é"))
}
