package respond

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/store"
)

// plan is a re-checked trigger, ready to run: the one target it edits and
// everything the gateway call needs.
type plan struct {
	spec   actionSpec
	obs    observables.Observable
	target target
	cfg    gateway.Config
	client *gateway.Client
	// msg is the tracked message of remediation and quarantine actions.
	msg gateway.Message
	// quarantineMID is the spam quarantine's own MID of the message.
	quarantineMID int64
	// entry is the address or domain of block actions, term the dictionary
	// term that adds or removes, and dict the dictionary.
	entry, term, dict string
	// forward is the one address forward actions send to.
	forward string
	// instance names the module instance in the batch description.
	instance string
	tenant   string
	key      string
	batch    string
	// ourBatch is set when the gateway already reports this trigger's
	// batch, so the claim must reconcile rather than submit.
	ourBatch bool
	// batchUsed is set once the batch was submitted or found by
	// reconciling, so that only those audit entries name it.
	batchUsed bool
	// noop is set when the gateway already is in the requested state.
	noop string
}

// writeError is a failure of the gateway write itself, which may have
// reached the gateway before it failed.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// refusal is the reason a trigger was rejected before anything was written.
type refusal struct {
	code, message string
}

func (r *refusal) Error() string { return r.code + ": " + r.message }

func refuse(code, format string, args ...any) error {
	return &refusal{code: code, message: fmt.Sprintf(format, args...)}
}

// Trigger runs one response action after re-checking it against the
// gateway. Every authenticated trigger leaves an audit entry; a trigger
// whose audit entry cannot be written is not run.
func (s *Service) Trigger(ctx context.Context, m *relay.Module, req relay.TriggerRequest) relay.TriggerResult {
	ctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	defer cancel()

	tenant := relay.Tenant(s.o.StateKey, m)
	e := AuditEntry{
		Time: s.o.Now().UTC(), TriggerID: uuid.NewString(), Tenant: tenant,
		Instance: m.Instance, Subject: m.Subject, Action: req.ActionID,
		ObservableType: req.ObservableType, ObservableValue: req.ObservableValue,
	}

	p, err := s.prepare(ctx, m, tenant, req, &e)
	if err != nil {
		return s.finish(ctx, &e, err)
	}
	return s.run(ctx, p, &e)
}

// prepare validates the request and re-checks it against the gateway.
func (s *Service) prepare(ctx context.Context, m *relay.Module, tenant string, req relay.TriggerRequest, e *AuditEntry) (*plan, error) {
	spec, ok := specs[req.ActionID]
	if !ok {
		return nil, refuse(relay.CodeInvalidRequest, "Unsupported action %q.", clip(req.ActionID))
	}
	typ := observables.Type(req.ObservableType)
	if !observables.Supported(typ) || !spec.accepts(typ) {
		return nil, refuse(relay.CodeUnsupportedType, "Unsupported observable type %s for the action %s.", clip(req.ObservableType), spec.id)
	}
	o, err := observables.Normalize(observables.Observable{Type: typ, Value: req.ObservableValue})
	if err != nil {
		return nil, refuse(relay.CodeInvalidArgument, "%s", err.Error())
	}
	e.ObservableValue = o.Value

	t, err := parseTarget(req.Params)
	if err != nil {
		return nil, refuse(relay.CodeInvalidArgument, "%s", err.Error())
	}
	e.Gateway, e.Serial, e.MIDs = t.Gateway, t.Serial, t.MIDs

	p := &plan{spec: spec, obs: o, target: t, tenant: tenant}
	if spec.kind == kindBlock {
		p.entry = o.Value
	}
	p.key = triggerKey(tenant, spec.id, t, p.entry)
	p.batch = batchName(p.key)

	// A repeat of a finished or running trigger gets its reply from the
	// record, before any gateway call.
	if err := s.peek(ctx, p.key); err != nil {
		return nil, err
	}
	err = s.recheck(ctx, m, p)
	// A refusal may come after the message was found, and its entry
	// names the recipients too.
	e.Recipients = p.msg.Recipients
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) peek(ctx context.Context, key string) error {
	_, rec, err := s.readRecord(ctx, key)
	if err != nil {
		return err
	}
	switch rec.State {
	case stateDone:
		return &alreadyError{at: rec.At, recipients: rec.Recipients}
	case stateClaimed, stateSubmitted:
		if s.o.Now().Before(rec.LeaseUntil) {
			return &alreadyError{at: rec.At, recipients: rec.Recipients}
		}
	}
	return nil
}

