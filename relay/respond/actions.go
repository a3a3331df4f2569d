package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// Action is one element of /respond/observables' data list.
type Action struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Categories  []string          `json:"categories"`
	QueryParams map[string]string `json:"query-params"`
}

const product = "Cisco Secure Email"

// Actions lists, per observable, the actions that apply to it now. Gateway
// failures become warnings, so that one unreachable appliance does not
// hide the actions of the others.
func (s *Service) Actions(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	defer cancel()

	l := &lister{s: s, m: m, tenant: relay.Tenant(s.o.StateKey, m), privs: map[string][]string{}}
	actions := []Action{}
	for _, o := range obs {
		n, err := observables.Normalize(o)
		if err != nil {
			continue
		}
		switch n.Type {
		case observables.CiscoMID, observables.MessageID:
			actions = append(actions, l.messageActions(ctx, n)...)
		case observables.Email, observables.Domain:
			actions = append(actions, l.blockActions(ctx, n)...)
		}
	}
	return actions, l.errs
}

// lister holds what one Actions call learnt, so that each gateway's
// privileges are read once.
type lister struct {
	s      *Service
	m      *relay.Module
	tenant string
	privs  map[string][]string
	errs   []*relay.Error
	seen   map[string]bool
}

func (l *lister) warn(err error) {
	e := warningOf(err)
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if l.seen[e.Message] {
		return
	}
	l.seen[e.Message] = true
	l.errs = append(l.errs, relay.NewWarning(e.Code, e.Message))
}

// warningOf turns a refusal into its own error and a gateway failure into
// the envelope error of its kind.
func warningOf(err error) *relay.Error {
	var ref *refusal
	if errors.As(err, &ref) {
		return relay.NewFatal(ref.code, ref.message)
	}
	return relay.FromGateway(err)
}

func (l *lister) privileges(ctx context.Context, c *gateway.Client, cfg gateway.Config) ([]string, bool) {
	if p, ok := l.privs[cfg.BaseURL]; ok {
		return p, p != nil
	}
	p, err := c.Privileges(ctx)
	if err != nil {
		l.warn(err)
		l.privs[cfg.BaseURL] = nil
		return nil, false
	}
	l.privs[cfg.BaseURL] = p
	return p, true
}

func (l *lister) client(cfg gateway.Config) (*gateway.Client, bool) {
	c, err := l.s.o.Pool.Client(cfg)
	if err != nil {
		l.warn(err)
		return nil, false
	}
	return c, true
}

func (l *lister) messageActions(ctx context.Context, o observables.Observable) []Action {
	var out []Action
	for _, cfg := range l.m.Gateways {
		c, ok := l.client(cfg)
		if !ok {
			continue
		}
		privs, ok := l.privileges(ctx, c, cfg)
		if !ok || !slices.Contains(privs, PrivTracking) {
			continue
		}
		msgs, err := l.s.messagesFor(ctx, c, l.m, o)
		if err != nil {
			l.warn(err)
			continue
		}
		for _, msg := range groupMessages(msgs) {
			out = append(out, l.actionsForMessage(ctx, c, cfg, privs, o, msg)...)
		}
	}
	return out
}

func (l *lister) actionsForMessage(ctx context.Context, c *gateway.Client, cfg gateway.Config, privs []string, o observables.Observable, msg gateway.Message) []Action {
	t := target{Gateway: cfg.BaseURL, Serial: msg.Serial, MIDs: msg.MIDs}
	where := l.where(msg)
	switch {
	case delivered(msg) && !remediated(msg) && cfg.API == gateway.SMA && slices.Contains(privs, PrivRemediation):
		if len(msg.Recipients) == 0 || len(msg.Recipients) > l.s.o.MaxRecipients || l.pending(ctx, t) {
			return nil
		}
		return l.remediationActions(o, t, len(msg.Recipients), where)
	case spamQuarantined(msg) && slices.Contains(privs, PrivSpam):
		found, err := l.s.quarantineMatch(ctx, c, msg)
		if err != nil {
			l.warn(err)
			return nil
		}
		if len(found) != 1 {
			return nil
		}
		return quarantineActions(o, t, len(msg.Recipients), where)
	}
	return nil
}

