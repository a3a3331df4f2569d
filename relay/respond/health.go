package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

// healthConcurrency bounds the appliances /health checks at a time.
const healthConcurrency = 4

// Roles an appliance plays for the module, as /health names them.
const (
	roleTracking   = "message tracking gateway (GATEWAY_URL)"
	roleDictionary = "dictionary gateway (ESA_CONFIG_URL)"
)

// needKind is the capability the relay loses without a privilege.
type needKind int

const (
	// needAction disables the actions named by the purpose.
	needAction needKind = iota
	// needData leaves the data named by the purpose out of enrichment.
	needData
	// needRequired stops enrichment, so its absence is fatal.
	needRequired
)

// need is a privilege the module depends on, with the purpose it serves.
type need struct {
	privilege, purpose string
	kind               needKind
}

// applianceCheck is the /health check of one appliance and account,
// which may serve as a message tracking gateway, as the dictionary
// gateway, or as both.
type applianceCheck struct {
	// cfg logs in and reads the privileges; esa reads the dictionary.
	cfg   gateway.Config
	esa   *gateway.Config
	roles []string
	needs []need
	// dict is the block dictionary to look up, empty when the appliance
	// is not the dictionary gateway.
	dict string
}

// Health logs in to every configured appliance once, and in parallel reads
// the account's privileges and the block dictionary. A failed appliance
// gives one fatal error naming its roles, and so does a missing block
// dictionary. A missing privilege that enrichment cannot do without is
// fatal too. Any other missing privilege gives a warning naming the data or
// actions it takes away, and a case-sensitive dictionary gives a warning.
func (s *Service) Health(ctx context.Context, m *relay.Module) []*relay.Error {
	ctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	defer cancel()

	checks := s.healthChecks(m)
	results := make([][]*relay.Error, len(checks))
	var g errgroup.Group
	g.SetLimit(healthConcurrency)
	for i, chk := range checks {
		g.Go(func() error {
			results[i] = s.checkAppliance(ctx, chk)
			return nil
		})
	}
	_ = g.Wait() // each check returns nil and reports through results

	var errs []*relay.Error
	seen := map[string]bool{}
	for _, list := range results {
		for _, e := range list {
			if !seen[e.Message] {
				seen[e.Message] = true
				errs = append(errs, e)
			}
		}
	}
	if m.ForwardAddress != "" && !s.forwardAllowed(m) {
		errs = append(errs, relay.NewWarning(relay.CodeInvalidArgument,
			"FORWARD_ADDRESS is not one address in a domain of RELAY_FORWARD_DOMAINS, so forward actions are not offered."))
	}
	return errs
}

// healthChecks groups the module's gateways by appliance and account, so
// that an ESA_CONFIG_URL equal to a GATEWAY_URL is checked once.
func (s *Service) healthChecks(m *relay.Module) []*applianceCheck {
	var checks []*applianceCheck
	find := func(cfg gateway.Config) *applianceCheck {
		for _, chk := range checks {
			if sameAccount(chk.cfg, cfg) {
				return chk
			}
		}
		chk := &applianceCheck{cfg: cfg}
		checks = append(checks, chk)
		return chk
	}
	for _, cfg := range m.Gateways {
		chk := find(cfg)
		chk.roles = appendNew(chk.roles, roleTracking)
		chk.needs = append(chk.needs, gatewayNeeds(cfg)...)
	}
	if m.ESAConfig != nil && m.BlockDictionary != "" {
		esa := *m.ESAConfig
		chk := find(esa)
		chk.roles = appendNew(chk.roles, roleDictionary)
		chk.needs = append(chk.needs, need{privilege: PrivDictionaries, purpose: "block actions"})
		chk.esa, chk.dict = &esa, m.BlockDictionary
	}
	return checks
}

