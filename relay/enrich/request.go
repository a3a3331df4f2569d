package enrich

import (
	"errors"
	"strings"
	"time"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// target is one observable of a request after validation: the normalised
// observable and every form to search for.
type target struct {
	obs observables.Observable
	// sent is the observable as the platform sent it.
	sent observables.Observable
	// forms is nil until fillForms runs, because a cache hit needs none.
	forms []string
}

// requested is the observable as the platform sent it, trimmed. Entities
// carry it rather than the normalised value, so the platform attaches them
// to the observable it showed.
func (t target) requested() observables.Observable {
	return observables.Observable{Type: t.obs.Type, Value: strings.TrimSpace(t.sent.Value)}
}

// fillForms sets the forms to search for.
func (t *target) fillForms() {
	if t.forms != nil {
		return
	}
	t.forms = observables.SearchForms(t.sent)
	if len(t.forms) == 0 {
		t.forms = []string{t.obs.Value}
	}
}

// prepare validates the request's observables. Each invalid value gives
// one warning naming its type; unsupported types are skipped silently, as
// the platform sends types other modules handle.
func prepare(obs []observables.Observable) ([]target, []*relay.Error) {
	out := make([]target, 0, len(obs))
	var warnings []*relay.Error
	seen := make(map[observables.Observable]bool, len(obs))
	for _, o := range obs {
		if !observables.Supported(o.Type) {
			continue
		}
		n, err := observables.Normalize(o)
		if err != nil {
			warnings = append(warnings, invalidWarning(o, err))
			continue
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, target{obs: n, sent: o})
	}
	return out, warnings
}

func invalidWarning(o observables.Observable, err error) *relay.Error {
	var inv *observables.InvalidError
	if errors.As(err, &inv) {
		return relay.NewWarning(relay.CodeInvalidObservable, inv.Error()+"; the other observables were served.")
	}
	return relay.NewWarning(relay.CodeInvalidObservable, "invalid "+string(o.Type)+" observable; the other observables were served.")
}

// window is the message tracking period of a request.
type window struct {
	start, end time.Time
}

func newWindow(now time.Time, m *relay.Module) window {
	days := m.LookbackDays
	if days <= 0 {
		days = 30
	}
	return window{start: now.Add(-time.Duration(days) * 24 * time.Hour), end: now}
}

// entitiesLimit is the module's cap of entities per observable and type.
func entitiesLimit(m *relay.Module) int {
	if m.EntitiesLimit <= 0 {
		return 100
	}
	return m.EntitiesLimit
}
