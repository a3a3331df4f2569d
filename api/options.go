package api

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxBody        = 1 << 20
	DefaultMaxObservables = 100
	DefaultMaxTokenSize   = 32 << 10
	DefaultRequestTimeout = 25 * time.Second
	// DefaultReadHeaderTimeout bounds the wait for a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// MinSecretLength is the shortest RELAY_JWT_SECRET accepted, in bytes.
	MinSecretLength = 32
)

// DefaultJWKSHosts are the platform's key servers for the US, EU and APJC
// regions.
var DefaultJWKSHosts = []string{
	"visibility.amp.cisco.com",
	"visibility.eu.amp.cisco.com",
	"visibility.apjc.amp.cisco.com",
}

// Options configures a Server. Zero values take the defaults stated on each
// field.
type Options struct {
	Enricher      Enricher
	Responder     Responder
	HealthChecker HealthChecker

	Token TokenOptions
	JWKS  JWKSOptions

	// MaxBody caps a request body, in bytes. Default: 1 MiB.
	MaxBody int64
	// MaxObservables caps the observables served per request; the rest are
	// dropped with a warning. Default: 100.
	MaxObservables int
	// RequestTimeout bounds the work behind one request. Default: 25s.
	RequestTimeout time.Duration
	// ReadHeaderTimeout closes connections whose request headers do not
	// arrive in time, so slow clients cannot hold connections. Default: 10s.
	ReadHeaderTimeout time.Duration

	// Logger receives start, stop and rejected-request logs. Default: discard.
	Logger *slog.Logger
	// Metrics counts requests; nil disables request metrics.
	Metrics *Metrics
	// Ping reports whether the shared state store is reachable, for /readyz;
	// nil means the relay keeps state in process.
	Ping func(ctx context.Context) error
	// Version is returned by /version. Default: "0.0.0".
	Version string
	// Now is the clock for token time checks and JWKS caching. Default: time.Now.
	Now func() time.Time
}

// TokenOptions are the rules a configuration token must satisfy.
type TokenOptions struct {
	// Secret enables HS256 tokens; at least 32 bytes. Empty disables HS256.
	Secret []byte
	// JWKSHosts are the hosts (host or host:port) RS256 tokens may name in
	// jwks_host. Default: DefaultJWKSHosts.
	JWKSHosts []string
	// Audience is the required "aud". RS256 needs it; HS256 checks it when set.
	Audience string
	// GatewayHosts allow-lists GATEWAY_URL and ESA_CONFIG_URL hosts, as host
	// (any port) or host:port. RS256 needs it.
	GatewayHosts []string
	// ForwardDomains are the mail domains FORWARD_ADDRESS may use; empty
	// rejects every FORWARD_ADDRESS.
	ForwardDomains []string
	// MaxTokenSize rejects longer tokens before parsing, in bytes. Default: 32 KiB.
	MaxTokenSize int
	// Leeway tolerates clock skew on exp, nbf and iat. Default: 30s.
	Leeway time.Duration
}

// JWKSOptions configures the client that fetches RS256 signing keys.
type JWKSOptions struct {
	// DialContext replaces the dialer, so tests can record and refuse dials.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs replaces the system roots, so tests can trust a local server.
	RootCAs *x509.CertPool
	// Timeout bounds one fetch. Default: 5s.
	Timeout time.Duration
	// MaxBody caps a key set document, in bytes. Default: 256 KiB.
	MaxBody int64
	// TTL is how long fetched keys are used before a refetch. Default: 1h.
	TTL time.Duration
	// MinRefetch is the shortest interval between two fetches for one host
	// when a token names an unknown key id. Default: 1m.
	MinRefetch time.Duration
}

func (o *Options) setDefaults() {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxObservables <= 0 {
		o.MaxObservables = DefaultMaxObservables
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "0.0.0"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Token.JWKSHosts == nil {
		o.Token.JWKSHosts = DefaultJWKSHosts
	}
	if o.Token.MaxTokenSize <= 0 {
		o.Token.MaxTokenSize = DefaultMaxTokenSize
	}
	if o.Token.Leeway <= 0 {
		o.Token.Leeway = 30 * time.Second
	}
	o.JWKS.setDefaults()
}

func (o *JWKSOptions) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 256 << 10
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.MinRefetch <= 0 {
		o.MinRefetch = time.Minute
	}
}

func (o *Options) validate() error {
	var errs []error
	if o.Enricher == nil || o.Responder == nil || o.HealthChecker == nil {
		errs = append(errs, errors.New("api: Enricher, Responder and HealthChecker are required"))
	}
	if len(o.Token.Secret) > 0 && len(o.Token.Secret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("api: the HS256 secret has %d bytes; use at least %d", len(o.Token.Secret), MinSecretLength))
	}
	for _, h := range o.Token.JWKSHosts {
		if _, err := normalizeHostEntry(h); err != nil {
			errs = append(errs, fmt.Errorf("api: JWKS host: %w", err))
		}
	}
	for _, h := range o.Token.GatewayHosts {
		if _, err := normalizeHostEntry(h); err != nil {
			errs = append(errs, fmt.Errorf("api: gateway host: %w", err))
		}
	}
	return errors.Join(errs...)
}

// rs256Enabled reports whether RS256 tokens can be accepted: the audience
// binds a token to this relay and the gateway allow-list binds its claims to
// the operator's appliances, so both must be set.
func (t *TokenOptions) rs256Enabled() bool {
	return t.Audience != "" && len(t.GatewayHosts) > 0 && len(t.JWKSHosts) > 0
}

// normalizeHostEntry lower-cases an allow-list entry ("host" or
// "host:port") and removes a trailing dot from the host.
func normalizeHostEntry(entry string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(entry))
	host, port, err := net.SplitHostPort(e)
	if err != nil {
		host, port = e, ""
	}
	host = strings.TrimSuffix(host, ".")
	if !validHost(host) {
		return "", fmt.Errorf("%q is not a host name or host:port", entry)
	}
	if port == "" {
		return host, nil
	}
	if !validPort(port) {
		return "", fmt.Errorf("%q has an invalid port", entry)
	}
	return net.JoinHostPort(host, port), nil
}

// validHost accepts DNS names and IP literals, nothing with path, user
// information or query characters.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n > 0 && n <= 65535
}

// CheckHostEntry checks an allow-list entry: a host name or IP literal,
// optionally with a port.
func CheckHostEntry(entry string) error {
	_, err := normalizeHostEntry(entry)
	return err
}
