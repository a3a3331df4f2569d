package respond_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/respond"
)

// TestBlockEntryMatchesOnlyItsTarget checks, through the simulator's
// envelope sender match, which senders a block entry stops.
func TestBlockEntryMatchesOnlyItsTarget(t *testing.T) {
	cases := []struct {
		name    string
		typ     observables.Type
		id      string
		blocked []string
		passed  []string
	}{
		{name: "domain", typ: observables.Domain, id: respond.ActionBlockDomain,
			blocked: []string{"it-support@account-verify.example", "x@mail.account-verify.example",
				"IT-Support@Account-Verify.Example"},
			passed: []string{"ceo@myaccount-verify.example", "account-verify.example@gmail.com",
				"x@account-verify.example.attacker.test", "x@account-verifyxexample"}},
		{name: "sender", typ: observables.Email, id: respond.ActionBlockSender,
			blocked: []string{"it-support@account-verify.example", "IT-Support@account-verify.example"},
			passed: []string{"bit-support@account-verify.example.attacker.test",
				"bit-support@account-verify.example", "it-support@account-verify.example.attacker.test",
				"it-support@mail.account-verify.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			phish := e.sim.Stories().Phishing
			value := phish.SenderDomain
			if tc.typ == observables.Email {
				value = phish.Sender
			}
			requireSuccess(t, e.trigger(request(findAction(t, e.actions(tc.typ, value), tc.id))))

			for _, sender := range tc.blocked {
				require.True(t, e.sim.DictionaryMatches(dictionary, sender), "%s is blocked", sender)
			}
			for _, sender := range tc.passed {
				require.False(t, e.sim.DictionaryMatches(dictionary, sender), "%s passes", sender)
			}
		})
	}
}

func TestBlockListingReadsHandWrittenEntries(t *testing.T) {
	cases := []struct {
		name  string
		term  string
		typ   observables.Type
		value string
		want  string
	}{
		{"bare address", "blocked@spammer.test", observables.Email, "blocked@spammer.test", respond.ActionUnblockSender},
		{"escaped address", `blocked@spammer\.test`, observables.Email, "blocked@spammer.test", respond.ActionUnblockSender},
		{"at domain", "@spammer.test", observables.Domain, "spammer.test", respond.ActionUnblockDomain},
		{"anchored domain", `spammer\.test$`, observables.Domain, "spammer.test", respond.ActionUnblockDomain},
		{"upper case", "Blocked@Spammer.Test", observables.Email, "blocked@spammer.test", respond.ActionUnblockSender},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{simOpts: sim.Options{Dictionaries: map[string][]string{
				dictionary: {`^\d+spam`, tc.term}}}})

			a := findAction(t, e.actions(tc.typ, tc.value), tc.want)
			require.Contains(t, a.Description, tc.term)
			requireSuccess(t, e.trigger(request(a)))

			require.Equal(t, []string{`^\d+spam`}, e.sim.Dictionary(dictionary), "only the exact stored term is removed")
		})
	}
}

func TestBlockIgnoresOtherPatterns(t *testing.T) {
	e := newEnv(t, envOptions{simOpts: sim.Options{Dictionaries: map[string][]string{
		dictionary: {`.*@account-verify\.example`, `it-support@account-verify\.(example|test)`}}}})
	phish := e.sim.Stories().Phishing

	require.Equal(t, []string{respond.ActionBlockSender}, actionIDs(e.actions(observables.Email, phish.Sender)),
		"a pattern that is no literal is not read as blocking the sender")
}

func TestBlockRefusesParentOfProtectedDomain(t *testing.T) {
	e := newEnv(t, envOptions{respond: respond.Options{ProtectedDomains: []string{"mail.account-verify.example"}}})
	phish := e.sim.Stories().Phishing

	require.Empty(t, e.actions(observables.Domain, phish.SenderDomain))
	res := e.trigger(relay.TriggerRequest{ActionID: respond.ActionBlockDomain, ObservableType: "domain",
		ObservableValue: phish.SenderDomain, Params: rawParams(map[string]any{"gateway": e.url, "serial": "", "mids": ""})})
	requireFailure(t, res, relay.CodeInvalidRequest)
	require.Contains(t, res.Errors[0].Message, "mail.account-verify.example")

	// An address entry matches only that address, so the sender is still
	// offered.
	findAction(t, e.actions(observables.Email, phish.Sender), respond.ActionBlockSender)
	require.Zero(t, e.writes())
}

