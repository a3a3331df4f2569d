package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/securex-esa/relay/api"
	"github.com/securex-esa/relay/gateway/sim"
)

// Demo mailbox settings: the forward actions only appear when
// FORWARD_ADDRESS is in RELAY_FORWARD_DOMAINS, and the block actions only
// when the dictionary exists on the simulator's ESA prefix.
const (
	demoForwardAddress = "soc@example.com"
	demoForwardDomain  = "example.com"
	demoDictionary     = "relay_blocked_senders"
	demoGatewayUser    = "admin"
	demoTokenTTL       = 24 * time.Hour
	demoStartTimeout   = 30 * time.Second
)

// demoSession is a running simulator and relay and the token that reaches
// them.
type demoSession struct {
	sim      *sim.Server
	simURL   string
	relayURL string
	token    string
	stories  sim.Stories
	// done receives Run's result once the relay stops.
	done chan error
}

// demoCommand starts the gateway simulator and the relay on loopback, runs
// one investigation of the phishing story message, prints its summary and
// curl commands to try more, and serves until ctx ends.
func demoCommand(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:0", "relay listen address `host:port`; port 0 picks a free port")
	simAddr := fs.String("sim-addr", "127.0.0.1:0", "gateway simulator listen address `host:port` on loopback; port 0 picks a free port")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: relay demo [-addr HOST:PORT] [-sim-addr HOST:PORT]\n\n"+
			"Runs the relay against a simulated email gateway, investigates a phishing message\n"+
			"and prints curl commands to try more. Ctrl-C stops both.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCodeForFlags(err)
	}
	if err := checkLoopbackAddr(*simAddr); err != nil {
		fmt.Fprintf(env.Stderr, "relay demo: -sim-addr: %v\n", err)
		return 2
	}

	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	runCtx, stopRelay := context.WithCancel(ctx)
	defer stopRelay()
	d, err := startDemo(runCtx, *addr, *simAddr, logger)
	if err != nil {
		fmt.Fprintf(env.Stderr, "relay demo: %v\n", err)
		return 1
	}
	defer func() { _ = d.sim.Close() }()

	code := d.present(ctx, env.Stdout, env.Stderr)
	stopRelay()
	if err := <-d.done; err != nil {
		fmt.Fprintf(env.Stderr, "relay demo: the relay failed: %v\n", err)
		return 1
	}
	return code
}

// present runs the investigation, prints the summary and the commands,
// and waits for ctx. It returns the exit code.
func (d *demoSession) present(ctx context.Context, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "Gateway simulator: %s (user %s)\nRelay:             %s\n\n", d.simURL, demoGatewayUser, d.relayURL)

	client := newDemoClient(d.relayURL, d.token)
	inv, err := investigate(ctx, client, d.stories.Phishing)
	if err != nil {
		fmt.Fprintf(stderr, "relay demo: the investigation failed: %v\n", err)
		return 1
	}
	inv.print(stdout)
	printDemoCommands(stdout, d, inv)

	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "Stopping.")
		return 0
	case err := <-d.done:
		// Run stopped on its own; hand its result back to demoCommand.
		d.done <- err
		return 1
	}
}

// startDemo starts the simulator over HTTPS and the relay, and mints the
// demo token. The relay stops when ctx ends.
func startDemo(ctx context.Context, addr, simAddr string, logger *slog.Logger) (*demoSession, error) {
	password, err := demoRandomText(16)
	if err != nil {
		return nil, err
	}
	s, err := sim.New(sim.Options{Users: map[string]string{demoGatewayUser: password}})
	if err != nil {
		return nil, fmt.Errorf("building the gateway simulator: %w", err)
	}
	simURL, err := s.StartTLS(simAddr)
	if err != nil {
		return nil, fmt.Errorf("starting the gateway simulator: %w", err)
	}

	d := &demoSession{sim: s, simURL: simURL, stories: s.Stories(), done: make(chan error, 1)}
	secret, err := d.startRelay(ctx, addr, logger)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	d.token, err = mintDemoToken(secret, simURL, password, string(s.CAPEM()))
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return d, nil
}

