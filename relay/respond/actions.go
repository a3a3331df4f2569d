package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

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

// listConcurrency bounds the observables, and per observable the gateways,
// that one Actions call looks up at a time.
const listConcurrency = 4

// Actions lists, per observable, the actions that apply to it now. Gateway
// failures become warnings, so that one unreachable appliance does not
// hide the actions of the others. Observables, and the gateways of each,
// are looked up in parallel.
func (s *Service) Actions(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	defer cancel()

	l := &lister{s: s, m: m, tenant: relay.Tenant(s.o.StateKey, m),
		privs: map[string]*memo[[]string]{}, seen: map[string]bool{}}
	lists := make([][]Action, len(obs))
	var g errgroup.Group
	g.SetLimit(listConcurrency)
	for i, o := range obs {
		if !observables.Supported(o.Type) {
			continue // other modules handle other types
		}
		n, err := observables.Normalize(o)
		if err != nil {
			l.invalid(o, err)
			continue
		}
		g.Go(func() error {
			switch n.Type {
			case observables.CiscoMID, observables.MessageID:
				lists[i] = l.messageActions(ctx, n)
			case observables.Email, observables.Domain:
				lists[i] = l.blockActions(ctx, n)
			}
			return nil
		})
	}
	_ = g.Wait() // failures become warnings through l.warn

	actions := []Action{}
	for _, list := range lists {
		actions = append(actions, list...)
	}
	return actions, l.errors()
}

// memo is the result of a call that one Actions call makes once, whichever
// of its goroutines needs it first.
type memo[T any] struct {
	once sync.Once
	val  T
	err  error
}

func (m *memo[T]) get(call func() (T, error)) (T, error) {
	m.once.Do(func() { m.val, m.err = call() })
	return m.val, m.err
}

// lister holds what one Actions call learnt, so that each gateway's
// privileges and the block dictionary are read once.
type lister struct {
	s      *Service
	m      *relay.Module
	tenant string
	dict   memo[*gateway.Dictionary]

	mu    sync.Mutex
	privs map[string]*memo[[]string]
	errs  []*relay.Error
	seen  map[string]bool
}

func (l *lister) warn(err error) {
	e := warningOf(err)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[e.Message] {
		return
	}
	l.seen[e.Message] = true
	l.errs = append(l.errs, relay.NewWarning(e.Code, e.Message))
}

// invalid warns about an observable whose value is not valid for its
// type, as the enrichment endpoints do.
func (l *lister) invalid(o observables.Observable, err error) {
	msg := "invalid " + string(o.Type) + " observable"
	var inv *observables.InvalidError
	if errors.As(err, &inv) {
		msg = inv.Error()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, relay.NewWarning(relay.CodeInvalidObservable, msg+"; the other observables were served."))
}

func (l *lister) errors() []*relay.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}

// warningOf turns a refusal into its own error and a gateway failure into
// the envelope error of its kind.
func warningOf(err error) *relay.Error {
	var ref *refusal
	if errors.As(err, &ref) {
		return relay.NewFatal(ref.code, ref.message)
	}
	return namedForRole(err, relay.FromGateway(err))
}

// privileges reads the account's privileges on a gateway once per Actions
// call; the first failure is warned about once.
// The dictionary gateway has its own account even on the same URL, so
// esa keeps its privileges and failures apart.
func (l *lister) privileges(ctx context.Context, c *gateway.Client, cfg gateway.Config, esa bool) ([]string, bool) {
	key := fmt.Sprintf("%t %s %s", esa, cfg.BaseURL, cfg.User)
	l.mu.Lock()
	m := l.privs[key]
	if m == nil {
		m = &memo[[]string]{}
		l.privs[key] = m
	}
	l.mu.Unlock()

	first := false
	p, err := m.get(func() ([]string, error) {
		first = true
		p, err := c.Privileges(ctx)
		if esa {
			err = onESAConfig(err)
		}
		return p, err
	})
	if err != nil && first {
		l.warn(err)
	}
	return p, err == nil
}

