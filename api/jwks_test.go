package api

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay"
)

// keyServer is a local HTTPS JWKS server that counts fetches. Its keys can
// be replaced and its responses held back.
type keyServer struct {
	*httptest.Server
	fetches atomic.Int32

	mu   sync.Mutex
	keys map[string]*rsa.PublicKey
	hold chan struct{}
}

func newKeyServer(t *testing.T, keys map[string]*rsa.PublicKey) *keyServer {
	t.Helper()
	ks := &keyServer{keys: keys}
	ks.Server = httptest.NewTLSServer(http.HandlerFunc(ks.serve))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/.well-known/jwks" {
		http.NotFound(w, r)
		return
	}
	ks.fetches.Add(1)
	ks.mu.Lock()
	hold := ks.hold
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range ks.keys {
		doc.Keys = append(doc.Keys, map[string]string{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		})
	}
	ks.mu.Unlock()
	if hold != nil {
		<-hold
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (ks *keyServer) set(keys map[string]*rsa.PublicKey, hold chan struct{}) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys, ks.hold = keys, hold
}

// host is the server's host:port, as allow-listed and named in jwks_host.
func (ks *keyServer) host() string {
	return strings.TrimPrefix(ks.URL, "https://")
}

// clock is a settable test clock.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// rsEnv starts a relay that trusts two local key servers.
func rsEnv(t *testing.T, a, b *keyServer) (*testEnv, *clock) {
	t.Helper()
	clk := &clock{}
	clk.now.Store(testNow.UnixNano())
	pool := x509.NewCertPool()
	pool.AddCert(a.Certificate())
	pool.AddCert(b.Certificate())

	o := rsOptions()
	o.Now = clk.Now
	o.Token.JWKSHosts = []string{a.host(), b.host()}
	o.JWKS.RootCAs = pool
	dialer := &dialRecorder{allowed: map[string]bool{a.host(): true, b.host(): true}}
	o.JWKS.DialContext = dialer.DialContext
	env := startEnv(t, o)
	env.Dialer = dialer
	return env, clk
}

func claimsFor(host string) jwt.MapClaims {
	c := rsClaims()
	c[JWKSHostClaim] = host
	return c
}

func TestRS256EndToEnd(t *testing.T) {
	a := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	b := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &otherKey.PublicKey})
	env, _ := rsEnv(t, a, b)

	first := env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "")
	second := env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "")

	require.JSONEq(t, `{"data":{"status":"ok"}}`, first.Raw)
	require.JSONEq(t, `{"data":{"status":"ok"}}`, second.Raw)
	require.Equal(t, int32(1), a.fetches.Load(), "the second request with the same kid does not refetch")
	require.Equal(t, int32(0), b.fetches.Load())
	require.Equal(t, []string{a.host()}, env.Dialer.Dials())
}

func TestKeyOfOneHostNeverVerifiesAnother(t *testing.T) {
	a := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	b := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &otherKey.PublicKey})
	env, _ := rsEnv(t, a, b)

	warmA := env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "")
	signedByANamingB := env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(b.host())), "")
	signedByBNamingB := env.post(t, "/health", rs256(t, otherKey, "k1", claimsFor(b.host())), "")
	signedByBNamingA := env.post(t, "/health", rs256(t, otherKey, "k1", claimsFor(a.host())), "")

	require.Empty(t, warmA.Errors, warmA.Raw)
	requireError(t, signedByANamingB, relay.CodeAuthorization)
	require.Contains(t, signedByANamingB.Errors[0].Message, "signature is invalid")
	require.Empty(t, signedByBNamingB.Errors, signedByBNamingB.Raw)
	requireError(t, signedByBNamingA, relay.CodeAuthorization)
	require.Equal(t, int32(1), a.fetches.Load())
	require.Equal(t, int32(1), b.fetches.Load())
}

func TestUnknownKIDRefetchAtMostOncePerMinute(t *testing.T) {
	a := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	b := newKeyServer(t, nil)
	env, clk := rsEnv(t, a, b)
	require.Empty(t, env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "").Errors)
	a.set(map[string]*rsa.PublicKey{"k1": &testKey.PublicKey, "k2": &otherKey.PublicKey}, nil)

	clk.Advance(30 * time.Second)
	early := env.post(t, "/health", rs256(t, otherKey, "k2", claimsFor(a.host())), "")
	fetchesEarly := a.fetches.Load()
	clk.Advance(31 * time.Second)
	late := env.post(t, "/health", rs256(t, otherKey, "k2", claimsFor(a.host())), "")

	requireError(t, early, relay.CodeAuthorization)
	require.Contains(t, early.Errors[0].Message, "not in the key set")
	require.Equal(t, int32(1), fetchesEarly)
	require.Empty(t, late.Errors, late.Raw)
	require.Equal(t, int32(2), a.fetches.Load())
}

func TestKeysRefetchedAfterTTL(t *testing.T) {
	a := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	b := newKeyServer(t, nil)
	env, clk := rsEnv(t, a, b)
	require.Empty(t, env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "").Errors)

	clk.Advance(time.Hour + time.Second)
	r := env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "")

	require.Empty(t, r.Errors, r.Raw)
	require.Equal(t, int32(2), a.fetches.Load())
}

func TestSlowFetchDoesNotBlockOtherHost(t *testing.T) {
	a := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	b := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &otherKey.PublicKey})
	env, _ := rsEnv(t, a, b)
	require.Empty(t, env.post(t, "/health", rs256(t, otherKey, "k1", claimsFor(b.host())), "").Errors)
	hold := make(chan struct{})
	a.set(map[string]*rsa.PublicKey{"k1": &testKey.PublicKey}, hold)

	done := make(chan response, 1)
	go func() { done <- env.post(t, "/health", rs256(t, testKey, "k1", claimsFor(a.host())), "") }()
	require.Eventually(t, func() bool { return a.fetches.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	other := env.post(t, "/health", rs256(t, otherKey, "k1", claimsFor(b.host())), "")
	close(hold)

	require.Empty(t, other.Errors, other.Raw)
	require.Empty(t, (<-done).Errors)
}

func TestJWKSUnavailable(t *testing.T) {
	a := newKeyServer(t, map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	b := newKeyServer(t, nil)
	env, _ := rsEnv(t, a, b)

	r := env.post(t, "/health", rs256(t, otherKey, "k1", claimsFor(b.host())), "")

	requireError(t, r, relay.CodeAuthorization)
	require.Contains(t, r.Errors[0].Message, "could not be fetched")
}

var otherKey = mustKey()