// run claims the trigger's record, writes the "requested" audit entry and
// performs the gateway write. Claiming first gives exactly one "requested"
// entry however many identical triggers arrive at once, because the others
// end as "already requested".
func (s *Service) run(ctx context.Context, p *plan, e *AuditEntry) relay.TriggerResult {
	if p.noop != "" {
		return s.finish(ctx, e, &alreadyError{at: s.o.Now().UTC(), note: p.noop})
	}

	c, err := s.claimRecord(ctx, p.key, e.TriggerID, p.batch, p.msg.Recipients, s.recordTTL(p.spec))
	if err != nil {
		return s.finish(ctx, e, err)
	}
	c.reconcile = c.reconcile || p.ourBatch

	var lock *heldLock
	if p.spec.kind != kindBlock {
		if lock, err = s.lockMessage(ctx, p, e.TriggerID); err != nil {
			// Nothing was written, so the record is released as found.
			return s.finish(ctx, e, s.fail(ctx, c, c.reconcile, err))
		}
	}

	requested := *e
	requested.Outcome = OutcomeRequested
	if err := s.writeAudit(ctx, requested); err != nil {
		// Nothing was written to the gateway, so the record is released as
		// it was found: still to be reconciled when an earlier submit was
		// uncertain.
		_ = s.fail(ctx, c, c.reconcile, err)
		if lock != nil {
			s.unlockMessage(ctx, lock, false, 0)
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return s.finish(ctx, e, err)
		}
		s.log.ErrorContext(ctx, "audit write failed; trigger not run", "trigger_id", e.TriggerID, "err", err)
		return s.result(e.Action, OutcomeFailure, relay.NewFatal(s.storeCode(), "The audit trail cannot be written, so the action was not run. Try again later."))
	}

	err = s.execute(ctx, p, c)
	var we *writeError
	if lock != nil && !errors.As(err, &we) {
		// A failed write may have reached the gateway, so its lock stays
		// until its lease ends.
		s.unlockMessage(ctx, lock, err == nil, s.recordTTL(p.spec))
	}
	if p.batchUsed {
		e.Batch = p.batch
	}
	if err == nil {
		s.afterSuccess(ctx, p, e)
	}
	return s.finish(ctx, e, err)
}

// execute reconciles an uncertain earlier submit, then writes. Every
// failure leaves the record failed, so that a later trigger may retry.
func (s *Service) execute(ctx context.Context, p *plan, c *claim) error {
	if c.reconcile && p.spec.kind == kindRemediate {
		found, err := s.reconcile(ctx, p)
		if err != nil {
			return s.fail(ctx, c, true, err)
		}
		if found {
			p.batchUsed = true
			return s.advanceDone(ctx, c)
		}
	}

	if err := s.advance(ctx, c, stateSubmitted, false); err != nil {
		return err
	}
	p.batchUsed = p.spec.kind == kindRemediate
	if err := s.write(ctx, p); err != nil {
		// A remediation submit that failed may still have reached the
		// gateway, so the next attempt reconciles before it resubmits.
		return s.fail(ctx, c, p.spec.kind == kindRemediate, &writeError{err: err})
	}
	return s.advanceDone(ctx, c)
}

// settleTimeout bounds the state and audit writes that follow a gateway
// call, which run even when the trigger's own deadline has passed.
const settleTimeout = 5 * time.Second

