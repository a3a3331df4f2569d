package api

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

func TestScanObservablesShapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []observables.Observable
		ok   bool
	}{
		{"plain", ` [ {"type":" IP ","value":"192.0.2.1"} , {"value":"a@example.com","type":"email"} ] `,
			[]observables.Observable{{Type: "ip", Value: "192.0.2.1"}, {Type: "email", Value: "a@example.com"}}, true},
		{"empty", `[]`, nil, true},
		{"escaped value", `[{"type":"url","value":"http:\/\/evil.example\/\u00e9"}]`,
			[]observables.Observable{{Type: "url", Value: "http://evil.example/é"}}, true},
		{"html escapes", `[{"type":"email_messageid","value":"\u003ca\u0026b@x.example\u003E"}]`,
			[]observables.Observable{{Type: "email_messageid", Value: "<a&b@x.example>"}}, true},
		{"simple escapes", `[{"type":"subject","value":"a\"b\\c\/d\be\ff\ng\rh\ti"}]`,
			[]observables.Observable{{Type: "subject", Value: "a\"b\\c/d\be\ff\ng\rh\ti"}}, true},
		{"surrogate pair", `[{"type":"subject","value":"\ud83d\ude00"}]`,
			[]observables.Observable{{Type: "subject", Value: "\U0001F600"}}, true},
		{"lone surrogate", `[{"type":"subject","value":"x\ud800"}]`,
			[]observables.Observable{{Type: "subject", Value: "x\uFFFD"}}, true},
		{"bad escape", `[{"type":"subject","value":"\x41"}]`, nil, false},
		{"short unicode escape", `[{"type":"subject","value":"\u00e"}]`, nil, false},
		{"extra string member", `[{"type":"ip","value":"192.0.2.1","note":"x"}]`,
			[]observables.Observable{{Type: "ip", Value: "192.0.2.1"}}, true},
		{"escaped key", `[{"\u0074ype":"ip","value":"192.0.2.1"}]`, nil, false},
		{"duplicate type", `[{"type":"ip","type":"email","value":"192.0.2.1"}]`, nil, false},
		{"extra number member", `[{"type":"ip","value":"192.0.2.1","n":1}]`, nil, false},
		{"blank value", `[{"type":"ip","value":" "}]`, nil, false},
		{"missing type", `[{"value":"192.0.2.1"}]`, nil, false},
		{"empty object", `[{}]`, nil, false},
		{"trailing comma", `[{"type":"ip","value":"192.0.2.1"},]`, nil, false},
		{"data after array", `[] []`, nil, false},
		{"control character", "[{\"type\":\"ip\",\"value\":\"a\tb\"}]", nil, false},
		{"cut short", `[{"type":"ip","value":"192.0.2.1`, nil, false},
		{"object", `{"type":"ip","value":"192.0.2.1"}`, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := scanObservables([]byte(tc.body))
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestDecodeErrorsUnchangedByFastPath(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"blank value", `[{"type":"ip","value":"1.1.1.1"},{"type":"ip","value":"  "}]`, `Element 1: field "value" may not be blank.`},
		{"duplicate key, last blank", `[{"type":"ip","value":"1.1.1.1","value":""}]`, `Element 0: field "value" may not be blank.`},
		{"missing type", `[{"value":"1.1.1.1"}]`, `Element 0: field "type" is missing.`},
		{"null value", `[{"type":"ip","value":null}]`, `Element 0: field "value" must be a string.`},
		{"trailing comma", `[{"type":"ip","value":"1.1.1.1"},]`, "The request body is not valid JSON (syntax error at byte 32)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeObservables([]byte(tc.body), 0)
			var re *relay.Error
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.want, re.Message)
		})
	}
}

// FuzzScanObservablesMatchesDecodeList checks that whatever the fast path
// accepts, the general decoder accepts with the same result.
func FuzzScanObservablesMatchesDecodeList(f *testing.F) {
	f.Add([]byte(`[{"type":"ip","value":"192.0.2.1"},{"type":"URL","value":"http:\/\/x.example"}]`))
	f.Add([]byte(`[{"type":"ip","value":"192.0.2.1","note":"\ud800"}]`))
	f.Add([]byte(`[{"type":"email_messageid","value":"\u003cA\u0026b\ud83d\ude00\n@x\u003e"}]`))
	corpus, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecodeObservables", "*"))
	for _, path := range corpus {
		if body, ok := readCorpusBytes(path); ok {
			f.Add(body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkText(body) != nil {
			return
		}
		fast, ok := scanObservables(body)
		if !ok {
			return
		}
		general, err := decodeList(body)
		require.NoError(t, err)
		require.Equal(t, general, fast)
	})
}

// readCorpusBytes reads the []byte of a one-value "go test fuzz v1" file.
func readCorpusBytes(path string) ([]byte, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	for _, line := range strings.Split(string(raw), "\n") {
		inner, found := strings.CutPrefix(strings.TrimSpace(line), "[]byte(")
		if !found {
			continue
		}
		body, err := strconv.Unquote(strings.TrimSuffix(inner, ")"))
		return []byte(body), err == nil
	}
	return nil, false
}
