// Package enrich answers the enrichment routes: observe (sightings,
// judgements and verdicts from message tracking), deliberate (verdicts,
// cached) and refer (links into the gateway's web interface).
//
// The AsyncOS API has no general URL search: a URL is found only through
// the clicked-URL filter (webInteractionTrackingUrls) and the URL details
// of the messages that filter returns.
package enrich

import (
	"log/slog"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/store"
)

// Options configures a Service. Zero fields take the defaults named on
// each field.
type Options struct {
	// Pool provides the gateway clients. Required.
	Pool *gateway.Pool
	// Store holds the verdict cache. Required.
	Store store.Store
	// StateKey is the HMAC key of tenant ids (RELAY_STATE_KEY).
	StateKey []byte
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives cache failures and skipped details. New adds no
	// attribute to it, so the caller names the component, once.
	// Default: slog.Default().
	Logger *slog.Logger
	// Observer receives cache hit and miss counts; nil sends none.
	Observer relay.Observer
	// NegativeTTL is how long "nothing found" is cached; short because
	// message tracking lags minutes behind mail flow. Default: 60s.
	NegativeTTL time.Duration
	// CallBudget caps gateway calls per request, logins included.
	// Searches come first: detail calls get only what the searches of
	// every observable leave, three calls per message. The default fits
	// a request of 100 observables with two searches each on one gateway
	// (201 calls with the login) and leaves the details of 99 messages.
	// Default: 500.
	CallBudget int
	// Concurrency caps the messages of one request whose detail calls
	// are in flight at once. Each message takes three calls at once
	// (details, AMP details, URL details), so a request has at most three
	// times this many detail calls in flight. Default: 32.
	Concurrency int
	// LookupConcurrency caps the observables of one request whose
	// searches are in flight at once; each runs its searches on every
	// gateway in parallel. An observable's detail calls count against
	// Concurrency instead. Default: 16.
	LookupConcurrency int
	// MaxResponseBytes caps the encoded entities of one observe
	// response; sightings past it are left out with a warning.
	// Default: 8 MiB.
	MaxResponseBytes int
	// Source names the relay in entities. Default: "Cisco Secure Email".
	Source string
	// LookupTimeout bounds one shared lookup, which may outlive the
	// request that started it when others wait for it. Default: 60s.
	LookupTimeout time.Duration
	// CacheLogInterval is the minimum time between two log lines about a
	// failing cache. Default: 1m.
	CacheLogInterval time.Duration
}

// Service implements the enrichment routes.
type Service struct {
	opts     Options
	tenants  *relay.Tenants
	log      *slog.Logger
	flight   singleflight.Group
	cacheLog *throttle
}

// New builds a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.NegativeTTL <= 0 {
		o.NegativeTTL = 60 * time.Second
	}
	if o.CallBudget <= 0 {
		o.CallBudget = 500
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.LookupConcurrency <= 0 {
		o.LookupConcurrency = 16
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 8 << 20
	}
	if o.Source == "" {
		o.Source = "Cisco Secure Email"
	}
	if o.LookupTimeout <= 0 {
		o.LookupTimeout = 60 * time.Second
	}
	if o.CacheLogInterval <= 0 {
		o.CacheLogInterval = time.Minute
	}
	return &Service{
		opts:     o,
		tenants:  relay.NewTenants(o.StateKey),
		log:      o.Logger,
		cacheLog: newThrottle(o.CacheLogInterval, o.Now),
	}
}
