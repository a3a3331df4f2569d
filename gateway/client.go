package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"
)

// retryDelay is the pause before the single retry of a failed call.
const retryDelay = 200 * time.Millisecond

// Client calls one appliance with one credential set. It is safe for
// concurrent use; get it from Pool.Client.
type Client struct {
	pool    *Pool
	cfg     Config
	host    string
	http    *http.Client
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	log     *slog.Logger
	// passwordKey identifies the password for the login throttle.
	passwordKey [32]byte

	mu       sync.Mutex
	token    string // JWT of the current session; "" before login
	basic    bool   // the appliance has no login endpoint, so Basic is used
	openedAt time.Time
	// breakerState is the breaker state last counted for BreakerCounter.
	breakerState string
	// evicted is set once the pool dropped the client, so its breaker no
	// longer counts.
	evicted bool
	logins  singleflight.Group
}

func newClient(p *Pool, cfg Config, passwordKey [32]byte) (*Client, error) {
	roots, err := caPool(cfg.CAPEM)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Gateway: cfg.BaseURL, Op: "config", Message: "GATEWAY_CA_PEM is invalid"}
	}
	u, _ := url.Parse(cfg.BaseURL)
	c := &Client{pool: p, cfg: cfg, host: u.Host, passwordKey: passwordKey}
	c.log = p.log.With("gateway", cfg.BaseURL)
	c.http = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would bypass the address guard
			DialContext:           p.guard.DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   p.opts.DialTimeout,
			ResponseHeaderTimeout: p.opts.HeaderTimeout,
			ForceAttemptHTTP2:     true,
			// A relay request runs up to three detail calls per message at
			// once. With too few idle connections, each burst would open new
			// TLS sessions to the appliance.
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
		// A redirect could carry the session token or the password to
		// another host, so the 3xx response itself is returned and rejected.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        cfg.BaseURL,
		MaxRequests: 1,
		Timeout:     p.opts.BreakerOpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool {
			return n.ConsecutiveFailures >= uint32(p.opts.BreakerFailures)
		},
		IsExcluded:    excludedFromBreaker,
		OnStateChange: c.breakerChanged,
	})
	c.breakerState = gobreaker.StateClosed.String()
	c.countBreaker(c.breakerState, 1)
	return c, nil
}

// Config returns the credential set the client was built from.
func (c *Client) Config() Config { return c.cfg }

// request describes one API call.
type request struct {
	op     string // e.g. "message-tracking/messages", for errors and metrics
	method string
	prefix string // API prefix; cfg.API.Prefix() when empty
	path   string // after the prefix, starting with "/"
	query  string // already encoded
	body   any    // sent as JSON when non-nil
	write  bool   // changes state, so it is never retried
}

// do runs r and decodes a 2xx JSON response into out when out is non-nil.
func (c *Client) do(ctx context.Context, r request, out any) error {
	body, err := c.call(ctx, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Kind: KindUnknown, Gateway: c.cfg.BaseURL, Op: r.op,
			Message: "the gateway answered with invalid JSON", Err: err}
	}
	return nil
}

// call sends r through the breaker and, when that is safe, once more after
// a transient failure.
func (c *Client) call(ctx context.Context, r request) ([]byte, error) {
	return c.withRetry(ctx, r, func() ([]byte, error) { return c.attempt(ctx, r) })
}

// withRetry runs try, and after a transient failure that r may repeat it
// pauses for retryDelay and runs try once more. Each try passes the breaker
// on its own, so both count there.
func (c *Client) withRetry(ctx context.Context, r request, try func() ([]byte, error)) ([]byte, error) {
	body, err := try()
	if err == nil || !retryable(err) || !repeatable(r, err) || ctx.Err() != nil {
		return body, err
	}
	c.log.Warn("retrying gateway call", "op", r.op, "err", err)
	t := time.NewTimer(retryDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, err
	case <-t.C:
	}
	return try()
}

// repeatable reports whether r may be sent again after err. GET reads
// change nothing. A write (remediation, dictionary, quarantine) is
// repeated only when the login before it failed, because then the
// gateway never acted on the write itself.
func repeatable(r request, err error) bool {
	if !r.write && r.method == http.MethodGet {
		return true
	}
	var ge *Error
	return errors.As(err, &ge) && ge.Op == "login"
}

// attempt sends r once (with one re-login on 401) if the breaker allows it.
func (c *Client) attempt(ctx context.Context, r request) ([]byte, error) {
	done, err := c.breaker.Allow()
	if err != nil {
		return nil, c.openError(r.op)
	}
	body, err := c.authorized(ctx, r)
	done(err)
	return body, err
}

// authorized sends r with the session's credentials. A 401 on a JWT
// session means the token expired early: it logs in again and sends r one
// more time, which is safe for writes too because the gateway rejected r
// before acting on it.
func (c *Client) authorized(ctx context.Context, r request) ([]byte, error) {
	cred, err := c.authorize(ctx)
	if err != nil {
		return nil, err
	}
	body, err := c.send(ctx, r, cred)
	if cred.basic && err == nil {
		c.pool.logins.succeeded(c.loginIdentity())
	}
	if kindOf(err) != KindAuth {
		return body, err
	}
	if cred.basic {
		c.pool.logins.failed(c.loginIdentity())
		c.log.Warn("gateway rejected basic credentials", "user", c.cfg.User, "op", r.op)
		return nil, err
	}
	c.invalidate(cred.token)
	c.log.Info("gateway session rejected, logging in again", "op", r.op)
	cred, err = c.authorize(ctx)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, r, cred)
}

