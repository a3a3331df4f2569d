package api

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay"
)

// testKey is shared by the tests: RSA key generation is slow under -race.
var testKey = mustKey()

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// rsOptions accepts RS256 tokens from an allow-listed loopback key server
// that is never reached, and HS256 tokens.
func rsOptions() Options {
	o := testOptions()
	o.Token.Audience = testAudience
	o.Token.JWKSHosts = []string{"127.0.0.1:7443"}
	return o
}

func rsClaims() jwt.MapClaims {
	c := validClaims()
	c["aud"] = testAudience
	c[JWKSHostClaim] = "127.0.0.1:7443"
	return c
}

// unsigned builds a token with any header and an empty signature.
func unsigned(t *testing.T, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "."
}

// withHeader signs an RS256 token with extra header fields.
func withHeader(t *testing.T, extra map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, rsClaims())
	tok.Header["kid"] = "k1"
	for k, v := range extra {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(testKey)
	require.NoError(t, err)
	return s
}

func TestTokenRejections(t *testing.T) {
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustMarshalPKIX(t, &testKey.PublicKey)})
	confused := jwt.NewWithClaims(jwt.SigningMethodHS256, rsClaims())
	confused.Header["kid"] = "k1"
	confusedToken, err := confused.SignedString(pubPEM)
	require.NoError(t, err)

	claimsWith := func(k string, v any) jwt.MapClaims {
		c := rsClaims()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	wrongSecret, err := jwt.NewWithClaims(jwt.SigningMethodHS256, rsClaims()).SignedString([]byte(strings.Repeat("w", 40)))
	require.NoError(t, err)
	rs384 := jwt.NewWithClaims(jwt.SigningMethodRS384, rsClaims())
	rs384.Header["kid"] = "k1"
	rs384Token, err := rs384.SignedString(testKey)
	require.NoError(t, err)

	cases := []struct {
		name   string
		header string
		want   string
	}{
		{"missing header", "", "header is missing"},
		{"wrong scheme", "Basic dXNlcjpwYXNz", "wrong authorization type"},
		{"bearer without token", "Bearer ", "wrong authorization type"},
		{"malformed", "Bearer abc.def", "not a well-formed JWT"},
		{"garbage segments", "Bearer a.b.c", "not a well-formed JWT"},
		{"alg none", "Bearer " + unsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, rsClaims()), `alg "none"`},
		{"rs hs confusion", "Bearer " + confusedToken, "signature is invalid"},
		{"hs256 wrong secret", "Bearer " + wrongSecret, "signature is invalid"},
		{"rs384", "Bearer " + rs384Token, "RS256 or HS256"},
		{"jku header", "Bearer " + withHeader(t, map[string]any{"jku": "https://127.0.0.1:7443/keys"}), `"jku"`},
		{"jwk header", "Bearer " + withHeader(t, map[string]any{"jwk": map[string]any{"kty": "RSA"}}), `"jwk"`},
		{"x5u header", "Bearer " + withHeader(t, map[string]any{"x5u": "https://127.0.0.1:7443/cert"}), `"x5u"`},
		{"x5c header", "Bearer " + withHeader(t, map[string]any{"x5c": []string{"MIIB"}}), `"x5c"`},
		{"unknown kid", "Bearer " + rs256(t, testKey, "other-kid", rsClaims()), "not in the key set"},
		{"kid with path", "Bearer " + rs256(t, testKey, "../../etc/passwd", rsClaims()), "kid header is invalid"},
		{"kid with slash", "Bearer " + rs256(t, testKey, "keys/k1", rsClaims()), "kid header is invalid"},
		{"kid not a string", "Bearer " + withHeader(t, map[string]any{"kid": 7}), "kid header is invalid"},
		{"no kid", "Bearer " + withHeader(t, map[string]any{"kid": nil}), "kid header is invalid"},
		{"wrong aud", "Bearer " + rs256(t, testKey, "k1", claimsWith("aud", "https://elsewhere.test")), "aud claim does not name this relay"},
		{"missing aud", "Bearer " + rs256(t, testKey, "k1", claimsWith("aud", nil)), "no aud claim"},
		{"expired", "Bearer " + rs256(t, testKey, "k1", claimsWith("exp", testNow.Add(-time.Hour).Unix())), "expired"},
		{"not yet valid", "Bearer " + rs256(t, testKey, "k1", claimsWith("nbf", testNow.Add(time.Hour).Unix())), "not valid yet"},
		{"issued in the future", "Bearer " + rs256(t, testKey, "k1", claimsWith("iat", testNow.Add(time.Hour).Unix())), "iat is in the future"},
		{"hs256 issued in the future", "Bearer " + hs256(t, claimsWith("iat", testNow.Add(31*time.Second).Unix())), "iat is in the future"},
		{"jwks host not allowed", "Bearer " + rs256(t, testKey, "k1", claimsWith(JWKSHostClaim, "127.0.0.1:8443")), "not in RELAY_JWKS_HOSTS"},
		{"jwks host with path", "Bearer " + rs256(t, testKey, "k1", claimsWith(JWKSHostClaim, "127.0.0.1:7443/x?")), "not in RELAY_JWKS_HOSTS"},
		{"jwks host missing", "Bearer " + rs256(t, testKey, "k1", claimsWith(JWKSHostClaim, nil)), "jwks_host claim is missing"},
		{"jwks host not a string", "Bearer " + rs256(t, testKey, "k1", claimsWith(JWKSHostClaim, 5)), "must be a string"},
		{"oversized", "Bearer " + strings.Repeat("a", DefaultMaxTokenSize+1), "more than the limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startEnv(t, rsOptions())
			seedKeys(env.Server, "127.0.0.1:7443", map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})

			r := env.do(t, "POST", "/observe/observables", "", `[{"type":"ip","value":"192.0.2.1"}]`, "Authorization", tc.header)

			requireError(t, r, relay.CodeAuthorization)
			require.Contains(t, r.Errors[0].Message, tc.want)
			require.Empty(t, env.Dialer.Dials(), "no outbound connection for a rejected token")
			require.Empty(t, env.Services.Calls())
		})
	}
}

