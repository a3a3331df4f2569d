package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// searchLimit bounds the tracking hits read for one observable.
const searchLimit = 100

// spamStatus is the prefix of the tracking status of a message held in the
// spam quarantine, for example "Quarantined by Anti-Spam/Graymail".
const spamStatus = "quarantined by anti-spam"

func lookback(m *relay.Module) int {
	if m.LookbackDays > 0 {
		return m.LookbackDays
	}
	return DefaultLookbackDays
}

func (s *Service) window(m *relay.Module) (time.Time, time.Time) {
	end := s.o.Now().UTC()
	return end.Add(-time.Duration(lookback(m)) * 24 * time.Hour), end.Add(time.Minute)
}

// messagesFor searches one gateway's message tracking for a message
// observable (a MID or a Message-ID).
func (s *Service) messagesFor(ctx context.Context, c *gateway.Client, m *relay.Module, o observables.Observable) ([]gateway.Message, error) {
	start, end := s.window(m)
	q := gateway.Query{Start: start, End: end, Limit: searchLimit}
	switch o.Type {
	case observables.CiscoMID:
		mid, err := strconv.ParseInt(o.Value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse MID %q: %w", o.Value, err)
		}
		q.CiscoMID = mid
	case observables.MessageID:
		q.MessageID = o.Value
	default:
		return nil, fmt.Errorf("observable type %s names no message", o.Type)
	}
	res, err := c.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	msgs := res.Messages
	if o.Type == observables.CiscoMID {
		// A MID search may match by prefix: only the real hits need their
		// Message-ID, which a remediation names.
		return fillMessageIDs(ctx, c, matchingMessages(msgs, o))
	}
	if msgs, err = fillMessageIDs(ctx, c, msgs); err != nil {
		return nil, err
	}
	return matchingMessages(msgs, o), nil
}

// detailConcurrency bounds the detail calls one lookup makes at a time.
const detailConcurrency = 4

// fillMessageIDs reads the Message-ID of each hit whose search item carries
// none, as in the 12.x record format, from its details (midHeader). A hit
// whose details name no Message-ID keeps none: a Message-ID search drops it
// rather than trusting the search filter, and no remediation is offered
// for it.
func fillMessageIDs(ctx context.Context, c *gateway.Client, msgs []gateway.Message) ([]gateway.Message, error) {
	out := slices.Clone(msgs)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(detailConcurrency)
	for i := range out {
		msg := &out[i]
		if msg.Rejected || len(msg.MIDs) == 0 || msg.Serial == "" || msg.MessageID != "" || len(msg.MessageIDByMID) > 0 {
			continue
		}
		g.Go(func() error {
			d, err := c.Details(gctx, msg.Serial, msg.MIDs)
			var ge *gateway.Error
			if errors.As(err, &ge) && ge.Kind == gateway.KindNotFound {
				return nil
			}
			if err != nil {
				return err
			}
			msg.MessageID = d.Message.MessageID
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// matchingMessages keeps the hits that really carry the observable: the
// search filters are the gateway's, and a MID search may match by prefix.
func matchingMessages(msgs []gateway.Message, o observables.Observable) []gateway.Message {
	var out []gateway.Message
	for _, msg := range msgs {
		if msg.Rejected || len(msg.MIDs) == 0 || msg.Serial == "" {
			continue
		}
		switch o.Type {
		case observables.CiscoMID:
			mid, _ := strconv.ParseInt(o.Value, 10, 64)
			if !slices.Contains(msg.MIDs, mid) {
				continue
			}
		case observables.MessageID:
			if !strings.EqualFold(msg.MessageID, o.Value) && !hasMessageID(msg, o.Value) {
				continue
			}
		}
		out = append(out, msg)
	}
	return out
}

func hasMessageID(msg gateway.Message, id string) bool {
	for _, v := range msg.MessageIDByMID {
		if strings.EqualFold(v, id) {
			return true
		}
	}
	return false
}

func delivered(msg gateway.Message) bool {
	if strings.EqualFold(msg.Status, "Delivered") {
		return true
	}
	for _, st := range msg.StatusByMID {
		if strings.EqualFold(st, "Delivered") {
			return true
		}
	}
	return false
}

func spamQuarantined(msg gateway.Message) bool {
	if strings.HasPrefix(strings.ToLower(msg.Status), spamStatus) {
		return true
	}
	for _, st := range msg.StatusByMID {
		if strings.HasPrefix(strings.ToLower(st), spamStatus) {
			return true
		}
	}
	return false
}

func remediated(msg gateway.Message) bool {
	return msg.Remediation != nil
}

// sortedMIDs returns a sorted copy without repeats.
func sortedMIDs(mids []int64) []int64 {
	out := slices.Clone(mids)
	slices.Sort(out)
	return slices.Compact(out)
}

// findGateway returns the configured gateway whose URL is exactly url.
func findGateway(m *relay.Module, url string) (gateway.Config, bool) {
	for _, g := range m.Gateways {
		if g.BaseURL == url {
			return g, true
		}
	}
	return gateway.Config{}, false
}

// quarantineMatch finds the spam quarantine entry of a tracked message:
// the same sender, a shared recipient and a receipt time within an hour of
// the tracking time. The quarantine has its own MIDs, so they cannot be
// compared, and its subject may carry a tag such as "[SPAM]".
func (s *Service) quarantineMatch(ctx context.Context, c *gateway.Client, msg gateway.Message) ([]gateway.QuarantinedMessage, error) {
	q := gateway.QuarantineQuery{
		Start: msg.Time.Add(-24 * time.Hour), End: msg.Time.Add(24 * time.Hour),
		Sender: msg.Sender,
	}
	if q.End.After(s.o.Now()) {
		q.End = s.o.Now().UTC().Add(time.Minute)
	}
	found, err := c.SearchSpamQuarantine(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []gateway.QuarantinedMessage
	for _, qm := range found {
		if sameQuarantined(qm, msg) {
			out = append(out, qm)
		}
	}
	return out, nil
}

func sameQuarantined(qm gateway.QuarantinedMessage, msg gateway.Message) bool {
	if !containsFold(qm.From, msg.Sender) {
		return false
	}
	shared := false
	for _, r := range qm.Recipients {
		if containsFold(msg.Recipients, r) {
			shared = true
		}
	}
	if !shared {
		return false
	}
	d := qm.Received.Sub(msg.Time)
	return d > -time.Hour && d < time.Hour
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(v)) {
			return true
		}
		// Quarantine From values may carry a display name: "Name <a@b>".
		if strings.HasSuffix(strings.ToLower(x), "<"+strings.ToLower(v)+">") {
			return true
		}
	}
	return false
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return normalizeDomain(addr[at+1:])
}