// settle returns a context for recording an outcome: the gateway call may
// have used up ctx, and an unrecorded outcome would leave the record
// claimed until its lease ends.
func settle(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

func (s *Service) advanceDone(ctx context.Context, c *claim) error {
	ctx, cancel := settle(ctx)
	defer cancel()
	if err := s.advance(ctx, c, stateDone, false); err != nil {
		// The write happened; only the record is behind. Report success and
		// log the store failure, because a retry would reconcile anyway.
		s.log.ErrorContext(ctx, "mark trigger done", "err", err)
	}
	return nil
}

func (s *Service) fail(ctx context.Context, c *claim, uncertain bool, cause error) error {
	ctx, cancel := settle(ctx)
	defer cancel()
	if err := s.advance(ctx, c, stateFailed, uncertain); err != nil {
		s.log.ErrorContext(ctx, "mark trigger failed", "err", err)
	}
	return cause
}

// reconcile checks at the gateway whether this trigger's batch already exists.
func (s *Service) reconcile(ctx context.Context, p *plan) (bool, error) {
	st, err := p.client.RemediationStatus(ctx, p.target.Serial, p.target.MIDs)
	var ge *gateway.Error
	if errors.As(err, &ge) && (ge.Kind == gateway.KindNotFound || ge.Kind == gateway.KindInvalid) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.BatchName == p.batch {
		return true, nil
	}
	return false, refuse(relay.CodeInvalidRequest, "The message was already remediated by the batch %q; nothing was submitted.", clip(st.BatchName))
}

// write performs the one gateway write of the action.
func (s *Service) write(ctx context.Context, p *plan) error {
	switch p.spec.kind {
	case kindRemediate:
		_, err := p.client.SubmitRemediation(ctx, s.batch(p))
		return err
	case kindQuarantine:
		op := p.client.DeleteSpam
		if p.spec.release {
			op = p.client.ReleaseSpam
		}
		found, err := op(ctx, p.quarantineMID)
		if err != nil {
			return err
		}
		if !found {
			return refuse(relay.CodeNotFound, "The message is no longer in the spam quarantine.")
		}
		return nil
	default:
		if p.spec.unblock {
			return onESAConfig(p.client.RemoveDictionaryTerm(ctx, p.dict, p.term))
		}
		return onESAConfig(p.client.AddDictionaryTerm(ctx, p.dict, p.term))
	}
}

func (s *Service) batch(p *plan) gateway.RemediationBatch {
	b := gateway.RemediationBatch{
		Name:            p.batch,
		Description:     s.describe(p),
		Action:          p.spec.remedy,
		Folder:          s.o.Folder,
		InitiatedUser:   p.cfg.User,
		InitiatedSource: s.o.InitiatedSource,
		Messages: []gateway.RemediationMessage{{
			MIDs: p.target.MIDs, MessageID: p.msg.MessageID, From: []string{p.msg.Sender},
			Recipients: p.msg.Recipients, Serial: p.target.Serial, Subject: p.msg.Subject, SentAt: p.msg.Time,
		}},
	}
	if p.spec.forward {
		b.ForwardAddress = p.forward
	}
	return b
}

func (s *Service) describe(p *plan) string {
	instance := p.instance
	if instance == "" {
		instance = "unnamed"
	}
	return fmt.Sprintf("SecureX %s of %s %s, module instance %s", p.spec.id, p.obs.Type, p.obs.Value, instance)
}

// finish turns the outcome into the trigger's result and its audit entry.
func (s *Service) finish(ctx context.Context, e *AuditEntry, err error) relay.TriggerResult {
	var (
		outcome string
		answer  relay.TriggerResult
	)
	var already *alreadyError
	var ref *refusal
	switch {
	case err == nil:
		outcome = OutcomeSuccess
		answer = relay.TriggerResult{Status: relay.StatusSuccess}
	case errors.As(err, &already):
		outcome = OutcomeAlready
		if len(e.Recipients) == 0 {
			e.Recipients = already.recipients
		}
		answer = relay.TriggerResult{Status: relay.StatusSuccess, Errors: []*relay.Error{relay.NewWarning(relay.CodeAlreadyRequested, already.message())}}
	case errors.As(err, &ref):
		outcome = OutcomeRefused
		answer = s.failure(relay.NewFatal(ref.code, ref.message))
	case errors.Is(ctx.Err(), context.Canceled):
		// The client hung up, which cancels every call still running; the
		// gateway did not fail.
		outcome = OutcomeCanceled
		answer = s.failure(relay.NewFatal(relay.CodeUnknown, canceledMessage(err)))
	case errors.Is(err, errLostClaim):
		outcome = OutcomeAlready
		answer = relay.TriggerResult{Status: relay.StatusSuccess, Errors: []*relay.Error{relay.NewWarning(relay.CodeAlreadyRequested, "The action is being run by another request.")}}
	case isStoreError(err):
		outcome = OutcomeFailure
		s.log.ErrorContext(ctx, "trigger state unavailable", "trigger_id", e.TriggerID, "err", err)
		answer = s.failure(relay.NewFatal(s.storeCode(), "The relay's state store is unavailable, so the action was not run. Try again later."))
	default:
		outcome = OutcomeFailure
		answer = s.failure(gatewayFailure(err))
	}

	ctx, cancel := settle(ctx)
	defer cancel()
	e.Time = s.o.Now().UTC()
	e.Outcome = outcome
	if len(answer.Errors) > 0 {
		e.Code, e.Message = answer.Errors[0].Code, answer.Errors[0].Message
	}
	if aerr := s.writeAudit(ctx, *e); aerr != nil {
		s.log.ErrorContext(ctx, "audit write failed", "trigger_id", e.TriggerID, "err", aerr)
	}
	s.o.Observer.Trigger(e.Action, observerOutcome(outcome))
	return answer
}

func canceledMessage(err error) string {
	var we *writeError
	if errors.As(err, &we) {
		return "The client canceled the request while the action was being sent to the gateway, so it may or may not have run. " +
			"Trigger it again: the relay checks the gateway before it sends anything twice."
	}
	return "The client canceled the request, so the action was not run; nothing was sent to the gateway."
}

func (s *Service) failure(err *relay.Error) relay.TriggerResult {
	return relay.TriggerResult{Status: relay.StatusFailure, Errors: []*relay.Error{err}}
}

func (s *Service) result(action, outcome string, err *relay.Error) relay.TriggerResult {
	s.o.Observer.Trigger(action, observerOutcome(outcome))
	return s.failure(err)
}

func observerOutcome(outcome string) string {
	if outcome == OutcomeRefused || outcome == OutcomeAlready || outcome == OutcomeSuccess {
		return outcome
	}
	return OutcomeFailure
}

func (s *Service) storeCode() string {
	if s.o.FailClosed {
		return relay.CodeServiceUnavailable
	}
	return relay.CodeInternal
}

func isStoreError(err error) bool {
	var ge *gateway.Error
	return errors.Is(err, store.ErrUnavailable) || !errors.As(err, &ge)
}

// gatewayFailure builds the envelope error of a failed gateway call. A
// gateway that cannot be reached is "service unavailable" to a trigger,
// like an open breaker, because in both cases a later retry may work.
func gatewayFailure(err error) *relay.Error {
	e := relay.FromGateway(err)
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Kind == gateway.KindConnection {
		e.Code = relay.CodeServiceUnavailable
	}
	return namedForRole(err, e)
}

// blockRecordTTL is how long a dictionary edit is remembered. The
// dictionary itself shows whether an entry is present, and an operator may
// edit it on the appliance, so its record only covers quick repeats.
const blockRecordTTL = 10 * time.Minute

func (s *Service) recordTTL(spec actionSpec) time.Duration {
	if spec.kind == kindBlock {
		return max(blockRecordTTL, s.o.LeaseTTL)
	}
	return s.o.RecordTTL
}
