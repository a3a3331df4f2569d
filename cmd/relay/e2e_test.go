package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway/sim"
	"github.com/securex-esa/relay/relay/ctim/ctimtest"
)

const (
	e2eForwardAddress = "soc@secops.example.com"
	e2eDictionary     = "relay_blocked_senders"
	e2eStartWait      = 10 * time.Second
)

// e2eDials records every connection the relay opened to a gateway.
type e2eDials struct {
	mu    sync.Mutex
	addrs []string
	// resolver, when set, replaces the gateway pool's resolver.
	resolver e2eResolver
}

func (d *e2eDials) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var dialer net.Dialer
	return dialer.DialContext(ctx, network, addr)
}

func (d *e2eDials) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

// e2eEnv is the relay program run in process by Run, in front of the
// gateway simulator over HTTPS.
type e2eEnv struct {
	t        *testing.T
	sim      *sim.Server
	simURL   string
	password string
	relay    *runningRelay
	dials    *e2eDials
	// secrets are the values no response and no log line may contain.
	secrets []string
}

// e2eOptions changes the simulator or adds relay settings as name, value
// pairs that override the defaults.
type e2eOptions struct {
	sim      sim.Options
	settings []string
	resolver e2eResolver // host name → IP the gateway pool resolves it to
}

func e2eStart(t *testing.T, o e2eOptions) *e2eEnv {
	t.Helper()
	password := e2eRandom(t)
	so := o.sim
	so.Users = map[string]string{"admin": password}
	if so.Messages == 0 {
		so.Messages = 200
	}
	s, err := sim.New(so)
	require.NoError(t, err)
	simURL, err := s.StartTLS("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	e := &e2eEnv{t: t, sim: s, simURL: simURL, password: password, dials: &e2eDials{resolver: o.resolver}}
	e.secrets = []string{password, testSecret}
	e.relay = e2eRun(t, e.dials, append([]string{
		"RELAY_GATEWAY_HOSTS", strings.TrimPrefix(simURL, "https://"),
		"RELAY_FORWARD_DOMAINS", "secops.example.com",
	}, o.settings...)...)
	return e
}

// e2eRun starts Run on free loopback ports with debug logs in a buffer.
func e2eRun(t *testing.T, dials *e2eDials, settings ...string) *runningRelay {
	t.Helper()
	pairs := append([]string{
		"RELAY_ADDR", "127.0.0.1:0",
		"RELAY_METRICS_ADDR", "off",
		"RELAY_JWT_SECRET", testSecret,
		"RELAY_LOG_LEVEL", "debug",
	}, settings...)
	cfg, err := LoadConfig(envOf(pairs...))
	require.NoError(t, err)
	cfg.GatewayDial = dials.dial
	if dials.resolver != nil {
		cfg.GatewayResolver = dials.resolver
	}
	addrs := make(chan string, 1)
	cfg.OnListen = func(r, _ net.Addr) { addrs <- r.String() }

	ctx, cancel := context.WithCancel(context.Background())
	r := &runningRelay{Logs: &lockedBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = Run(ctx, cfg, newLogger(cfg, r.Logs))
		close(r.done)
	}()
	t.Cleanup(func() { require.NoError(t, r.Stop()) })

	select {
	case r.Addr = <-addrs:
	case <-r.done:
		t.Fatalf("Run stopped early: %v", r.err)
	case <-time.After(e2eStartWait):
		t.Fatal("Run did not start listening")
	}
	return r
}

func e2eRandom(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// token signs a configuration token for the simulator. Extra claims, as
// name and value pairs, replace the defaults, and an empty value removes
// a claim.
func (e *e2eEnv) token(extra ...string) string {
	e.t.Helper()
	claims := jwt.MapClaims{
		"GATEWAY_URL":      e.simURL,
		"GATEWAY_API":      "sma",
		"GATEWAY_USER":     "admin",
		"GATEWAY_PASSWORD": e.password,
		"GATEWAY_CA_PEM":   string(e.sim.CAPEM()),
		"ESA_CONFIG_URL":   e.simURL,
		"BLOCK_DICTIONARY": e2eDictionary,
		"FORWARD_ADDRESS":  e2eForwardAddress,
		"exp":              time.Now().Add(time.Hour).Unix(),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(claims, extra[i])
			continue
		}
		claims[extra[i]] = extra[i+1]
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	require.NoError(e.t, err)
	e.secrets = append(e.secrets, token)
	return token
}

// post sends body to a relay route and returns the raw response, which
// must be HTTP 200 and free of every secret.
func (e *e2eEnv) post(route, token string, body any) []byte {
	e.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, "http://"+e.relay.Addr+route, bytes.NewReader(raw))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")

	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)

	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(out))
	e.requireNoSecret(route+" response", string(out))
	return out
}

