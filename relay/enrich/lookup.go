package enrich

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// hit is one tracked message found for an observable, with its details
// when they were fetched.
type hit struct {
	msg     gateway.Message
	details *gateway.Details
}

// outcome is what the gateways returned for one observable. It is shared
// between coalesced requests, so nobody modifies it after lookup.
type outcome struct {
	// hits are newest first, at most the entities limit.
	hits []hit
	// failed maps a gateway base URL to its first failure.
	failed map[string]error
	// searchCut reports that the request's call budget was spent before
	// every search ran; such a failure is not the gateway's.
	searchCut bool
	// detailsMissed counts messages whose detail calls failed or whose
	// lookup ended first.
	detailsMissed int
	// detailsCut counts messages whose details were not read because the
	// request's call budget was spent.
	detailsCut int
	// refused lists the detail privileges the gateways' accounts lack, so
	// the details read miss their AMP or URL part.
	refused []refusal
}

// refusal is a detail privilege that a gateway's account lacks.
type refusal struct {
	gateway, privilege string
}

// partial reports whether the details miss data that a privilege the
// account lacks would have added.
func (o *outcome) partial() bool {
	return len(o.refused) > 0
}

// complete reports whether every search and detail call ran and
// succeeded, the condition for caching a verdict.
func (o *outcome) complete() bool {
	return len(o.failed) == 0 && !o.searchCut && o.detailsMissed == 0 && o.detailsCut == 0
}

// call carries one request's settings and shared limits into lookups.
type call struct {
	module *relay.Module
	tenant string
	win    window
	limit  int
	// slots bounds the request's messages with detail calls in flight.
	// lookupAll sets it and searching, because a request served from the
	// cache needs neither.
	slots chan struct{}
	// searching bounds the request's observables with searches in flight.
	// A lookup gives its place up before its detail calls, so the next
	// observable's searches overlap them.
	searching chan struct{}
	// details is the request's budget of detail calls, set by lookupAll.
	details *detailBudget
}

func (s *Service) newCall(m *relay.Module) *call {
	return &call{
		module: m,
		tenant: s.tenants.Of(m),
		win:    newWindow(s.opts.Now(), m),
		limit:  entitiesLimit(m),
	}
}

