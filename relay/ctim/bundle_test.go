package ctim_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay/ctim"
	"github.com/securex-esa/relay/relay/ctim/ctimtest"
)

func TestVerdictsDataEncodedVerdicts(t *testing.T) {
	v := ctim.NewVerdict(sampleJudgement())
	raw, err := json.Marshal(v)
	require.NoError(t, err)

	want, err := json.Marshal(struct {
		Verdicts ctim.Bucket[ctim.Verdict] `json:"verdicts"`
	}{ctim.Bucket[ctim.Verdict]{Count: 2, Docs: []ctim.Verdict{v, v}}})
	require.NoError(t, err)

	tests := []struct {
		name string
		data ctim.VerdictsData
	}{
		{"structs", ctim.VerdictsData{Verdicts: []ctim.Verdict{v, v}}},
		{"encoded", ctim.VerdictsData{Encoded: []json.RawMessage{raw, raw}}},
		{"both", ctim.VerdictsData{Verdicts: []ctim.Verdict{v}, Encoded: []json.RawMessage{raw}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.data)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got))
			ctimtest.Validate(t, "DeliberateResponse", []byte(`{"data":`+string(got)+`}`))
		})
	}
}
