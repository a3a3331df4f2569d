package gateway

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// PoolOptions configures a Pool. Zero fields take the defaults named on
// each field.
type PoolOptions struct {
	// Key is the HMAC key of the pool's client keys; random when nil.
	Key []byte
	// MaxClients bounds the pool; the least recently used client is
	// evicted. Default: 256.
	MaxClients int
	// Timeout is the deadline of one HTTP exchange. Default: 30s.
	Timeout time.Duration
	// DialTimeout bounds the TCP connect and the TLS handshake. Default: 10s.
	DialTimeout time.Duration
	// HeaderTimeout bounds the wait for the response headers. Default: 30s.
	HeaderTimeout time.Duration
	// MaxBody caps a response body in bytes. Default: 16 MiB.
	MaxBody int64
	// UserAgent is sent on every request, for example "esa-relay/1.2.3".
	UserAgent string
	// AllowedHosts are the RELAY_GATEWAY_HOSTS entries, "host" or
	// "host:port": only these may resolve to loopback, link-local or
	// unspecified addresses.
	AllowedHosts []string
	// DialContext opens connections; default a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver resolves gateway host names; default net.DefaultResolver.
	Resolver interface {
		LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	}
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives retries, failed logins and breaker changes; default
	// slog.Default().
	Logger *slog.Logger
	// Observer receives call and breaker events; nil sends none.
	Observer Observer
	// BreakerFailures is the number of consecutive failures that opens a
	// client's breaker. Default: 5.
	BreakerFailures int
	// BreakerOpenFor is how long an open breaker fails fast before it lets
	// a trial call through. Default: 30s.
	BreakerOpenFor time.Duration
	// PageSize is the limit of one message tracking page. Default: 100.
	PageSize int
	// MaxPages caps the pages of one search. Default: 10.
	MaxPages int
	// FanOut caps the gateways one FanOut call runs at once. Default: 4.
	FanOut int
	// LoginBackoff is the minimum gap after a rejected login before the
	// same gateway, user and password are tried again. Default: 30s.
	LoginBackoff time.Duration
	// LoginFailureLimit is the number of rejected logins of one gateway and
	// user, across all passwords, within LoginFailureWindow after which
	// only passwords the gateway accepted in the last 24 hours may log in.
	// Keep it below the appliance's lockout threshold. Default: 3.
	LoginFailureLimit int
	// LoginFailureWindow is the period LoginFailureLimit counts rejected
	// logins over. Default: 15m.
	LoginFailureWindow time.Duration
}

func (o *PoolOptions) setDefaults() {
	if len(o.Key) == 0 {
		o.Key = make([]byte, 32)
		_, _ = rand.Read(o.Key)
	}
	setDefault(&o.MaxClients, 256)
	setDefault(&o.Timeout, 30*time.Second)
	setDefault(&o.DialTimeout, 10*time.Second)
	setDefault(&o.HeaderTimeout, 30*time.Second)
	setDefault(&o.MaxBody, 16<<20)
	setDefault(&o.BreakerFailures, 5)
	setDefault(&o.BreakerOpenFor, 30*time.Second)
	setDefault(&o.PageSize, 100)
	setDefault(&o.MaxPages, 10)
	setDefault(&o.FanOut, 4)
	setDefault(&o.LoginBackoff, 30*time.Second)
	setDefault(&o.LoginFailureLimit, 3)
	setDefault(&o.LoginFailureWindow, 15*time.Minute)
	if o.UserAgent == "" {
		o.UserAgent = "esa-relay"
	}
	if o.DialContext == nil {
		o.DialContext = (&net.Dialer{Timeout: o.DialTimeout}).DialContext
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// BreakerCounter is implemented by an Observer that keeps the number of
// circuit breakers per host and state. The pool counts each new client's
// breaker as closed, moves it on every transition and removes it when it
// evicts the client, so a host's counts cover all its credential sets.
type BreakerCounter interface {
	CountBreakers(host, state string, delta int)
}

// Pool holds one Client per credential set, keyed by an HMAC of every
// field of the Config, so two tenants never share a session or a breaker.
type Pool struct {
	opts    PoolOptions
	log     *slog.Logger
	guard   *addressGuard
	logins  *loginThrottle
	mu      sync.Mutex
	clients map[[32]byte]*list.Element
	lru     *list.List
}

type poolEntry struct {
	key    [32]byte
	client *Client
}

// NewPool returns an empty pool.
func NewPool(o PoolOptions) *Pool {
	o.setDefaults()
	guard := newAddressGuard(o.AllowedHosts, o.Resolver, o.DialContext)
	guard.dialTimeout = o.DialTimeout
	return &Pool{
		opts:    o,
		log:     o.Logger.With("component", "gateway"),
		guard:   guard,
		logins:  newLoginThrottle(o),
		clients: map[[32]byte]*list.Element{},
		lru:     list.New(),
	}
}

// Client returns the pool's client for cfg, creating it on first use. It
// validates cfg: an https base URL with no user info, path, query or
// fragment, a known API, a user, a password and a parsable CA bundle.
func (p *Pool) Client(cfg Config) (*Client, error) {
	cfg, err := validateConfig(cfg)
	if err != nil {
		return nil, err
	}
	key := p.key(cfg)

	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.clients[key]; ok {
		p.lru.MoveToFront(el)
		return el.Value.(*poolEntry).client, nil
	}
	c, err := newClient(p, cfg, p.passwordKey(cfg))
	if err != nil {
		return nil, err
	}
	p.clients[key] = p.lru.PushFront(&poolEntry{key: key, client: c})
	for p.lru.Len() > p.opts.MaxClients {
		oldest := p.lru.Back()
		p.lru.Remove(oldest)
		entry := oldest.Value.(*poolEntry)
		delete(p.clients, entry.key)
		entry.client.retire()
	}
	return c, nil
}

// key hashes every field of cfg.
func (p *Pool) key(cfg Config) [32]byte {
	return p.hash(cfg.BaseURL, string(cfg.API), cfg.User, cfg.Password.Reveal(), cfg.CAPEM)
}

// passwordKey hashes the base URL, user and password, so the login
// throttle can tell passwords apart without keeping them. It leaves out
// the API flavour and CA bundle because the appliance account gets the
// same login with any of them.
func (p *Pool) passwordKey(cfg Config) [32]byte {
	return p.hash(strings.ToLower(cfg.BaseURL), cfg.User, cfg.Password.Reveal())
}

// hash returns the HMAC of fields under the pool's key, each with a length
// prefix so that field boundaries cannot shift.
func (p *Pool) hash(fields ...string) [32]byte {
	mac := hmac.New(sha256.New, p.opts.Key)
	for _, s := range fields {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		mac.Write(n[:])
		mac.Write([]byte(s))
	}
	var out [32]byte
	copy(out[:], mac.Sum(nil))
	return out
}

// FanOut runs fn once per config with at most PoolOptions.FanOut running at
// once. The returned errors are aligned with cfgs; an invalid config gets
// its validation error and fn is not called for it.
func (p *Pool) FanOut(ctx context.Context, cfgs []Config, fn func(ctx context.Context, c *Client) error) []error {
	errs := make([]error, len(cfgs))
	sem := make(chan struct{}, p.opts.FanOut)
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		c, err := p.Client(cfg)
		if err != nil {
			errs[i] = err
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = classifyTransport(cfg.BaseURL, "fan-out", ctx.Err())
			continue
		}
		wg.Add(1)
		go func(i int, c *Client) {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(ctx, c)
		}(i, c)
	}
	wg.Wait()
	return errs
}
