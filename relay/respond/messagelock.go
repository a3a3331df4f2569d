package respond

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/securex-esa/relay/relay"
)

// messageLock is the hold of one action on one message. Each action has
// its own idempotency record, so without it a delete and a forward-and-
// delete of one message could both reach the gateway. Replicas move it
// only with SetNX and CompareAndSwap.
type messageLock struct {
	Action     string    `json:"action"`
	Owner      string    `json:"owner"`
	At         time.Time `json:"at"`
	LeaseUntil time.Time `json:"lease_until"`
	// Done marks an action that finished. Its lock lives as long as the
	// action's record, so a trigger re-checked before it finished cannot
	// act on the message again.
	Done bool `json:"done,omitempty"`
	// Released marks a lock that its action gave up after a failure.
	Released bool `json:"released,omitempty"`
}

// heldLock is an attempt's hold on a message lock.
type heldLock struct {
	key     string
	current []byte
	lock    messageLock
}

// messageLockKey names the lock of the message a target points at: the
// same gateway, serial and sorted MIDs, whatever the action.
func messageLockKey(tenant string, t target) string {
	h := sha256.New()
	for _, part := range []string{t.Gateway, t.Serial, formatMIDs(t.MIDs)} {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return relay.Key(tenant, "message", hex.EncodeToString(h.Sum(nil)[:16]))
}

// lockMessage takes the message for one action, or refuses when a
// different action holds it or finished on it.
func (s *Service) lockMessage(ctx context.Context, p *plan, owner string) (*heldLock, error) {
	key := messageLockKey(p.tenant, p.target)
	now := s.o.Now().UTC()
	mine := messageLock{Action: p.spec.id, Owner: owner, At: now, LeaseUntil: now.Add(s.o.LeaseTTL)}
	raw := mustLockJSON(mine)
	for range 5 {
		ok, err := s.o.Store.SetNX(ctx, key, raw, s.o.LeaseTTL)
		if err != nil {
			return nil, fmt.Errorf("lock message: %w", err)
		}
		if ok {
			return &heldLock{key: key, current: raw, lock: mine}, nil
		}
		vals, err := s.o.Store.GetMany(ctx, []string{key})
		if err != nil {
			return nil, fmt.Errorf("read message lock: %w", err)
		}
		if len(vals) == 0 || vals[0] == nil {
			continue // expired between the two calls
		}
		var prev messageLock
		if json.Unmarshal(vals[0], &prev) == nil && !prev.Released && prev.Action != p.spec.id {
			if prev.Done {
				return nil, refuse(relay.CodeInvalidRequest,
					"Another action already ran on this message (%s at %s), so %s was not run.", prev.Action, prev.At.UTC().Format(time.RFC3339), p.spec.id)
			}
			if now.Before(prev.LeaseUntil) {
				return nil, refuse(relay.CodeInvalidRequest,
					"Another action on this message is in progress (%s at %s); try again when it has finished.", prev.Action, prev.At.UTC().Format(time.RFC3339))
			}
		}
		// A released or expired lock, an unreadable one, or one of this
		// same action, whose own record already settled who runs it.
		ok, err = s.o.Store.CompareAndSwap(ctx, key, vals[0], raw, s.o.LeaseTTL)
		if err != nil {
			return nil, fmt.Errorf("lock message: %w", err)
		}
		if ok {
			return &heldLock{key: key, current: raw, lock: mine}, nil
		}
	}
	return nil, refuse(relay.CodeInvalidRequest, "Another action on this message is in progress; try again when it has finished.")
}

// unlockMessage settles the lock after the action: done keeps it for ttl,
// otherwise it is released. A lock taken over meanwhile is left alone.
func (s *Service) unlockMessage(ctx context.Context, l *heldLock, done bool, ttl time.Duration) {
	ctx, cancel := settle(ctx)
	defer cancel()
	next := l.lock
	next.Done, next.Released = done, !done
	next.At = s.o.Now().UTC()
	if !done {
		// A short life is enough: a released lock is free to take.
		ttl = time.Second
	}
	if _, err := s.o.Store.CompareAndSwap(ctx, l.key, l.current, mustLockJSON(next), ttl); err != nil {
		s.log.ErrorContext(ctx, "settle message lock", "err", err)
	}
}

// mustLockJSON encodes a lock, whose fields always encode.
func mustLockJSON(l messageLock) []byte {
	b, _ := json.Marshal(l)
	return b
}