// startRelay runs the relay with the in-process store and a random HS256
// secret, and returns the secret once the relay listens.
func (d *demoSession) startRelay(ctx context.Context, addr string, logger *slog.Logger) ([]byte, error) {
	secret, err := demoRandomText(32)
	if err != nil {
		return nil, err
	}
	simHost := d.simURL[len("https://"):]
	cfg, err := LoadConfig(demoGetenv(map[string]string{
		"RELAY_ADDR":              addr,
		"RELAY_METRICS_ADDR":      "off",
		"RELAY_JWT_SECRET":        secret,
		"RELAY_GATEWAY_HOSTS":     simHost,
		"RELAY_FORWARD_DOMAINS":   demoForwardDomain,
		"RELAY_PROTECTED_DOMAINS": demoForwardDomain,
	}))
	if err != nil {
		return nil, fmt.Errorf("configuring the relay: %w", err)
	}
	listening := make(chan net.Addr, 1)
	cfg.OnListen = func(relayAddr, _ net.Addr) { listening <- relayAddr }

	go func() { d.done <- Run(ctx, cfg, logger) }()
	select {
	case a := <-listening:
		d.relayURL = "http://" + dialableAddr(a)
		return []byte(secret), nil
	case err := <-d.done:
		return nil, fmt.Errorf("starting the relay: %w", err)
	case <-time.After(demoStartTimeout):
		return nil, fmt.Errorf("the relay did not listen within %s", demoStartTimeout)
	}
}

// mintDemoToken signs the configuration token the platform would send: the
// simulator's SMA API for tracking and remediation, its ESA API for the
// block dictionary, and the demo forward mailbox.
func mintDemoToken(secret []byte, simURL, password, caPEM string) (string, error) {
	claims := claimFlags{
		api.ClaimGatewayURL:      simURL,
		api.ClaimGatewayAPI:      "sma",
		api.ClaimGatewayUser:     demoGatewayUser,
		api.ClaimGatewayPassword: password,
		api.ClaimGatewayCAPEM:    caPEM,
		api.ClaimESAConfigURL:    simURL,
		api.ClaimBlockDictionary: demoDictionary,
		api.ClaimForwardAddress:  demoForwardAddress,
		api.ClaimLookbackDays:    "30",
		api.ClaimEntitiesLimit:   "100",
		"sub":                    "relay-demo",
	}
	env := environment{Stderr: io.Discard, Getenv: demoGetenv(map[string]string{"RELAY_JWT_SECRET": string(secret)})}
	token, err := mintToken(claims, demoTokenTTL, env, time.Now())
	if err != nil {
		return "", fmt.Errorf("minting the demo token: %w", err)
	}
	return token, nil
}

// demoGetenv turns a map into a getenv function.
func demoGetenv(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

// demoRandomText returns n random bytes as hex.
func demoRandomText(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// checkLoopbackAddr accepts host:port on a loopback address, because the
// simulator's certificate names only 127.0.0.1, ::1 and localhost.
func checkLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q; expected host:port such as 127.0.0.1:0", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address; use 127.0.0.1, ::1 or localhost", host)
}

// dialableAddr replaces a wildcard listen host with loopback, so printed
// commands reach the relay.
func dialableAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// demoClient calls the relay as the platform does: JSON over HTTP with the
// token as a bearer credential.
type demoClient struct {
	base  string
	token string
	http  *http.Client
}

func newDemoClient(base, token string) *demoClient {
	return &demoClient{base: base, token: token, http: &http.Client{Timeout: time.Minute}}
}