func (l *lister) client(cfg gateway.Config) (*gateway.Client, bool) {
	c, err := l.s.o.Pool.Client(cfg)
	if err != nil {
		l.warn(err)
		return nil, false
	}
	return c, true
}

// messageActions searches every gateway in parallel.
func (l *lister) messageActions(ctx context.Context, o observables.Observable) []Action {
	lists := make([][]Action, len(l.m.Gateways))
	var g errgroup.Group
	g.SetLimit(listConcurrency)
	for i, cfg := range l.m.Gateways {
		g.Go(func() error {
			lists[i] = l.gatewayMessageActions(ctx, cfg, o)
			return nil
		})
	}
	_ = g.Wait() // failures become warnings through l.warn

	var out []Action
	for _, list := range lists {
		out = append(out, list...)
	}
	return out
}

func (l *lister) gatewayMessageActions(ctx context.Context, cfg gateway.Config, o observables.Observable) []Action {
	c, ok := l.client(cfg)
	if !ok {
		return nil
	}
	privs, ok := l.privileges(ctx, c, cfg, false)
	if !ok || !slices.Contains(privs, PrivTracking) {
		return nil
	}
	msgs, err := l.s.messagesFor(ctx, c, l.m, o)
	if err != nil {
		l.warn(err)
		return nil
	}
	var out []Action
	for _, msg := range groupMessages(msgs) {
		out = append(out, l.actionsForMessage(ctx, c, cfg, privs, o, msg)...)
	}
	return out
}