func (e *e2eEnv) requireNoSecret(where, text string) {
	e.t.Helper()
	for _, s := range e.secrets {
		require.NotContains(e.t, text, s, "a secret appears in the %s", where)
	}
}

// requireCleanLogs checks every log line of the relay for secrets.
func (e *e2eEnv) requireCleanLogs() {
	e.t.Helper()
	logs := e.relay.Logs.String()
	require.NotEmpty(e.t, logs)
	for _, line := range strings.Split(logs, "\n") {
		e.requireNoSecret("log line "+line, line)
	}
}

// e2eObservable is one observable of a request.
type e2eObservable struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// e2eResponse is the relay envelope with the fields the tests read.
type e2eResponse struct {
	Data struct {
		Sightings struct {
			Count int `json:"count"`
		} `json:"sightings"`
		Verdicts struct {
			Docs []struct {
				DispositionName string        `json:"disposition_name"`
				Observable      e2eObservable `json:"observable"`
			} `json:"docs"`
		} `json:"verdicts"`
	} `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

func e2eDecode(t *testing.T, raw []byte) e2eResponse {
	t.Helper()
	var r e2eResponse
	require.NoError(t, json.Unmarshal(raw, &r), string(raw))
	return r
}

// e2eAction is one offered response action.
type e2eAction struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	QueryParams map[string]string `json:"query-params"`
}

// actions returns the actions offered for obs, checked against the schema.
func (e *e2eEnv) actions(token string, obs ...e2eObservable) []e2eAction {
	e.t.Helper()
	raw := e.post("/respond/observables", token, obs)
	ctimtest.Validate(e.t, "RespondObservablesResponse", raw)
	var env struct {
		Data []e2eAction `json:"data"`
	}
	require.NoError(e.t, json.Unmarshal(raw, &env))
	return env.Data
}

// trigger sends the trigger request the platform builds from an offered
// action: its id with its query-params merged into the body.
func (e *e2eEnv) trigger(token string, a e2eAction) []byte {
	e.t.Helper()
	body := map[string]string{"action-id": a.ID}
	for k, v := range a.QueryParams {
		body[k] = v
	}
	raw := e.post("/respond/trigger", token, body)
	ctimtest.Validate(e.t, "TriggerResponse", raw)
	return raw
}

// writes returns the simulator's requests that change state.
func (e *e2eEnv) writes() []sim.Request {
	var out []sim.Request
	for _, r := range e.sim.Requests() {
		if r.Method != http.MethodGet && r.Endpoint != "login" {
			out = append(out, r)
		}
	}
	return out
}

func e2eActionIDs(list []e2eAction) []string {
	ids := []string{}
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	return ids
}

func e2eFind(t *testing.T, list []e2eAction, id string) e2eAction {
	t.Helper()
	for _, a := range list {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("%s is not offered; offered: %v", id, e2eActionIDs(list))
	return e2eAction{}
}

func TestE2EStoriesAcrossRoutes(t *testing.T) {
	e := e2eStart(t, e2eOptions{})
	token := e.token()
	st := e.sim.Stories()
	cases := []struct {
		name        string
		observable  e2eObservable
		sightings   bool
		verdict     string
		wantActions []string
	}{
		{"phishing message id", e2eObservable{"email_messageid", st.Phishing.MessageID}, true, "",
			[]string{"esa-remediate-delete", "esa-remediate-forward", "esa-remediate-forward-delete"}},
		{"phishing mid", e2eObservable{"cisco_mid", e2eLastMID(st.Phishing.MIDs)}, true, "",
			[]string{"esa-remediate-delete", "esa-remediate-forward", "esa-remediate-forward-delete"}},
		{"phishing sender", e2eObservable{"email", st.Phishing.Sender}, true, "", []string{"esa-block-sender"}},
		{"phishing sender domain", e2eObservable{"domain", st.Phishing.SenderDomain}, true, "", []string{"esa-block-domain"}},
		{"phishing url", e2eObservable{"url", st.Phishing.URL}, true, "Malicious", []string{}},
		{"malware sha256", e2eObservable{"sha256", st.Malware.SHA256}, true, "Malicious", []string{}},
		{"newsletter message id", e2eObservable{"email_messageid", st.Newsletter.MessageID}, true, "",
			[]string{"esa-remediate-delete", "esa-remediate-forward", "esa-remediate-forward-delete"}},
		{"spam message id", e2eObservable{"email_messageid", st.Spam.MessageID}, true, "Suspicious",
			[]string{"esa-quarantine-release", "esa-quarantine-delete"}},
		{"rejected ip", e2eObservable{"ip", st.RejectedIP.SenderIP}, true, "Suspicious", []string{}},
		{"unknown sha256", e2eObservable{"sha256", strings.Repeat("ab", 32)}, false, "", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			obs := []e2eObservable{tc.observable}

			observe := e.post("/observe/observables", token, obs)
			deliberate := e.post("/deliberate/observables", token, obs)
			refer := e.post("/refer/observables", token, obs)
			actions := e.actions(token, tc.observable)

			ctimtest.Validate(t, "ObserveResponse", observe)
			ctimtest.Validate(t, "DeliberateResponse", deliberate)
			ctimtest.Validate(t, "ReferResponse", refer)
			seen := e2eDecode(t, observe)
			require.Empty(t, seen.Errors, string(observe))
			require.Equal(t, tc.sightings, seen.Data.Sightings.Count > 0, string(observe))
			judged := e2eDecode(t, deliberate)
			require.Empty(t, judged.Errors, string(deliberate))
			if tc.verdict == "" {
				require.Empty(t, judged.Data.Verdicts.Docs, string(deliberate))
			} else {
				require.NotEmpty(t, judged.Data.Verdicts.Docs, string(deliberate))
				require.Equal(t, tc.verdict, judged.Data.Verdicts.Docs[0].DispositionName)
				require.Equal(t, tc.observable, judged.Data.Verdicts.Docs[0].Observable)
			}
			require.ElementsMatch(t, tc.wantActions, e2eActionIDs(actions))
		})
	}
	e.t = t
	e.requireCleanLogs()
}

// e2eLastMID formats the MID of a message's last processing step.
func e2eLastMID(mids []int64) string {
	return strconv.FormatInt(mids[len(mids)-1], 10)
}

// e2eWrite is the state-changing request a trigger must send.
type e2eWrite struct {
	method   string
	endpoint string
	// check asserts the recorded request field by field.
	check func(t *testing.T, st sim.Stories, r sim.Request)
}

// e2eRemediation is the remediation submit body the simulator records.
type e2eRemediation struct {
	Data struct {
		BatchName string   `json:"batch_name"`
		BatchDesc string   `json:"batch_description"`
		Action    string   `json:"action"`
		Forward   []string `json:"fwd_email_address"`
		Messages  []struct {
			MID        []int64  `json:"mid"`
			MessageID  string   `json:"message_id"`
			From       []string `json:"from_email"`
			Recipients []string `json:"recipient_email"`
			Serial     string   `json:"serial_number"`
		} `json:"message_details"`
	} `json:"data"`
}

func e2eCheckRemediation(action string, forward []string) func(*testing.T, sim.Stories, sim.Request) {
	return func(t *testing.T, st sim.Stories, r sim.Request) {
		t.Helper()
		var body e2eRemediation
		require.NoError(t, json.Unmarshal(r.Body, &body), string(r.Body))
		require.Equal(t, action, body.Data.Action)
		require.Equal(t, forward, body.Data.Forward)
		require.NotEmpty(t, body.Data.BatchName)
		require.Contains(t, body.Data.BatchDesc, st.Phishing.MessageID)
		require.Len(t, body.Data.Messages, 1)
		m := body.Data.Messages[0]
		require.Equal(t, st.Phishing.MIDs, m.MID)
		require.Equal(t, st.Phishing.MessageID, m.MessageID)
		require.Equal(t, st.Phishing.Serial, m.Serial)
		require.Equal(t, []string{st.Phishing.Sender}, m.From)
		require.ElementsMatch(t, st.Phishing.Recipients, m.Recipients)
	}
}

func e2eCheckQuarantine(action string) func(*testing.T, sim.Stories, sim.Request) {
	return func(t *testing.T, st sim.Stories, r sim.Request) {
		t.Helper()
		var body struct {
			Action         string  `json:"action"`
			MIDs           []int64 `json:"mids"`
			QuarantineType string  `json:"quarantineType"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body), string(r.Body))
		if action != "" {
			require.Equal(t, action, body.Action)
		}
		require.Equal(t, []int64{st.Spam.QuarantineMID}, body.MIDs)
		require.Equal(t, "spam", body.QuarantineType)
	}
}

