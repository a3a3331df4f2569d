package enrich_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay/ctim"
)

func TestObserveMalwareHash(t *testing.T) {
	e := newEnv(t, envOptions{})
	story := e.stories.Malware
	b, errs := e.observe(t, e.module(simPassword), obs(observables.SHA256, story.SHA256))
	require.Empty(t, errs)

	require.Len(t, b.Sightings, 1)
	s := b.Sightings[0]
	require.True(t, s.Internal)
	require.Equal(t, "process.email-service", s.Sensor)
	require.Equal(t, "blocked", s.Resolution)
	require.Contains(t, s.ExternalIDs, story.Host+":"+strconv.FormatInt(story.MIDs[0], 10))
	require.Contains(t, s.Observables, ctim.Observable{Type: observables.MessageID, Value: story.MessageID})
	requireRelation(t, s, "Sent_By", story.Sender)
	requireRelation(t, s, "Attached_To", story.MessageID)
	requireRelation(t, s, "Received_From", story.SenderIP)

	require.Len(t, b.Judgements, 1)
	j := b.Judgements[0]
	require.Equal(t, ctim.Malicious, j.Disposition)
	require.Equal(t, 85, j.Priority)
	require.Contains(t, j.Reason, "Advanced Malware Protection")
	require.Len(t, b.Verdicts, 1)
	require.Equal(t, j.ID, b.Verdicts[0].JudgementID)
	require.True(t, strings.HasPrefix(j.SourceURI, "https://sma.example.com/"))
}

// requireRelation checks that the sighting relates something to value,
// as source or as related observable.
func requireRelation(t *testing.T, s ctim.Sighting, relation, value string) {
	t.Helper()
	for _, r := range s.Relations {
		if r.Relation == relation && (strings.EqualFold(r.Related.Value, value) || strings.EqualFold(r.Source.Value, value)) {
			return
		}
	}
	require.Failf(t, "relation missing", "no %s relation with %q in %+v", relation, value, s.Relations)
}

func TestObserveWithOneSlotEach(t *testing.T) {
	one := newEnv(t, envOptions{lookups: 1, details: 1})
	wide := newEnv(t, envOptions{})
	st := one.stories
	list := []observables.Observable{
		obs(observables.SHA256, st.Malware.SHA256),
		obs(observables.MessageID, st.Spam.MessageID),
		obs(observables.Email, st.Phishing.Sender),
		obs(observables.IP, st.RejectedIP.SenderIP),
	}

	got, errs := one.observe(t, one.module(simPassword), list...)
	require.Empty(t, errs)
	want, errs := wide.observe(t, wide.module(simPassword), list...)
	require.Empty(t, errs)
	require.Len(t, got.Sightings, len(want.Sightings))
	require.NotEmpty(t, got.Sightings)
	require.ElementsMatch(t, dispositions(want.Verdicts), dispositions(got.Verdicts))
}

// dispositions lists each verdict's observable and disposition, which
// unlike its judgement id are the same in every run.
func dispositions(vs []ctim.Verdict) []string {
	var out []string
	for _, v := range vs {
		out = append(out, string(v.Observable.Type)+" "+v.Observable.Value+" "+v.DispositionName)
	}
	return out
}
