package respond

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

// need is a privilege an offered action depends on.
type need struct {
	privilege, purpose string
}

// Health logs in to every configured gateway and reads the account's
// privileges. A failed gateway gives a fatal error with the gateway error
// code; a missing privilege gives a warning naming the actions it disables.
func (s *Service) Health(ctx context.Context, m *relay.Module) []*relay.Error {
	ctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	defer cancel()

	var errs []*relay.Error
	for _, cfg := range m.Gateways {
		errs = append(errs, s.checkGateway(ctx, cfg, s.gatewayNeeds(m, cfg))...)
	}
	if m.ESAConfig != nil && m.BlockDictionary != "" {
		errs = append(errs, s.checkGateway(ctx, *m.ESAConfig, []need{{PrivDictionaries, "block actions"}})...)
	}
	if m.ForwardAddress != "" && !s.forwardAllowed(m) {
		errs = append(errs, relay.NewWarning(relay.CodeInvalidArgument,
			"FORWARD_ADDRESS is not one address in a domain of RELAY_FORWARD_DOMAINS, so forward actions are not offered."))
	}
	return errs
}

func (s *Service) gatewayNeeds(m *relay.Module, cfg gateway.Config) []need {
	needs := []need{{PrivTracking, "message tracking"}, {PrivSpam, "spam quarantine actions"}}
	if cfg.API == gateway.SMA {
		needs = append(needs, need{PrivRemediation, "remediation actions"})
	}
	return needs
}

func (s *Service) checkGateway(ctx context.Context, cfg gateway.Config, needs []need) []*relay.Error {
	c, err := s.o.Pool.Client(cfg)
	if err != nil {
		return []*relay.Error{relay.FromGateway(err)}
	}
	if err := c.Login(ctx); err != nil {
		return []*relay.Error{relay.FromGateway(err)}
	}
	privs, err := c.Privileges(ctx)
	if err != nil {
		return []*relay.Error{relay.FromGateway(err)}
	}

	var missing []string
	for _, n := range needs {
		if !slices.Contains(privs, n.privilege) {
			missing = append(missing, fmt.Sprintf("%s (%s)", n.privilege, n.purpose))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []*relay.Error{relay.NewWarning(relay.CodePermission, fmt.Sprintf(
		"The API account on %s lacks %s; those features are not offered.", cfg.BaseURL, strings.Join(missing, ", ")))}
}
