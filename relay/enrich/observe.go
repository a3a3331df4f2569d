package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
)

// Observe returns sightings, judgements and verdicts for the observables,
// from message tracking on every gateway. A failing gateway gives one fatal
// error beside the data of the healthy ones.
func (s *Service) Observe(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	targets, errs := prepare(obs)
	c := s.newCall(m)
	ctx = gateway.WithBudget(ctx, s.opts.CallBudget)

	outcomes, err := s.lookupAll(ctx, c, targets, func(observables.Type) bool { return true })
	if err != nil {
		return ctim.Bundle{}, append(errs, contextError(err))
	}

	b := s.newBuilder(c)
	perTarget := make([][]ctim.Sighting, len(targets))
	var bundle ctim.Bundle
	for i, t := range targets {
		o := outcomes[i]
		for _, h := range o.hits {
			perTarget[i] = append(perTarget[i], b.sighting(t.requested(), h))
		}
		var v *ctim.Verdict
		if judged(t.obs.Type) {
			var js []ctim.Judgement
			js, v = b.judgements(t, judge(t, o.hits))
			bundle.Judgements = append(bundle.Judgements, js...)
			if v != nil {
				bundle.Verdicts = append(bundle.Verdicts, *v)
			}
			if o.complete() {
				s.writeCache(ctx, c.tenant, t, v)
			}
		}
	}

	sightings, left := capSightings(perTarget, s.opts.MaxResponseBytes-encodedSize(bundle))
	bundle.Sightings = sightings
	if left > 0 {
		errs = append(errs, tooLargeWarning(left, s.opts.MaxResponseBytes))
	}
	errs = append(errs, gatewayErrors(m, outcomes)...)
	errs = append(errs, budgetWarnings(outcomes, s.opts.CallBudget)...)
	errs = append(errs, detailsWarning(outcomes)...)
	return bundle, errs
}

// detailsWarning warns the analyst when sightings lack attachments, hashes
// or URLs because detail calls failed; budgetWarnings covers the calls the
// request's budget left out.
func detailsWarning(outcomes []*outcome) []*relay.Error {
	missed := 0
	for _, o := range outcomes {
		if o != nil {
			missed += o.detailsMissed
		}
	}
	if missed == 0 {
		return nil
	}
	count := fmt.Sprintf("%d messages", missed)
	if missed == 1 {
		count = "1 message"
	}
	return []*relay.Error{relay.NewWarning(relay.CodeIncompleteDetails, "The details of "+count+
		" could not be read, so attachments, hashes and URLs may be missing and the verdicts were not cached. Try again later.")}
}

// Deliberate returns verdicts, from the cache when present and else from
// the same lookups as Observe, without the detail calls a verdict does not
// need.
func (s *Service) Deliberate(ctx context.Context, m *relay.Module, obs []observables.Observable) (any, []*relay.Error) {
	targets, errs := prepare(obs)
	c := s.newCall(m)
	ctx = gateway.WithBudget(ctx, s.opts.CallBudget)

	judgedTargets := make([]target, 0, len(targets))
	for _, t := range targets {
		if judged(t.obs.Type) {
			judgedTargets = append(judgedTargets, t)
		}
	}
	cached := s.readCache(ctx, c.tenant, judgedTargets)

	data := ctim.VerdictsData{Encoded: make([]json.RawMessage, 0, len(judgedTargets))}
	var misses []target
	for i, t := range judgedTargets {
		e := cached[i]
		if e == nil {
			misses = append(misses, t)
			continue
		}
		if e.verdict == nil {
			continue
		}
		verdict, err := verdictAsRequested(e.verdict, t)
		if err != nil {
			s.log.Warn("cached verdict unreadable, looked up again", "observable_type", string(t.obs.Type), "err", err)
			misses = append(misses, t)
			continue
		}
		data.Encoded = append(data.Encoded, verdict)
	}
	if s.opts.Observer != nil {
		s.opts.Observer.CacheLookups(len(judgedTargets)-len(misses), len(misses))
	}
	if len(misses) == 0 {
		return data, errs
	}

	outcomes, err := s.lookupAll(ctx, c, misses, needsDetails)
	if err != nil {
		return data, append(errs, contextError(err))
	}
	b := s.newBuilder(c)
	for i, t := range misses {
		_, v := b.judgements(t, judge(t, outcomes[i].hits))
		if v != nil {
			data.Verdicts = append(data.Verdicts, *v)
		}
		if outcomes[i].complete() {
			s.writeCache(ctx, c.tenant, t, v)
		}
	}
	errs = append(errs, gatewayErrors(m, outcomes)...)
	errs = append(errs, budgetWarnings(outcomes, s.opts.CallBudget)...)
	return data, append(errs, detailsWarning(outcomes)...)
}

// lookupAll looks up the targets and fills in their forms. The request's
// bounds on searches and detail calls apply inside each lookup. More
// lookups run than either bound allows, so one observable's searches
// overlap another's detail calls. details decides per type whether the
// detail calls are made.
func (s *Service) lookupAll(ctx context.Context, c *call, ts []target, details func(observables.Type) bool) ([]*outcome, error) {
	for i := range ts {
		ts[i].fillForms()
	}
	c.details = newDetailBudget(s.opts.CallBudget, searchCalls(c, ts))
	c.slots = make(chan struct{}, s.opts.Concurrency)
	c.searching = make(chan struct{}, s.opts.LookupConcurrency)
	out := make([]*outcome, len(ts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.LookupConcurrency + s.opts.Concurrency)
	for i, t := range ts {
		g.Go(func() error {
			o, err := s.lookup(gctx, c, t, details(t.obs.Type))
			out[i] = o
			return err
		})
	}
	return out, g.Wait()
}

// contextError reports a request that ended before the gateways responded.
func contextError(err error) *relay.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return relay.NewFatal(relay.CodeServiceUnavailable, "The request timed out before the email gateways responded. Try again, or ask for fewer observables.")
	}
	return relay.NewFatal(relay.CodeUnknown, "The request was canceled before the email gateways responded.")
}
