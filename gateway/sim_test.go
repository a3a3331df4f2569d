package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/gateway/sim"
)

var simNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// startSim runs the simulator over HTTPS on loopback and returns a client
// for its SMA prefix.
func startSim(t *testing.T, o sim.Options) (*sim.Server, *gateway.Pool, gateway.Config) {
	t.Helper()
	o.Now = func() time.Time { return simNow }
	if o.Messages == 0 {
		o.Messages = 300
	}
	s, err := sim.New(o)
	require.NoError(t, err)
	base, err := s.StartTLS("")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	p := gateway.NewPool(gateway.PoolOptions{AllowedHosts: []string{"127.0.0.1"}, UserAgent: "esa-relay/test"})
	cfg := gateway.Config{BaseURL: base, API: gateway.SMA, User: "admin", Password: "ironport", CAPEM: string(s.CAPEM())}
	return s, p, cfg
}

func window() (time.Time, time.Time) {
	return simNow.Add(-72 * time.Hour), simNow
}

func TestSimSearchByMessageID(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	story := s.Stories().Phishing
	start, end := window()

	res, err := c.Search(context.Background(), gateway.Query{Start: start, End: end, MessageID: story.MessageID})
	require.NoError(t, err)
	require.Len(t, res.Messages, 1)
	m := res.Messages[0]
	require.Equal(t, story.MIDs, m.MIDs)
	require.Equal(t, story.Serial, m.Serial)
	require.Equal(t, story.MessageID, m.MessageID)
	require.Equal(t, cfg.BaseURL, m.Gateway)
}

func TestSimSearchSubjectWithSpaces(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	start, end := window()

	res, err := c.Search(context.Background(), gateway.Query{Start: start, End: end,
		Subject: &gateway.Match{Op: gateway.Contains, Value: "mailbox quota exceeded"}})
	require.NoError(t, err)
	require.Len(t, res.Messages, len(s.Stories().Campaign))
}

func TestSimPagingWithBadRecords(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{BadRecordsPerPage: 2})
	p = gateway.NewPool(gateway.PoolOptions{AllowedHosts: []string{"127.0.0.1"}, PageSize: 10, MaxPages: 100})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	start, end := window()

	res, err := c.Search(context.Background(), gateway.Query{Start: start, End: end})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, m := range res.Messages {
		key := m.Serial + ":" + m.Time.String() + ":" + m.MessageID
		require.False(t, seen[key], "message repeated: %s", key)
		seen[key] = true
	}
	require.Contains(t, midsOf(res.Messages), s.Stories().Phishing.MIDs[0])
}

func midsOf(msgs []gateway.Message) []int64 {
	var out []int64
	for _, m := range msgs {
		out = append(out, m.MIDs...)
	}
	return out
}

func TestSimDetailsOfMalware(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	story := s.Stories().Malware

	d, err := c.Details(context.Background(), story.Serial, story.MIDs)
	require.NoError(t, err)
	require.NotEmpty(t, d.Attachments)
	var hashes []string
	for _, a := range d.Attachments {
		hashes = append(hashes, a.SHA256)
	}
	require.Contains(t, hashes, story.SHA256)
}

func TestSimDetailsNotFound(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	serial := s.Stories().Phishing.Serial
	for _, mid := range []int64{999999991, 999999992} { // odd gives 404, even 200 "N/A"
		_, err := c.Details(context.Background(), serial, []int64{mid})
		var ge *gateway.Error
		require.ErrorAs(t, err, &ge)
		require.Equal(t, gateway.KindNotFound, ge.Kind, "mid %d", mid)
	}
}

func TestSimReloginAfterExpiry(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = c.Privileges(ctx)
	require.NoError(t, err)
	s.ExpireTokens()

	privs, err := c.Privileges(ctx)
	require.NoError(t, err)
	require.Contains(t, privs, "e_remediation")
	require.Equal(t, 2, s.Count("login"))
}

func TestSimRemediationLifecycle(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	story := s.Stories().Phishing
	ctx := context.Background()

	_, err = c.SubmitRemediation(ctx, gateway.RemediationBatch{
		Name: "relay-test", Action: gateway.ActionDelete, InitiatedUser: "analyst", InitiatedSource: "relay",
		Messages: []gateway.RemediationMessage{{MIDs: story.MIDs, MessageID: story.MessageID, From: []string{story.Sender},
			Recipients: story.Recipients, Serial: story.Serial, Subject: story.Subject, SentAt: story.Time}},
	})
	require.NoError(t, err)
	s.Advance(time.Minute)

	st, err := c.RemediationStatus(ctx, story.Serial, story.MIDs)
	require.NoError(t, err)
	require.Len(t, st.Recipients, len(story.Recipients))
	outcome := map[string]string{}
	for _, r := range st.Recipients {
		outcome[r.Recipient] = r.Status
	}
	require.Equal(t, "Success", outcome["alice@example.com"])
	require.Equal(t, "Failed", outcome["carol@branch.example.net"])
}

func TestSimDictionaryRoundTrip(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	cfg.API = gateway.ESA
	c, err := p.Client(cfg)
	require.NoError(t, err)
	ctx := context.Background()

	term := `^bad\+tag@evil\.example$`
	require.NoError(t, c.AddDictionaryTerm(ctx, "relay_blocked_senders", term))
	dict, err := c.Dictionary(ctx, "relay_blocked_senders")
	require.NoError(t, err)
	require.Contains(t, dict.Terms, term)
	require.True(t, dict.IgnoreCase)
	require.Equal(t, []string{term}, s.Dictionary("relay_blocked_senders"))
	require.NoError(t, c.RemoveDictionaryTerm(ctx, "relay_blocked_senders", term))
	dict, err = c.Dictionary(ctx, "relay_blocked_senders")
	require.NoError(t, err)
	require.NotContains(t, dict.Terms, term)
}

func TestSimSpamQuarantineRelease(t *testing.T) {
	s, p, cfg := startSim(t, sim.Options{})
	c, err := p.Client(cfg)
	require.NoError(t, err)
	story := s.Stories().Spam
	ctx := context.Background()
	start, end := window()

	msgs, err := c.SearchSpamQuarantine(ctx, gateway.QuarantineQuery{Start: start, End: end, Recipient: story.Recipients[0]})
	require.NoError(t, err)
	var qmid int64
	for _, m := range msgs {
		if m.MID == story.QuarantineMID {
			qmid = m.MID
		}
	}
	require.NotZero(t, qmid)

	found, err := c.ReleaseSpam(ctx, qmid)
	require.NoError(t, err)
	require.True(t, found)
	found, err = c.DeleteSpam(ctx, qmid)
	require.NoError(t, err)
	require.False(t, found)
}
