package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/securex-esa/relay/relay/respond"
	"github.com/securex-esa/relay/relay/store"
)

// auditTimeout bounds the whole read of the audit stream.
const auditTimeout = 10 * time.Second

// auditCommand lists the newest trigger audit entries from the Redis
// stream that every replica writes. A relay without Redis keeps its trail
// in its own memory, which no other process can read.
func auditCommand(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := fs.Int("n", 50, "number of newest entries to list, 1 to 10000")
	asJSON := fs.Bool("json", false, "write one JSON object per line instead of a table")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: relay audit [-n 50] [-json]\n\n"+
			"Lists the newest trigger audit entries, newest first, from the Redis named by RELAY_REDIS_URL.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCodeForFlags(err)
	}
	if *n < 1 || *n > 10000 {
		fmt.Fprintf(env.Stderr, "relay audit: invalid -n %d; expected 1 to 10000\n", *n)
		return 2
	}

	redisURL := strings.TrimSpace(env.Getenv("RELAY_REDIS_URL"))
	if redisURL == "" {
		fmt.Fprintln(env.Stderr, "relay audit: RELAY_REDIS_URL is not set, so there is no audit trail to read. "+
			"A relay without Redis keeps its trail in its own memory and in its \"trigger audit\" log lines. "+
			"Set RELAY_REDIS_URL to the Redis the relay uses.")
		return 1
	}
	entries, err := readAudit(ctx, redisURL, int64(*n))
	if err != nil {
		fmt.Fprintf(env.Stderr, "relay audit: %v\n", err)
		return 1
	}

	if *asJSON {
		err = writeAuditJSON(env.Stdout, entries)
	} else {
		err = writeAuditTable(env.Stdout, entries)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "relay audit: writing the entries: %v\n", err)
		return 1
	}
	return 0
}

// readAudit opens the Redis store and reads up to n newest entries.
func readAudit(ctx context.Context, redisURL string, n int64) ([]respond.AuditEntry, error) {
	// The command reports an unreachable Redis itself, so go-redis's own
	// dial messages are kept off standard error.
	store.RouteRedisLogs(slog.New(slog.DiscardHandler))
	st, err := store.OpenRedis(redisURL, store.RedisOptions{})
	if err != nil {
		return nil, fmt.Errorf("RELAY_REDIS_URL: %w", err)
	}
	defer st.Close()

	ctx, cancel := context.WithTimeout(ctx, auditTimeout)
	defer cancel()
	entries, err := respond.ListAudit(ctx, st, n)
	if err != nil {
		return nil, fmt.Errorf("reading the audit stream: %w", err)
	}
	return entries, nil
}

// writeAuditJSON writes one entry per line with every text field escaped.
func writeAuditJSON(w io.Writer, entries []respond.AuditEntry) error {
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err := enc.Encode(escapeAuditEntry(e)); err != nil {
			return fmt.Errorf("encoding an entry: %w", err)
		}
	}
	return nil
}

// writeAuditTable writes a table with one entry per row. Its last column,
// DETAIL, holds a result's per-recipient outcomes or an entry's message.
func writeAuditTable(w io.Writer, entries []respond.AuditEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "No audit entries.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tOUTCOME\tACTION\tOBSERVABLE\tGATEWAY\tSERIAL\tMIDS\tRCPTS\tBATCH\tDETAIL")
	for _, e := range entries {
		e = escapeAuditEntry(e)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			e.Time.UTC().Format(time.RFC3339), auditOutcome(e), orDash(e.Action),
			auditObservable(e), orDash(e.Gateway),
			orDash(e.Serial), orDash(joinAuditMIDs(e.MIDs)), len(e.Recipients), orDash(e.Batch),
			orDash(auditDetail(e)))
	}
	return tw.Flush()
}

// auditOutcome adds the error code to the outcome unless it repeats it, as
// "already requested" does.
func auditOutcome(e respond.AuditEntry) string {
	if e.Code == "" || e.Code == e.Outcome {
		return e.Outcome
	}
	return e.Outcome + " (" + e.Code + ")"
}

// auditDetailWidth caps the DETAIL column in characters, so that a batch
// with many recipients keeps its row readable; -json shows everything.
const auditDetailWidth = 120

// auditDetail lists a result's outcomes as "recipient: status", or gives
// the entry's message, cut to auditDetailWidth.
func auditDetail(e respond.AuditEntry) string {
	if len(e.Results) == 0 {
		return clipText(e.Message, auditDetailWidth)
	}
	parts := make([]string, len(e.Results))
	for i, r := range e.Results {
		parts[i] = r.Recipient + ": " + orDash(r.Status)
	}
	full := strings.Join(parts, ", ")
	if utf8.RuneCountInString(full) <= auditDetailWidth {
		return full
	}
	shown := ""
	for i, part := range parts {
		next := part
		if i > 0 {
			next = shown + ", " + part
		}
		more := fmt.Sprintf(", … (%d more)", len(parts)-i-1)
		if utf8.RuneCountInString(next+more) > auditDetailWidth {
			if i == 0 {
				return clipText(full, auditDetailWidth)
			}
			return shown + fmt.Sprintf(", … (%d more)", len(parts)-i)
		}
		shown = next
	}
	return shown
}

func clipText(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

// escapeAuditEntry escapes every text field again when reading, because
// the stream may hold entries that an older or a foreign writer left
// unescaped, and a table cell must not contain a tab or a newline.
func escapeAuditEntry(e respond.AuditEntry) respond.AuditEntry {
	for _, f := range []*string{&e.TriggerID, &e.Tenant, &e.Instance, &e.Subject, &e.Action,
		&e.ObservableType, &e.ObservableValue, &e.Gateway, &e.Serial, &e.Batch,
		&e.Outcome, &e.Code, &e.Message} {
		*f = escapeText(*f)
	}
	e.Recipients = escapeAll(e.Recipients)
	results := make([]respond.RecipientResult, len(e.Results))
	for i, r := range e.Results {
		r.Recipient, r.Status, r.Read = escapeText(r.Recipient), escapeText(r.Status), escapeText(r.Read)
		results[i] = r
	}
	e.Results = results
	return e
}

func escapeAll(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = escapeText(s)
	}
	return out
}

// escapeText writes control characters and invisible format characters
// (such as right-to-left overrides, which reorder what a terminal shows)
// as Go escapes like \n and \u202e.
func escapeText(s string) string {
	if !strings.ContainsFunc(s, mustEscape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !mustEscape(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func mustEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

func joinAuditMIDs(mids []int64) string {
	parts := make([]string, len(mids))
	for i, m := range mids {
		parts[i] = strconv.FormatInt(m, 10)
	}
	return strings.Join(parts, ",")
}

func auditObservable(e respond.AuditEntry) string {
	if e.ObservableType == "" && e.ObservableValue == "" {
		return "-"
	}
	return e.ObservableType + ":" + e.ObservableValue
}