// pending reports whether a remediation of t was already requested through
// the relay; tracking may not show it yet.
func (l *lister) pending(ctx context.Context, t target) bool {
	ids := []string{ActionRemediateDelete, ActionRemediateForward, ActionRemediateForwardDelete}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = triggerKey(l.tenant, id, t, "")
	}
	states, err := recordStates(ctx, l.s, keys)
	if err != nil {
		l.s.log.WarnContext(ctx, "read trigger records for the action list", "err", err)
		return false
	}
	for _, st := range states {
		if st == stateClaimed || st == stateSubmitted || st == stateDone {
			return true
		}
	}
	return false
}

func (l *lister) where(msg gateway.Message) string {
	if len(l.m.Gateways) < 2 {
		return ""
	}
	name := msg.Host
	if name == "" {
		name = msg.Serial
	}
	return " (" + name + ")"
}

func (l *lister) remediationActions(o observables.Observable, t target, n int, where string) []Action {
	qp := queryParams(o, t)
	mailboxes := plural(n, "the recipient's mailbox", fmt.Sprintf("all %d recipient mailboxes", n))
	cats := []string{product, "Remediation"}
	out := []Action{{
		ID: ActionRemediateDelete, Title: "Delete message from mailboxes" + where,
		Description: "Delete this message from " + mailboxes + ".",
		Categories:  cats, QueryParams: qp,
	}}
	if !l.s.forwardAllowed(l.m) {
		return out
	}
	fwd := l.m.ForwardAddress
	return append(out, Action{
		ID: ActionRemediateForward, Title: "Forward message to " + fwd + where,
		Description: "Forward a copy of this message from " + mailboxes + " to " + fwd + ", leaving the original in place.",
		Categories:  cats, QueryParams: qp,
	}, Action{
		ID: ActionRemediateForwardDelete, Title: "Forward to " + fwd + " and delete" + where,
		Description: "Forward a copy of this message to " + fwd + ", then delete it from " + mailboxes + ".",
		Categories:  cats, QueryParams: qp,
	})
}

func quarantineActions(o observables.Observable, t target, n int, where string) []Action {
	qp := queryParams(o, t)
	rcpts := plural(n, "its recipient", fmt.Sprintf("its %d recipients", n))
	cats := []string{product, "Spam Quarantine"}
	return []Action{{
		ID: ActionQuarantineRelease, Title: "Release from spam quarantine" + where,
		Description: "Release this message from the spam quarantine and deliver it to " + rcpts + ".",
		Categories:  cats, QueryParams: qp,
	}, {
		ID: ActionQuarantineDelete, Title: "Delete from spam quarantine" + where,
		Description: "Delete this message from the spam quarantine; " + rcpts + " will not receive it.",
		Categories:  cats, QueryParams: qp,
	}}
}