// lookup searches every gateway for t. Identical lookups of one tenant
// running at the same time share one set of gateway calls.
func (s *Service) lookup(ctx context.Context, c *call, t target, details bool) (*outcome, error) {
	key := strings.Join([]string{
		c.tenant, strconv.FormatBool(details), strconv.Itoa(c.module.LookbackDays),
		strconv.Itoa(c.limit), string(t.obs.Type), strings.Join(t.forms, "\x00"),
	}, "\x01")

	ch := s.flight.DoChan(key, func() (any, error) {
		// The lookup outlives a caller that gives up, so the others
		// waiting for it still get an answer.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.LookupTimeout)
		defer cancel()
		return s.search(lctx, c, t, details), nil
	})
	select {
	case r := <-ch:
		return r.Val.(*outcome), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// search runs t's queries on every gateway, all in parallel, merges the
// messages and fetches the details the lookup needs.
func (s *Service) search(ctx context.Context, c *call, t target, details bool) *outcome {
	msgs, errs := s.searchGateways(ctx, c, queries(t, c.win, c.limit))

	out := &outcome{failed: map[string]error{}}
	for i, err := range errs {
		switch {
		case err == nil:
		case isBudgetSpent(err):
			out.searchCut = true
		default:
			out.failed[c.module.Gateways[i].BaseURL] = err
		}
	}
	out.hits = merge(msgs, c.limit)
	out.detailsMissed, out.detailsCut = s.fetchDetails(ctx, c, out.hits, detailsFilter(t, details))
	out.refused = refusals(out.hits)
	return out
}

// refusals lists each gateway's refused detail privileges once.
func refusals(hits []hit) []refusal {
	var out []refusal
	for _, h := range hits {
		if h.details == nil {
			continue
		}
		for _, privilege := range h.details.Missing {
			r := refusal{gateway: h.msg.Gateway, privilege: privilege}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// searchGateways runs the queries on every gateway at once, within the
// request's bound on observables searched at once. It returns the messages
// found and one error per gateway, in the module's order.
func (s *Service) searchGateways(ctx context.Context, c *call, qs []gateway.Query) ([]gateway.Message, []error) {
	// When ctx ends first, the searches below fail at once with its error.
	select {
	case c.searching <- struct{}{}:
		defer func() { <-c.searching }()
	case <-ctx.Done():
	}

	var mu sync.Mutex
	var msgs []gateway.Message
	errs := s.opts.Pool.FanOut(ctx, c.module.Gateways, func(ctx context.Context, cl *gateway.Client) error {
		g, gctx := errgroup.WithContext(ctx)
		for _, q := range qs {
			g.Go(func() error {
				res, err := cl.Search(gctx, q)
				if err != nil {
					return err
				}
				mu.Lock()
				msgs = append(msgs, res.Messages...)
				mu.Unlock()
				return nil
			})
		}
		return g.Wait()
	})
	return msgs, errs
}

// detailsFilter picks the messages whose detail calls a lookup makes. With
// details set it picks all of them. Otherwise a Message-ID lookup picks
// the messages whose search item carries no Message-ID, as in the 12.x
// search format, because only their details name it.
func detailsFilter(t target, details bool) func(h hit) bool {
	if details {
		return func(hit) bool { return true }
	}
	if t.obs.Type == observables.MessageID {
		return func(h hit) bool { return len(searchMessageIDs(h.msg)) == 0 }
	}
	return func(hit) bool { return false }
}

// merge removes messages found by several queries, sorts newest first and
// keeps at most limit.
func merge(msgs []gateway.Message, limit int) []hit {
	seen := map[string]bool{}
	var hits []hit
	for _, m := range msgs {
		k := messageKey(m)
		if seen[k] {
			continue
		}
		seen[k] = true
		hits = append(hits, hit{msg: m})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].msg.Time.After(hits[j].msg.Time) })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// messageKey identifies a message across searches: a MID is unique only
// per appliance, and rejected connections have none.
func messageKey(m gateway.Message) string {
	if m.Rejected || len(m.MIDs) == 0 {
		return strings.Join([]string{"rejected", m.Gateway, m.Serial, strconv.FormatInt(m.ICID, 10),
			m.SenderIP, m.Time.String()}, "|")
	}
	return strings.Join([]string{m.Gateway, m.Serial, strconv.FormatInt(m.MIDs[0], 10)}, "|")
}

// fetchDetails fills in the details of every message that want picks, in
// parallel within the request's slots and budget of detail calls. It
// returns how many messages were missed because a call failed or ctx
// ended, and how many were cut because the budget was spent.
func (s *Service) fetchDetails(ctx context.Context, c *call, hits []hit, want func(h hit) bool) (missed, cut int) {
	if countFrom(hits, want) == 0 {
		return 0, 0
	}
	clients := s.detailClients(c.module)

	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range hits {
		h := &hits[i]
		if !hasDetails(*h) || !want(*h) {
			continue
		}
		if !c.details.take() {
			mu.Lock()
			cut++
			mu.Unlock()
			continue
		}
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			mu.Lock()
			defer mu.Unlock()
			return missed + countFrom(hits[i:], want), cut
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-c.slots }()
			err := fetchOne(ctx, clients, h)
			if err == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if isBudgetSpent(err) {
				cut++
				return
			}
			s.log.Warn("message details skipped", "gateway", h.msg.Gateway, "err", err)
			missed++
		}()
	}
	wg.Wait()
	return missed, cut
}

// countFrom counts the messages of hits that have detail calls to make.
func countFrom(hits []hit, want func(h hit) bool) int {
	n := 0
	for _, h := range hits {
		if hasDetails(h) && want(h) {
			n++
		}
	}
	return n
}

// hasDetails reports whether the appliance keeps details of the message:
// rejected connections have no MID to ask for.
func hasDetails(h hit) bool {
	return !h.msg.Rejected && len(h.msg.MIDs) > 0
}

// gatewayClient is a gateway's client, or the error that kept the pool
// from providing one.
type gatewayClient struct {
	client *gateway.Client
	err    error
}

// detailClients gets each gateway's client once per lookup rather than
// once per message, because Pool.Client checks the whole configuration,
// CA certificates included.
func (s *Service) detailClients(m *relay.Module) map[string]gatewayClient {
	out := make(map[string]gatewayClient, len(m.Gateways))
	for _, g := range m.Gateways {
		cl, err := s.opts.Pool.Client(g)
		out[g.BaseURL] = gatewayClient{client: cl, err: err}
	}
	return out
}

func fetchOne(ctx context.Context, clients map[string]gatewayClient, h *hit) error {
	gc, ok := clients[h.msg.Gateway]
	if !ok {
		return &gateway.Error{Kind: gateway.KindUnknown, Gateway: h.msg.Gateway, Op: "details",
			Message: "the message names a gateway that is not configured"}
	}
	if gc.err != nil {
		return gc.err
	}
	d, err := gc.client.Details(ctx, h.msg.Serial, h.msg.MIDs)
	if err != nil {
		return err
	}
	h.details = d
	return nil
}

// gatewayErrors turns failures into one fatal error per gateway, in the
// module's gateway order.
func gatewayErrors(m *relay.Module, outcomes []*outcome) []*relay.Error {
	var errs []*relay.Error
	for _, g := range m.Gateways {
		for _, o := range outcomes {
			if o == nil {
				continue
			}
			if err, ok := o.failed[g.BaseURL]; ok {
				errs = append(errs, relay.FromGateway(err))
				break
			}
		}
	}
	return errs
}
