package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/securex-esa/relay/gateway"
)

// Keys of the poller's shared state. They share one hash tag, so that the
// job index and its jobs sit in one Redis Cluster slot.
const (
	pollerLeaseKey = "relay:{poller}:lease"
	pollerIndexKey = "relay:{poller}:jobs"
)

func pollerJobKey(id string) string { return "relay:{poller}:job:" + id }

// pollJob is a submitted remediation batch waiting for its per-recipient
// outcome. The poller needs the module's credential set to read the batch
// status, and no request carries it then, so the job keeps it sealed with
// AES-GCM under a key derived from the state key. The job expires when the
// batch is final or Until passes, and the credential set goes with it.
type pollJob struct {
	ID     string     `json:"id"`
	Entry  AuditEntry `json:"entry"`
	Until  time.Time  `json:"until"`
	Sealed []byte     `json:"sealed"`
}

// afterSuccess does what a successful write leaves to do: forget the
// finished record of the opposite block action, and hand a remediation
// batch to the poller. Failures here are logged, because the write is done.
func (s *Service) afterSuccess(ctx context.Context, p *plan, e *AuditEntry) {
	if opp := p.spec.opposite(); opp != "" {
		key := triggerKey(p.tenant, opp, p.target, p.entry)
		if err := s.o.Store.Delete(ctx, key); err != nil {
			s.log.ErrorContext(ctx, "forget the opposite block record", "trigger_id", e.TriggerID, "err", err)
		}
	}
	if p.spec.kind != kindRemediate {
		return
	}
	ctx, cancel := settle(ctx)
	defer cancel()
	if err := s.addJob(ctx, p.cfg, *e); err != nil {
		s.log.ErrorContext(ctx, "hand the batch to the poller", "trigger_id", e.TriggerID, "batch", e.Batch, "err", err)
	}
}

func (s *Service) addJob(ctx context.Context, cfg gateway.Config, e AuditEntry) error {
	sealed, err := s.sealConfig(cfg, e.TriggerID)
	if err != nil {
		return err
	}
	job := pollJob{ID: e.TriggerID, Entry: e, Until: s.o.Now().UTC().Add(s.o.PollFor), Sealed: sealed}
	raw, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode poll job: %w", err)
	}
	if err := s.o.Store.Set(ctx, pollerJobKey(job.ID), raw, s.jobTTL()); err != nil {
		return fmt.Errorf("store poll job: %w", err)
	}
	return s.editIndex(ctx, func(ids []string) []string { return append(ids, job.ID) })
}

// jobTTL outlives a job's deadline by a few poll rounds, so that the
// poller can still record that the batch timed out. After it, the store
// drops the sealed credential set even when no poller ran.
func (s *Service) jobTTL() time.Duration {
	return s.o.PollFor + 2*s.o.PollInterval + s.o.LeaseTTL
}

// editIndex changes the job index with CompareAndSwap, retrying when
// another replica changed it in between.
func (s *Service) editIndex(ctx context.Context, edit func([]string) []string) error {
	for range 10 {
		vals, err := s.o.Store.GetMany(ctx, []string{pollerIndexKey})
		if err != nil {
			return fmt.Errorf("read poll index: %w", err)
		}
		var ids []string
		var old []byte
		if len(vals) > 0 && vals[0] != nil {
			old = vals[0]
			_ = json.Unmarshal(old, &ids) // an unreadable index starts over
		}
		raw, err := json.Marshal(edit(ids))
		if err != nil {
			return fmt.Errorf("encode poll index: %w", err)
		}

		var ok bool
		if old == nil {
			ok, err = s.o.Store.SetNX(ctx, pollerIndexKey, raw, s.jobTTL())
		} else {
			ok, err = s.o.Store.CompareAndSwap(ctx, pollerIndexKey, old, raw, s.jobTTL())
		}
		if err != nil {
			return fmt.Errorf("write poll index: %w", err)
		}
		if ok {
			return nil
		}
	}
	return errors.New("write poll index: too many concurrent changes")
}