func TestBlockNeedsCaseInsensitiveDictionary(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.sim.SetDictionaryIgnoreCase(dictionary, false)
	phish := e.sim.Stories().Phishing

	data, errs := e.svc.Actions(t.Context(), e.mod, []observables.Observable{{Type: observables.Domain, Value: phish.SenderDomain}})
	require.Empty(t, data)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Message, dictionary)
	require.Contains(t, errs[0].Message, "Ignore Case")

	res := e.trigger(relay.TriggerRequest{ActionID: respond.ActionBlockDomain, ObservableType: "domain",
		ObservableValue: phish.SenderDomain, Params: rawParams(map[string]any{"gateway": e.url, "serial": "", "mids": ""})})
	requireFailure(t, res, relay.CodeInvalidRequest)
	require.Contains(t, res.Errors[0].Message, "Ignore Case")
	require.Zero(t, e.writes())
}

// senderKinds reads the simulator's dataset and returns senders since a
// time: one that never received mail in a domain that did, one that
// received mail itself, and a domain that sent and received mail.
func senderKinds(t *testing.T, s *sim.Server, since time.Time) (external, recipient, domain string) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, s.WriteData(&buf))
	var data struct {
		Messages []struct {
			Sender     string    `json:"sender"`
			Recipients []string  `json:"recipients"`
			Time       time.Time `json:"time"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &data))
	rcptAddrs, rcptDomains := map[string]bool{}, map[string]bool{}
	for _, m := range data.Messages {
		for _, r := range m.Recipients {
			r = strings.ToLower(r)
			rcptAddrs[r] = true
			rcptDomains[r[strings.LastIndexByte(r, '@')+1:]] = true
		}
	}
	for _, m := range data.Messages {
		snd := strings.ToLower(m.Sender)
		at := strings.LastIndexByte(snd, '@')
		if at < 0 || m.Time.Before(since) || !rcptDomains[snd[at+1:]] {
			continue
		}
		if rcptAddrs[snd] {
			recipient = snd
		} else if !strings.Contains(snd, "example.com") {
			external = snd
		}
		domain = snd[at+1:]
	}
	require.NotEmpty(t, external, "a sender whose domain receives mail")
	require.NotEmpty(t, recipient, "a sender that receives mail")
	return external, recipient, domain
}

func TestBlockSenderInRecipientDomain(t *testing.T) {
	e := newEnv(t, envOptions{})
	sender, _, _ := senderKinds(t, e.sim, e.clock.Now().AddDate(0, 0, -29))

	a := findAction(t, e.actions(observables.Email, sender), respond.ActionBlockSender)
	requireSuccess(t, e.trigger(request(a)))
	require.True(t, e.sim.DictionaryMatches(dictionary, sender))
}

func TestBlockRefusalNamesItsReason(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, rcpt, domain := senderKinds(t, e.sim, e.clock.Now().AddDate(0, 0, -29))
	cases := []struct {
		name, id string
		typ      observables.Type
		value    string
		reason   string
	}{
		{"recipient address", respond.ActionBlockSender, observables.Email, rcpt, "mail to this address"},
		{"recipient domain", respond.ActionBlockDomain, observables.Domain, domain, "recipient domain"},
		{"unseen sender", respond.ActionBlockSender, observables.Email, "nobody@nowhere.test", "no mail from it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.trigger(request(respond.Action{ID: tc.id, QueryParams: map[string]string{
				"observable_type": string(tc.typ), "observable_value": tc.value, "gateway": e.url, "serial": "", "mids": ""}}))
			require.Equal(t, relay.StatusFailure, res.Status)
			require.Contains(t, res.Errors[0].Message, tc.reason)
			require.NotContains(t, res.Errors[0].Message, "days, or")
		})
	}
}
