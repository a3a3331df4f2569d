package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// recheck verifies a trigger against the module's configuration and the
// gateway's current state, and fills in the plan. Its failures are
// refusals or read errors; nothing has been written yet.
func (s *Service) recheck(ctx context.Context, m *relay.Module, p *plan) error {
	p.instance = m.Instance
	if p.spec.kind == kindBlock {
		return s.recheckBlock(ctx, m, p)
	}

	cfg, ok := findGateway(m, p.target.Gateway)
	if !ok {
		return refuse(relay.CodeInvalidArgument, "Parameter %q names a gateway that is not configured in GATEWAY_URL: %q.", ParamGateway, clip(p.target.Gateway))
	}
	if p.target.Serial == "" || len(p.target.MIDs) == 0 {
		return refuse(relay.CodeInvalidArgument, "Parameters %q and %q must name the appliance serial and the message's MIDs.", ParamSerial, ParamMIDs)
	}
	if p.spec.kind == kindRemediate && cfg.API != gateway.SMA {
		return refuse(relay.CodeInvalidRequest, "Remediation needs an SMA; the gateway %s is configured with GATEWAY_API=esa.", cfg.BaseURL)
	}
	if p.spec.forward {
		if !s.forwardAllowed(m) {
			return refuse(relay.CodeInvalidRequest, "Forward actions need FORWARD_ADDRESS set to one address in a domain of RELAY_FORWARD_DOMAINS.")
		}
		p.forward = m.ForwardAddress
	}

	c, err := s.clientWith(ctx, cfg, p.spec.privilege)
	if err != nil {
		return err
	}
	p.cfg, p.client = cfg, c

	msg, err := s.targetMessage(ctx, c, m, p)
	if err != nil {
		return err
	}
	p.msg = msg
	if len(msg.Recipients) > s.o.MaxRecipients {
		return refuse(relay.CodeInvalidRequest, "The message has %d recipients; one trigger may touch at most %d, so nothing was done. Remediate it on the gateway instead.", len(msg.Recipients), s.o.MaxRecipients)
	}

	if p.spec.kind == kindRemediate {
		return s.recheckRemediation(ctx, p)
	}
	return s.recheckQuarantine(ctx, p)
}

