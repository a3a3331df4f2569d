package respond_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/respond"
)

var remediationIDs = []string{
	respond.ActionRemediateDelete, respond.ActionRemediateForward, respond.ActionRemediateForwardDelete,
}

func TestActionsOfferedPerObservable(t *testing.T) {
	e := newEnv(t, envOptions{simOpts: sim.Options{Dictionaries: map[string][]string{dictionary: {"blocked@spammer.test"}}}})
	st := e.sim.Stories()
	phishMID := strconv.FormatInt(st.Phishing.MIDs[0], 10)

	cases := []struct {
		name  string
		typ   observables.Type
		value string
		want  []string
	}{
		{"delivered phishing by MID", observables.CiscoMID, phishMID, remediationIDs},
		{"delivered phishing by Message-ID", observables.MessageID, st.Phishing.MessageID, remediationIDs},
		{"spam in quarantine", observables.MessageID, st.Spam.MessageID,
			[]string{respond.ActionQuarantineRelease, respond.ActionQuarantineDelete}},
		{"dropped malware", observables.MessageID, st.Malware.MessageID, []string{}},
		{"phishing sender", observables.Email, st.Phishing.Sender, []string{respond.ActionBlockSender}},
		{"phishing sender domain", observables.Domain, st.Phishing.SenderDomain, []string{respond.ActionBlockDomain}},
		{"blocked sender", observables.Email, "blocked@spammer.test", []string{respond.ActionUnblockSender}},
		{"recipient is no sender", observables.Email, "alice@example.com", []string{}},
		{"recipient domain", observables.Domain, "example.com", []string{}},
		{"unseen sender", observables.Email, "nobody@nowhere.test", []string{}},
		{"ip has no action", observables.IP, st.Phishing.SenderIP, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.ElementsMatch(t, tc.want, actionIDs(e.actions(tc.typ, tc.value)))
		})
	}
	require.Zero(t, e.writes())
}

func TestActionsTextsAndQueryParams(t *testing.T) {
	e := newEnv(t, envOptions{})
	phish := e.sim.Stories().Phishing
	list := e.actions(observables.MessageID, phish.MessageID)

	del := findAction(t, list, respond.ActionRemediateDelete)
	require.Equal(t, "Delete this message from all 3 recipient mailboxes.", del.Description)
	require.Equal(t, map[string]string{
		"observable_type":  "email_messageid",
		"observable_value": phish.MessageID,
		"gateway":          e.url,
		"serial":           phish.Serial,
		"mids":             formatMIDs(phish.MIDs),
	}, del.QueryParams)
	require.Contains(t, del.Categories, "Remediation")

	fwd := findAction(t, list, respond.ActionRemediateForwardDelete)
	require.Contains(t, fwd.Description, forwardAddress)
	require.Contains(t, fwd.Description, "all 3 recipient mailboxes")
}

func TestActionsDependOnConfiguration(t *testing.T) {
	cases := []struct {
		name string
		opts envOptions
		edit func(e *env)
		want []string
	}{
		{"no forward address", envOptions{}, func(e *env) { e.mod.ForwardAddress = "" },
			[]string{respond.ActionRemediateDelete}},
		{"forward domain not allowed", envOptions{}, func(e *env) { e.mod.ForwardAddress = "soc@elsewhere.test" },
			[]string{respond.ActionRemediateDelete}},
		{"ESA flavour has no remediation", envOptions{esaFlavor: true}, func(*env) {}, []string{}},
		{"missing remediation privilege", envOptions{simOpts: sim.Options{Privileges: []string{
			"e_message_tracking_messages", "e_message_tracking_detail", "e_quarantine_spam"}}},
			func(*env) {}, []string{}},
		{"too many recipients", envOptions{}, func(*env) {}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "too many recipients" {
				tc.opts.respond.MaxRecipients = 2
			}
			e := newEnv(t, tc.opts)
			tc.edit(e)
			got := actionIDs(e.actions(observables.MessageID, e.sim.Stories().Phishing.MessageID))
			require.ElementsMatch(t, tc.want, got)
		})
	}
}

func TestActionsBlockNeedsDictionaryAndPrivilege(t *testing.T) {
	cases := []struct {
		name string
		opts envOptions
		edit func(e *env)
	}{
		{"no dictionary", envOptions{}, func(e *env) { e.mod.BlockDictionary = "" }},
		{"no ESA_CONFIG_URL", envOptions{}, func(e *env) { e.mod.ESAConfig = nil }},
		{"protected domain", envOptions{}, func(e *env) {}},
		{"no dictionary privilege", envOptions{simOpts: sim.Options{Privileges: []string{"e_message_tracking_messages"}}},
			func(*env) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "protected domain" {
				tc.opts.respond.ProtectedDomains = []string{"Account-Verify.example."}
			}
			e := newEnv(t, tc.opts)
			tc.edit(e)
			phish := e.sim.Stories().Phishing
			require.Empty(t, e.actions(observables.Email, phish.Sender))
			require.Empty(t, e.actions(observables.Domain, phish.SenderDomain))
		})
	}
}

func formatMIDs(mids []int64) string {
	s := ""
	for i, m := range mids {
		if i > 0 {
			s += ","
		}
		s += strconv.FormatInt(m, 10)
	}
	return s
}
