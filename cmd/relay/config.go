package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/securex-esa/relay/api"
)

// Config is the relay's configuration, read from the environment by
// LoadConfig. Each field's default and unit are in settings.
type Config struct {
	Addr        string
	MetricsAddr string

	JWTSecret        []byte
	JWKSHosts        []string
	Audience         string
	GatewayHosts     []string
	ForwardDomains   []string
	ProtectedDomains []string

	RedisURL string
	StateKey []byte

	LogLevel  slog.Level
	LogFormat string

	MaxBody           int64
	MaxObservables    int
	JWKSTTL           time.Duration
	JWKSTimeout       time.Duration
	GatewayTimeout    time.Duration
	GatewayMaxBody    int64
	RequestTimeout    time.Duration
	ReadHeaderTimeout time.Duration
	CallBudget        int
	DetailConcurrency int
	LookupConcurrency int
	BreakerFailures   int
	BreakerOpenFor    time.Duration
	NegativeTTL       time.Duration
	MaxRecipients     int
	AuditMaxLen       int64
	AuditMaxAge       time.Duration
	ShutdownTimeout   time.Duration

	// OnListen, when set, receives the relay and metrics addresses once both
	// listen; tests use it to learn the ports picked for ":0".
	OnListen func(relayAddr, metricsAddr net.Addr)
	// GatewayDial, when set, replaces the dialer of gateway connections;
	// tests use it to record and refuse dials.
	GatewayDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// GatewayResolver, when set, replaces the resolver behind the gateway
	// address guard; tests use it to map a name to loopback.
	GatewayResolver interface {
		LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	}
}

// setting is one environment variable: its documentation and how it sets a
// Config field.
type setting struct {
	Name    string
	Default string
	Unit    string
	Meaning string
	apply   func(c *Config, value string) error
}

