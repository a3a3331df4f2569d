package respond

import (
	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
)

// Action ids, as /respond/observables offers them and /respond/trigger
// receives them back.
const (
	ActionRemediateDelete        = "esa-remediate-delete"
	ActionRemediateForward       = "esa-remediate-forward"
	ActionRemediateForwardDelete = "esa-remediate-forward-delete"
	ActionQuarantineRelease      = "esa-quarantine-release"
	ActionQuarantineDelete       = "esa-quarantine-delete"
	ActionBlockSender            = "esa-block-sender"
	ActionBlockDomain            = "esa-block-domain"
	ActionUnblockSender          = "esa-unblock-sender"
	ActionUnblockDomain          = "esa-unblock-domain"
)

// Privileges of the API account that the actions need; the names are
// defined once, in the gateway package.
const (
	PrivTracking     = gateway.PrivTracking
	PrivRemediation  = gateway.PrivRemediation
	PrivDictionaries = gateway.PrivDictionaries
	PrivSpam         = gateway.PrivSpam
)

type kind int

const (
	kindRemediate kind = iota + 1
	kindQuarantine
	kindBlock
)

// actionSpec describes one action: what it edits and which observables it
// applies to.
type actionSpec struct {
	id    string
	kind  kind
	types []observables.Type
	// remedy is the remediation action, and forward marks one that sends a
	// copy.
	remedy  gateway.RemediationAction
	forward bool
	// release is the quarantine operation: true releases, false deletes.
	release bool
	// unblock removes the dictionary entry instead of adding it.
	unblock bool
	// privilege is the account's privilege on the appliance the action
	// edits.
	privilege string
}

var messageTypes = []observables.Type{observables.CiscoMID, observables.MessageID}

var specs = map[string]actionSpec{
	ActionRemediateDelete: {id: ActionRemediateDelete, kind: kindRemediate, types: messageTypes,
		remedy: gateway.ActionDelete, privilege: PrivRemediation},
	ActionRemediateForward: {id: ActionRemediateForward, kind: kindRemediate, types: messageTypes,
		remedy: gateway.ActionForward, forward: true, privilege: PrivRemediation},
	ActionRemediateForwardDelete: {id: ActionRemediateForwardDelete, kind: kindRemediate, types: messageTypes,
		remedy: gateway.ActionForwardDelete, forward: true, privilege: PrivRemediation},
	ActionQuarantineRelease: {id: ActionQuarantineRelease, kind: kindQuarantine, types: messageTypes,
		release: true, privilege: PrivSpam},
	ActionQuarantineDelete: {id: ActionQuarantineDelete, kind: kindQuarantine, types: messageTypes,
		privilege: PrivSpam},
	ActionBlockSender: {id: ActionBlockSender, kind: kindBlock,
		types: []observables.Type{observables.Email}, privilege: PrivDictionaries},
	ActionBlockDomain: {id: ActionBlockDomain, kind: kindBlock,
		types: []observables.Type{observables.Domain}, privilege: PrivDictionaries},
	ActionUnblockSender: {id: ActionUnblockSender, kind: kindBlock, unblock: true,
		types: []observables.Type{observables.Email}, privilege: PrivDictionaries},
	ActionUnblockDomain: {id: ActionUnblockDomain, kind: kindBlock, unblock: true,
		types: []observables.Type{observables.Domain}, privilege: PrivDictionaries},
}

func (a actionSpec) accepts(t observables.Type) bool {
	for _, x := range a.types {
		if x == t {
			return true
		}
	}
	return false
}

// opposite returns the action that undoes a block action, whose finished
// record must be forgotten once this one succeeds.
func (a actionSpec) opposite() string {
	switch a.id {
	case ActionBlockSender:
		return ActionUnblockSender
	case ActionUnblockSender:
		return ActionBlockSender
	case ActionBlockDomain:
		return ActionUnblockDomain
	case ActionUnblockDomain:
		return ActionBlockDomain
	}
	return ""
}
