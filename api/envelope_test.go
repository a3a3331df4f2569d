package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
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
			parts, err := encodeEnvelope(tc.data, tc.errs)
			require.NoError(t, err)
			got := bytes.Join(parts, nil)
			require.JSONEq(t, tc.want, string(got))
			require.True(t, json.Valid(got))
		})
	}
}

func TestLargeResponseHasContentLength(t *testing.T) {
	env := startEnv(t, testOptions())
	env.Services.Data = map[string]string{"padding": strings.Repeat("x", 20000)}

	req, err := http.NewRequest(http.MethodPost, env.URL+"/deliberate/observables", strings.NewReader(`[{"type":"ip","value":"192.0.2.1"}]`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+hs256(t, validClaims()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, int64(len(body)), resp.ContentLength)
	require.Empty(t, resp.TransferEncoding)
	require.JSONEq(t, `{"data":{"padding":"`+strings.Repeat("x", 20000)+`"}}`, string(body))
}
