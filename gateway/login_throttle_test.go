package gateway

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// throttleEnv is a fake gateway that accepts only testPassword, and a pool
// on a fake clock with a one-minute back-off and a limit of three
// rejections in ten minutes.
type throttleEnv struct {
	g     *fakeGateway
	p     *Pool
	clock *fakeClock
}

func newThrottleEnv(t *testing.T) *throttleEnv {
	t.Helper()
	g := newFakeGateway(t, nil)
	g.setRoute(g.standardRoute(map[string]string{"/login/privileges": "esa-login-privileges.json"}))
	clock := &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p, _, _ := testPool(t, func(o *PoolOptions) {
		o.Now = clock.Now
		o.LoginBackoff = time.Minute
		o.LoginFailureLimit = 3
		o.LoginFailureWindow = 10 * time.Minute
	})
	return &throttleEnv{g: g, p: p, clock: clock}
}

// config returns the gateway's credential set with password; the CA
// bundle gets a trailing newline per variant, so each is its own client.
func (e *throttleEnv) config(password string, variant int) Config {
	cfg := e.g.config("relay")
	cfg.Password = Secret(password)
	for range variant {
		cfg.CAPEM += "\n"
	}
	return cfg
}

func (e *throttleEnv) privileges(t *testing.T, cfg Config) error {
	t.Helper()
	_, err := testClient(t, e.p, cfg).Privileges(context.Background())
	return err
}

func (e *throttleEnv) loginsSent() int { return len(e.g.requestsTo("/login")) }

func TestWrongPasswordDoesNotBlockCorrectOne(t *testing.T) {
	e := newThrottleEnv(t)

	err := e.privileges(t, e.config("wrong-1", 0))
	ge := requireKind(t, err, KindAuth)
	require.Equal(t, "Invalid username or passphrase.", ge.Message)

	err = e.privileges(t, e.config(testPassword, 1))
	require.NoError(t, err)
	require.Equal(t, 2, e.loginsSent())
}

func TestRejectedPasswordBacksOff(t *testing.T) {
	e := newThrottleEnv(t)
	wrong := e.config("wrong-1", 0)
	require.Error(t, e.privileges(t, wrong))
	failedAt := e.clock.Now()

	e.clock.Advance(30 * time.Second)
	err := e.privileges(t, e.config("wrong-1", 1))
	ge := requireKind(t, err, KindAuth)
	require.Equal(t, failedAt.Add(time.Minute), ge.RetryAt)
	require.Contains(t, ge.Message, `rejected this password for user "relay" at 2024-01-01T00:00:00Z`)
	require.Contains(t, ge.Message, "check GATEWAY_USER and GATEWAY_PASSWORD")
	require.Contains(t, ge.Message, "again only after 2024-01-01T00:01:00Z")
	require.NotContains(t, ge.Message, "wrong-1")
	require.Equal(t, 1, e.loginsSent(), "the same password with another CA bundle must wait too")

	e.clock.Advance(30 * time.Second)
	requireKind(t, e.privileges(t, wrong), KindAuth)
	require.Equal(t, 2, e.loginsSent())
}

func TestAccountPausedAfterFailureLimit(t *testing.T) {
	e := newThrottleEnv(t)
	for i := range 3 {
		err := e.privileges(t, e.config(fmt.Sprintf("wrong-%d", i), 0))
		requireKind(t, err, KindAuth)
		e.clock.Advance(time.Second)
	}
	require.Equal(t, 3, e.loginsSent())

	cases := []struct {
		name     string
		password string
	}{
		{"new wrong password", "wrong-9"},
		{"correct password never accepted", testPassword},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.privileges(t, e.config(tc.password, 0))
			ge := requireKind(t, err, KindAuth)
			require.Equal(t, time.Date(2024, 1, 1, 0, 10, 0, 0, time.UTC), ge.RetryAt)
			require.Contains(t, ge.Message, "rejected 3 logins with other passwords since 2024-01-01T00:00:00Z")
			require.Contains(t, ge.Message, "This password was not tried")
			require.NotContains(t, ge.Message, "rejected this password")
			require.Equal(t, 3, e.loginsSent())
		})
	}

	e.clock.Advance(10 * time.Minute)
	require.NoError(t, e.privileges(t, e.config(testPassword, 0)))
	require.Equal(t, 4, e.loginsSent())
}

func TestAcceptedPasswordExemptFromPause(t *testing.T) {
	e := newThrottleEnv(t)
	good := testClient(t, e.p, e.config(testPassword, 0))
	_, err := good.Privileges(context.Background())
	require.NoError(t, err)
	for i := range 3 {
		requireKind(t, e.privileges(t, e.config(fmt.Sprintf("wrong-%d", i), 0)), KindAuth)
	}
	requireKind(t, e.privileges(t, e.config("wrong-9", 0)), KindAuth)
	require.Equal(t, 4, e.loginsSent())

	e.g.tokens.Delete("tok-relay-1") // the session ends, so the client logs in again
	_, err = good.Privileges(context.Background())
	require.NoError(t, err)
	require.Equal(t, 5, e.loginsSent())
}

func TestPausedMessageNamesOwnRejection(t *testing.T) {
	e := newThrottleEnv(t)
	for i := range 3 {
		requireKind(t, e.privileges(t, e.config(fmt.Sprintf("wrong-%d", i), 0)), KindAuth)
	}
	e.clock.Advance(2 * time.Minute) // past wrong-0's back-off, within the window

	err := e.privileges(t, e.config("wrong-0", 0))
	ge := requireKind(t, err, KindAuth)
	require.Contains(t, ge.Message, "the last with this password at 2024-01-01T00:00:00Z")
	require.Contains(t, ge.Message, "Check GATEWAY_USER and GATEWAY_PASSWORD")
	require.NotContains(t, ge.Message, "not tried")
	require.Equal(t, 3, e.loginsSent())
}
