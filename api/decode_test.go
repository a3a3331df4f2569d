package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
)

func TestDecodeSkipsLeadingBOM(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	want := []observables.Observable{{Type: observables.IP, Value: "192.0.2.1"}}
	cases := []struct {
		name string
		body string
	}{
		{"compact", bom + `[{"type":"ip","value":"192.0.2.1"}]`},
		{"spaced", bom + ` [ {"value":"192.0.2.1", "type":"IP"} ] `},
		{"escaped value", bom + `[{"type":"ip","value":"192.0.2.\u0031"}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, warnings, err := DecodeObservables([]byte(tc.body), 10)
			require.NoError(t, err)
			require.Empty(t, warnings)
			require.Equal(t, want, got)
		})
	}
}

func TestDecodeTriggerSkipsLeadingBOM(t *testing.T) {
	body := "\xef\xbb\xbf" + `{"action-id":"esa-remediate-delete","observable_type":"email_messageid","observable_value":"<a@b>"}`

	req, err := DecodeTrigger([]byte(body))
	require.NoError(t, err)
	require.Equal(t, "esa-remediate-delete", req.ActionID)
	require.Equal(t, "<a@b>", req.ObservableValue)
}

func TestDecodeRejectsBOMOnlyAndSecondBOM(t *testing.T) {
	cases := []struct {
		name string
		body string
		want string
	}{
		{"bom only", "\xef\xbb\xbf", "empty"},
		{"two boms", "\xef\xbb\xbf\xef\xbb\xbf[]", "not a JSON array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeObservables([]byte(tc.body), 10)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
