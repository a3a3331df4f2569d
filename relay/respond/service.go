// Package respond offers and runs the relay's response actions: mailbox
// remediation through the SMA, spam quarantine release and delete, and
// sender blocking through an ESA dictionary. It keeps every trigger
// idempotent and on the record, polls remediation batches for their
// per-recipient outcome and serves /health.
//
// # Block dictionary entries
//
// The ESA reads every dictionary term as a regular expression, and a
// content filter condition on the envelope sender (mail-from-dictionary-match)
// fires when a term matches anywhere in the address. The relay
// therefore escapes every metacharacter of the address or domain and
// anchors the term:
//
//   - Block sender adds ^<address>$, for example
//     ^it-support@account-verify\.example$, which matches that envelope
//     sender and no other.
//   - Block domain adds [@.]<domain>$, for example
//     [@.]account-verify\.example$, which matches senders in the domain and
//     its subdomains: the domain must end the address, after its "@" or a
//     ".". It does not match x@myaccount-verify.example, nor
//     account-verify.example@gmail.com.
//
// Letter case is left to the dictionary's Ignore Case setting, which must
// be on; the relay offers no block while it is off. Listing recognises
// these forms and also literal entries written by hand (blocked@spam.test,
// @spam.test, spam\.test$), so an unblock removes exactly the term that is
// stored. Other patterns are left alone. A domain is not blocked when the
// entry would match mail of a domain in ProtectedDomains or of a domain
// that receives tracked mail.
package respond

import (
	"log/slog"
	"strings"
	"time"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/store"
)

// Defaults of Options.
const (
	DefaultMaxRecipients = 50
	DefaultAuditMaxLen   = 100000
	DefaultAuditMaxAge   = 90 * 24 * time.Hour
	DefaultLeaseTTL      = 2 * time.Minute
	DefaultRecordTTL     = 30 * 24 * time.Hour
	DefaultPollInterval  = 30 * time.Second
	DefaultPollFor       = 24 * time.Hour
	DefaultCallTimeout   = 60 * time.Second
	DefaultFolder        = "SecureX"
	DefaultSource        = "SecureX relay"
	DefaultLookbackDays  = 30
)

// Options configures a Service. Pool, Store and StateKey are required;
// other zero values take the defaults above.
type Options struct {
	Pool  *gateway.Pool
	Store store.Store
	// StateKey keys the tenant HMAC and, through HKDF, the AES-GCM key that
	// seals the credential sets the poller keeps.
	StateKey []byte
	Now      func() time.Time
	Logger   *slog.Logger
	Observer relay.Observer

	// ForwardDomains lists the domains FORWARD_ADDRESS may belong to.
	ForwardDomains []string
	// ProtectedDomains are never offered for blocking, nor are their
	// subdomains, nor is a parent domain whose entry would match their mail.
	ProtectedDomains []string

	// MaxRecipients caps the recipients one trigger may touch. Default: 50.
	MaxRecipients int
	// AuditMaxLen caps the audit stream's length. Default: 100000 entries.
	AuditMaxLen int64
	// AuditMaxAge drops older audit entries. Default: 90 days.
	AuditMaxAge time.Duration
	// LeaseTTL bounds how long a claimed trigger or the poller lease is held
	// by a replica that stopped responding. Default: 2 minutes, and never
	// less than CallTimeout plus 5 seconds.
	LeaseTTL time.Duration
	// RecordTTL is how long a finished trigger is remembered, so that a
	// repeat gets the reply "already requested". Default: 30 days.
	RecordTTL time.Duration
	// PollInterval is the poller's period. Default: 30 seconds.
	PollInterval time.Duration
	// PollFor bounds how long a batch is polled, and so how long its sealed
	// credential set stays in the store. Default: 24 hours.
	PollFor time.Duration
	// CallTimeout bounds one trigger's or health check's gateway calls.
	// Default: 60 seconds.
	CallTimeout time.Duration
	// FailClosed makes store failures answer "service unavailable" rather
	// than "internal error"; set it when the store is Redis. A trigger never
	// runs without a working store either way, because its audit entry and
	// idempotency record must be written first.
	FailClosed bool
	// Folder is the mailbox folder remediation forwards into. Default: "SecureX".
	Folder string
	// InitiatedSource names the relay in remediation batches. Default: "SecureX relay".
	InitiatedSource string
}

// Service implements the response-action routes and /health.
type Service struct {
	o          Options
	log        *slog.Logger
	sealKey    []byte
	forwardDom map[string]bool
}

// New builds a Service from o, filling in defaults.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	setDefault(&o.MaxRecipients, DefaultMaxRecipients)
	setDefault(&o.AuditMaxLen, DefaultAuditMaxLen)
	setDefault(&o.AuditMaxAge, DefaultAuditMaxAge)
	setDefault(&o.LeaseTTL, DefaultLeaseTTL)
	setDefault(&o.RecordTTL, DefaultRecordTTL)
	setDefault(&o.PollInterval, DefaultPollInterval)
	setDefault(&o.PollFor, DefaultPollFor)
	setDefault(&o.CallTimeout, DefaultCallTimeout)
	setDefault(&o.Folder, DefaultFolder)
	setDefault(&o.InitiatedSource, DefaultSource)
	// A lease shorter than a trigger's calls would let another replica take
	// over a submit still in flight, and its reconciliation could miss the
	// batch that is about to exist.
	o.LeaseTTL = max(o.LeaseTTL, o.CallTimeout+settleTimeout)

	s := &Service{
		o:          o,
		log:        o.Logger.With("component", "respond"),
		sealKey:    deriveSealKey(o.StateKey),
		forwardDom: map[string]bool{},
	}
	for _, d := range o.ForwardDomains {
		s.forwardDom[normalizeDomain(d)] = true
	}
	return s
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func normalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// forwardAllowed reports whether the module's FORWARD_ADDRESS may receive
// forwarded messages: exactly one address whose domain is allow-listed.
func (s *Service) forwardAllowed(m *relay.Module) bool {
	addr := m.ForwardAddress
	if addr == "" || strings.ContainsAny(addr, ", ;\t\r\n") {
		return false
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return false
	}
	return s.forwardDom[normalizeDomain(addr[at+1:])]
}

// protectedMatch returns the protected domain whose mail the block entry
// of o would match. An address entry matches only that address, so its
// domain must not be protected or a subdomain of a protected one. A domain
// entry also matches every subdomain, so no protected domain may lie under
// it either.
func (s *Service) protectedMatch(o observables.Observable) (string, bool) {
	d := normalizeDomain(o.Value)
	if o.Type == observables.Email {
		d = domainOf(o.Value)
	}
	for _, p := range s.o.ProtectedDomains {
		p = normalizeDomain(p)
		if p == "" {
			continue
		}
		if underDomain(d, p) || (o.Type == observables.Domain && underDomain(p, d)) {
			return p, true
		}
	}
	return "", false
}

type nopObserver struct{}

func (nopObserver) CacheLookups(int, int)  {}
func (nopObserver) Trigger(string, string) {}
