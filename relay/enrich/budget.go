package enrich

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

// detailCallsPerMessage is the number of calls that read one message's
// details: the details, AMP details and URL details calls.
const detailCallsPerMessage = 3

// detailBudget is the part of a request's gateway calls left for detail
// calls once every search is provided for. Holding the searches' share
// back gives every observable its sightings before any details are read,
// whichever lookup finishes its searches first.
type detailBudget struct {
	calls atomic.Int64
}

// newDetailBudget leaves for detail calls what total leaves after
// searchCalls, and never less than zero.
func newDetailBudget(total, searchCalls int) *detailBudget {
	b := &detailBudget{}
	b.calls.Store(int64(max(total-searchCalls, 0)))
	return b
}

// take reserves the calls of one message's details. It returns false,
// and reserves nothing, when the calls left cannot cover them.
func (b *detailBudget) take() bool {
	for {
		left := b.calls.Load()
		if left < detailCallsPerMessage {
			return false
		}
		if b.calls.CompareAndSwap(left, left-detailCallsPerMessage) {
			return true
		}
	}
}

// searchCalls counts the calls the targets' searches make on the module's
// gateways, with one login per gateway. It is a lower bound: a search of
// several pages, a retry or a second login takes more.
func searchCalls(c *call, ts []target) int {
	n := 0
	for _, t := range ts {
		n += len(queries(t, c.win, c.limit))
	}
	return (n + 1) * len(c.module.Gateways)
}

// isBudgetSpent reports a call the gateway client rejected because the
// request's budget of gateway calls was spent.
func isBudgetSpent(err error) bool {
	var ge *gateway.Error
	return errors.As(err, &ge) && ge.Kind == gateway.KindBudget
}

// budgetWarnings tell the analyst what the call budget left out: the
// observables whose searches did not all run, and the messages whose
// details were not read. Either way the data is incomplete, so nothing
// was cached.
func budgetWarnings(outcomes []*outcome, budget int) []*relay.Error {
	observablesCut, detailsCut := 0, 0
	for _, o := range outcomes {
		if o == nil {
			continue
		}
		if o.searchCut {
			observablesCut++
		}
		detailsCut += o.detailsCut
	}
	var out []*relay.Error
	if observablesCut > 0 {
		out = append(out, relay.NewWarning(relay.CodeTooManyObservables, fmt.Sprintf(
			"%s not searched completely because the request's budget of %d gateway calls was spent, "+
				"so their sightings may be missing and their verdicts were not cached. "+
				"Ask for fewer observables at once, or raise RELAY_REQUEST_CALL_BUDGET.",
			plural(observablesCut, "observable was", "observables were"), budget)))
	}
	if detailsCut > 0 {
		out = append(out, relay.NewWarning(relay.CodeIncompleteDetails, fmt.Sprintf(
			"The details of %s were not read because the request's budget of %d gateway calls was spent, "+
				"so attachments, hashes and URLs may be missing and the verdicts were not cached. "+
				"Ask for fewer observables at once, or raise RELAY_REQUEST_CALL_BUDGET.",
			plural(detailsCut, "message", "messages"), budget)))
	}
	return out
}

// plural writes n with the singular or plural phrase that follows it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