// clientWith returns the gateway's client after checking that the account
// has privilege.
func (s *Service) clientWith(ctx context.Context, cfg gateway.Config, privilege string) (*gateway.Client, error) {
	c, err := s.o.Pool.Client(cfg)
	if err != nil {
		return nil, err
	}
	privs, err := c.Privileges(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(privs, privilege) {
		return nil, refuse(relay.CodePermission, "The API account of %s lacks the privilege %s that this action needs.", cfg.BaseURL, privilege)
	}
	return c, nil
}

// targetMessage finds the one message the trigger names: tracking hits on
// the serial that match the observable and share a MID with the request,
// which together must carry exactly the requested MIDs and agree on sender
// and Message-ID.
func (s *Service) targetMessage(ctx context.Context, c *gateway.Client, m *relay.Module, p *plan) (gateway.Message, error) {
	msgs, err := s.messagesFor(ctx, c, m, p.obs)
	if err != nil {
		return gateway.Message{}, err
	}
	var parts []gateway.Message
	for _, msg := range msgs {
		if msg.Serial == p.target.Serial && sameMessage(msg, gateway.Message{MIDs: p.target.MIDs}) {
			parts = append(parts, msg)
		}
	}
	if len(parts) == 0 {
		return gateway.Message{}, refuse(relay.CodeInvalidArgument,
			"No message matching the observable has the MIDs %s on the appliance %q; send the action's query-params unchanged.",
			formatMIDs(p.target.MIDs), clip(p.target.Serial))
	}

	merged := parts[0]
	merged.MIDs = sortedMIDs(merged.MIDs)
	for _, part := range parts[1:] {
		if !strings.EqualFold(part.Sender, merged.Sender) || !strings.EqualFold(part.MessageID, merged.MessageID) {
			return gateway.Message{}, refuse(relay.CodeInvalidArgument,
				"The MIDs %s belong to messages with different senders or Message-IDs; a trigger acts on one message only.", formatMIDs(p.target.MIDs))
		}
		merged = mergeMessages(merged, part)
	}
	if !slices.Equal(merged.MIDs, p.target.MIDs) {
		return gateway.Message{}, refuse(relay.CodeInvalidArgument,
			"The MIDs %s are not exactly the MIDs %s of the message on the appliance %q.",
			formatMIDs(p.target.MIDs), formatMIDs(merged.MIDs), clip(p.target.Serial))
	}
	return merged, nil
}

func (s *Service) recheckRemediation(ctx context.Context, p *plan) error {
	if !delivered(p.msg) {
		return refuse(relay.CodeInvalidRequest, "The message is not delivered (status %q), so no mailbox holds it.", clip(p.msg.Status))
	}
	if len(p.msg.Recipients) == 0 {
		return refuse(relay.CodeInvalidRequest, "Message tracking lists no recipient for the message.")
	}
	if p.msg.MessageID == "" {
		// The remediation names the message by its Message-ID; without one
		// nothing is sent, and the gateway is not to blame.
		return refuse(relay.CodeNotFound, "The Message-ID of the message could not be read from message tracking or its details on the appliance %q, so it cannot be remediated; remediate it on the gateway instead.", clip(p.target.Serial))
	}
	if !remediated(p.msg) {
		return nil
	}
	// Tracking shows a remediation: go on only when it is this trigger's own
	// batch, which the claim then reconciles instead of resubmitting.
	st, err := p.client.RemediationStatus(ctx, p.target.Serial, p.target.MIDs)
	if err != nil {
		return err
	}
	if st.BatchName != p.batch {
		return refuse(relay.CodeInvalidRequest, "The message was already remediated by the batch %q.", clip(st.BatchName))
	}
	p.ourBatch = true
	return nil
}

func (s *Service) recheckQuarantine(ctx context.Context, p *plan) error {
	found, err := s.quarantineMatch(ctx, p.client, p.msg)
	if err != nil {
		return err
	}
	switch len(found) {
	case 0:
		return refuse(relay.CodeNotFound, "The message is not in the spam quarantine of %s.", p.cfg.BaseURL)
	case 1:
		p.quarantineMID = found[0].MID
		return nil
	default:
		return refuse(relay.CodeInvalidRequest, "The spam quarantine holds %d messages that look like this one; release or delete it on the gateway.", len(found))
	}
}

func (s *Service) recheckBlock(ctx context.Context, m *relay.Module, p *plan) error {
	if m.ESAConfig == nil || m.BlockDictionary == "" {
		return refuse(relay.CodeInvalidRequest, "Block actions need ESA_CONFIG_URL and BLOCK_DICTIONARY.")
	}
	if p.target.Gateway != m.ESAConfig.BaseURL {
		return refuse(relay.CodeInvalidArgument, "Parameter %q must be ESA_CONFIG_URL for a block action, not %q.", ParamGateway, clip(p.target.Gateway))
	}
	if p.target.Serial != "" || len(p.target.MIDs) > 0 {
		return refuse(relay.CodeInvalidArgument, "Parameters %q and %q must be empty for a block action.", ParamSerial, ParamMIDs)
	}
	p.dict = m.BlockDictionary

	c, err := s.clientWith(ctx, *m.ESAConfig, p.spec.privilege)
	if err != nil {
		return onESAConfig(err)
	}
	p.cfg, p.client = *m.ESAConfig, c

	dict, err := s.readDictionary(ctx, c, *m.ESAConfig, p.dict)
	if err != nil {
		return onESAConfig(err)
	}
	domain := p.obs.Type == observables.Domain
	found, present := findBlockTerm(dict.Terms, domain, p.entry, dict.IgnoreCase)
	if p.spec.unblock {
		if !present {
			return refuse(relay.CodeNotFound, "%s is not in the dictionary %s (BLOCK_DICTIONARY) on %s, so there is nothing to unblock; it may have been removed on the ESA already.", p.entry, p.dict, p.cfg.BaseURL)
		}
		p.term = found.term
		return nil
	}
	if present {
		p.noop = p.entry + " is already in the dictionary " + p.dict + " (as " + found.term + "). Checked"
		return nil
	}
	if !dict.IgnoreCase {
		return refuse(relay.CodeInvalidRequest, "%s", caseSensitiveMessage(p.dict, p.cfg.BaseURL))
	}
	p.term = senderTerm(p.entry)
	if domain {
		p.term = domainTerm(p.entry)
	}

	_, err = s.seenAsSender(ctx, m, p.obs)
	return err
}

// readDictionary reads the block dictionary, and turns a missing one into
// a message that names it and the fix.
func (s *Service) readDictionary(ctx context.Context, c *gateway.Client, cfg gateway.Config, name string) (*gateway.Dictionary, error) {
	d, err := c.Dictionary(ctx, name)
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Kind == gateway.KindNotFound {
		return nil, refuse(relay.CodeNotFound, "%s", missingDictionaryMessage(name, cfg.BaseURL))
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func missingDictionaryMessage(name, url string) string {
	return fmt.Sprintf("The dictionary %q (BLOCK_DICTIONARY) does not exist on %s (ESA_CONFIG_URL), so block actions are not offered. "+
		"Create it on the ESA, or set BLOCK_DICTIONARY to the name of an existing dictionary.", name, url)
}

func caseSensitiveMessage(name, url string) string {
	return fmt.Sprintf("The dictionary %q (BLOCK_DICTIONARY) on %s does not ignore case, so a blocked sender could pass with other letter case; block actions are not offered. "+
		"Turn on Ignore Case for the dictionary on the ESA.", name, url)
}