func e2eCheckDictionary(words string) func(*testing.T, sim.Stories, sim.Request) {
	return func(t *testing.T, _ sim.Stories, r sim.Request) {
		t.Helper()
		require.Equal(t, "/esa/api/v2.0/config/dictionaries/"+e2eDictionary+"/words", r.Path)
		require.Equal(t, "device_type=esa&mode=cluster", r.RawQuery)
		require.JSONEq(t, `{"data":{"words":`+words+`}}`, string(r.Body))
	}
}

func TestE2ETriggerEachActionKind(t *testing.T) {
	blocked := map[string][]string{e2eDictionary: {`it-support@account-verify\.example`, `account-verify\.example`}}
	cases := []struct {
		name       string
		dicts      map[string][]string
		observable func(sim.Stories) e2eObservable
		action     string
		want       e2eWrite
	}{
		{"remediate delete", nil, e2ePhishingMessage, "esa-remediate-delete",
			e2eWrite{http.MethodPost, "remediation", e2eCheckRemediation("delete", nil)}},
		{"remediate forward", nil, e2ePhishingMessage, "esa-remediate-forward",
			e2eWrite{http.MethodPost, "remediation", e2eCheckRemediation("forward", []string{e2eForwardAddress})}},
		{"remediate forward delete", nil, e2ePhishingMessage, "esa-remediate-forward-delete",
			e2eWrite{http.MethodPost, "remediation", e2eCheckRemediation("fwdDelete", []string{e2eForwardAddress})}},
		{"quarantine release", nil, e2eSpamMessage, "esa-quarantine-release",
			e2eWrite{http.MethodPost, "quarantine/messages", e2eCheckQuarantine("release")}},
		{"quarantine delete", nil, e2eSpamMessage, "esa-quarantine-delete",
			e2eWrite{http.MethodDelete, "quarantine/messages", e2eCheckQuarantine("")}},
		{"block sender", nil, e2ePhishingSender, "esa-block-sender",
			e2eWrite{http.MethodPost, "config/dictionaries/words", e2eCheckDictionary(`[["^it-support@account-verify\\.example$"]]`)}},
		{"block domain", nil, e2ePhishingDomain, "esa-block-domain",
			e2eWrite{http.MethodPost, "config/dictionaries/words", e2eCheckDictionary(`[["[@.]account-verify\\.example$"]]`)}},
		{"unblock sender", blocked, e2ePhishingSender, "esa-unblock-sender",
			e2eWrite{http.MethodDelete, "config/dictionaries/words", e2eCheckDictionary(`["it-support@account-verify\\.example"]`)}},
		{"unblock domain", blocked, e2ePhishingDomain, "esa-unblock-domain",
			e2eWrite{http.MethodDelete, "config/dictionaries/words", e2eCheckDictionary(`["account-verify\\.example"]`)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := e2eStart(t, e2eOptions{sim: sim.Options{Dictionaries: tc.dicts}})
			token := e.token()
			st := e.sim.Stories()
			offered := e.actions(token, tc.observable(st))
			action := e2eFind(t, offered, tc.action)

			raw := e.trigger(token, action)

			require.JSONEq(t, `{"data":{"status":"success"}}`, string(raw))
			writes := e.writes()
			require.Len(t, writes, 1, "exactly one write reaches the gateway")
			require.Equal(t, tc.want.method, writes[0].Method)
			require.Equal(t, tc.want.endpoint, writes[0].Endpoint)
			require.Equal(t, http.StatusOK, writes[0].Status)
			tc.want.check(t, st, writes[0])
			e.requireCleanLogs()
		})
	}
}

