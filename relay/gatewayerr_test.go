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

func TestFromGatewayNextStep(t *testing.T) {
	retryAt := time.Date(2024, 1, 1, 0, 0, 30, 0, time.UTC)
	cases := []struct {
		name string
		err  *gateway.Error
		code string
		want string
	}{
		{"permission", &gateway.Error{Kind: gateway.KindPermission, Status: 403, Message: "the API account lacks the privilege for this call"},
			CodePermission, "Grant it to the account's user role on the gateway"},
		{"permission names the privilege", &gateway.Error{Kind: gateway.KindPermission, Status: 403,
			Op: "message-tracking/amp-details", Message: "the API account lacks the privilege for this call"},
			CodePermission, "lacks the privilege e_message_tracking_amp_details for message-tracking/amp-details"},
		{"permission names a dictionary privilege", &gateway.Error{Kind: gateway.KindPermission, Status: 403,
			Op: "config/dictionaries", Message: "the API account lacks the privilege for this call"},
			CodePermission, "lacks the privilege e_config_dictionaries for config/dictionaries"},
		{"permission without a known privilege", &gateway.Error{Kind: gateway.KindPermission, Status: 403,
			Op: "quarantine/messages", Message: "the API account lacks the privilege for this call"},
			CodePermission, "lacks the privilege for quarantine/messages on the gateway"},
		{"rate limited", &gateway.Error{Kind: gateway.KindRateLimited, Status: 429},
			CodeTooManyRequests, "Try again later, or send fewer observables at once."},
		{"internal error", &gateway.Error{Kind: gateway.KindInternal, Status: 500, Op: "message-tracking/messages"},
			CodeInternal, "reported an internal error on message-tracking/messages. Try again; if it persists, check the appliance's API service and its logs."},
		{"unexpected status", &gateway.Error{Kind: gateway.KindInternal, Status: 501, Op: "login"},
			CodeInternal, "returned unexpected HTTP status 501 for login. Check that GATEWAY_URL points at the appliance's AsyncOS API."},
		{"unavailable", &gateway.Error{Kind: gateway.KindUnavailable, Status: 503},
			CodeServiceUnavailable, "Try again later; if it persists, check that the appliance's API service is running."},
		{"breaker open", &gateway.Error{Kind: gateway.KindUnavailable, RetryAt: retryAt},
			CodeServiceUnavailable, "calls to it are paused until 2024-01-01T00:00:30Z. Try again after that"},
		{"timeout", &gateway.Error{Kind: gateway.KindTimeout, Op: "login"},
			CodeServiceUnavailable, "timed out (login). Try again; if it persists, check the appliance's load and the network path."},
		{"connection", &gateway.Error{Kind: gateway.KindConnection},
			CodeConnection, "Check GATEWAY_URL and the network path."},
		{"tls", &gateway.Error{Kind: gateway.KindTLS},
			CodeUnknown, "Set GATEWAY_CA_PEM for a private CA."},
		{"blocked", &gateway.Error{Kind: gateway.KindBlocked},
			CodeAuthorization, "Add its host to RELAY_GATEWAY_HOSTS."},
		{"budget", &gateway.Error{Kind: gateway.KindBudget, Message: "the request's budget of gateway calls is spent"},
			CodeUnknown, "Send fewer observables at once, or raise RELAY_REQUEST_CALL_BUDGET."},
		{"unknown", &gateway.Error{Kind: gateway.KindUnknown, Message: "the gateway answered with invalid JSON"},
			CodeUnknown, "invalid JSON. If it persists, check that GATEWAY_URL points at the appliance's AsyncOS API."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.err.Gateway = testGateway
			e := FromGateway(tc.err)
			require.Equal(t, Fatal, e.Type)
			require.Equal(t, tc.code, e.Code)
			require.Contains(t, e.Message, testGateway)
			require.Contains(t, e.Message, tc.want)
		})
	}
}
