package gateway

import (
	"fmt"
	"sync"
	"time"
)

// acceptedMemory is how long an accepted password stays exempt from the
// account's failure limit. It spans many session lifetimes, so a tenant
// whose password works keeps logging in again while other tokens with a
// wrong password hit the limit.
const acceptedMemory = 24 * time.Hour

// loginIdentity is the appliance account and the password of one login.
type loginIdentity struct {
	account  string   // lower-case base URL and user name
	password [32]byte // keyed hash of base URL, user and password
	user     string
}

// loginFailure is one rejected login.
type loginFailure struct {
	at       time.Time
	password [32]byte
}

// loginThrottle keeps wrong passwords in tokens from locking the appliance
// account. A rejected password waits for the back-off before it is tried
// again, and once the account has limit rejections within the window, only
// passwords the gateway accepted recently may log in until the window
// passes.
type loginThrottle struct {
	backoff time.Duration
	window  time.Duration
	limit   int
	now     func() time.Time

	mu       sync.Mutex
	rejected map[[32]byte]time.Time    // password → last rejection
	accepted map[[32]byte]time.Time    // password → last accepted login
	failures map[string][]loginFailure // account → last rejections, oldest first, at most limit
}

func newLoginThrottle(o PoolOptions) *loginThrottle {
	return &loginThrottle{
		backoff:  o.LoginBackoff,
		window:   o.LoginFailureWindow,
		limit:    o.LoginFailureLimit,
		now:      o.Now,
		rejected: map[[32]byte]time.Time{},
		accepted: map[[32]byte]time.Time{},
		failures: map[string][]loginFailure{},
	}
}

// check returns an empty message when id may log in now. Otherwise it
// returns why not, what to do, and when the next attempt is allowed.
func (l *loginThrottle) check(id loginIdentity) (string, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()

	if at, ok := l.rejected[id.password]; ok {
		if retryAt := at.Add(l.backoff); now.Before(retryAt) {
			return fmt.Sprintf("the gateway rejected this password for user %q at %s; check GATEWAY_USER and GATEWAY_PASSWORD, "+
				"because the relay tries this password again only after %s", id.user, stamp(at), stamp(retryAt)), retryAt
		}
	}
	if at, ok := l.accepted[id.password]; ok && now.Sub(at) < acceptedMemory {
		return "", time.Time{}
	}
	recent := l.recentFailures(id.account, now)
	if len(recent) < l.limit {
		return "", time.Time{}
	}
	return l.pausedMessage(id, recent)
}

// pausedMessage explains the account's pause, naming whether this password
// was among the rejected ones.
func (l *loginThrottle) pausedMessage(id loginIdentity, recent []loginFailure) (string, time.Time) {
	retryAt := recent[0].at.Add(l.window)
	for i := len(recent) - 1; i >= 0; i-- {
		if recent[i].password == id.password {
			return fmt.Sprintf("logins of user %q are paused until %s because the gateway rejected %d logins of this user since %s, "+
				"the last with this password at %s, and more could lock the account on the appliance. "+
				"Check GATEWAY_USER and GATEWAY_PASSWORD, then try again after %s",
				id.user, stamp(retryAt), len(recent), stamp(recent[0].at), stamp(recent[i].at), stamp(retryAt)), retryAt
		}
	}
	return fmt.Sprintf("logins of user %q with passwords not accepted recently are paused until %s because the gateway "+
		"rejected %d logins with other passwords since %s, and more could lock the account on the appliance. "+
		"This password was not tried: correct the tokens that carry a wrong GATEWAY_PASSWORD for this user, "+
		"then try again after %s", id.user, stamp(retryAt), len(recent), stamp(recent[0].at), stamp(retryAt)), retryAt
}

// recentFailures drops the account's rejections older than the window and
// returns the rest. The caller holds l.mu.
func (l *loginThrottle) recentFailures(account string, now time.Time) []loginFailure {
	list := l.failures[account]
	i := 0
	for i < len(list) && !now.Before(list[i].at.Add(l.window)) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.failures, account)
		return nil
	}
	l.failures[account] = list
	return list
}

// failed records a rejected login of id.
func (l *loginThrottle) failed(id loginIdentity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)

	l.rejected[id.password] = now
	delete(l.accepted, id.password)
	list := append(l.recentFailures(id.account, now), loginFailure{at: now, password: id.password})
	if len(list) > l.limit {
		list = list[len(list)-l.limit:]
	}
	l.failures[id.account] = list
}

// succeeded records an accepted login of id.
func (l *loginThrottle) succeeded(id loginIdentity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	_, known := l.accepted[id.password]
	delete(l.rejected, id.password)
	l.accepted[id.password] = now
	if !known {
		// Basic sessions report every accepted request, so only a new
		// password pays for the sweep.
		l.prune(now)
	}
}

// prune drops entries that no longer affect a decision, so the maps stay
// bounded by the passwords seen within the back-off and acceptedMemory.
// The caller holds l.mu.
func (l *loginThrottle) prune(now time.Time) {
	for k, at := range l.rejected {
		if !now.Before(at.Add(l.backoff)) {
			delete(l.rejected, k)
		}
	}
	for k, at := range l.accepted {
		if now.Sub(at) >= acceptedMemory {
			delete(l.accepted, k)
		}
	}
	for account := range l.failures {
		l.recentFailures(account, now)
	}
}

func stamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