func TestRS256DisabledWithoutAudienceAndGatewayHosts(t *testing.T) {
	o := rsOptions()
	o.Token.GatewayHosts = nil
	env := startEnv(t, o)

	r := env.post(t, "/health", rs256(t, testKey, "k1", rsClaims()), "")

	requireError(t, r, relay.CodeAuthorization)
	require.Contains(t, r.Errors[0].Message, "RS256 tokens are not accepted")
	require.Empty(t, env.Dialer.Dials())
}

func TestHS256DisabledWithoutSecret(t *testing.T) {
	o := rsOptions()
	o.Token.Secret = nil
	env := startEnv(t, o)

	r := env.post(t, "/health", hs256(t, rsClaims()), "")

	requireError(t, r, relay.CodeAuthorization)
	require.Contains(t, r.Errors[0].Message, "RELAY_JWT_SECRET")
}

func TestSeededKeyVerifies(t *testing.T) {
	env := startEnv(t, rsOptions())
	seedKeys(env.Server, "127.0.0.1:7443", map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})

	r := env.post(t, "/health", rs256(t, testKey, "k1", rsClaims()), "")

	require.JSONEq(t, `{"data":{"status":"ok"}}`, r.Raw)
	require.Empty(t, env.Dialer.Dials())
}

func TestIssuedAtWithinLeewayAccepted(t *testing.T) {
	env := startEnv(t, rsOptions())
	seedKeys(env.Server, "127.0.0.1:7443", map[string]*rsa.PublicKey{"k1": &testKey.PublicKey})
	claims := rsClaims()
	claims["iat"] = testNow.Add(29 * time.Second).Unix()

	r := env.post(t, "/health", rs256(t, testKey, "k1", claims), "")

	require.JSONEq(t, `{"data":{"status":"ok"}}`, r.Raw)
}

// seedKeys fills a host's key cache as if it had just been fetched.
func seedKeys(s *Server, host string, keys map[string]*rsa.PublicKey) {
	c := s.verifier.jwks
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.hosts[host] = &hostKeys{keys: keys, fetchedAt: now, attemptedAt: now}
}

func mustMarshalPKIX(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	b, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return b
}