// send performs one HTTP exchange: build, bound, send, read through the
// cap, drain, classify.
func (c *Client) send(ctx context.Context, r request, cred credentials) ([]byte, error) {
	if err := spendBudget(ctx, c.cfg.BaseURL, r.op); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.pool.opts.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, r, cred)
	if err != nil {
		return nil, err
	}

	start := c.pool.opts.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		e := classifyTransport(c.cfg.BaseURL, r.op, err)
		c.finish(r.op, start, e)
		return nil, e
	}
	defer drain(resp.Body, c.pool.opts.MaxBody)

	body, err := readCapped(resp.Body, c.pool.opts.MaxBody)
	if err != nil {
		e := c.readError(r.op, resp.StatusCode, err)
		c.finish(r.op, start, e)
		return nil, e
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := classifyStatus(c.cfg.BaseURL, r.op, resp.StatusCode, body)
		c.finish(r.op, start, e)
		return nil, e
	}
	c.finish(r.op, start, nil)
	return body, nil
}

func (c *Client) newRequest(ctx context.Context, r request, cred credentials) (*http.Request, error) {
	prefix := r.prefix
	if prefix == "" {
		prefix = c.cfg.API.Prefix()
	}
	target := c.cfg.BaseURL + prefix + r.path
	if r.query != "" {
		target += "?" + r.query
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: r.op, Message: "the request body cannot be encoded", Err: err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: r.op, Message: "the request URL is invalid", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.pool.opts.UserAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case cred.token != "":
		req.Header.Set("jwtToken", cred.token)
	case cred.basic:
		req.SetBasicAuth(c.cfg.User, c.cfg.Password.Reveal())
	}
	return req, nil
}

// readCapped reads at most max bytes and fails when the body is longer.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errBodyTooLarge
	}
	return b, nil
}

var errBodyTooLarge = fmt.Errorf("response body too large")

// drain reads what is left of a body, up to max bytes, so the connection
// can be reused, and closes it.
func drain(body io.ReadCloser, max int64) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, max))
	_ = body.Close()
}

func (c *Client) readError(op string, status int, err error) *Error {
	if err == errBodyTooLarge {
		return &Error{Kind: KindUnknown, Gateway: c.cfg.BaseURL, Op: op, Status: status,
			Message: fmt.Sprintf("the gateway answer exceeds the limit of %d bytes", c.pool.opts.MaxBody), Err: err}
	}
	return classifyTransport(c.cfg.BaseURL, op, err)
}

// finish logs and observes the outcome of one exchange.
func (c *Client) finish(op string, start time.Time, e *Error) {
	d := c.pool.opts.Now().Sub(start)
	result := "ok"
	if e != nil {
		result = e.Kind.String()
	}
	if o := c.pool.opts.Observer; o != nil {
		o.ObserveCall(c.host, op, result, d)
	}
	switch {
	case e == nil:
		c.log.Debug("gateway call", "op", op, "duration", d)
	case e.Status >= 500:
		c.log.Error("gateway call failed", "op", op, "status", e.Status, "duration", d, "err", e)
	case e.Status == 0 && e.Kind != KindBudget:
		c.log.Warn("gateway call failed", "op", op, "duration", d, "err", e, "cause", causeText(e))
	default:
		c.log.Info("gateway call failed", "op", op, "status", e.Status, "duration", d, "err", e)
	}
}

// causeText returns the underlying transport error. It carries no
// credential, because the URL has no user info and Go's transport errors
// do not include headers.
func causeText(e *Error) string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// breakerChanged logs a breaker transition and reports it. gobreaker calls
// it with its lock held, so it must not call the breaker.
func (c *Client) breakerChanged(_ string, from, to gobreaker.State) {
	c.mu.Lock()
	if to == gobreaker.StateOpen {
		c.openedAt = c.pool.opts.Now()
	}
	if !c.evicted {
		c.countBreaker(c.breakerState, -1)
		c.countBreaker(to.String(), 1)
	}
	c.breakerState = to.String()
	c.mu.Unlock()

	if to == gobreaker.StateOpen {
		c.log.Warn("gateway breaker opened", "from", from.String(), "open_for", c.pool.opts.BreakerOpenFor)
	} else {
		c.log.Info("gateway breaker changed", "from", from.String(), "to", to.String())
	}
	if o := c.pool.opts.Observer; o != nil {
		o.ObserveBreaker(c.host, to.String())
	}
}

// retire stops counting the client's breaker once the pool evicted it.
func (c *Client) retire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.evicted {
		c.evicted = true
		c.countBreaker(c.breakerState, -1)
	}
	c.http.CloseIdleConnections()
}

// countBreaker passes a change in the number of breakers in state to the
// observer when it counts them.
func (c *Client) countBreaker(state string, delta int) {
	if counter, ok := c.pool.opts.Observer.(BreakerCounter); ok {
		counter.CountBreakers(c.host, state, delta)
	}
}

// openError is the fast failure while the breaker is open or probing.
func (c *Client) openError(op string) *Error {
	c.mu.Lock()
	retryAt := c.openedAt.Add(c.pool.opts.BreakerOpenFor)
	c.mu.Unlock()
	if now := c.pool.opts.Now(); retryAt.Before(now) {
		retryAt = now
	}
	e := &Error{Kind: KindUnavailable, Gateway: c.cfg.BaseURL, Op: op, RetryAt: retryAt,
		Message: fmt.Sprintf("the gateway is failing; calls are paused until %s", retryAt.UTC().Format(time.RFC3339))}
	if o := c.pool.opts.Observer; o != nil {
		o.ObserveCall(c.host, op, "breaker_open", 0)
	}
	return e
}
