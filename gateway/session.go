package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// credentials are the session token or Basic flag of one request.
type credentials struct {
	token string
	basic bool
}

type loginBody struct {
	Data struct {
		UserName   string `json:"userName"`
		Passphrase string `json:"passphrase"`
	} `json:"data"`
}

type loginAnswer struct {
	Data struct {
		JWT flexString `json:"jwtToken"`
	} `json:"data"`
}

// Login opens a session now; other calls log in on first use anyway. A
// login that fails transiently is tried once more.
func (c *Client) Login(ctx context.Context) error {
	r := request{op: "login", method: http.MethodPost, path: "/login"}
	_, err := c.withRetry(ctx, r, func() ([]byte, error) {
		done, err := c.breaker.Allow()
		if err != nil {
			return nil, c.openError("login")
		}
		_, err = c.authorize(ctx)
		done(err)
		return nil, err
	})
	return err
}

// Privileges returns the privilege names of the API account.
func (c *Client) Privileges(ctx context.Context) ([]string, error) {
	var out struct {
		Data flexStrings `json:"data"`
	}
	err := c.do(ctx, request{op: "login/privileges", method: http.MethodGet, path: "/login/privileges"}, &out)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// loginIdentity names the appliance account and the password a login
// presents, for the login throttle.
func (c *Client) loginIdentity() loginIdentity {
	return loginIdentity{
		account:  strings.ToLower(c.cfg.BaseURL) + "\x00" + c.cfg.User,
		password: c.passwordKey,
		user:     c.cfg.User,
	}
}

// authorize returns the session's credentials, logging in first when there
// is no session. Concurrent callers share one login.
func (c *Client) authorize(ctx context.Context) (credentials, error) {
	c.mu.Lock()
	token, basic := c.token, c.basic
	c.mu.Unlock()
	if token != "" {
		return credentials{token: token}, nil
	}
	if basic {
		if err := c.checkLoginThrottle(); err != nil {
			return credentials{}, err
		}
		return credentials{basic: true}, nil
	}

	// The login runs detached from the first caller's cancellation, so one
	// caller giving up does not fail the others waiting on it.
	ch := c.logins.DoChan("login", func() (any, error) {
		return c.login(context.WithoutCancel(ctx))
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return credentials{}, res.Err
		}
		return res.Val.(credentials), nil
	case <-ctx.Done():
		return credentials{}, classifyTransport(c.cfg.BaseURL, "login", ctx.Err())
	}
}

// checkLoginThrottle fails with KindAuth when the throttle does not let
// this password try to log in now.
func (c *Client) checkLoginThrottle() error {
	msg, retryAt := c.pool.logins.check(c.loginIdentity())
	if msg == "" {
		return nil
	}
	return &Error{Kind: KindAuth, Gateway: c.cfg.BaseURL, Op: "login", RetryAt: retryAt, Message: msg}
}

// login posts the base64 user name and password and keeps the JWT. When
// the appliance has no login endpoint (404), the client switches to HTTP
// Basic for good.
func (c *Client) login(ctx context.Context) (credentials, error) {
	if err := c.checkLoginThrottle(); err != nil {
		return credentials{}, err
	}
	var body loginBody
	body.Data.UserName = base64.StdEncoding.EncodeToString([]byte(c.cfg.User))
	body.Data.Passphrase = base64.StdEncoding.EncodeToString([]byte(c.cfg.Password.Reveal()))
	r := request{op: "login", method: http.MethodPost, path: "/login", body: body}

	raw, err := c.send(ctx, r, credentials{})
	if err != nil {
		return c.loginFailed(err)
	}
	var answer loginAnswer
	if err := json.Unmarshal(raw, &answer); err != nil || answer.Data.JWT == "" {
		return credentials{}, &Error{Kind: KindUnknown, Gateway: c.cfg.BaseURL, Op: "login",
			Message: "the login answer carries no session token"}
	}
	c.pool.logins.succeeded(c.loginIdentity())
	token := string(answer.Data.JWT)
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
	c.log.Debug("gateway login succeeded")
	return credentials{token: token}, nil
}

func (c *Client) loginFailed(err error) (credentials, error) {
	e, _ := err.(*Error)
	switch {
	case e != nil && e.Status == http.StatusNotFound:
		c.mu.Lock()
		c.basic = true
		c.mu.Unlock()
		c.log.Info("gateway has no login endpoint, using HTTP Basic")
		return credentials{basic: true}, nil
	case kindOf(err) == KindAuth:
		c.pool.logins.failed(c.loginIdentity())
		c.log.Warn("gateway login rejected", "user", c.cfg.User, "retry_after", c.pool.opts.LoginBackoff)
	}
	return credentials{}, err
}

// invalidate drops the session token unless another caller already
// replaced it.
func (c *Client) invalidate(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
	}
}