// settings lists every environment variable the relay reads, in the order
// -h prints them.
var settings = []setting{
	{"RELAY_ADDR", ":9090", "host:port", "Address of the relay protocol listener; 127.0.0.1:0 picks a free port and the log names it.", addrSetting(func(c *Config) *string { return &c.Addr })},
	{"RELAY_METRICS_ADDR", ":9091", "host:port", "Address of /metrics and /readyz; \"off\" disables the listener. Keep it off the public network.", addrSetting(func(c *Config) *string { return &c.MetricsAddr })},
	{"RELAY_JWT_SECRET", "", "text, 32+ bytes", "Enables HS256 configuration tokens signed with this secret.", secretSetting(func(c *Config) *[]byte { return &c.JWTSecret })},
	{"RELAY_JWKS_HOSTS", strings.Join(api.DefaultJWKSHosts, ","), "host[:port] list", "Key servers RS256 tokens may name in jwks_host; keys come from https://<host>/.well-known/jwks.", hostListSetting(func(c *Config) *[]string { return &c.JWKSHosts })},
	{"RELAY_AUDIENCE", "", "text", "Required aud claim; RS256 tokens are accepted only when this and RELAY_GATEWAY_HOSTS are set.", func(c *Config, v string) error { c.Audience = v; return nil }},
	{"RELAY_GATEWAY_HOSTS", "", "host[:port] list", "Gateway hosts GATEWAY_URL and ESA_CONFIG_URL may name; \"host\" allows every port. Also the only hosts allowed to resolve to loopback or link-local addresses.", hostListSetting(func(c *Config) *[]string { return &c.GatewayHosts })},
	{"RELAY_FORWARD_DOMAINS", "", "domain list", "Mail domains FORWARD_ADDRESS may belong to; empty disables forward actions.", listSetting(func(c *Config) *[]string { return &c.ForwardDomains })},
	{"RELAY_PROTECTED_DOMAINS", "", "domain list", "Domains, with their subdomains, that block actions never offer to block (your own domains).", listSetting(func(c *Config) *[]string { return &c.ProtectedDomains })},
	{"RELAY_REDIS_URL", "", "URL", "Redis for state shared by replicas (redis://, rediss://, unix:///path/to.sock, redis+sentinel://h:p,h:p/MASTER, redis+cluster://h:p,h:p); unset keeps state in process.", func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{"RELAY_STATE_KEY", "", "text, 32+ bytes", "Key of tenant ids and sealed records in shared state; required with RELAY_REDIS_URL, random per process without it.", secretSetting(func(c *Config) *[]byte { return &c.StateKey })},
	{"RELAY_LOG_LEVEL", "info", "debug|info|warn|error", "Lowest level logged.", func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"RELAY_LOG_FORMAT", "json", "json|text", "Log line format.", formatSetting},
	{"RELAY_MAX_BODY", "1048576", "bytes", "Largest request body accepted.", int64Setting(func(c *Config) *int64 { return &c.MaxBody }, 1024, 64<<20)},
	{"RELAY_MAX_OBSERVABLES", "100", "count", "Observables served per request; the rest are dropped with a warning.", intSetting(func(c *Config) *int { return &c.MaxObservables }, 1, 10000)},
	{"RELAY_JWKS_TTL", "1h", "duration", "How long fetched RS256 keys are used before a refetch.", durationSetting(func(c *Config) *time.Duration { return &c.JWKSTTL }, time.Minute, 24*time.Hour)},
	{"RELAY_JWKS_TIMEOUT", "5s", "duration", "Deadline of one key set fetch.", durationSetting(func(c *Config) *time.Duration { return &c.JWKSTimeout }, 100*time.Millisecond, time.Minute)},
	{"RELAY_GATEWAY_TIMEOUT", "30s", "duration", "Deadline of one gateway HTTP exchange.", durationSetting(func(c *Config) *time.Duration { return &c.GatewayTimeout }, time.Second, 5*time.Minute)},
	{"RELAY_GATEWAY_MAX_BODY", "16777216", "bytes", "Largest gateway response body read.", int64Setting(func(c *Config) *int64 { return &c.GatewayMaxBody }, 64<<10, 1<<30)},
	{"RELAY_REQUEST_TIMEOUT", "30s", "duration", "Deadline of the work behind one relay request.", durationSetting(func(c *Config) *time.Duration { return &c.RequestTimeout }, time.Second, 10*time.Minute)},
	{"RELAY_READ_HEADER_TIMEOUT", "10s", "duration", "How long a client may take to send a request's headers before its connection is closed.", durationSetting(func(c *Config) *time.Duration { return &c.ReadHeaderTimeout }, time.Second, 5*time.Minute)},
	{"RELAY_REQUEST_CALL_BUDGET", "500", "count", "Gateway calls one relay request may make. Searches are reserved first, so every observable is searched; details get what is left, and a request over the budget gets its data with a warning naming what was left out. 500 covers the default 100 observables on one gateway with details of about 100 messages; raise it for several gateways.", intSetting(func(c *Config) *int { return &c.CallBudget }, 1, 100000)},
	{"RELAY_LOOKUP_CONCURRENCY", "16", "count", "Observables of one relay request searched at once; each runs its one or two searches on every gateway in parallel, so 16 means up to 32 searches per gateway. Lower it if the appliances slow down under relay load.", intSetting(func(c *Config) *int { return &c.LookupConcurrency }, 1, 1000)},
	{"RELAY_DETAIL_CONCURRENCY", "32", "count", "Messages of one relay request whose details are fetched at once; each takes three calls at once (details, AMP details, URL details), so 32 means up to 96 calls. RELAY_REQUEST_CALL_BUDGET still caps the total.", intSetting(func(c *Config) *int { return &c.DetailConcurrency }, 1, 1000)},
	{"RELAY_BREAKER_FAILURES", "5", "count", "Consecutive gateway failures that open a credential set's circuit breaker.", intSetting(func(c *Config) *int { return &c.BreakerFailures }, 1, 1000)},
	{"RELAY_BREAKER_OPEN_FOR", "30s", "duration", "How long an open breaker fails fast before a trial call.", durationSetting(func(c *Config) *time.Duration { return &c.BreakerOpenFor }, time.Second, time.Hour)},
	{"RELAY_NEGATIVE_TTL", "60s", "duration", "How long \"nothing found\" is cached.", durationSetting(func(c *Config) *time.Duration { return &c.NegativeTTL }, time.Second, 24*time.Hour)},
	{"RELAY_MAX_RECIPIENTS", "50", "count", "Recipients one trigger may remediate.", intSetting(func(c *Config) *int { return &c.MaxRecipients }, 1, 10000)},
	{"RELAY_AUDIT_MAX_LEN", "100000", "entries", "Length cap of the audit stream.", int64Setting(func(c *Config) *int64 { return &c.AuditMaxLen }, 100, 100_000_000)},
	{"RELAY_AUDIT_MAX_AGE", "2160h", "duration", "Age after which audit entries are dropped.", durationSetting(func(c *Config) *time.Duration { return &c.AuditMaxAge }, time.Hour, 87600*time.Hour)},
	{"RELAY_SHUTDOWN_TIMEOUT", "20s", "duration", "How long a stopping relay waits for requests in flight.", durationSetting(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Second, 10*time.Minute)},
}

// LoadConfig reads every setting through getenv, applying defaults, and
// reports all invalid settings at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	for _, s := range settings {
		v := strings.TrimSpace(getenv(s.Name))
		if v == "" {
			v = s.Default
		}
		if err := s.apply(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
		}
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

// validate checks the rules that span settings.
func (c *Config) validate() []error {
	var errs []error
	if len(c.JWTSecret) == 0 && (c.Audience == "" || len(c.GatewayHosts) == 0) {
		errs = append(errs, errors.New("no token can be accepted: set RELAY_JWT_SECRET for HS256, or RELAY_AUDIENCE and RELAY_GATEWAY_HOSTS for RS256"))
	}
	if c.RedisURL != "" && len(c.StateKey) == 0 {
		errs = append(errs, errors.New("RELAY_STATE_KEY: required with RELAY_REDIS_URL, so replicas share tenant ids; use at least 32 random bytes"))
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		errs = append(errs, errors.New("RELAY_METRICS_ADDR: must differ from RELAY_ADDR"))
	}
	return errs
}

// PrintSettings writes the settings table that -h shows and the README copies.
func PrintSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tDEFAULT\tUNIT\tMEANING")
	for _, s := range settings {
		def := s.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, def, s.Unit, s.Meaning)
	}
	_ = tw.Flush()
}