func e2ePhishingMessage(st sim.Stories) e2eObservable {
	return e2eObservable{"email_messageid", st.Phishing.MessageID}
}

func e2eSpamMessage(st sim.Stories) e2eObservable {
	return e2eObservable{"email_messageid", st.Spam.MessageID}
}

func e2ePhishingSender(st sim.Stories) e2eObservable {
	return e2eObservable{"email", st.Phishing.Sender}
}

func e2ePhishingDomain(st sim.Stories) e2eObservable {
	return e2eObservable{"domain", st.Phishing.SenderDomain}
}

func TestE2ESecretsAbsentAfterFailures(t *testing.T) {
	e := e2eStart(t, e2eOptions{})
	st := e.sim.Stories()
	good := e.token()
	wrongPassword := "wrong-" + e2eRandom(t)
	e.secrets = append(e.secrets, wrongPassword)
	bad := e.token("GATEWAY_PASSWORD", wrongPassword)
	obs := []e2eObservable{{"email_messageid", st.Phishing.MessageID}}

	okRaw := e.post("/observe/observables", good, obs)
	badRaw := e.post("/observe/observables", bad, obs)
	forged := e.post("/observe/observables", good[:len(good)-4]+"AAAA", obs)
	tampered := e.post("/respond/trigger", good, map[string]string{
		"action-id": "esa-remediate-delete", "observable_type": "email_messageid",
		"observable_value": st.Phishing.MessageID, "gateway": e.simURL, "serial": st.Phishing.Serial,
		"mids": "1", "fwd_email_address": "attacker@evil.example",
	})

	ctimtest.Validate(t, "ObserveResponse", okRaw)
	ctimtest.Validate(t, "ObserveResponse", badRaw)
	ctimtest.Validate(t, "ErrorResponse", forged)
	require.Empty(t, e2eDecode(t, okRaw).Errors, string(okRaw))
	badErrs := e2eDecode(t, badRaw).Errors
	require.NotEmpty(t, badErrs, string(badRaw))
	require.Equal(t, "authorization error", badErrs[0].Code)
	forgedErrs := e2eDecode(t, forged).Errors
	require.NotEmpty(t, forgedErrs, string(forged))
	require.Equal(t, "authorization error", forgedErrs[0].Code)
	ctimtest.Validate(t, "TriggerResponse", tampered)
	require.Contains(t, string(tampered), `"status":"failure"`)
	require.Empty(t, e.writes())
	e.requireCleanLogs()
}

