package respond_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/relay"
)

func TestHealth(t *testing.T) {
	cases := []struct {
		name     string
		opts     envOptions
		edit     func(e *env)
		wantType string
		wantCode string
		wantText string
	}{
		{name: "healthy", edit: func(*env) {}},
		{name: "missing remediation privilege",
			opts: envOptions{simOpts: sim.Options{Privileges: []string{
				"e_message_tracking_messages", "e_config_dictionaries", "e_quarantine_spam"}}},
			edit: func(*env) {}, wantType: relay.Warning, wantCode: relay.CodePermission, wantText: "e_remediation"},
		{name: "missing dictionary privilege",
			opts: envOptions{simOpts: sim.Options{Privileges: []string{
				"e_message_tracking_messages", "e_remediation", "e_quarantine_spam"}}},
			edit: func(*env) {}, wantType: relay.Warning, wantCode: relay.CodePermission, wantText: "e_config_dictionaries"},
		{name: "wrong password", edit: func(e *env) {
			e.mod.Gateways[0].Password = "not-the-password"
			e.mod.ESAConfig = nil
		}, wantType: relay.Fatal, wantCode: relay.CodeAuthorization},
		{name: "gateway down", edit: func(e *env) {
			e.sim.SetFault(sim.Fault{Outage: true})
			e.mod.ESAConfig = nil
		}, wantType: relay.Fatal, wantCode: relay.CodeConnection},
		{name: "forward address outside the allowed domains", edit: func(e *env) { e.mod.ForwardAddress = "x@evil.test" },
			wantType: relay.Warning, wantCode: relay.CodeInvalidArgument, wantText: "FORWARD_ADDRESS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			tc.edit(e)
			errs := e.svc.Health(context.Background(), e.mod)
			if tc.wantCode == "" {
				require.Empty(t, errs)
				require.GreaterOrEqual(t, e.sim.Count("login/privileges"), 1)
				return
			}
			require.Len(t, errs, 1, "errors: %+v", errs)
			require.Equal(t, tc.wantType, errs[0].Type)
			require.Equal(t, tc.wantCode, errs[0].Code)
			require.Contains(t, errs[0].Message, tc.wantText)
			require.NotContains(t, errs[0].Message, "not-the-password")
			require.NotContains(t, e.logs.String(), "not-the-password")
		})
	}
}

func TestSecretsStayOutOfLogsAndAudit(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	a := findAction(t, e.actions("email_messageid", phish.MessageID), "esa-remediate-delete")
	requireSuccess(t, e.trigger(request(a)))
	e.mod.Gateways[0].Password = "wrong-secret-value"
	e.trigger(request(a))

	require.NotContains(t, e.logs.String(), password)
	require.NotContains(t, e.logs.String(), "wrong-secret-value")
	for _, entry := range e.audit() {
		require.False(t, strings.Contains(entry.Message, password), "audit message %q", entry.Message)
	}
}