// demoEnvelope is the relay's response envelope.
type demoEnvelope struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// post sends body to route and decodes the envelope's data into out. An
// envelope without data is an error that carries the relay's first error.
func (c *demoClient) post(ctx context.Context, route string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encoding the %s request: %w", route, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+route, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("building the %s request: %w", route, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", route, err)
	}
	defer resp.Body.Close()

	var env demoEnvelope
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&env); err != nil {
		return fmt.Errorf("%s returned HTTP %d without a relay envelope: %w", route, resp.StatusCode, err)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		if len(env.Errors) > 0 {
			return fmt.Errorf("%s returned %s: %s", route, env.Errors[0].Code, env.Errors[0].Message)
		}
		return fmt.Errorf("%s returned HTTP %d without data", route, resp.StatusCode)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding the %s data: %w", route, err)
	}
	return nil
}

// demoObservable is one observable of a request or a CTIM entity.
type demoObservable struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// demoSighting is the part of a CTIM sighting the summary shows.
type demoSighting struct {
	Resolution string `json:"resolution"`
	Relations  []struct {
		Relation string         `json:"relation"`
		Related  demoObservable `json:"related"`
	} `json:"relations"`
	Data *struct {
		Columns []struct {
			Name string `json:"name"`
		} `json:"columns"`
		Rows [][]any `json:"rows"`
	} `json:"data"`
}

// demoObserveData is the part of observe's CTIM bundle the summary shows.
type demoObserveData struct {
	Sightings struct {
		Count int            `json:"count"`
		Docs  []demoSighting `json:"docs"`
	} `json:"sightings"`
	Verdicts struct {
		Docs []struct {
			DispositionName string         `json:"disposition_name"`
			Observable      demoObservable `json:"observable"`
		} `json:"docs"`
	} `json:"verdicts"`
}

// demoAction is one response action offered by respond/observables.
type demoAction struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	QueryParams map[string]string `json:"query-params"`
}

// demoReference is one refer link.
type demoReference struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// investigation is the relay's data about one story message.
type investigation struct {
	story   sim.Story
	observe demoObserveData
	refer   []demoReference
	actions []demoAction
}

// investigate sends a story message's Message-ID, its sender and the URL
// it carries to the relay as the platform's investigation does: observe,
// refer, then the response actions. The URL is included because the relay
// gives verdicts only for threats the gateway found, and the sender's
// messages were delivered.
func investigate(ctx context.Context, c *demoClient, story sim.Story) (*investigation, error) {
	obs := []demoObservable{
		{Type: "email_messageid", Value: story.MessageID},
		{Type: "email", Value: story.Sender},
		{Type: "url", Value: story.URL},
	}
	inv := &investigation{story: story}
	if err := c.post(ctx, "/observe/observables", obs, &inv.observe); err != nil {
		return nil, err
	}
	if err := c.post(ctx, "/refer/observables", obs, &inv.refer); err != nil {
		return nil, err
	}
	if err := c.post(ctx, "/respond/observables", obs, &inv.actions); err != nil {
		return nil, err
	}
	return inv, nil
}

// action returns the first offered action with id, or false.
func (inv *investigation) action(id string) (demoAction, bool) {
	for _, a := range inv.actions {
		if a.ID == id {
			return a, true
		}
	}
	return demoAction{}, false
}

// print writes the human-readable summary.
func (inv *investigation) print(w io.Writer) {
	fmt.Fprintf(w, "Investigation of the phishing message %s,\nits sender %s and its URL %s\n\n",
		inv.story.MessageID, inv.story.Sender, inv.story.URL)
	messages := inv.messages()
	fmt.Fprintf(w, "Sightings: %d, of %d distinct messages\n", inv.observe.Sightings.Count, len(messages))
	for _, m := range messages {
		fmt.Fprintf(w, "  - from %s to %s: %s (%s)\n", orDash(m.sender), orDash(strings.Join(m.recipients, ", ")), orDash(m.status), m.resolution)
	}
	fmt.Fprintf(w, "\nVerdicts: %d\n", len(inv.observe.Verdicts.Docs))
	for _, v := range inv.observe.Verdicts.Docs {
		fmt.Fprintf(w, "  - %s %s: %s\n", v.Observable.Type, v.Observable.Value, v.DispositionName)
	}
	fmt.Fprintf(w, "\nRefer links: %d\n", len(inv.refer))
	for _, r := range inv.refer {
		fmt.Fprintf(w, "  - %s\n", r.Title)
	}
	fmt.Fprintf(w, "\nOffered actions: %d\n", len(inv.actions))
	for _, a := range inv.actions {
		fmt.Fprintf(w, "  - %s (%s)\n", a.Title, a.ID)
	}
	fmt.Fprintln(w)
}

