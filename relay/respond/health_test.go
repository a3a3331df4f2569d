package respond_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
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
		{name: "missing remediation privilege", opts: withoutPrivileges("e_remediation"),
			edit: func(*env) {}, wantType: relay.Warning, wantCode: relay.CodePermission, wantText: "e_remediation"},
		{name: "missing dictionary privilege", opts: withoutPrivileges("e_config_dictionaries"),
			edit: func(*env) {}, wantType: relay.Warning, wantCode: relay.CodePermission, wantText: "e_config_dictionaries"},
		{name: "missing amp-details privilege", opts: withoutPrivileges("e_message_tracking_amp_details"),
			edit: func(*env) {}, wantType: relay.Warning, wantCode: relay.CodePermission,
			wantText: "e_message_tracking_amp_details (AMP verdicts and file hashes"},
		{name: "missing url-details privilege", opts: withoutPrivileges("e_message_tracking_url_details"),
			edit: func(*env) {}, wantType: relay.Warning, wantCode: relay.CodePermission,
			wantText: "e_message_tracking_url_details (URL verdicts)"},
		{name: "missing detail privilege", opts: withoutPrivileges("e_message_tracking_detail"),
			edit: func(*env) {}, wantType: relay.Fatal, wantCode: relay.CodePermission,
			wantText: "e_message_tracking_detail (message details)"},
		{name: "missing search privilege", opts: withoutPrivileges("e_message_tracking_messages"),
			edit: func(*env) {}, wantType: relay.Fatal, wantCode: relay.CodePermission,
			wantText: "e_message_tracking_messages (message search)"},
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

// withoutPrivileges gives the simulator's accounts every privilege the
// relay checks except those named.
func withoutPrivileges(names ...string) envOptions {
	privileges := slices.DeleteFunc(slices.Clone(sim.DefaultPrivileges), func(p string) bool {
		return slices.Contains(names, p)
	})
	return envOptions{simOpts: sim.Options{Privileges: privileges}}
}

func TestHealthRemediationOnlyAccount(t *testing.T) {
	e := newEnv(t, envOptions{simOpts: sim.Options{Privileges: []string{"e_remediation"}}})
	e.mod.ESAConfig = nil

	errs := e.svc.Health(context.Background(), e.mod)

	require.Len(t, errs, 3, "errors: %+v", errs)
	require.Equal(t, relay.Fatal, errs[0].Type)
	require.Equal(t, relay.CodePermission, errs[0].Code)
	require.Contains(t, errs[0].Message, "e_message_tracking_messages")
	require.Contains(t, errs[0].Message, "e_message_tracking_detail")
	require.Equal(t, relay.Warning, errs[1].Type)
	require.Contains(t, errs[1].Message, "e_message_tracking_amp_details")
	require.Contains(t, errs[1].Message, "e_message_tracking_url_details")
	require.Equal(t, relay.Warning, errs[2].Type)
	require.Contains(t, errs[2].Message, "e_quarantine_spam")
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

func TestHealthBlockDictionary(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(e *env)
		wantType string
		wantCode string
		wantText []string
	}{
		{name: "missing dictionary", edit: func(e *env) { e.mod.BlockDictionary = "no_such_dictionary" },
			wantType: relay.Fatal, wantCode: relay.CodeNotFound,
			wantText: []string{`"no_such_dictionary"`, "BLOCK_DICTIONARY", "ESA_CONFIG_URL", "Create it on the ESA"}},
		{name: "case-sensitive dictionary", edit: func(e *env) { e.sim.SetDictionaryIgnoreCase(dictionary, false) },
			wantType: relay.Warning, wantCode: relay.CodeInvalidArgument,
			wantText: []string{dictionary, "Ignore Case"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			tc.edit(e)

			errs := e.svc.Health(context.Background(), e.mod)

			require.Len(t, errs, 1, "errors: %+v", errs)
			require.Equal(t, tc.wantType, errs[0].Type)
			require.Equal(t, tc.wantCode, errs[0].Code)
			for _, text := range tc.wantText {
				require.Contains(t, errs[0].Message, text)
			}
		})
	}
}