// RunPoller reads the status of submitted remediation batches every
// PollInterval until ctx ends, on whichever replica holds the poller lease,
// and adds each batch's per-recipient outcome to the audit trail.
func (s *Service) RunPoller(ctx context.Context) error {
	owner := uuid.NewString()
	tick := time.NewTicker(s.o.PollInterval)
	defer tick.Stop()
	for {
		if _, err := s.pollAs(ctx, owner); err != nil {
			s.log.WarnContext(ctx, "remediation poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			s.releaseLease(owner)
			return nil
		case <-tick.C:
		}
	}
}

// PollOnce runs one poll round if no other replica holds the poller lease
// and returns the number of batches that became final.
func (s *Service) PollOnce(ctx context.Context) (int, error) {
	owner := uuid.NewString()
	defer s.releaseLease(owner)
	return s.pollAs(ctx, owner)
}

func (s *Service) pollAs(ctx context.Context, owner string) (int, error) {
	held, err := s.holdLease(ctx, owner)
	if err != nil || !held {
		return 0, err
	}
	return s.pollJobs(ctx)
}

func (s *Service) holdLease(ctx context.Context, owner string) (bool, error) {
	ok, err := s.o.Store.SetNX(ctx, pollerLeaseKey, []byte(owner), s.o.LeaseTTL)
	if err != nil || ok {
		return ok, err
	}
	ok, err = s.o.Store.CompareAndSwap(ctx, pollerLeaseKey, []byte(owner), []byte(owner), s.o.LeaseTTL)
	if err != nil {
		return false, fmt.Errorf("renew poller lease: %w", err)
	}
	return ok, nil
}

func (s *Service) releaseLease(owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A zero-length lifetime is not accepted everywhere, so the lease is
	// handed back by shortening it to one millisecond.
	_, _ = s.o.Store.CompareAndSwap(ctx, pollerLeaseKey, []byte(owner), []byte("released"), time.Millisecond)
}

func (s *Service) pollJobs(ctx context.Context) (int, error) {
	vals, err := s.o.Store.GetMany(ctx, []string{pollerIndexKey})
	if err != nil {
		return 0, fmt.Errorf("read poll index: %w", err)
	}
	var ids []string
	if len(vals) > 0 && vals[0] != nil {
		_ = json.Unmarshal(vals[0], &ids)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = pollerJobKey(id)
	}
	raws, err := s.o.Store.GetMany(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("read poll jobs: %w", err)
	}

	var gone []string
	final := 0
	for i, raw := range raws {
		done, finished := s.pollJob(ctx, ids[i], raw)
		if done {
			gone = append(gone, ids[i])
		}
		if finished {
			final++
		}
	}
	if len(gone) == 0 {
		return final, nil
	}
	if err := s.o.Store.Delete(ctx, jobKeys(gone)...); err != nil {
		return final, fmt.Errorf("delete poll jobs: %w", err)
	}
	return final, s.editIndex(ctx, func(ids []string) []string {
		return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(gone, id) })
	})
}

func jobKeys(ids []string) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = pollerJobKey(id)
	}
	return keys
}

// pollJob reads one batch's status. It reports whether the job is over and
// whether that is because the batch became final.
func (s *Service) pollJob(ctx context.Context, id string, raw []byte) (done, final bool) {
	var job pollJob
	if raw == nil || json.Unmarshal(raw, &job) != nil {
		return true, false
	}
	e := job.Entry
	e.Outcome = OutcomeResult
	if !s.o.Now().Before(job.Until) {
		e.Time, e.Code = s.o.Now().UTC(), "timeout"
		e.Message = "The batch did not reach a final state in time; see the gateway's remediation report."
		return s.auditResult(ctx, e), false
	}

	cfg, err := s.openConfig(job.Sealed, id)
	if err != nil {
		s.log.ErrorContext(ctx, "open poll job", "trigger_id", id, "err", err)
		return true, false
	}
	c, err := s.o.Pool.Client(cfg)
	if err != nil {
		s.log.WarnContext(ctx, "poll batch", "trigger_id", id, "err", err)
		return false, false
	}
	st, err := c.RemediationStatus(ctx, e.Serial, e.MIDs)
	if err != nil {
		s.log.WarnContext(ctx, "poll batch", "trigger_id", id, "batch", e.Batch, "err", err)
		return false, false
	}
	if st.BatchName != e.Batch || !batchFinal(st) {
		return false, false
	}

	e.Time = s.o.Now().UTC()
	for _, r := range st.Recipients {
		e.Results = append(e.Results, RecipientResult{MID: r.MID, Recipient: r.Recipient, Status: r.Status, Read: r.Read})
	}
	ok := s.auditResult(ctx, e)
	return ok, ok
}

func batchFinal(st *gateway.RemediationStatus) bool {
	if len(st.Recipients) == 0 {
		return false
	}
	for _, r := range st.Recipients {
		if r.Status == "" || strings.EqualFold(r.Status, "Queued") {
			return false
		}
	}
	return true
}

// auditResult writes a batch's result and reports whether it was stored;
// the job is kept for the next round when it was not.
func (s *Service) auditResult(ctx context.Context, e AuditEntry) bool {
	if err := s.writeAudit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit write failed", "trigger_id", e.TriggerID, "err", err)
		return false
	}
	return true
}
