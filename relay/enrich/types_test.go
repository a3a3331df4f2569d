package enrich_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/ctim"
)

func TestObserveEachType(t *testing.T) {
	e := newEnv(t, envOptions{})
	st := e.stories
	m := e.module(simPassword)

	cases := []struct {
		name         string
		obs          observables.Observable
		minSightings int
		relation     string // a relation every case's first sighting has
		relatedValue string
		verdict      ctim.Disposition // 0: no verdict expected
		engine       string
		resolution   string
	}{
		{name: "email as sender", obs: obs(observables.Email, st.Phishing.Sender), minSightings: len(st.Campaign),
			relation: "Sent_By", relatedValue: st.Phishing.Sender},
		{name: "email as recipient", obs: obs(observables.Email, "henry@example.com"), minSightings: 1,
			relation: "Sent_To", relatedValue: "henry@example.com"},
		{name: "sender domain", obs: obs(observables.Domain, st.Malware.SenderDomain), minSightings: 1,
			relation: "Sent_By", relatedValue: st.Malware.Sender, verdict: ctim.Suspicious, engine: "Anti-Virus"},
		{name: "ip rejected", obs: obs(observables.IP, st.RejectedIP.SenderIP), minSightings: 1,
			verdict: ctim.Suspicious, engine: "SenderBase", resolution: "blocked"},
		{name: "ip of sender", obs: obs(observables.IP, st.Malware.SenderIP), minSightings: 1,
			relation: "Received_From", relatedValue: st.Malware.SenderIP},
		{name: "clicked url", obs: obs(observables.URL, st.Phishing.URL), minSightings: 1,
			relation: "Refers_To", relatedValue: st.Phishing.URL, verdict: ctim.Malicious, engine: "URL reputation"},
		{name: "sha256", obs: obs(observables.SHA256, st.Malware.SHA256), minSightings: 1,
			relation: "Attached_To", relatedValue: st.Malware.SHA256, verdict: ctim.Malicious, engine: "Advanced Malware Protection"},
		{name: "file name", obs: obs(observables.FileName, st.Malware.Attachment), minSightings: 1,
			relation: "Attached_To", relatedValue: st.Malware.Attachment},
		{name: "message id of malware", obs: obs(observables.MessageID, st.Malware.MessageID), minSightings: 1,
			relation: "Sent_To", relatedValue: st.Malware.Recipients[0], verdict: ctim.Malicious, engine: "Anti-Virus",
			resolution: "blocked"},
		{name: "message id of spam", obs: obs(observables.MessageID, st.Spam.MessageID), minSightings: 1,
			relation: "Sent_By", relatedValue: st.Spam.Sender, verdict: ctim.Suspicious, engine: "Anti-Spam",
			resolution: "contained"},
		{name: "cisco mid", obs: obs(observables.CiscoMID, strconv.FormatInt(st.Newsletter.MIDs[0], 10)),
			minSightings: 1, relation: "Sent_By", relatedValue: st.Newsletter.Sender, resolution: "allowed"},
		{name: "subject", obs: obs(observables.Subject, st.Malware.Subject), minSightings: 1,
			relation: "Related_To", relatedValue: st.Malware.Subject},
		{name: "ipv6 not seen", obs: obs(observables.IPv6, "2001:db8::77")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, errs := e.observe(t, m, tc.obs)
			require.Empty(t, errs)
			require.GreaterOrEqual(t, len(b.Sightings), tc.minSightings)
			if tc.minSightings == 0 {
				require.Empty(t, b.Sightings)
			}
			for _, s := range b.Sightings {
				require.Equal(t, tc.obs.Type, s.Observables[0].Type)
				require.True(t, s.Internal)
			}
			if tc.relation != "" {
				requireRelation(t, b.Sightings[0], tc.relation, tc.relatedValue)
			}
			if tc.resolution != "" {
				require.Equal(t, tc.resolution, b.Sightings[0].Resolution)
			}
			if tc.verdict == 0 {
				require.Empty(t, b.Judgements)
				require.Empty(t, b.Verdicts)
				return
			}
			require.NotEmpty(t, b.Judgements)
			require.Contains(t, b.Judgements[0].Reason, tc.engine)
			require.Len(t, b.Verdicts, 1)
			require.Equal(t, tc.verdict, b.Verdicts[0].Disposition)
			require.Equal(t, b.Judgements[0].ID, b.Verdicts[0].JudgementID)
		})
	}
}

func TestObserveInvalidObservableWarns(t *testing.T) {
	e := newEnv(t, envOptions{})
	b, errs := e.observe(t, e.module(simPassword),
		obs(observables.CiscoMID, "12a"),
		obs(observables.SHA256, "not-a-hash"),
		obs(observables.SHA256, e.stories.Malware.SHA256))
	require.Len(t, errs, 2)
	for _, err := range errs {
		require.Equal(t, "warning", err.Type)
		require.Equal(t, "invalid observable", err.Code)
	}
	require.Contains(t, errs[0].Message, "cisco_mid")
	require.Contains(t, errs[1].Message, "sha256")
	require.Len(t, b.Sightings, 1)
}
