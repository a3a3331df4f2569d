package respond

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/securex-esa/relay/relay/store"
)

// AuditStream is the store stream that holds the audit trail. It is one
// stream for all tenants, so that `relay audit` lists every trigger.
const AuditStream = "relay:{audit}:triggers"

// Audit outcomes.
const (
	OutcomeRequested = "requested"
	OutcomeSuccess   = "success"
	OutcomeFailure   = "failure"
	OutcomeRefused   = "refused"
	OutcomeAlready   = "already requested"
	OutcomeResult    = "result"
	// OutcomeCanceled is a trigger whose client canceled the request
	// before it finished.
	OutcomeCanceled = "canceled"
)

// AuditEntry is one line of the audit trail. A trigger that passes its
// checks and claims the action's record writes "requested" before it acts,
// and then its outcome. A repeat writes one "already requested" entry, a
// rejected trigger one "refused" and one whose client hung up one
// "canceled". The poller adds "result" with the per-recipient outcome of a
// remediation batch. Entries of one trigger share TriggerID, and only
// entries that submitted or reconciled a batch name it in Batch.
type AuditEntry struct {
	Time      time.Time `json:"time"`
	TriggerID string    `json:"trigger_id"`
	Tenant    string    `json:"tenant"`
	Instance  string    `json:"instance,omitempty"`
	// Subject is the token's sub or user claim; configuration tokens
	// usually carry neither, so it is often empty.
	Subject         string            `json:"subject,omitempty"`
	Action          string            `json:"action"`
	ObservableType  string            `json:"observable_type"`
	ObservableValue string            `json:"observable_value"`
	Gateway         string            `json:"gateway,omitempty"`
	Serial          string            `json:"serial,omitempty"`
	MIDs            []int64           `json:"mids,omitempty"`
	Recipients      []string          `json:"recipients,omitempty"`
	Batch           string            `json:"batch,omitempty"`
	Outcome         string            `json:"outcome"`
	Code            string            `json:"code,omitempty"`
	Message         string            `json:"message,omitempty"`
	Results         []RecipientResult `json:"results,omitempty"`
}

// RecipientResult is one recipient's remediation outcome as the gateway
// reported it.
type RecipientResult struct {
	MID       int64  `json:"mid"`
	Recipient string `json:"recipient"`
	Status    string `json:"status"`
	Read      string `json:"read,omitempty"`
}

// writeAudit appends e to the audit stream and logs it. Text that came from
// a client or a gateway is escaped first, so that no control character
// reaches a terminal or a log parser.
func (s *Service) writeAudit(ctx context.Context, e AuditEntry) error {
	e = escapeEntry(e)
	s.log.LogAttrs(ctx, slog.LevelInfo, "trigger audit",
		slog.String("trigger_id", e.TriggerID), slog.String("tenant", e.Tenant),
		slog.String("instance", e.Instance), slog.String("subject", e.Subject),
		slog.String("action", e.Action), slog.String("observable_type", e.ObservableType),
		slog.String("observable_value", e.ObservableValue), slog.String("gateway", e.Gateway),
		slog.String("serial", e.Serial), slog.String("mids", formatMIDs(e.MIDs)),
		slog.Any("recipients", e.Recipients), slog.String("batch", e.Batch),
		slog.String("outcome", e.Outcome), slog.String("code", e.Code),
		slog.String("message", e.Message), slog.Any("results", e.Results))

	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	if err := s.o.Store.Append(ctx, AuditStream, raw, s.o.AuditMaxLen, s.o.AuditMaxAge); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// ListAudit returns up to n newest audit entries, newest first. Entries
// that do not decode are skipped.
func ListAudit(ctx context.Context, st store.Store, n int64) ([]AuditEntry, error) {
	raws, err := st.Recent(ctx, AuditStream, n)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	entries := make([]AuditEntry, 0, len(raws))
	for _, raw := range raws {
		var e AuditEntry
		if json.Unmarshal(raw, &e) == nil {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

func escapeEntry(e AuditEntry) AuditEntry {
	for _, f := range []*string{&e.Instance, &e.Subject, &e.Action, &e.ObservableType,
		&e.ObservableValue, &e.Gateway, &e.Serial, &e.Batch, &e.Message} {
		*f = escapeControl(*f)
	}
	rcpts := make([]string, len(e.Recipients))
	for i, r := range e.Recipients {
		rcpts[i] = escapeControl(r)
	}
	e.Recipients = rcpts
	results := make([]RecipientResult, len(e.Results))
	for i, r := range e.Results {
		r.Recipient, r.Status, r.Read = escapeControl(r.Recipient), escapeControl(r.Status), escapeControl(r.Read)
		results[i] = r
	}
	e.Results = results
	return e
}

// escapeControl replaces control characters with Go escapes such as \n.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