// demoMessage is one message behind one or more sightings, because every
// observable found in the message gives its own sighting.
type demoMessage struct {
	sender, status, resolution string
	recipients                 []string
}

// messages returns the distinct messages of the sightings, in the order
// observe returned them, keyed by appliance serial number and MIDs.
func (inv *investigation) messages() []demoMessage {
	seen := map[string]bool{}
	var out []demoMessage
	for _, s := range inv.observe.Sightings.Docs {
		key := s.column("serial_number") + " " + s.column("mids")
		if seen[key] {
			continue
		}
		seen[key] = true
		m := demoMessage{status: s.column("status"), resolution: s.Resolution}
		for _, r := range s.Relations {
			switch r.Relation {
			case "Sent_By":
				m.sender = r.Related.Value
			case "Sent_To":
				m.recipients = append(m.recipients, r.Related.Value)
			}
		}
		out = append(out, m)
	}
	return out
}

// column returns a cell of the sighting's one-row data table as text.
func (s demoSighting) column(name string) string {
	if s.Data == nil || len(s.Data.Rows) == 0 {
		return ""
	}
	for i, c := range s.Data.Columns {
		if c.Name == name && i < len(s.Data.Rows[0]) {
			return fmt.Sprint(s.Data.Rows[0][i])
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printDemoCommands writes curl commands that work as printed in bash:
// every argument is single-quoted, because Message-IDs contain "$".
func printDemoCommands(w io.Writer, d *demoSession, inv *investigation) {
	fmt.Fprintln(w, "WARNING: the token below carries the demo gateway password in readable form; it only works with this demo.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Try other observables of the simulator's stories:")
	st := d.stories
	for _, o := range []demoObservable{
		{Type: "sha256", Value: st.Malware.SHA256},
		{Type: "url", Value: st.Phishing.URL},
		{Type: "ip", Value: st.RejectedIP.SenderIP},
	} {
		fmt.Fprintln(w)
		fmt.Fprintln(w, demoCurl(d.relayURL, "/observe/observables", d.token, []demoObservable{o}))
	}

	del, ok := inv.action("esa-remediate-delete")
	if !ok {
		fmt.Fprintln(w, "\nThe delete action was not offered, so there is no trigger to try.")
	} else {
		fmt.Fprintf(w, "\nTrigger the offered action %q:\n\n", del.Title)
		fmt.Fprintln(w, demoCurl(d.relayURL, "/respond/trigger", d.token, triggerBody(del)))
	}
	fmt.Fprintln(w, "\nPress Ctrl-C to stop the relay and the simulator.")
}

// triggerBody is the trigger request the platform sends for an offered
// action: its id with its query-params merged in.
func triggerBody(a demoAction) map[string]string {
	body := map[string]string{"action-id": a.ID}
	for k, v := range a.QueryParams {
		body[k] = v
	}
	return body
}

// demoCurl returns one curl command line that posts body as JSON.
func demoCurl(base, route, token string, body any) string {
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	// Message-IDs keep their angle brackets readable.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
	return strings.Join([]string{
		"curl", "-sS", "-X", "POST", shellQuote(base + route),
		"-H", shellQuote("Authorization: Bearer " + token),
		"-H", shellQuote("Content-Type: application/json"),
		"-d", shellQuote(strings.TrimSpace(raw.String())),
	}, " ")
}

// shellQuote quotes s for bash: inside single quotes nothing expands, and
// a single quote is written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