func (l *lister) actionsForMessage(ctx context.Context, c *gateway.Client, cfg gateway.Config, privs []string, o observables.Observable, msg gateway.Message) []Action {
	t := target{Gateway: cfg.BaseURL, Serial: msg.Serial, MIDs: msg.MIDs}
	where := l.where(msg)
	switch {
	case delivered(msg) && !remediated(msg) && cfg.API == gateway.SMA && slices.Contains(privs, PrivRemediation):
		if msg.MessageID == "" || len(msg.Recipients) == 0 || len(msg.Recipients) > l.s.o.MaxRecipients || l.pending(ctx, t) {
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
	c, err := l.s.o.Pool.Client(*esa)
	if err != nil {
		l.warn(onESAConfig(err))
		return nil
	}
	// The privileges and the dictionary are read in parallel. A dictionary
	// read that failed for want of the privilege is not warned about,
	// because the missing privilege already explains it.
	var (
		wg   sync.WaitGroup
		dict *gateway.Dictionary
	)
	wg.Go(func() {
		dict, err = l.dict.get(func() (*gateway.Dictionary, error) {
			d, err := l.s.readDictionary(ctx, c, *esa, l.m.BlockDictionary)
			return d, onESAConfig(err)
		})
	})
	privs, ok := l.privileges(ctx, c, *esa, true)
	wg.Wait()
	if !ok || !slices.Contains(privs, PrivDictionaries) {
		return nil
	}
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
	var ref *refusal
	if errors.As(err, &ref) {
		return nil // the action does not apply to this observable
	}
	if err != nil {
		l.warn(err)
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
	if a.MessageID == "" {
		a.MessageID = b.MessageID
	}
	return a
}

// seenAsSender counts the tracked messages sent from an address or domain.
// It refuses, naming the one reason, an observable that sent nothing, that
// the operator protected, or whose entry would cut the organisation's own
// mail: an address that received mail, or a domain entry that matches a
// domain, or a subdomain of it, that received mail. An exact address entry
// matches only that address, so mail to others in its domain does not
// count.
func (s *Service) seenAsSender(ctx context.Context, m *relay.Module, o observables.Observable) (int, error) {
	domain := o.Value
	if o.Type == observables.Email {
		domain = domainOf(o.Value)
	}
	term := blockTermOf(o)
	if d, protected := s.protectedMatch(o); protected {
		return 0, refuse(relay.CodeInvalidRequest, "%s was not blocked: RELAY_PROTECTED_DOMAINS protects %s and its subdomains, and the entry %s would match their mail.", o.Value, d, term)
	}
	if domain == "" {
		return 0, refuse(relay.CodeInvalidArgument, "%s was not blocked: it names no domain.", o.Value)
	}

	clients := make([]*gateway.Client, len(m.Gateways))
	for i, cfg := range m.Gateways {
		c, err := s.o.Pool.Client(cfg)
		if err != nil {
			return 0, err
		}
		clients[i] = c
	}

	start, end := s.window(m)
	q := gateway.Query{Start: start, End: end, Limit: searchLimit}
	if o.Type == observables.Email {
		q.Sender = &gateway.Match{Op: gateway.Is, Value: o.Value}
	} else {
		q.SenderDomain = &gateway.Match{Op: gateway.Is, Value: o.Value}
	}
	// First the messages it sent, on every gateway at once.
	var (
		mu       sync.Mutex
		n        int
		conflict bool
	)
	err := searchEach(ctx, clients, []gateway.Query{q}, func(_ int, msg gateway.Message) {
		if !sentBy(msg, o) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		conflict = conflict || receivedBy(msg, o)
		n++
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, refuse(relay.CodeInvalidRequest, "%s was not blocked: message tracking shows no mail from it in the last %d days.", o.Value, lookback(m))
	}

	// Then any mail to it, on every gateway at once.
	if !conflict {
		err = searchEach(ctx, clients, recipientQueries(o, start, end), func(_ int, msg gateway.Message) {
			if receivedBy(msg, o) {
				mu.Lock()
				conflict = true
				mu.Unlock()
			}
		})
		if err != nil {
			return 0, err
		}
	}
	if conflict {
		return 0, s.recipientRefusal(m, o, term)
	}
	return n, nil
}

// recipientQueries find mail to the address, or to the domain and its
// subdomains, which a domain entry matches too.
func recipientQueries(o observables.Observable, start, end time.Time) []gateway.Query {
	if o.Type == observables.Email {
		return []gateway.Query{{Start: start, End: end, Limit: searchLimit,
			Recipient: &gateway.Match{Op: gateway.Is, Value: o.Value}}}
	}
	return []gateway.Query{
		{Start: start, End: end, Limit: 1, Recipient: &gateway.Match{Op: gateway.Contains, Value: "@" + o.Value}},
		{Start: start, End: end, Limit: searchLimit, Recipient: &gateway.Match{Op: gateway.Contains, Value: "." + o.Value}},
	}
}

func (s *Service) recipientRefusal(m *relay.Module, o observables.Observable, term string) error {
	if o.Type == observables.Email {
		return refuse(relay.CodeInvalidRequest, "%s was not blocked: message tracking shows mail to this address in the last %d days, so it belongs to the organisation's own mail and the entry %s would block it.", o.Value, lookback(m), term)
	}
	return refuse(relay.CodeInvalidRequest, "%s was not blocked: message tracking shows mail to this domain or a subdomain in the last %d days, so the entry %s would also match a recipient domain.", o.Value, lookback(m), term)
}

// blockTermOf is the entry a block action adds for o.
func blockTermOf(o observables.Observable) string {
	if o.Type == observables.Domain {
		return domainTerm(o.Value)
	}
	return senderTerm(o.Value)
}

// receivedBy reports whether the observable is a recipient of msg: the
// address itself, or for a domain the domain or one of its subdomains.
func receivedBy(msg gateway.Message, o observables.Observable) bool {
	if o.Type == observables.Email {
		return containsFold(msg.Recipients, o.Value)
	}
	return hasRecipientIn(msg, o.Value, true)
}

// searchEach runs every query on every client in parallel and hands each
// hit to visit with the index of its client, which visit may be called
// from several goroutines at once.
func searchEach(ctx context.Context, clients []*gateway.Client, queries []gateway.Query, visit func(int, gateway.Message)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listConcurrency)
	for i, c := range clients {
		for _, q := range queries {
			g.Go(func() error {
				res, err := c.Search(gctx, q)
				if err != nil {
					return err
				}
				for _, msg := range res.Messages {
					visit(i, msg)
				}
				return nil
			})
		}
	}
	return g.Wait()
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