func (l *lister) blockActions(ctx context.Context, o observables.Observable) []Action {
	esa := l.m.ESAConfig
	if esa == nil || l.m.BlockDictionary == "" {
		return nil
	}
	c, ok := l.client(*esa)
	if !ok {
		return nil
	}
	privs, ok := l.privileges(ctx, c, *esa)
	if !ok || !slices.Contains(privs, PrivDictionaries) {
		return nil
	}
	dict, err := l.s.readDictionary(ctx, c, *esa, l.m.BlockDictionary)
	if err != nil {
		l.warn(err)
		return nil
	}

	qp := queryParams(o, target{Gateway: esa.BaseURL})
	cats := []string{product, "Block"}
	domain := o.Type == observables.Domain
	what, id, unID := "sender", ActionBlockSender, ActionUnblockSender
	if domain {
		what, id, unID = "domain", ActionBlockDomain, ActionUnblockDomain
	}
	if found, ok := findBlockTerm(dict.Terms, domain, o.Value, dict.IgnoreCase); ok {
		return []Action{{
			ID: unID, Title: "Unblock " + what,
			Description: fmt.Sprintf("Remove the entry %s from the dictionary %s, so the gateway accepts mail from this %s again.", found.term, l.m.BlockDictionary, what),
			Categories:  cats, QueryParams: qp,
		}}
	}
	if !dict.IgnoreCase {
		l.warn(refuse(relay.CodeInvalidRequest, "%s", caseSensitiveMessage(l.m.BlockDictionary, esa.BaseURL)))
		return nil
	}

	n, err := l.s.seenAsSender(ctx, l.m, o)
	if err != nil {
		l.warn(err)
		return nil
	}
	if n == 0 {
		return nil
	}
	term, matches := senderTerm(o.Value), "exactly this envelope sender"
	if domain {
		term, matches = domainTerm(o.Value), "envelope senders in this domain and its subdomains"
	}
	return []Action{{
		ID: id, Title: "Block " + what,
		Description: fmt.Sprintf("Add the entry %s, which matches %s, to the dictionary %s, so the gateway blocks mail from this %s (seen as the sender of %s).",
			term, matches, l.m.BlockDictionary, what, plural(n, "1 message", fmt.Sprintf("%d messages", n))),
		Categories: cats, QueryParams: qp,
	}}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// groupMessages merges tracking hits of one message on one appliance, which
// the appliance may list once per MID.
func groupMessages(msgs []gateway.Message) []gateway.Message {
	var out []gateway.Message
	for _, msg := range msgs {
		merged := false
		for i := range out {
			if out[i].Serial == msg.Serial && sameMessage(out[i], msg) {
				out[i] = mergeMessages(out[i], msg)
				merged = true
				break
			}
		}
		if !merged {
			msg.MIDs = sortedMIDs(msg.MIDs)
			out = append(out, msg)
		}
	}
	return out
}

func sameMessage(a, b gateway.Message) bool {
	for _, m := range b.MIDs {
		if slices.Contains(a.MIDs, m) {
			return true
		}
	}
	return false
}

func mergeMessages(a, b gateway.Message) gateway.Message {
	a.MIDs = sortedMIDs(append(slices.Clone(a.MIDs), b.MIDs...))
	for _, r := range b.Recipients {
		if !containsFold(a.Recipients, r) {
			a.Recipients = append(a.Recipients, r)
		}
	}
	if delivered(b) && !delivered(a) {
		a.Status = b.Status
	}
	if a.Remediation == nil {
		a.Remediation = b.Remediation
	}
	return a
}

// seenAsSender counts the tracked messages sent from an address or domain,
// leaving out any observable that is also a recipient domain of one of
// them or that the operator protected: blocking it would cut the
// organisation's own mail. It returns 0 for those.
func (s *Service) seenAsSender(ctx context.Context, m *relay.Module, o observables.Observable) (int, error) {
	domain := o.Value
	if o.Type == observables.Email {
		domain = domainOf(o.Value)
	}
	if _, protected := s.protectedMatch(o); domain == "" || protected {
		return 0, nil
	}

	start, end := s.window(m)
	q := gateway.Query{Start: start, End: end, Limit: searchLimit}
	if o.Type == observables.Email {
		q.Sender = &gateway.Match{Op: gateway.Is, Value: o.Value}
	} else {
		q.SenderDomain = &gateway.Match{Op: gateway.Is, Value: o.Value}
	}

	// The organisation's own domains receive mail: any tracked message to
	// the domain rules it out, not only the messages it sent. A domain
	// entry matches subdomains too, so mail to them rules it out as well.
	recipientQueries := []gateway.Query{{Start: start, End: end, Limit: 1,
		Recipient: &gateway.Match{Op: gateway.Contains, Value: "@" + domain}}}
	if o.Type == observables.Domain {
		recipientQueries = append(recipientQueries, gateway.Query{Start: start, End: end, Limit: searchLimit,
			Recipient: &gateway.Match{Op: gateway.Contains, Value: "." + domain}})
	}
	subdomains := o.Type == observables.Domain

	n := 0
	for _, cfg := range m.Gateways {
		c, err := s.o.Pool.Client(cfg)
		if err != nil {
			return 0, err
		}
		res, err := c.Search(ctx, q)
		if err != nil {
			return 0, err
		}
		for _, msg := range res.Messages {
			if !sentBy(msg, o) {
				continue
			}
			if hasRecipientIn(msg, domain, subdomains) {
				return 0, nil
			}
			n++
		}
		if n == 0 {
			continue
		}
		for _, rq := range recipientQueries {
			res, err = c.Search(ctx, rq)
			if err != nil {
				return 0, err
			}
			for _, msg := range res.Messages {
				if hasRecipientIn(msg, domain, subdomains) {
					return 0, nil
				}
			}
		}
	}
	return n, nil
}

// hasRecipientIn reports whether a recipient of msg is in domain, or in
// one of its subdomains when subdomains is set.
func hasRecipientIn(msg gateway.Message, domain string, subdomains bool) bool {
	for _, r := range msg.Recipients {
		d := domainOf(r)
		if d == domain || (subdomains && underDomain(d, domain)) {
			return true
		}
	}
	return false
}

func sentBy(msg gateway.Message, o observables.Observable) bool {
	if o.Type == observables.Email {
		return strings.EqualFold(msg.Sender, o.Value)
	}
	return domainOf(msg.Sender) == o.Value || normalizeDomain(msg.SenderDomain) == o.Value
}