func TestE2EGatewayHostsRejectUnlisted(t *testing.T) {
	decoy, accepted := e2eDecoy(t)
	cases := []struct {
		name     string
		settings []string
		url      string
	}{
		{"unlisted loopback port", nil, "https://" + decoy},
		{"unlisted loopback name", nil, "https://localhost:" + e2ePort(t, decoy)},
		{"unset hosts loopback literal", []string{"RELAY_GATEWAY_HOSTS", ""}, "https://" + decoy},
		{"unset hosts localhost name", []string{"RELAY_GATEWAY_HOSTS", ""}, "https://localhost.:" + e2ePort(t, decoy)},
		{"unset hosts ipv6 loopback", []string{"RELAY_GATEWAY_HOSTS", ""}, "https://[::1]:" + e2ePort(t, decoy)},
		{"unset hosts metadata address", []string{"RELAY_GATEWAY_HOSTS", ""}, "https://169.254.169.254"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := e2eStart(t, e2eOptions{settings: tc.settings})
			st := e.sim.Stories()
			obs := []e2eObservable{{"email_messageid", st.Phishing.MessageID}}

			for _, claim := range []string{"GATEWAY_URL", "ESA_CONFIG_URL"} {
				raw := e.post("/observe/observables", e.token(claim, tc.url), obs)
				ctimtest.Validate(t, "ErrorResponse", raw)
				errs := e2eDecode(t, raw).Errors
				require.NotEmpty(t, errs, string(raw))
				require.Equal(t, "authorization error", errs[0].Code, string(raw))
			}

			require.Empty(t, e.dials.list(), "the relay dialled a gateway")
			require.Zero(t, accepted(), "a connection reached the decoy")
			require.Zero(t, len(e.sim.Requests()))
		})
	}
}

// e2eDecoy listens on loopback and counts the connections it accepts.
func e2eDecoy(t *testing.T) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			_ = c.Close()
		}
	}()
	return ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

func e2ePort(t *testing.T, hostport string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(hostport)
	require.NoError(t, err)
	return port
}

// e2eResolver maps host names to fixed addresses, so a test can make a
// name that passes the token's literal checks resolve to loopback.
type e2eResolver map[string]string

func (r e2eResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ip, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
}

func TestE2EGatewayNameResolvingToLoopback(t *testing.T) {
	decoy, accepted := e2eDecoy(t)
	// With RELAY_GATEWAY_HOSTS unset the token checks accept any public
	// name, so only the pool's address guard stands between the name and
	// the loopback address it resolves to.
	e := e2eStart(t, e2eOptions{
		settings: []string{"RELAY_GATEWAY_HOSTS", ""},
		resolver: e2eResolver{"sma.rebind.example": "127.0.0.1", "meta.rebind.example": "169.254.169.254"},
	})
	st := e.sim.Stories()
	obs := []e2eObservable{{"email_messageid", st.Phishing.MessageID}}

	for _, url := range []string{"https://sma.rebind.example:" + e2ePort(t, decoy), "https://meta.rebind.example"} {
		raw := e.post("/observe/observables", e.token("GATEWAY_URL", url), obs)
		errs := e2eDecode(t, raw).Errors
		require.NotEmpty(t, errs, string(raw))
		require.Equal(t, "authorization error", errs[0].Code, string(raw))
		require.Contains(t, errs[0].Message, "RELAY_GATEWAY_HOSTS", string(raw))
	}

	require.Empty(t, e.dials.list(), "the relay dialled a gateway")
	require.Zero(t, accepted(), "a connection reached the decoy")
}
