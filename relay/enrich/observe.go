package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
			s.cacheOutcome(ctx, c.tenant, t, v, o)
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
	return bundle, append(errs, privilegeWarnings(outcomes)...)
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

// cacheOutcome caches the verdict of a lookup whose calls all ran. When a
// missing privilege left AMP or URL data out, the verdict is cached for
// NegativeTTL only. Not caching it would send every request to the gateway
// for as long as the privilege is missing. Caching it until its valid time
// ends would keep a verdict made without AMP or URL data long after the
// privilege is granted.
func (s *Service) cacheOutcome(ctx context.Context, tenant string, t target, v *ctim.Verdict, o *outcome) {
	if !o.complete() {
		return
	}
	if o.partial() {
		s.writeCacheUntil(ctx, tenant, t, v, s.opts.Now().Add(s.opts.NegativeTTL))
		return
	}
	s.writeCache(ctx, tenant, t, v)
}

// missedData names what the analyst misses without each detail privilege.
var missedData = map[string]string{
	gateway.PrivAMPDetails: "AMP verdicts and file hashes of attachments",
	gateway.PrivURLDetails: "URL verdicts",
}

// privilegeWarnings gives one warning per gateway and detail privilege its
// account lacks, naming the data the sightings and verdicts miss.
func privilegeWarnings(outcomes []*outcome) []*relay.Error {
	var seen []refusal
	var out []*relay.Error
	for _, o := range outcomes {
		if o == nil {
			continue
		}
		for _, r := range o.refused {
			if slices.Contains(seen, r) {
				continue
			}
			seen = append(seen, r)
			missed := missedData[r.privilege]
			if missed == "" {
				missed = "some message details"
			}
			out = append(out, relay.NewWarning(relay.CodePermission, fmt.Sprintf(
				"The API account on %s lacks %s, so %s are missing. Grant it on the gateway.",
				r.gateway, r.privilege, missed)))
		}
	}
	return out
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
		s.cacheOutcome(ctx, c.tenant, t, v, outcomes[i])
	}
	errs = append(errs, gatewayErrors(m, outcomes)...)
	errs = append(errs, budgetWarnings(outcomes, s.opts.CallBudget)...)
	errs = append(errs, detailsWarning(outcomes)...)
	return data, append(errs, privilegeWarnings(outcomes)...)
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
