package respond

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/securex-esa/relay/relay"
)

// States of a trigger's idempotency record.
const (
	stateClaimed   = "claimed"
	stateSubmitted = "submitted"
	stateDone      = "done"
	stateFailed    = "failed"
)

// record is the idempotency record of one action on one target. Replicas
// move it between states only with SetNX and CompareAndSwap, so exactly one
// of them holds a claim at a time.
type record struct {
	State string `json:"state"`
	// At is when the current attempt was claimed, or finished for "done".
	At time.Time `json:"at"`
	// LeaseUntil is when a claimed or submitted attempt is presumed dead.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Owner      string    `json:"owner"`
	Batch      string    `json:"batch,omitempty"`
	// Uncertain marks a submit whose outcome is unknown, such as a timeout;
	// the next attempt reconciles through the batch name first.
	Uncertain bool `json:"uncertain,omitempty"`
	// Recipients are the message's recipients, so that the audit entry of
	// a repeat names them without a gateway call.
	Recipients []string `json:"recipients,omitempty"`
}

// alreadyError reports that another attempt holds or finished the action,
// or that the gateway already is in the requested state. Its message ends
// with "at <RFC 3339 time>": when the action was requested, or when the
// state was found; note replaces the standard opening.
type alreadyError struct {
	at   time.Time
	note string
	// recipients are those the record names, if any.
	recipients []string
}

func (e *alreadyError) Error() string { return e.message() }

func (e *alreadyError) message() string {
	note := e.note
	if note == "" {
		note = "This action was already requested"
	}
	return note + " at " + e.at.UTC().Format(time.RFC3339)
}

// triggerKey builds the idempotency key from the tenant, action, gateway,
// serial and sorted MIDs, plus the entry of a dictionary edit.
func triggerKey(tenant, action string, t target, entry string) string {
	h := sha256.New()
	for _, part := range []string{action, t.Gateway, t.Serial, formatMIDs(t.MIDs), entry} {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return relay.Key(tenant, "trigger", hex.EncodeToString(h.Sum(nil)[:16]))
}

// batchName derives the remediation batch name from the idempotency key, so
// that every attempt of one trigger, on any replica, uses the same name.
func batchName(key string) string {
	sum := sha256.Sum256([]byte("batch:" + key))
	return "securex-" + hex.EncodeToString(sum[:10])
}

// claim is an attempt's hold on a record.
type claim struct {
	key     string
	current []byte
	rec     record
	// reconcile is set when an earlier submit may have reached the gateway.
	reconcile bool
	ttl       time.Duration
}

// claimRecord takes the record for one attempt, or fails with
// *alreadyError when another attempt holds it or finished it.
func (s *Service) claimRecord(ctx context.Context, key, owner, batch string, rcpts []string, ttl time.Duration) (*claim, error) {
	now := s.o.Now().UTC()
	fresh := record{State: stateClaimed, At: now, LeaseUntil: now.Add(s.o.LeaseTTL), Owner: owner, Batch: batch,
		Recipients: rcpts}

	for range 5 {
		raw := mustJSON(fresh)
		ok, err := s.o.Store.SetNX(ctx, key, raw, ttl)
		if err != nil {
			return nil, fmt.Errorf("claim trigger record: %w", err)
		}
		if ok {
			return &claim{key: key, current: raw, rec: fresh, ttl: ttl}, nil
		}

		cur, prev, err := s.readRecord(ctx, key)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			continue // expired between the two calls
		}
		if !takeable(prev, now) {
			return nil, &alreadyError{at: prev.At, recipients: prev.Recipients}
		}

		fresh.Uncertain = prev.State == stateSubmitted || prev.Uncertain
		raw = mustJSON(fresh)
		swapped, err := s.o.Store.CompareAndSwap(ctx, key, cur, raw, ttl)
		if err != nil {
			return nil, fmt.Errorf("claim trigger record: %w", err)
		}
		if swapped {
			return &claim{key: key, current: raw, rec: fresh, ttl: ttl, reconcile: fresh.Uncertain}, nil
		}
	}
	return nil, &alreadyError{at: now}
}

// takeable reports whether a new attempt may take over the record: after a
// failure, or when the attempt holding it outlived its lease.
func takeable(r record, now time.Time) bool {
	switch r.State {
	case stateFailed:
		return true
	case stateClaimed, stateSubmitted:
		return !now.Before(r.LeaseUntil)
	default:
		return false
	}
}

func (s *Service) readRecord(ctx context.Context, key string) ([]byte, record, error) {
	vals, err := s.o.Store.GetMany(ctx, []string{key})
	if err != nil {
		return nil, record{}, fmt.Errorf("read trigger record: %w", err)
	}
	if len(vals) == 0 || vals[0] == nil {
		return nil, record{}, nil
	}
	var r record
	if err := json.Unmarshal(vals[0], &r); err != nil {
		// A record this code cannot read is treated as failed, so that a
		// retry replaces it rather than being refused forever.
		return vals[0], record{State: stateFailed, Uncertain: true}, nil
	}
	return vals[0], r, nil
}

var errLostClaim = errors.New("another replica took over the trigger")

// advance moves a held record to state. It fails with errLostClaim when the
// record changed under the attempt.
func (s *Service) advance(ctx context.Context, c *claim, state string, uncertain bool) error {
	next := c.rec
	next.State = state
	next.Uncertain = uncertain
	now := s.o.Now().UTC()
	if state == stateSubmitted {
		next.LeaseUntil = now.Add(s.o.LeaseTTL)
	}
	if state == stateDone {
		next.At = now
		next.LeaseUntil = time.Time{}
	}
	raw := mustJSON(next)

	ok, err := s.o.Store.CompareAndSwap(ctx, c.key, c.current, raw, c.ttl)
	if err != nil {
		return fmt.Errorf("update trigger record to %s: %w", state, err)
	}
	if !ok {
		return errLostClaim
	}
	c.current, c.rec = raw, next
	return nil
}

// recordStates returns the state of each record, or "" where there is none.
func recordStates(ctx context.Context, s *Service, keys []string) ([]string, error) {
	vals, err := s.o.Store.GetMany(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read trigger records: %w", err)
	}
	states := make([]string, len(keys))
	for i, v := range vals {
		if v == nil {
			continue
		}
		var r record
		if json.Unmarshal(v, &r) == nil {
			states[i] = r.State
		}
	}
	return states, nil
}

// mustJSON encodes a record, whose fields are strings, booleans and times
// and so always encode.
func mustJSON(r record) []byte {
	b, _ := json.Marshal(r)
	return b
}