func sameAccount(a, b gateway.Config) bool {
	return a.BaseURL == b.BaseURL && a.User == b.User && a.Password == b.Password && a.CAPEM == b.CAPEM
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// gatewayNeeds lists what a message tracking gateway's account needs:
// every privilege enrichment calls on, then those of the actions.
func gatewayNeeds(cfg gateway.Config) []need {
	needs := []need{
		{privilege: PrivTracking, purpose: "message search", kind: needRequired},
		{privilege: gateway.PrivDetail, purpose: "message details", kind: needRequired},
		{privilege: gateway.PrivAMPDetails, purpose: "AMP verdicts and file hashes of attachments", kind: needData},
		{privilege: gateway.PrivURLDetails, purpose: "URL verdicts", kind: needData},
		{privilege: PrivSpam, purpose: "spam quarantine actions"},
	}
	if cfg.API == gateway.SMA {
		needs = append(needs, need{privilege: PrivRemediation, purpose: "remediation actions"})
	}
	return needs
}

// checkAppliance logs in and reads the privileges, while the dictionary is
// read in parallel through the ESA prefix.
func (s *Service) checkAppliance(ctx context.Context, chk *applianceCheck) []*relay.Error {
	var (
		wg      sync.WaitGroup
		dict    *gateway.Dictionary
		dictErr error
	)
	if chk.dict != "" {
		wg.Go(func() { dict, dictErr = s.lookupDictionary(ctx, *chk.esa, chk.dict) })
	}
	privs, err := s.loginPrivileges(ctx, chk.cfg)
	wg.Wait()
	if err != nil {
		return []*relay.Error{chk.failure(relay.FromGateway(err))}
	}

	errs := chk.privilegeErrors(privs)
	if chk.dict == "" || !slices.Contains(privs, PrivDictionaries) {
		return errs
	}
	var ref *refusal
	switch {
	case errors.As(dictErr, &ref):
		errs = append(errs, relay.NewFatal(ref.code, ref.message))
	case dictErr != nil:
		e := relay.FromGateway(dictErr)
		errs = append(errs, relay.NewFatal(e.Code, roleDictionary+": "+e.Message))
	case !dict.IgnoreCase:
		errs = append(errs, relay.NewWarning(relay.CodeInvalidArgument, caseSensitiveMessage(chk.dict, chk.esa.BaseURL)))
	}
	return errs
}

// failure names the appliance's roles in a message about the appliance,
// because one URL may serve as both.
func (chk *applianceCheck) failure(e *relay.Error) *relay.Error {
	roles := strings.Join(chk.roles, " and ")
	return relay.NewFatal(e.Code, strings.ToUpper(roles[:1])+roles[1:]+": "+e.Message)
}

func (s *Service) loginPrivileges(ctx context.Context, cfg gateway.Config) ([]string, error) {
	c, err := s.o.Pool.Client(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Login(ctx); err != nil {
		return nil, err
	}
	return c.Privileges(ctx)
}

func (s *Service) lookupDictionary(ctx context.Context, cfg gateway.Config, name string) (*gateway.Dictionary, error) {
	c, err := s.o.Pool.Client(cfg)
	if err != nil {
		return nil, err
	}
	return s.readDictionary(ctx, c, cfg, name)
}

// privilegeErrors gives one error per kind of missing privilege: fatal for
// those enrichment cannot do without, and warnings naming the data the
// analyst will miss and the actions that are not offered.
func (chk *applianceCheck) privilegeErrors(privs []string) []*relay.Error {
	var errs []*relay.Error
	where := chk.cfg.BaseURL
	if missing := missingNeeds(chk.needs, privs, needRequired); len(missing) > 0 {
		errs = append(errs, relay.NewFatal(relay.CodePermission, fmt.Sprintf(
			"The API account on %s lacks %s, which enrichment needs. Grant it to the account's user role on the gateway.",
			where, strings.Join(missing, ", "))))
	}
	if missing := missingNeeds(chk.needs, privs, needData); len(missing) > 0 {
		errs = append(errs, relay.NewWarning(relay.CodePermission, fmt.Sprintf(
			"The API account on %s lacks %s, so sightings and verdicts miss that data. Grant it on the gateway.",
			where, strings.Join(missing, ", "))))
	}
	if missing := missingNeeds(chk.needs, privs, needAction); len(missing) > 0 {
		errs = append(errs, relay.NewWarning(relay.CodePermission, fmt.Sprintf(
			"The API account on %s lacks %s; those features are not offered.", where, strings.Join(missing, ", "))))
	}
	return errs
}

// missingNeeds describes the needs of the kind whose privilege privs lacks.
func missingNeeds(needs []need, privs []string, kind needKind) []string {
	var missing []string
	for _, n := range needs {
		text := fmt.Sprintf("%s (%s)", n.privilege, n.purpose)
		if n.kind == kind && !slices.Contains(privs, n.privilege) && !slices.Contains(missing, text) {
			missing = append(missing, text)
		}
	}
	return missing
}
