package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay"
)

type selfEncoded struct{}

func (selfEncoded) MarshalJSON() ([]byte, error) {
	return []byte(`{"verdicts":{"count":0,"docs":[]}}`), nil
}

type pointerEncoded struct{ N int }

func (p *pointerEncoded) MarshalJSON() ([]byte, error) { return json.Marshal(p.N) }

func TestEncodeEnvelopeShapes(t *testing.T) {
	warn := relay.NewWarning("w", "warned")
	var nilPointer *pointerEncoded
	cases := []struct {
		name string
		data any
		errs []*relay.Error
		want string
	}{
		{"data only", map[string]int{"a": 1}, nil, `{"data":{"a":1}}`},
		{"errors only", nil, []*relay.Error{warn}, `{"errors":[{"type":"warning","code":"w","message":"warned"}]}`},
		{"data and errors", []int{}, []*relay.Error{warn}, `{"data":[],"errors":[{"type":"warning","code":"w","message":"warned"}]}`},
		{"self encoded value", selfEncoded{}, nil, `{"data":{"verdicts":{"count":0,"docs":[]}}}`},
		{"self encoded pointer", &pointerEncoded{N: 3}, nil, `{"data":3}`},
		{"nil self encoded pointer", nilPointer, nil, `{"data":null}`},
		{"neither", nil, nil, `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeEnvelope(tc.data, tc.errs)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
			require.True(t, json.Valid(got))
		})
	}
}