func addrSetting(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "off" {
			*field(c) = ""
			return nil
		}
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return fmt.Errorf("invalid address %q; expected host:port such as :9090 or 127.0.0.1:0", v)
		}
		*field(c) = v
		return nil
	}
}

// secretSetting never repeats the value in an error.
func secretSetting(field func(*Config) *[]byte) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" && len(v) < api.MinSecretLength {
			return fmt.Errorf("has %d bytes; use at least %d random bytes", len(v), api.MinSecretLength)
		}
		if v != "" {
			*field(c) = []byte(v)
		}
		return nil
	}
}

func listSetting(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		*field(c) = out
		return nil
	}
}

func hostListSetting(field func(*Config) *[]string) func(*Config, string) error {
	parse := listSetting(field)
	return func(c *Config, v string) error {
		if err := parse(c, v); err != nil {
			return err
		}
		var errs []error
		for _, h := range *field(c) {
			errs = append(errs, api.CheckHostEntry(h))
		}
		return errors.Join(errs...)
	}
}

func formatSetting(c *Config, v string) error {
	if v != "json" && v != "text" {
		return fmt.Errorf("invalid format %q; expected json or text", v)
	}
	c.LogFormat = v
	return nil
}

func intSetting(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("invalid value %q; expected an integer from %d to %d", v, lo, hi)
		}
		*field(c) = n
		return nil
	}
}

func int64Setting(field func(*Config) *int64, lo, hi int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("invalid value %q; expected an integer from %d to %d", v, lo, hi)
		}
		*field(c) = n
		return nil
	}
}

func durationSetting(field func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("invalid duration %q; expected a value from %s to %s such as 30s", v, lo, hi)
		}
		*field(c) = d
		return nil
	}
}
