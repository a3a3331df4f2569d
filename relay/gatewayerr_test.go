package relay

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
)

const testGateway = "https://sma.example.com:6443"

func TestFromGatewayAuth(t *testing.T) {
	retryAt := time.Date(2024, 1, 1, 0, 10, 0, 0, time.UTC)
	cases := []struct {
		name    string
		err     *gateway.Error
		want    []string
		notWant []string
	}{
		{
			name: "gateway rejected login",
			err:  &gateway.Error{Kind: gateway.KindAuth, Gateway: testGateway, Status: 401, Message: "Invalid username or passphrase."},
			want: []string{testGateway, "Invalid username or passphrase.", "Check GATEWAY_USER and GATEWAY_PASSWORD."},
		},
		{
			name: "account paused for other passwords",
			err: &gateway.Error{Kind: gateway.KindAuth, Gateway: testGateway, RetryAt: retryAt,
				Message: "logins of user \"relay\" are paused until 2024-01-01T00:10:00Z. This password was not tried"},
			want:    []string{testGateway, "This password was not tried."},
			notWant: []string{"rejected the API account", "Check GATEWAY_USER and GATEWAY_PASSWORD"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := FromGateway(tc.err)
			require.Equal(t, Fatal, e.Type)
			require.Equal(t, CodeAuthorization, e.Code)
			for _, w := range tc.want {
				require.Contains(t, e.Message, w)
			}
			for _, w := range tc.notWant {
				require.NotContains(t, e.Message, w)
			}
		})
	}
}

func TestFromGatewayUnclassified(t *testing.T) {
	e := FromGateway(errors.New("boom"))
	require.Equal(t, CodeUnknown, e.Code)
	require.NotContains(t, e.Message, "boom")
}