func TestHealthNamesRolesOnce(t *testing.T) {
	cases := []struct {
		name      string
		edit      func(e *env)
		wantRoles []string
		notRole   string
	}{
		{name: "one URL for both roles", edit: func(e *env) { e.sim.SetFault(sim.Fault{Outage: true}) },
			wantRoles: []string{"Message tracking gateway (GATEWAY_URL)", "dictionary gateway (ESA_CONFIG_URL)"}},
		{name: "wrong password on both", edit: func(e *env) {
			e.mod.Gateways[0].Password = "not-the-password"
			e.mod.ESAConfig.Password = "not-the-password"
		}, wantRoles: []string{"Message tracking gateway (GATEWAY_URL) and dictionary gateway (ESA_CONFIG_URL)"}},
		{name: "only the dictionary account fails", edit: func(e *env) { e.mod.ESAConfig.Password = "not-the-password" },
			wantRoles: []string{"Dictionary gateway (ESA_CONFIG_URL)"}, notRole: "Message tracking"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			tc.edit(e)

			errs := e.svc.Health(context.Background(), e.mod)

			require.Len(t, errs, 1, "errors: %+v", errs)
			require.Equal(t, relay.Fatal, errs[0].Type)
			for _, role := range tc.wantRoles {
				require.Contains(t, errs[0].Message, role)
			}
			if tc.notRole != "" {
				require.NotContains(t, errs[0].Message, tc.notRole)
			}
			require.NotContains(t, errs[0].Message, "not-the-password")
		})
	}
}

// TestHealthCallsRunInParallel gives every gateway call a delay that fits
// the call timeout twice but not four times: login, privileges, and the
// dictionary read with its own login.
func TestHealthCallsRunInParallel(t *testing.T) {
	const delay = time.Second
	e := newEnv(t, envOptions{respond: respond.Options{CallTimeout: 3 * delay}})
	e.sim.SetFault(sim.Fault{Latency: delay})

	require.Empty(t, e.svc.Health(context.Background(), e.mod))
	require.Equal(t, 1, e.sim.Count("login/privileges"))
	require.Equal(t, 1, e.sim.Count("config/dictionaries"))
}

func TestActionsMissingDictionaryNamesFix(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mod.BlockDictionary = "no_such_dictionary"
	phish := e.sim.Stories().Phishing

	data, errs := e.svc.Actions(context.Background(), e.mod, []observables.Observable{
		{Type: observables.Domain, Value: phish.SenderDomain}, {Type: observables.Email, Value: phish.Sender}})

	require.Empty(t, data)
	require.Len(t, errs, 1, "one warning for both observables: %+v", errs)
	require.Equal(t, relay.Warning, errs[0].Type)
	require.Contains(t, errs[0].Message, `"no_such_dictionary"`)
	require.Contains(t, errs[0].Message, "Create it on the ESA")
	require.Equal(t, 1, e.sim.Count("config/dictionaries"), "the dictionary is read once per request")
}

// TestActionsCallsRunInParallel gives every gateway call a delay. The
// longest chain of dependent calls is four deep (login, privileges and two
// searches), while the three observables looked up one after another take
// about nine.
func TestActionsCallsRunInParallel(t *testing.T) {
	const delay = time.Second
	e := newEnv(t, envOptions{respond: respond.Options{CallTimeout: 6*delay + delay/2}})
	st := e.sim.Stories()
	e.sim.SetFault(sim.Fault{Latency: delay})

	data, errs := e.svc.Actions(context.Background(), e.mod, []observables.Observable{
		{Type: observables.MessageID, Value: st.Phishing.MessageID},
		{Type: observables.Email, Value: st.Phishing.Sender},
		{Type: observables.MessageID, Value: st.Spam.MessageID},
	})

	require.Empty(t, errs)
	require.ElementsMatch(t, append(append([]string{}, remediationIDs...), respond.ActionBlockSender,
		respond.ActionQuarantineRelease, respond.ActionQuarantineDelete), actionIDs(data.([]respond.Action)))
}
